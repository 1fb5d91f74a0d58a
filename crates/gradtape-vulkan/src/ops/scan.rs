//! `shaders/scan.comp`: `tf.cumsum` and `tf.math.cumprod` along one axis,
//! one thread per lane in the CPU kernel's order (so the CPU's bits; see
//! the shader for why not a parallel scan).

use std::sync::Arc;

use gradtape_core::{DType, Result};
use vulkano::device::Device;
use vulkano::shader::ShaderModule;
use vulkano::{Validated, VulkanError};

use super::{count, groups, PipelineKey, Shader};
use crate::{Batch, DeviceBuffer, VulkanDevice};

super::variants!(dtypes: "../../shaders/scan.comp");

/// Which scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scan {
    /// Running sums from zero.
    Sum,
    /// Running products from one.
    Prod,
}

/// Whether `dev` scans `dtype` (bool has no scans; 64-bit types need the
/// device's 64-bit arithmetic).
pub fn has(dev: &VulkanDevice, dtype: DType) -> bool {
    dtype != DType::Bool && !dtype.is_narrow() && dev.supports(dtype)
}

impl Batch {
    /// `out` = the scan of `x` (shape `shape`) along `axis`, each element
    /// left out of its own result when `exclusive`, from the end when `reverse`.
    #[allow(clippy::too_many_arguments)]
    pub fn scan(
        &mut self,
        op: Scan,
        x: &DeviceBuffer,
        shape: &[usize],
        axis: usize,
        exclusive: bool,
        reverse: bool,
        out: &DeviceBuffer,
    ) -> Result<()> {
        let n = shape[axis];
        let inner: usize = shape[axis + 1..].iter().product();
        let lanes = if n == 0 { 0 } else { x.len() / n };
        count(x.len().max(out.len()))?;
        let mut r = self.rec();
        r.addr(out).addr(x).u(n).u(inner).u(exclusive as usize).u(reverse as usize);
        let code = match op {
            Scan::Sum => 0,
            Scan::Prod => 1,
        };
        let key = PipelineKey { shader: Shader::Scan(x.dtype()), spec: [code, 0] };
        self.dispatch(key, r, count(lanes)?, groups(lanes), &[x], &[out])
    }
}
