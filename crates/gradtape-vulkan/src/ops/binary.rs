//! `shaders/binary.comp`: two-input elementwise math and comparisons, with
//! NumPy broadcasting.

use std::sync::Arc;

use gradtape_core::registry::BinaryOp;
use gradtape_core::{DType, Result};
use vulkano::device::Device;
use vulkano::shader::ShaderModule;
use vulkano::{Validated, VulkanError};

use super::{broadcast, count, groups, PipelineKey, Shader, Walk};
use crate::{Batch, DeviceBuffer};

super::variants!(
    "../../shaders/binary.comp",
    dt_f32 => [("DT_F32", "1")],
    dt_f64 => [("DT_F64", "1")],
    dt_i32 => [("DT_I32", "1")],
    dt_i64 => [("DT_I64", "1")],
    dt_bool => [("DT_BOOL", "1")],
);

pub(crate) fn load(d: Arc<Device>, t: DType) -> Result<Arc<ShaderModule>, Validated<VulkanError>> {
    match t {
        DType::F32 => dt_f32::load(d),
        DType::F64 => dt_f64::load(d),
        DType::I32 => dt_i32::load(d),
        DType::I64 => dt_i64::load(d),
        DType::Bool => dt_bool::load(d),
        DType::U8 | DType::I8 | DType::I16 | DType::F16 | DType::BF16 => unreachable!("internal: narrow-dtype math runs on the host"),
    }
}

/// Whether the shader has `op` for operands of `dtype`: float64 only the
/// exact ops (no pow), bool only `==` and `!=`.
pub fn has(op: BinaryOp, dtype: DType) -> bool {
    match dtype {
        DType::F32 => true,
        DType::F64 => op.is_exact(),
        DType::I32 | DType::I64 => op.takes_ints(),
        DType::Bool => op.takes_bools(),
        // Their math rounds to the narrow type after each op: the host's.
        DType::U8 | DType::I8 | DType::I16 | DType::F16 | DType::BF16 => false,
    }
}

impl Batch {
    /// `out = op(a, b)` with `a` (shape `sa`) and `b` (shape `sb`)
    /// broadcast to `so`; a comparison's `out` is bool.
    #[allow(clippy::too_many_arguments)]
    pub fn binary(
        &mut self,
        op: BinaryOp,
        a: &DeviceBuffer,
        sa: &[usize],
        b: &DeviceBuffer,
        sb: &[usize],
        out: &DeviceBuffer,
        so: &[usize],
    ) -> Result<()> {
        let n = count(out.len())?;
        let w = Walk::new(so, &[&broadcast(sa, so), &broadcast(sb, so)]);
        let mut r = self.rec();
        r.addr(out).addr(a).addr(b);
        if w.is_contiguous(0) && w.is_contiguous(1) {
            r.u(0).u(0).u(0);
        } else {
            r.u(w.rank()).u(0).u(0).all_u(&w.dims).all_i(&w.strides[0]).all_i(&w.strides[1]);
        }
        let key = PipelineKey { shader: Shader::Binary(a.dtype()), spec: [op.code(), 0] };
        self.dispatch(key, r, n, groups(out.len()), &[a, b], &[out])
    }
}
