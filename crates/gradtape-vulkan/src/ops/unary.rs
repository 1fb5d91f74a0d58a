//! `shaders/unary.comp`: one-input elementwise math.

use std::sync::Arc;

use gradtape_core::registry::UnaryOp;
use gradtape_core::{DType, Result};
use vulkano::device::Device;
use vulkano::shader::ShaderModule;
use vulkano::{Validated, VulkanError};

use super::{count, groups, PipelineKey, Shader};
use crate::{Batch, DeviceBuffer};

super::variants!(dtypes: "../../shaders/unary.comp");

/// Whether the shader has `op` for `dtype`: every op for float32; GLSL
/// has no float64 transcendentals, so float64 only the exact ops; integers
/// the ops that take them.
pub fn has(op: UnaryOp, dtype: DType) -> bool {
    match dtype {
        DType::F32 => true,
        DType::F64 => op.is_exact(),
        DType::I32 | DType::I64 => op.takes_ints(),
        DType::Bool => false,
        DType::U8 | DType::I8 | DType::I16 | DType::F16 | DType::BF16 => false,
    }
}

impl Batch {
    /// `out[i] = op(x[i])`; `out` has `x`'s dtype and length.
    pub fn unary(&mut self, op: UnaryOp, x: &DeviceBuffer, out: &DeviceBuffer) -> Result<()> {
        let n = count(out.len())?;
        let mut r = self.rec();
        r.addr(out).addr(x);
        let key = PipelineKey { shader: Shader::Unary(x.dtype()), spec: [op.code(), 0] };
        self.dispatch(key, r, n, groups(out.len()), &[x], &[out])
    }
}
