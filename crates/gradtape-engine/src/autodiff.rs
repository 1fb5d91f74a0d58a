//! `tf.custom_gradient` and `tf.autodiff.ForwardAccumulator`.
//!
//! A custom-gradient function runs with every tape paused; its result then
//! goes through one recorded op whose gradient rule is the user's function,
//! so tapes (nested ones included) see an opaque op with that rule.
//! Forward mode is the "double backward" TF itself falls back to: the
//! accumulator's persistent tape gives `g(u) = J^T u`, which is linear in
//! `u`, and `jvp = d (t · g(u)) / du` — exact, for every op with a gradient.

use std::cell::Cell;
use std::sync::Arc;

use gradtape_core::{Error, Result, Shape};
use smallvec::SmallVec;

pub use crate::op::CustomGrad;
use crate::ops::ext::{op, ExtOp};
use crate::{stack, Differentiable, GradientTape, Tensor, Unconnected, Variable};

/// A custom gradient rule: upstream gradient in, one gradient per input out.
pub type GradFn = Box<dyn Fn(&Tensor) -> Result<Vec<Option<Tensor>>> + Send + Sync>;

/// A custom gradient rule of a function that reads variables: `(dy,
/// variables)` in, `(one gradient per input, one per variable)` out (TF's
/// `grad(dy, variables=None)`).
pub type GradFnVars =
    Box<dyn Fn(&Tensor, &[Variable]) -> Result<(Vec<Option<Tensor>>, Vec<Option<Tensor>>)> + Send + Sync>;

type Rule = Arc<dyn Fn(&Tensor) -> Result<Vec<Option<Tensor>>> + Send + Sync>;

/// The rule applied to an upstream gradient with `batch` leading dims: a
/// jacobian's rows are fed one at a time, as TF's loop fallback does.
pub(crate) fn custom_grad(
    c: &CustomGrad,
    inputs: &[Tensor],
    g: &Tensor,
    batch: usize,
) -> Result<SmallVec<[Option<Tensor>; 2]>> {
    let n = c.inputs;
    let rule = c.rule.downcast_ref::<Rule>().expect("internal: a custom gradient holds the rule finish() gave it");
    let mut out: SmallVec<[Option<Tensor>; 2]> = SmallVec::new();
    if batch == 0 {
        let r = rule(g)?;
        out.extend(r.into_iter().take(n));
    } else {
        let lead = g.dims()[..batch].to_vec();
        let rows = lead.iter().product::<usize>();
        let mut flat = vec![rows as i64];
        flat.extend(g.dims()[batch..].iter().map(|&d| d as i64));
        let per: Vec<Vec<Option<Tensor>>> = g.reshape(flat.as_slice())?.unstack(0)?.iter().map(|r| rule(r)).collect::<Result<_>>()?;
        for i in 0..n {
            let parts: Option<Vec<Tensor>> = per.iter().map(|p| p.get(i).cloned().flatten()).collect();
            out.push(match parts {
                Some(p) if !p.is_empty() => {
                    let mut dims = lead.clone();
                    dims.extend_from_slice(inputs[i].dims());
                    Some(stack(&p, 0)?.reshape(&Shape::new(&dims))?)
                }
                _ => None,
            });
        }
    }
    out.resize(n, None);
    // The forward value, the op's last input, gets no gradient.
    out.push(None);
    Ok(out)
}

/// Runs `f` with the thread's tapes paused while a probe tape lists the
/// variables it reads.
fn run_opaque<R>(xs: &[Tensor], f: impl FnOnce(&[Tensor]) -> Result<R>) -> Result<(R, Vec<Variable>)> {
    let engine = xs.first().map(|x| x.engine().clone()).unwrap_or_else(|| crate::Engine::default_engine().clone());
    crate::tape::unrecorded(engine.id(), || {
        let probe = engine.gradient_tape(false, true);
        let r = probe.record(|_| f(xs))?;
        Ok((r, probe.watched_variables()))
    })
}

fn finish(xs: &[Tensor], extra: &[Tensor], y: Tensor, rule: Rule) -> Result<Tensor> {
    let mut inputs: Vec<&Tensor> = xs.iter().collect();
    inputs.extend(extra.iter());
    inputs.push(&y);
    let c = CustomGrad { rule: Arc::new(rule), inputs: xs.len() + extra.len() };
    op(ExtOp::Custom(c), &inputs, y.shape().clone(), y.dtype())
}

/// `@tf.custom_gradient`: `f(xs)` returns the value and its gradient rule;
/// tapes use the rule instead of differentiating `f`.
///
/// ```
/// # use gradtape_engine::*;
/// let x = constant(100.0)?;
/// let tape = GradientTape::new();
/// let y = tape.record(|t| {
///     t.watch(&x)?;
///     autodiff::custom_gradient(&[x.clone()], |xs| {
///         let e = xs[0].exp()?;
///         let y = e.add(1.0)?.log()?;
///         let rule: autodiff::GradFn = Box::new(move |dy| Ok(vec![Some(dy.mul(&e.add(1.0)?.ones_like().sub(&e.add(1.0)?.ones_like().div(&e.add(1.0)?)?)?)?)]));
///         Ok((y, rule))
///     })
/// })?;
/// assert_eq!(tape.gradient(&y, &x)?.unwrap().scalar::<f32>()?, 1.0);
/// # Ok::<(), gradtape_core::Error>(())
/// ```
pub fn custom_gradient(xs: &[Tensor], f: impl FnOnce(&[Tensor]) -> Result<(Tensor, GradFn)>) -> Result<Tensor> {
    let ((y, grad), vars) = run_opaque(xs, f)?;
    if !vars.is_empty() {
        let shown: Vec<String> = vars.iter().map(|v| v.to_string()).collect();
        return Err(Error::Type(format!(
            "@tf.custom_gradient grad_fn must accept keyword argument 'variables', since function uses variables: [{}]",
            shown.join(", ")
        )));
    }
    finish(xs, &[], y, Arc::from(grad))
}

/// `@tf.custom_gradient` for a function that reads variables: the rule also
/// returns one gradient per variable read (in the order first read).
pub fn custom_gradient_with_variables(
    xs: &[Tensor],
    f: impl FnOnce(&[Tensor]) -> Result<(Tensor, GradFnVars)>,
) -> Result<Tensor> {
    let ((y, grad), vars) = run_opaque(xs, f)?;
    // Reads outside the pause: the tapes record them, so the variables' gradients reach them.
    let reads: Vec<Tensor> = vars.iter().map(|v| v.read()).collect();
    let n = xs.len();
    let vs = vars.clone();
    let rule: Rule = Arc::new(move |dy: &Tensor| {
        let (mut dx, dv) = grad(dy, &vs)?;
        dx.resize(n, None);
        dx.extend(dv.into_iter().chain(std::iter::repeat(None)).take(vs.len()));
        Ok(dx)
    });
    finish(xs, &reads, y, rule)
}

/// `tf.autodiff.ForwardAccumulator(primals, tangents)`: jacobian-vector
/// products of everything computed while it records. Nested with a
/// `GradientTape` it gives Hessian-vector products.
///
/// ```
/// # use gradtape_engine::*;
/// let x = constant(3.0)?;
/// let acc = autodiff::ForwardAccumulator::new(&[x.clone()], &[constant(1.0)?])?;
/// let y = acc.record(|| x.mul(&x))?;
/// assert_eq!(acc.jvp(&y, Unconnected::None)?.unwrap().scalar::<f32>()?, 6.0);
/// # Ok::<(), gradtape_core::Error>(())
/// ```
pub struct ForwardAccumulator {
    tape: GradientTape,
    primals: Vec<Tensor>,
    tangents: Vec<Tensor>,
    recording: Cell<bool>,
}

fn structure_error(a: &[Tensor], b: &[Tensor]) -> Error {
    let show = |v: &[Tensor]| v.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", ");
    let dots = |v: &[Tensor]| vec!["."; v.len()].join(", ");
    Error::Value(format!(
        "The two structures don't have the same nested structure.\n\nFirst structure: type=list str=[{0}]\n\nSecond structure: type=list str=[{1}]\n\nMore specifically: The two structures don't have the same number of elements. First structure: type=list str=[{0}]. Second structure: type=list str=[{1}]\nEntire first structure:\n[{2}]\nEntire second structure:\n[{3}]",
        show(a),
        show(b),
        dots(a),
        dots(b)
    ))
}

impl ForwardAccumulator {
    /// Watches `primals` with the matching `tangents`; an int primal is
    /// logged (TF's warning) and contributes nothing.
    pub fn new(primals: &[Tensor], tangents: &[Tensor]) -> Result<ForwardAccumulator> {
        if primals.len() != tangents.len() {
            return Err(structure_error(primals, tangents));
        }
        for (p, t) in primals.iter().zip(tangents) {
            if p.shape() != t.shape() {
                return Err(Error::Value(format!(
                    "Tangent shape {} does not match primal shape {}",
                    t.shape().tuple(),
                    p.shape().tuple()
                )));
            }
        }
        let engine = primals.first().map(|x| x.engine().clone()).unwrap_or_else(|| crate::Engine::default_engine().clone());
        let tape = engine.gradient_tape(true, false);
        Ok(ForwardAccumulator { tape, primals: primals.to_vec(), tangents: tangents.to_vec(), recording: Cell::new(false) })
    }

    /// The `with acc:` block: records while `f` runs.
    pub fn record<R>(&self, f: impl FnOnce() -> Result<R>) -> Result<R> {
        if self.recording.get() {
            return Err(Error::Value("Accumulator is already recording.".into()));
        }
        self.recording.set(true);
        let r = self.tape.record(|t| {
            for p in &self.primals {
                if p.dtype().is_float() {
                    t.watch(p)?;
                } else {
                    log::warn!("The dtype of the watched primal must be floating (e.g. tf.float32), got tf.{}", p.dtype());
                }
            }
            f()
        });
        self.recording.set(false);
        r
    }

    /// `acc.jvp(y, unconnected_gradients)`: the directional derivative of
    /// `y` along the tangents; `None` (or zeros) when `y` does not depend on
    /// a primal.
    pub fn jvp(&self, y: &Tensor, unconnected: Unconnected) -> Result<Option<Tensor>> {
        let unconnected_result = || match unconnected {
            Unconnected::Zero => Ok(Some(y.zeros_like())),
            _ => Ok(None),
        };
        if !y.dtype().is_float() {
            return unconnected_result();
        }
        let u = y.zeros_like();
        // On the accumulator's engine: the default one would refuse its tensors.
        let helper = y.engine().gradient_tape(false, true);
        let sources: Vec<&dyn Differentiable> = self.primals.iter().map(|p| p as &dyn Differentiable).collect();
        let s = helper.record(|h| {
            h.watch(&u)?;
            let gs = self.tape.gradients_with(&[y], &sources, Some(&[Some(u.clone())]), Unconnected::None)?;
            let mut s: Option<Tensor> = None;
            for (g, t) in gs.iter().zip(&self.tangents) {
                if let Some(g) = g {
                    let term = g.mul(&t.cast(g.dtype())?)?.sum()?;
                    s = Some(match s {
                        None => term,
                        Some(a) => a.add(&term)?,
                    });
                }
            }
            Ok(s)
        })?;
        let Some(s) = s else { return unconnected_result() };
        Ok(Some(helper.gradient(&s, &u)?.unwrap_or_else(|| y.zeros_like())))
    }
}
