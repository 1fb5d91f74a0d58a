//! Gradients: `gradient`, `jacobian` and `batch_jacobian` seed a walk of
//! the backward system (see [`crate::walk`]), which visits a tape's entries
//! in reverse order applying each op's gradient rule with tensor ops (so
//! enclosing tapes record it: higher-order derivatives); the jacobians are
//! vectorised by running the same walk once on a batch of one-hot seeds.

use std::str::FromStr;
use std::sync::MutexGuard;

use bevy_ecs::entity::Entity;
use bevy_ecs::world::World;
use gradtape_core::{DType, Error, HostData, Result, Shape};

use crate::nest::Nest;
use crate::node::Node;
use crate::tape::GradientTape;
use crate::walk::Walk;
use crate::{Engine, Tensor, Variable};

/// The default seed of a target: ones of its shape and dtype.
fn ones_for(engine: &Engine, n: &Node) -> Tensor {
    Tensor::from_data(engine, HostData::filled(n.dtype, n.shape.numel(), 1.0), n.shape.clone())
}

/// A target or source of differentiation: a tensor or a variable.
pub trait Differentiable {
    /// The handle's entity, shape and dtype.
    fn node(&self) -> &Node;
    /// The engine the handle belongs to.
    fn engine(&self) -> &Engine;
}

impl Differentiable for Tensor {
    fn node(&self) -> &Node {
        &self.node
    }
    fn engine(&self) -> &Engine {
        &self.engine
    }
}

impl Differentiable for Variable {
    fn node(&self) -> &Node {
        &self.node
    }
    fn engine(&self) -> &Engine {
        &self.engine
    }
}

/// What a source no path reaches gets (`tf.UnconnectedGradients`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Unconnected {
    /// `None` for an unconnected source (TF's default).
    #[default]
    None,
    /// Zeros of the source's shape.
    Zero,
}

impl FromStr for Unconnected {
    type Err = Error;
    fn from_str(s: &str) -> Result<Unconnected> {
        match s {
            "none" => Ok(Unconnected::None),
            "zero" => Ok(Unconnected::Zero),
            other => Err(Error::Value(format!("Unknown value for unconnected_gradients: '{other}'"))),
        }
    }
}

const CONSUMED: &str =
    "A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)";
// TF's batch_jacobian message lacks a space, and users match on it.
const CONSUMED_BATCH: &str =
    "A non-persistent GradientTape can only be used tocompute one set of gradients (or jacobians)";

/// A walk in progress: the World's lock while it is held, and the tape's
/// walk ended (under the lock) however the walk ends, a user's rule
/// panicking included.
struct WalkSession<'a> {
    tape: &'a GradientTape,
    w: Option<MutexGuard<'a, World>>,
}

impl Drop for WalkSession<'_> {
    fn drop(&mut self) {
        let mut w = self.w.take().unwrap_or_else(|| self.tape.engine.lock());
        self.tape.end_walk(&mut w);
    }
}

impl GradientTape {
    /// Walks the tape back from `seeds` (each target with its initial
    /// gradient of shape `batch dims ++ target shape`) to `sources`: runs
    /// of the backward schedule, between which a rule that is user code
    /// runs with the World unlocked (see [`crate::walk`]). `consume` (false
    /// for a dry run) lets a non-persistent tape be consumed.
    fn walk(&self, message: &str, consume: bool, seeds: Vec<(Entity, Tensor)>, sources: &[Entity], batch: usize) -> Result<Vec<Option<Tensor>>> {
        let mut w = self.engine.lock();
        self.begin_walk(&mut w, message, consume)?;
        let mut session = WalkSession { tape: self, w: Some(w) };
        let mut walk = Walk::new(&self.engine, self.entity(), seeds, sources.to_vec(), batch);
        loop {
            let w = session.w.as_mut().expect("internal: the walk holds the lock here");
            walk = self.engine.advance_walk(w, walk);
            if !walk.waits_outside() {
                break;
            }
            session.w = None;
            walk.run_outside();
            session.w = Some(self.engine.lock());
        }
        drop(session);
        walk.result().unwrap_or_else(|| Err(Error::Internal("the backward walk stopped unfinished".into())))
    }
}

/// TF logs this once per process.
fn warn_persistent_inside() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        log::warn!("Calling GradientTape.gradient on a persistent tape inside its context is significantly less efficient than calling it outside the context (it causes the gradient ops to be recorded on the tape, leading to increased CPU and memory usage). Only call GradientTape.gradient inside the context if you actually want to trace the gradient in order to compute higher order derivatives.");
    });
}

fn zeros_for(engine: &Engine, lead: &[usize], src: &Node) -> Result<Tensor> {
    let mut dims = lead.to_vec();
    dims.extend_from_slice(src.shape.dims());
    // TF gives an int32 zero for integer sources.
    let dt = if src.dtype.is_float() { src.dtype } else { DType::I32 };
    engine.zeros(&dims, dt)
}

impl GradientTape {
    fn check(&self, xs: &[&dyn Differentiable]) -> Result<()> {
        if xs.iter().all(|x| x.engine().same(&self.engine)) {
            Ok(())
        } else {
            Err(Error::InvalidArgument("the tape and the tensors belong to different engines".into()))
        }
    }

    /// `tape.gradient([targets], [sources])`: the targets' gradients summed.
    pub fn gradients(&self, targets: &[&dyn Differentiable], sources: &[&dyn Differentiable]) -> Result<Vec<Option<Tensor>>> {
        self.gradients_with(targets, sources, None, Unconnected::None)
    }

    /// `tape.gradient(target, sources)` with nested structures: targets are
    /// flattened and summed; the result has the structure of `sources`.
    pub fn gradient_nest(
        &self,
        targets: &Nest<&dyn Differentiable>,
        sources: &Nest<&dyn Differentiable>,
        unconnected: Unconnected,
    ) -> Result<Nest<Option<Tensor>>> {
        let t: Vec<&dyn Differentiable> = targets.flatten().into_iter().copied().collect();
        let s: Vec<&dyn Differentiable> = sources.flatten().into_iter().copied().collect();
        let grads = self.gradients_with(&t, &s, None, unconnected)?;
        Ok(sources.pack_as(&mut grads.into_iter()).expect("internal: one gradient per source"))
    }

    /// The full form: `output_gradients` (one per target, `None` for ones)
    /// and `unconnected_gradients`.
    pub fn gradients_with(
        &self,
        targets: &[&dyn Differentiable],
        sources: &[&dyn Differentiable],
        output_gradients: Option<&[Option<Tensor>]>,
        unconnected: Unconnected,
    ) -> Result<Vec<Option<Tensor>>> {
        self.check(targets)?;
        self.check(sources)?;
        if let Some(og) = output_gradients {
            if og.len() != targets.len() {
                return Err(Error::Value(format!(
                    "Length of output_gradients ({}) does not match length of target ({})",
                    og.len(),
                    targets.len()
                )));
            }
            // TF does not check an output gradient against its target: the
            // backward ops meet it and fail in their own words (`Incompatible
            // shapes: [3] vs. [2] [Op:Mul]`) or broadcast it. So does this, but
            // first as a dry run that records and consumes nothing, so a
            // failure leaves the tape as it was.
            let odd = |(t, g): (&&dyn Differentiable, &Option<Tensor>)| {
                g.as_ref().is_some_and(|g| g.shape() != &t.node().shape || g.dtype() != t.node().dtype)
            };
            if targets.iter().zip(og).any(odd) {
                let seeds = targets.iter().zip(og).map(|(t, g)| (t.node().entity(), g.clone().unwrap_or_else(|| ones_for(&self.engine, t.node())))).collect();
                let src: Vec<Entity> = sources.iter().map(|s| s.node().entity()).collect();
                crate::tape::unrecorded(self.engine.id(), || self.walk(CONSUMED, false, seeds, &src, 0))?;
            }
        }
        if self.persistent && self.is_recording() {
            warn_persistent_inside();
        }
        let mut seeds = Vec::with_capacity(targets.len());
        for (i, t) in targets.iter().enumerate() {
            let tn = t.node();
            let g = output_gradients.and_then(|og| og[i].clone()).unwrap_or_else(|| ones_for(&self.engine, tn));
            seeds.push((tn.entity(), g));
        }
        let src: Vec<Entity> = sources.iter().map(|s| s.node().entity()).collect();
        let grads = self.walk(CONSUMED, true, seeds, &src, 0)?;
        grads
            .into_iter()
            .zip(sources)
            .map(|(g, s)| match (g, unconnected) {
                (Some(g), _) if s.node().dtype.is_float() => Ok(Some(g)),
                (_, Unconnected::Zero) => zeros_for(&self.engine, &[], s.node()).map(Some),
                _ => Ok(None),
            })
            .collect()
    }

    /// `tape.jacobian(target, [sources], unconnected_gradients, experimental_use_pfor)`
    /// positionally (see `jacobian` and `jacobian_with`): per source, shape
    /// `target.shape ++ source.shape`. With `use_pfor` (TF's default) one
    /// vectorised backward walk computes every row; without it, one
    /// gradient call per row, which needs a persistent tape.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// let x = constant([1.0, 2.0, 3.0])?;
    /// let tape = GradientTape::new();
    /// // y = x², so dy_i/dx_j = 2·x_i where i = j, else 0
    /// let y = tape.record(|t| {
    ///     t.watch(&x)?;
    ///     x.square()
    /// })?;
    /// let j = tape.jacobians(&y, &[&x], Unconnected::None, true)?.remove(0).expect("y depends on x");
    /// assert_eq!(j.dims(), &[3, 3]);
    /// assert_eq!(j.to_vec::<f32>()?, vec![2., 0., 0., 0., 4., 0., 0., 0., 6.]);
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn jacobians(
        &self,
        target: &dyn Differentiable,
        sources: &[&dyn Differentiable],
        unconnected: Unconnected,
        use_pfor: bool,
    ) -> Result<Vec<Option<Tensor>>> {
        self.check(&[target])?;
        self.check(sources)?;
        if self.is_consumed() {
            return Err(Error::Runtime(CONSUMED.into()));
        }
        if !use_pfor && !self.persistent {
            return Err(Error::Runtime("GradientTape must be created with persistent=True to compute the jacobian with eager execution enabled and with  experimental_use_pfor set to False.".into()));
        }
        let tn = target.node().clone();
        let n = tn.shape.numel();
        let src: Vec<Entity> = sources.iter().map(|s| s.node().entity()).collect();
        let rows: Vec<Option<Tensor>> = if use_pfor {
            let mut dims = vec![n];
            dims.extend_from_slice(tn.shape.dims());
            // Made first: a seed too large to allocate leaves the tape unconsumed.
            let seed = eye(&self.engine, n, tn.dtype, &dims)?;
            self.walk(CONSUMED, true, vec![(tn.entity(), seed)], &src, 1)?
        } else {
            let mut per_source: Vec<Vec<Option<Tensor>>> = vec![Vec::new(); src.len()];
            for i in 0..n {
                let mut onehot = vec![0.0; n];
                onehot[i] = 1.0;
                let seed = Tensor::from_data(&self.engine, HostData::F64(onehot).cast(tn.dtype), tn.shape.clone());
                let g = self.walk(CONSUMED, true, vec![(tn.entity(), seed)], &src, 0)?;
                for (k, gk) in g.into_iter().enumerate() {
                    per_source[k].push(gk);
                }
            }
            per_source
                .into_iter()
                .map(|rows| {
                    if rows.iter().any(|r| r.is_none()) || rows.is_empty() {
                        Ok(None)
                    } else {
                        let rows: Vec<Tensor> = rows.into_iter().flatten().collect();
                        crate::ops::movement::stack(&rows, 0).map(Some)
                    }
                })
                .collect::<Result<_>>()?
        };
        rows.into_iter()
            .zip(sources)
            .map(|(g, s)| {
                let mut dims = tn.shape.dims().to_vec();
                dims.extend_from_slice(s.node().shape.dims());
                match g {
                    Some(g) if s.node().dtype.is_float() => g.reshape(&Shape::from(dims)).map(Some),
                    _ if unconnected == Unconnected::Zero => zeros_for(&self.engine, tn.shape.dims(), s.node()).map(Some),
                    _ => Ok(None),
                }
            })
            .collect()
    }

    /// `tape.batch_jacobian(target, source)`: `[b, y..., x...]`, assuming
    /// row i of the target depends only on row i of the source. An
    /// unconnected source gives zeros, as in TF.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// // A batch of two rows of two features; y = x·x elementwise.
    /// let x = constant([[1.0, 2.0], [3.0, 4.0]])?;
    /// let tape = GradientTape::new();
    /// let y = tape.record(|t| {
    ///     t.watch(&x)?;
    ///     &x * &x
    /// })?;
    /// let j = tape.batch_jacobian(&y, &x, true)?;
    /// assert_eq!(j.dims(), &[2, 2, 2]);
    /// assert_eq!(j.to_vec::<f32>()?, vec![2., 0., 0., 4., 6., 0., 0., 8.]);
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn batch_jacobian(&self, target: &dyn Differentiable, source: &dyn Differentiable, use_pfor: bool) -> Result<Tensor> {
        self.check(&[target, source])?;
        if self.is_consumed() {
            return Err(Error::Runtime(CONSUMED_BATCH.into()));
        }
        let (tn, sn) = (target.node().clone(), source.node().clone());
        for s in [&tn.shape, &sn.shape] {
            if s.rank() < 2 {
                return Err(Error::Value(format!("Shape {} must have rank at least 2", s.tuple())));
            }
        }
        if tn.shape.dims()[0] != sn.shape.dims()[0] {
            return Err(Error::Value(format!(
                "Need first dimension of target shape ({}) and source shape ({}) to match.",
                tn.shape.tuple(),
                sn.shape.tuple()
            )));
        }
        if !use_pfor && !self.persistent {
            return Err(Error::Runtime("GradientTape must be created with persistent=True to compute the batch_jacobian with eager execution enabled and  with experimental_use_pfor set to False.".into()));
        }
        let b = tn.shape.dims()[0];
        let y: usize = tn.shape.dims()[1..].iter().product();
        let mut sdims = vec![y];
        sdims.extend_from_slice(tn.shape.dims());
        // Checked before the tape is consumed and the f64 seed is made.
        Shape::from(sdims.clone()).checked_numel(DType::F64.size())?;
        // Seed j is one at flat position j of every row: [y, b, y...].
        let mut seed = vec![0.0; y * b * y];
        for j in 0..y {
            for i in 0..b {
                seed[(j * b + i) * y + j] = 1.0;
            }
        }
        let seed = Tensor::from_data(&self.engine, HostData::F64(seed).cast(tn.dtype), Shape::from(sdims));
        let g = self.walk(CONSUMED_BATCH, true, vec![(tn.entity(), seed)], &[sn.entity()], 1)?.pop().flatten();
        let mut out = tn.shape.dims().to_vec();
        out.extend_from_slice(&sn.shape.dims()[1..]);
        match g {
            Some(g) if sn.dtype.is_float() => {
                // [y, b, x...] -> [b, y, x...] -> [b, y..., x...]
                let mut perm: Vec<usize> = vec![1, 0];
                perm.extend(2..g.rank());
                g.transpose_perm(&perm)?.reshape(&Shape::from(out))
            }
            _ => self.engine.zeros(&out, if sn.dtype.is_float() { sn.dtype } else { DType::F32 }),
        }
    }
}

/// An identity matrix reshaped to `dims` (first dim `n`).
fn eye(engine: &Engine, n: usize, dtype: DType, dims: &[usize]) -> Result<Tensor> {
    let shape = Shape::new(dims);
    // Checked before the f64 buffer is made: n * n may not fit in memory or in a usize.
    shape.checked_numel(DType::F64.size())?;
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    Ok(Tensor::from_data(engine, HostData::F64(v).cast(dtype), shape))
}
