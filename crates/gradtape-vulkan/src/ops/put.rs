//! `shaders/put.comp`: scatters by flat offsets that the host computed
//! (and range-checked) when the op was queued: scatter_nd,
//! tensor_scatter_nd_* and gather's gradient (a sum-scatter); and the
//! gradient of the last-axis gather, by an index tensor on the device.
//!
//! A scatter is deterministic: `put.comp` runs one invocation per output
//! element over a CSR of the updates landing on it, built here on the host
//! (a stable counting sort of the offsets), instead of atomic adds whose
//! order, and so whose float bits, would change between runs. It sums in
//! the CPU kernel's order from the CPU kernel's initial value, so the bits
//! are the CPU's. The cost: O(outputs + updates) host work and
//! (outputs + 1 + updates) words of upload per scatter, and an output
//! element with many updates is summed by one thread (TF's CPU kernel sums
//! it serially too).

use std::sync::Arc;

use gradtape_core::{DType, Error, Result};
use vulkano::device::Device;
use vulkano::shader::ShaderModule;
use vulkano::{Validated, VulkanError};

use super::take::words;
use super::{count, groups, PipelineKey, Shader};
use crate::{Batch, DeviceBuffer, VulkanDevice};

super::variants!(dtypes: "../../shaders/put.comp");

/// How a scatter combines the updates that land on one element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Combine {
    /// Sum, from zero (bool: `or`, from false).
    Add,
    /// Maximum, from the dtype's lowest value (bool: `or`, from false).
    Max,
    /// Minimum, from the dtype's highest value (bool: `and`, from false).
    Min,
}

/// Whether `dev` scatters `dtype`: the scatter adds and compares in the
/// dtype, so 64-bit types need the device's 64-bit arithmetic. (The
/// gather moves bits and takes every dtype the device stores.)
pub fn has(dev: &VulkanDevice, dtype: DType) -> bool {
    !dtype.is_narrow() && dev.supports(dtype)
}

/// The shader's op code and the initial value's bits (low, high word),
/// as `put_cpu` in the engine starts each element.
fn code_and_init(how: Combine, dtype: DType) -> (u32, u64) {
    let op = match how {
        Combine::Add => 0,
        Combine::Max => 1,
        Combine::Min => 2,
    };
    let init = match (dtype, how) {
        // bool is int32 0/1 here: `or` is a max and `and` a min, both from
        // false, as the CPU kernel starts every element at false.
        (DType::Bool, Combine::Add) => return (1, 0),
        (DType::Bool, _) => return (op, 0),
        (_, Combine::Add) => 0,
        (DType::F32, Combine::Max) => f32::NEG_INFINITY.to_bits() as u64,
        (DType::F32, Combine::Min) => f32::INFINITY.to_bits() as u64,
        (DType::F64, Combine::Max) => f64::NEG_INFINITY.to_bits(),
        (DType::F64, Combine::Min) => f64::INFINITY.to_bits(),
        (DType::I32, Combine::Max) => i32::MIN as u32 as u64,
        (DType::I32, Combine::Min) => i32::MAX as u32 as u64,
        (DType::I64, Combine::Max) => i64::MIN as u64,
        (DType::I64, Combine::Min) => i64::MAX as u64,
        (_, _) => 0,
    };
    (op, init)
}

impl Batch {
    /// `out` (all the initial value of `how`) with `u[i]` combined into
    /// `out[offsets[i]]`, in increasing `i` for each element; every offset
    /// is in range (the caller checked).
    pub fn put(&mut self, u: &DeviceBuffer, offsets: &[usize], how: Combine, out: &DeviceBuffer) -> Result<()> {
        let n = out.len();
        if offsets.len() != u.len() || offsets.iter().any(|&o| o >= n) {
            return Err(Error::Device("internal: a scatter's offsets do not fit its buffers".into()));
        }
        count(n.max(u.len()) + 1)?;
        // The CSR: row_start by counting, then the update positions
        // dropped into their rows in increasing order (a stable sort).
        let mut row = vec![0usize; n + 1];
        for &o in offsets {
            row[o + 1] += 1;
        }
        for j in 0..n {
            row[j + 1] += row[j];
        }
        let mut next = row[..n].to_vec();
        let mut cols = vec![0usize; offsets.len()];
        for (i, &o) in offsets.iter().enumerate() {
            cols[next[o]] = i;
            next[o] += 1;
        }
        let row_buf = self.upload(&words(row.into_iter()))?;
        let col_buf = self.upload(&words(cols.into_iter()))?;
        let (op, init) = code_and_init(how, out.dtype());
        let mut r = self.rec();
        r.addr(out).addr(u).addr(&row_buf).addr(&col_buf).u(init as u32 as usize).u((init >> 32) as usize);
        let key = PipelineKey { shader: Shader::Put(out.dtype()), spec: [op, 0] };
        self.dispatch(key, r, count(n)?, groups(n), &[u, &row_buf, &col_buf], &[out])
    }

    /// The gradient of [`Batch::gather_last`]: zeros (rows of `n`) with
    /// `g[p]` summed into position `idx[p]` of row `p / k`, in increasing
    /// `p` as on the CPU. One invocation per output element scans its
    /// row's `k` indices (O(n k) per row: `k` is 1 for the sparse
    /// cross-entropy, at most `n` for top_k); an index outside `[0, n)`
    /// adds nowhere.
    pub fn scatter_add_last(&mut self, g: &DeviceBuffer, idx: &DeviceBuffer, k: usize, n: usize, out: &DeviceBuffer) -> Result<()> {
        if idx.len() != g.len() || (k > 0 && g.len() / k * n != out.len()) {
            return Err(Error::Device("internal: a last-axis scatter's buffers do not fit".into()));
        }
        count(out.len().max(g.len()).max(2 * idx.len()))?;
        let mut r = self.rec();
        r.addr(out).addr(g).addr(idx).addr(idx).u(0).u(0);
        r.u(k).u(n).u((crate::ops::width(idx.dtype()) == 8) as usize);
        let key = PipelineKey { shader: Shader::Put(out.dtype()), spec: [3, 0] };
        self.dispatch(key, r, count(out.len())?, groups(out.len()), &[g, idx], &[out])
    }
}
