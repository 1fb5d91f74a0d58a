//! `shaders/take.comp`: gathers by flat offsets that the host computed
//! (and range-checked, with TF's errors) when the op was queued (gather,
//! gather_nd, boolean_mask, the gradient of a sum-scatter), and along the
//! last axis by an index tensor on the device (top_k's values, the sparse
//! cross-entropy's picked logits). Its counterpart, the scatter, is `put.rs`.

use std::sync::Arc;

use gradtape_core::{DType, Error, HostData, Result};
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

/// Whether the last-axis gather (and its scatter-add) reads indices of
/// `dtype` on the device: int32 and int64 (read as words, so no 64-bit
/// arithmetic is needed).
pub fn has_index(dtype: DType) -> bool {
    matches!(dtype, DType::I32 | DType::I64)
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

    /// `out[p] = src[(p / k) * n + idx[p]]`: the gather along the last
    /// axis of `src` (rows of `n`) by `idx` (rows of `k`, int32 or int64,
    /// on the device); an index outside `[0, n)` reads as zero.
    pub fn gather_last(&mut self, src: &DeviceBuffer, idx: &DeviceBuffer, k: usize, n: usize, out: &DeviceBuffer) -> Result<()> {
        if idx.len() != out.len() || (k > 0 && out.len() / k * n != src.len()) {
            return Err(Error::Device("internal: a last-axis gather's buffers do not fit".into()));
        }
        count(src.len().max(out.len()).max(2 * idx.len()))?;
        let mut r = self.rec();
        r.addr(out).addr(src).addr(idx).u(k).u(n).u((width(idx.dtype()) == 8) as usize);
        let key = PipelineKey { shader: Shader::Take(width(out.dtype())), spec: [1, 0] };
        self.dispatch(key, r, count(out.len())?, groups(out.len()), &[src, idx], &[out])
    }
}
