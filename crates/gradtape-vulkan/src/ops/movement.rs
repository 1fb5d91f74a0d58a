//! `shaders/movement.comp`: strided copies. Transpose, broadcast and slices
//! are gathers; concat and the slice gradient are scatters.

use std::sync::Arc;

use gradtape_core::Result;
use smallvec::SmallVec;
use vulkano::device::Device;
use vulkano::shader::ShaderModule;
use vulkano::{Validated, VulkanError};

use super::{broadcast, contiguous, count, groups, width, PipelineKey, Shader, Walk};
use crate::{Batch, DeviceBuffer};

super::variants!(widths: "../../shaders/movement.comp");

/// One side of a strided copy: a buffer, the offset of index 0 and the
/// stride of each dim of the copy's index space (elements).
pub struct View<'a> {
    pub buf: &'a DeviceBuffer,
    pub offset: usize,
    pub strides: &'a [isize],
}

/// Where a window of `shape` starting at `begin` with steps `step` sits.
fn window(shape: &[usize], begin: &[usize], step: &[isize]) -> (usize, SmallVec<[isize; 6]>) {
    let own = contiguous(shape);
    let offset = begin.iter().zip(&own).map(|(&b, &s)| b as isize * s).sum::<isize>() as usize;
    (offset, step.iter().zip(&own).map(|(&k, &s)| k * s).collect())
}

impl Batch {
    /// `dst[idx] = src[idx]` for every index of `dims`, each side through its view.
    pub fn copy_strided(&mut self, dst: View<'_>, src: View<'_>, dims: &[usize]) -> Result<()> {
        let n: usize = dims.iter().product();
        let w = Walk::new(dims, &[dst.strides, src.strides]);
        let mut r = self.rec();
        r.addr(dst.buf).addr(src.buf).u(w.rank()).u(dst.offset).u(src.offset);
        r.all_u(&w.dims).all_i(&w.strides[0]).all_i(&w.strides[1]);
        count(dst.buf.len().max(src.buf.len()))?;
        let key = PipelineKey { shader: Shader::Movement(width(dst.buf.dtype())), spec: [0, 0] };
        self.dispatch(key, r, count(n)?, groups(n), &[src.buf], &[dst.buf])
    }

    /// Reads `src` at `offset + idx . strides` into the contiguous `out` of shape `so`.
    pub fn gather(&mut self, src: &DeviceBuffer, offset: usize, strides: &[isize], out: &DeviceBuffer, so: &[usize]) -> Result<()> {
        let own = contiguous(so);
        self.copy_strided(View { buf: out, offset: 0, strides: &own }, View { buf: src, offset, strides }, so)
    }

    /// `tf.transpose(x, perm)`, `x` of shape `shape`.
    pub fn transpose(&mut self, x: &DeviceBuffer, shape: &[usize], perm: &[usize], out: &DeviceBuffer) -> Result<()> {
        let own = contiguous(shape);
        let strides: SmallVec<[isize; 6]> = perm.iter().map(|&p| own[p]).collect();
        let dims: SmallVec<[usize; 6]> = perm.iter().map(|&p| shape[p]).collect();
        self.gather(x, 0, &strides, out, &dims)
    }

    /// `tf.broadcast_to(x, so)`.
    pub fn broadcast_to(&mut self, x: &DeviceBuffer, shape: &[usize], out: &DeviceBuffer, so: &[usize]) -> Result<()> {
        self.gather(x, 0, &broadcast(shape, so), out, so)
    }

    /// The window of `x` starting at `begin` with steps `step`, `so` steps per dim.
    pub fn slice(&mut self, x: &DeviceBuffer, shape: &[usize], begin: &[usize], step: &[isize], out: &DeviceBuffer, so: &[usize]) -> Result<()> {
        let (offset, strides) = window(shape, begin, step);
        self.gather(x, offset, &strides, out, so)
    }

    /// The slice's gradient: zeros of shape `so` with `g` (shape `sg`)
    /// scattered into the window.
    pub fn slice_grad(&mut self, g: &DeviceBuffer, sg: &[usize], begin: &[usize], step: &[isize], out: &DeviceBuffer, so: &[usize]) -> Result<()> {
        self.zero(out)?;
        let (offset, strides) = window(so, begin, step);
        let own = contiguous(sg);
        self.copy_strided(View { buf: out, offset, strides: &strides }, View { buf: g, offset: 0, strides: &own }, sg)
    }

    /// `tf.concat(parts, axis)` into `out` of shape `so`.
    pub fn concat(&mut self, parts: &[(&DeviceBuffer, &[usize])], axis: usize, out: &DeviceBuffer, so: &[usize]) -> Result<()> {
        let out_strides = contiguous(so);
        let mut start = 0;
        for (buf, shape) in parts {
            let own = contiguous(shape);
            let dst = View { buf: out, offset: start * out_strides[axis] as usize, strides: &out_strides };
            self.copy_strided(dst, View { buf, offset: 0, strides: &own }, shape)?;
            start += shape[axis];
        }
        Ok(())
    }
}
