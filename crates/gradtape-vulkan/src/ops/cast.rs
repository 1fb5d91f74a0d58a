//! `shaders/cast.comp`: `tf.cast` between every pair of dtypes.

use std::sync::Arc;

use gradtape_core::{DType, Result};
use vulkano::device::Device;
use vulkano::shader::ShaderModule;
use vulkano::{Validated, VulkanError};

use super::{count, groups, PipelineKey, Shader};
use crate::{Batch, DeviceBuffer, VulkanDevice};

super::variants!(
    "../../shaders/cast.comp",
    narrow => [("NARROW", "1")],
    wide => [("WIDE", "1")],
);

pub(crate) fn load(d: Arc<Device>, wide: bool) -> Result<Arc<ShaderModule>, Validated<VulkanError>> {
    if wide {
        wide::load(d)
    } else {
        narrow::load(d)
    }
}

/// The shader's dtype codes.
fn code(t: DType) -> u32 {
    match t {
        DType::Bool => 0,
        DType::I32 => 1,
        DType::I64 => 2,
        DType::F32 => 3,
        DType::F64 => 4,
        DType::U8 | DType::I8 | DType::I16 | DType::F16 | DType::BF16 => unreachable!("internal: narrow-dtype casts run on the host"),
    }
}

fn is_wide(t: DType) -> bool {
    matches!(t, DType::I64 | DType::F64)
}

/// Whether this device casts `from` into `to`: the 64-bit types need both
/// shaderInt64 and shaderFloat64, since the wide variant goes through f64.
pub fn has(dev: &VulkanDevice, from: DType, to: DType) -> bool {
    let wide_ok = dev.info().int64 && dev.info().float64;
    // A cast into a narrow dtype rounds or wraps as the host's does.
    !from.is_narrow() && !to.is_narrow() && (wide_ok || !(is_wide(from) || is_wide(to)))
}

impl Batch {
    /// `out = cast(x)`; `out`'s dtype is the target.
    pub fn cast(&mut self, x: &DeviceBuffer, out: &DeviceBuffer) -> Result<()> {
        let wide = self.device().info().int64 && self.device().info().float64;
        let mut r = self.rec();
        r.addr(out).addr(x);
        let key = PipelineKey { shader: Shader::Cast(wide), spec: [code(x.dtype()), code(out.dtype())] };
        self.dispatch(key, r, count(out.len())?, groups(out.len()), &[x], &[out])
    }
}
