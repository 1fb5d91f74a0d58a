//! `shaders/reduce.comp`: sum, mean, max, min and prod over any axis list.

use std::sync::Arc;

use gradtape_core::registry::ReduceOp;
use gradtape_core::{DType, Result};
use smallvec::SmallVec;
use vulkano::device::Device;
use vulkano::shader::ShaderModule;
use vulkano::{Validated, VulkanError};

use super::{contiguous, count, groups, PipelineKey, Shader, Walk};
use crate::{Batch, DeviceBuffer};


/// Reductions at most this long run one per thread.
const SHORT: usize = 64;
/// With fewer outputs than this a long reduction is split in two passes,
/// so that enough workgroups run at once.
const FEW_OUTPUTS: usize = 2048;
/// Elements one workgroup of the first pass reduces, at least.
const PER_GROUP: usize = 4096;

super::variants!(dtypes: "../../shaders/reduce.comp");

/// Whether the shader reduces `dtype` with `op` over `k` elements per
/// output (the mean of nothing, NaN on the CPU, is left to it).
pub fn has(op: ReduceOp, dtype: DType, k: usize) -> bool {
    dtype != DType::Bool && !(op == ReduceOp::Mean && k == 0)
}

struct Pass {
    op: ReduceOp,
    m: usize,
    k: usize,
    kept: Walk,
    red: Walk,
    divisor: usize,
    splits: usize,
}

impl Batch {
    /// Reduces `x` (shape `shape`) over the sorted `axes` into `out`
    /// (the kept dims, row-major).
    pub fn reduce(&mut self, op: ReduceOp, x: &DeviceBuffer, shape: &[usize], axes: &[usize], out: &DeviceBuffer) -> Result<()> {
        let st = contiguous(shape);
        let (mut kd, mut rd) = (SmallVec::<[usize; 6]>::new(), SmallVec::<[usize; 6]>::new());
        let (mut ks, mut rs) = (SmallVec::<[isize; 6]>::new(), SmallVec::<[isize; 6]>::new());
        for (i, (&d, &s)) in shape.iter().zip(&st).enumerate() {
            if axes.contains(&i) {
                rd.push(d);
                rs.push(s);
            } else {
                kd.push(d);
                ks.push(s);
            }
        }
        let m: usize = kd.iter().product();
        let k: usize = rd.iter().product();
        count(x.len())?;
        // The shader has no mean: a sum with a divisor.
        let (first, divisor) = if op == ReduceOp::Mean { (ReduceOp::Sum, k) } else { (op, 0) };
        let kept = Walk::new(&kd, &[&ks]);
        let red = Walk::new(&rd, &[&rs]);
        if k <= SHORT || m >= FEW_OUTPUTS {
            return self.reduce_pass(x, out, Pass { op: first, m, k, kept, red, divisor, splits: 1 });
        }
        let splits = k.div_ceil(PER_GROUP).min(FEW_OUTPUTS.div_ceil(m)).max(1);
        if splits == 1 {
            return self.reduce_pass(x, out, Pass { op: first, m, k, kept, red, divisor, splits: 1 });
        }
        let partial = self.alloc(x.dtype(), m * splits)?;
        self.reduce_pass(x, &partial, Pass { op: first, m, k, kept, red, divisor: 0, splits })?;
        let kept = Walk::new(&[m], &[&[splits as isize]]);
        let red = Walk::new(&[splits], &[&[1]]);
        let last = if op == ReduceOp::Mean { ReduceOp::Sum } else { op };
        self.reduce_pass(&partial, out, Pass { op: last, m, k: splits, kept, red, divisor, splits: 1 })
    }

    fn reduce_pass(&mut self, x: &DeviceBuffer, out: &DeviceBuffer, p: Pass) -> Result<()> {
        let total = p.m * p.splits;
        let per_thread = p.k.div_ceil(p.splits) <= SHORT;
        let mut r = self.rec();
        r.addr(out).addr(x).u(p.m).u(p.k).u(p.kept.rank()).u(p.red.rank()).u(0).u(p.divisor).u(p.splits);
        r.u(if per_thread { 0 } else { 1 });
        r.all_u(&p.kept.dims).all_i(&p.kept.strides[0]).all_u(&p.red.dims).all_i(&p.red.strides[0]);
        let g = if per_thread { groups(total) } else { [total.min(65535) as u32, 1, 1] };
        let key = PipelineKey { shader: Shader::Reduce(x.dtype()), spec: [p.op.code(), 0] };
        self.dispatch(key, r, count(total)?, g, &[x], &[out])
    }
}
