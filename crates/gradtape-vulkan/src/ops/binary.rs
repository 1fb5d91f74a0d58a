//! `shaders/binary.comp`: two-input elementwise math and comparisons, with
//! NumPy broadcasting.

use std::sync::Arc;

use gradtape_core::{DType, Result};
use vulkano::device::Device;
use vulkano::shader::ShaderModule;
use vulkano::{Validated, VulkanError};

use super::{broadcast, count, groups, PipelineKey, Shader, Walk};
use crate::{Batch, DeviceBuffer};

// Op codes: the `switch` cases of shaders/elementwise.glsl.
pub const ADD: u32 = 0;
pub const SUB: u32 = 1;
pub const MUL: u32 = 2;
pub const DIV: u32 = 3;
pub const FLOOR_DIV: u32 = 4;
pub const POW: u32 = 5;
pub const MAXIMUM: u32 = 6;
pub const MINIMUM: u32 = 7;
pub const EQUAL: u32 = 8;
pub const NOT_EQUAL: u32 = 9;
pub const LESS: u32 = 10;
pub const LESS_EQUAL: u32 = 11;
pub const GREATER: u32 = 12;
pub const GREATER_EQUAL: u32 = 13;

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

/// Whether the shader has `op` for operands of `dtype` (float64 has no pow).
pub fn has(op: u32, dtype: DType) -> bool {
    match dtype {
        DType::F64 => op != POW,
        DType::Bool => matches!(op, EQUAL | NOT_EQUAL),
        DType::F32 | DType::I32 | DType::I64 => true,
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
        op: u32,
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
        let key = PipelineKey { shader: Shader::Binary(a.dtype()), spec: [op, 0] };
        self.dispatch(key, r, n, groups(out.len()), &[a, b], &[out])
    }
}
