//! `DistributedGradientTape`: a `GradientTape` whose gradients are averaged
//! over every rank, fused into one all-reduce per dtype.

use std::ops::Deref;
use std::sync::Arc;

use gradtape_core::{DType, HostData, Result};
use gradtape_engine::{Differentiable, GradientTape, Tensor, Unconnected};

use crate::collectives::{fused, join_failed};
use crate::handshake::Kind;
use crate::{host, ReduceOp};

/// Horovod's `hvd.DistributedGradientTape(tape)`: record the step on a
/// plain [`GradientTape`] as usual, wrap it, and ask the wrapper for the
/// gradients. Every rank gets the same gradients: the [`ReduceOp::Average`]
/// (or the op given) of the ranks' own.
///
/// The gradients of one dtype travel packed in one buffer (tensor fusion):
/// one handshake, one all-reduce of the `None` mask (bytes, one per source)
/// and one all-reduce of the packed values per step, however many variables
/// the model has, as long as they fit in the fusion threshold
/// ([`DEFAULT_FUSION_THRESHOLD`](crate::DEFAULT_FUSION_THRESHOLD), 64 MiB).
/// Beyond it they take one all-reduce per threshold's worth, and a gradient
/// larger than the threshold goes alone, straight from its own buffer.
///
/// A gradient is `None` on every rank when it is `None` on every rank; when
/// only some ranks have it (their shard reached a variable the others' did
/// not), the others contribute zeros, which is their true gradient. If a
/// rank's own backward pass fails, it still joins the collective with its
/// error: it returns that error, and every other rank an `Err` naming it.
///
/// ```no_run
/// use gradtape_distributed::{self as hvd, DistributedGradientTape};
/// use gradtape_engine::*;
/// let _mpi = hvd::init()?;
/// let w = Variable::new([1.0f32, 2.0])?;
/// let x = constant([hvd::rank()? as f32, 1.0])?; // this rank's data
/// let tape = GradientTape::new();
/// let loss = tape.record(|_| (&w.read() * &x)?.sum())?;
/// let tape = DistributedGradientTape::new(tape);
/// let g = tape.gradient(&loss, &[&w])?.remove(0).expect("connected");
/// // d loss / d w = x, averaged: [(size - 1) / 2, 1] on every rank.
/// # Ok::<(), gradtape_core::Error>(())
/// ```
pub struct DistributedGradientTape {
    tape: GradientTape,
    op: ReduceOp,
}

impl DistributedGradientTape {
    /// Wraps `tape`; gradients are averaged over the ranks.
    pub fn new(tape: GradientTape) -> DistributedGradientTape {
        DistributedGradientTape::with_op(tape, ReduceOp::Average)
    }

    /// Wraps `tape`; gradients are combined with `op` (`Sum` for a summed loss).
    pub fn with_op(tape: GradientTape, op: ReduceOp) -> DistributedGradientTape {
        DistributedGradientTape { tape, op }
    }

    /// The wrapped tape.
    pub fn tape(&self) -> &GradientTape {
        &self.tape
    }

    /// `tape.gradient(target, sources)` reduced over every rank: one entry per
    /// source, `None` for a source no rank's target depends on.
    pub fn gradient(&self, target: &dyn Differentiable, sources: &[&dyn Differentiable]) -> Result<Vec<Option<Tensor>>> {
        self.gradient_with(target, sources, Unconnected::None)
    }

    /// [`gradient`](Self::gradient) with TF's `unconnected_gradients`:
    /// `Unconnected::Zero` gives zeros where no rank has a gradient.
    pub fn gradient_with(
        &self,
        target: &dyn Differentiable,
        sources: &[&dyn Differentiable],
        unconnected: Unconnected,
    ) -> Result<Vec<Option<Tensor>>> {
        let what = "DistributedGradientTape.gradient";
        match self.tape.gradients_with(&[target], sources, None, unconnected) {
            Ok(local) => reduce(what, &local, sources, self.op),
            Err(e) => join_failed(what, e),
        }
    }
}

/// The reduction half of [`DistributedGradientTape::gradient`], for
/// gradients computed some other way (Horovod's `allreduce` of a gradient
/// list): `grads[i]` belongs to `sources[i]`, and the result follows the
/// same fusion and `None` rules.
pub fn allreduce_gradients(
    grads: &[Option<Tensor>],
    sources: &[&dyn Differentiable],
    op: ReduceOp,
) -> Result<Vec<Option<Tensor>>> {
    let what = "allreduce_gradients";
    if grads.len() != sources.len() {
        let e = gradtape_core::Error::Value(format!("{what}: {} gradients for {} sources", grads.len(), sources.len()));
        return join_failed(what, e);
    }
    reduce(what, grads, sources, op)
}

fn reduce(
    what: &'static str,
    local: &[Option<Tensor>],
    sources: &[&dyn Differentiable],
    op: ReduceOp,
) -> Result<Vec<Option<Tensor>>> {
    let metas: Vec<(DType, Vec<usize>)> = sources.iter().map(|s| gradient_meta(*s)).collect();
    let mut values: Vec<Option<Arc<HostData>>> = Vec::with_capacity(local.len());
    for (g, (dtype, dims)) in local.iter().zip(&metas) {
        match g {
            // The device-to-host copy on Vulkan; a no-op on the CPU engine.
            Some(g) => match g.try_data() {
                Ok(d) if d.dtype() == *dtype && g.dims() == dims.as_slice() => values.push(Some(d)),
                Ok(_) => {
                    let e = gradtape_core::Error::InvalidArgument(format!(
                        "{what}: a gradient of shape {:?} {} does not match its source's, {dims:?} {dtype}",
                        g.dims(),
                        g.dtype()
                    ));
                    return join_failed(what, e);
                }
                Err(e) => return join_failed(what, e),
            },
            None => values.push(None),
        }
    }
    let engine = sources.first().map(|s| s.engine());
    let reduced = fused(what, Kind::Gradients, engine, metas.clone(), values, op)?;
    reduced
        .into_iter()
        .zip(sources.iter().zip(&metas))
        .map(|(d, (s, (_, dims)))| d.map(|d| host::to_tensor(s.engine(), d, dims)).transpose())
        .collect()
}

/// The dtype and dims of a source's gradient: the source's own for a float
/// source; an integer source's is `None`, or int32 zeros with
/// `Unconnected::Zero` (TF's rule).
fn gradient_meta(source: &dyn Differentiable) -> (DType, Vec<usize>) {
    let node = source.node();
    let dtype = if node.dtype.is_float() { node.dtype } else { DType::I32 };
    (dtype, node.shape.dims().to_vec())
}

impl Deref for DistributedGradientTape {
    type Target = GradientTape;

    fn deref(&self) -> &GradientTape {
        &self.tape
    }
}

impl From<GradientTape> for DistributedGradientTape {
    fn from(tape: GradientTape) -> DistributedGradientTape {
        DistributedGradientTape::new(tape)
    }
}
