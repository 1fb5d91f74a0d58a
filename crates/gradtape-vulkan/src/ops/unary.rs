//! `shaders/unary.comp`: one-input elementwise math.

use std::sync::Arc;

use gradtape_core::{DType, Result};
use vulkano::device::Device;
use vulkano::shader::ShaderModule;
use vulkano::{Validated, VulkanError};

use super::{count, groups, PipelineKey, Shader};
use crate::{Batch, DeviceBuffer};

// Op codes: the `switch` cases of shaders/elementwise.glsl.
pub const NEG: u32 = 0;
pub const ABS: u32 = 1;
pub const SIGN: u32 = 2;
pub const EXP: u32 = 3;
pub const LOG: u32 = 4;
pub const SQRT: u32 = 5;
pub const SQUARE: u32 = 6;
pub const SIN: u32 = 7;
pub const COS: u32 = 8;
pub const TANH: u32 = 9;
pub const SIGMOID: u32 = 10;
pub const RELU: u32 = 11;

super::variants!(dtypes: "../../shaders/unary.comp");

/// Whether the shader has `op` for `dtype`: GLSL has no float64
/// transcendentals, and the float-only ops have no integer case.
pub fn has(op: u32, dtype: DType) -> bool {
    let exact = matches!(op, NEG | ABS | SIGN | SQUARE | RELU);
    match dtype {
        DType::F32 => true,
        DType::F64 => exact || op == SQRT,
        DType::I32 | DType::I64 => exact,
        DType::Bool => false,
        DType::U8 | DType::I8 | DType::I16 | DType::F16 | DType::BF16 => false,
    }
}

impl Batch {
    /// `out[i] = op(x[i])`; `out` has `x`'s dtype and length.
    pub fn unary(&mut self, op: u32, x: &DeviceBuffer, out: &DeviceBuffer) -> Result<()> {
        let n = count(out.len())?;
        let mut r = self.rec();
        r.addr(out).addr(x);
        let key = PipelineKey { shader: Shader::Unary(x.dtype()), spec: [op, 0] };
        self.dispatch(key, r, n, groups(out.len()), &[x], &[out])
    }
}
