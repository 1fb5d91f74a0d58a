//! `shaders/take.comp`: gathers by flat offsets that the host computed
//! (and range-checked, with TF's errors) when the op was queued: gather,
//! gather_nd, boolean_mask, and the gradient of a sum-scatter. Its
//! counterpart, the scatter, is `put.rs`.

use std::sync::Arc;

use gradtape_core::{Error, HostData, Result};
use vulkano::device::Device;
use vulkano::shader::ShaderModule;
use vulkano::{Validated, VulkanError};

use super::{count, groups, width, PipelineKey, Shader};
use crate::{Batch, DeviceBuffer};

super::variants!(widths: "../../shaders/take.comp");

/// `offsets` as the shaders' u32 words (each below the 2^31 the kernels index).
pub(crate) fn words(v: impl ExactSizeIterator<Item = usize>) -> HostData {
    HostData::I32(v.map(|o| o as u32 as i32).collect())
}

impl Batch {
    /// `out[i] = src[offsets[i]]`; every offset is in range (the caller checked).
    pub fn take(&mut self, src: &DeviceBuffer, offsets: &[usize], out: &DeviceBuffer) -> Result<()> {
        if offsets.len() != out.len() || offsets.iter().any(|&o| o >= src.len()) {
            return Err(Error::Device("internal: a gather's offsets do not fit its buffers".into()));
        }
        count(src.len().max(out.len()))?;
        let off = self.upload(&words(offsets.iter().copied()))?;
        let mut r = self.rec();
        r.addr(out).addr(src).addr(&off);
        let key = PipelineKey { shader: Shader::Take(width(out.dtype())), spec: [0, 0] };
        self.dispatch(key, r, count(out.len())?, groups(out.len()), &[src, &off], &[out])
    }
}
