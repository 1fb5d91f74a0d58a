//! `shaders/select.comp`: `tf.where(cond, a, b)` with broadcasting.

use std::sync::Arc;

use gradtape_core::Result;
use vulkano::device::Device;
use vulkano::shader::ShaderModule;
use vulkano::{Validated, VulkanError};

use super::{broadcast, count, groups, width, PipelineKey, Shader, Walk};
use crate::{Batch, DeviceBuffer};

super::variants!(widths: "../../shaders/select.comp");

impl Batch {
    /// `out = where(c, a, b)`, each broadcast to `so`.
    #[allow(clippy::too_many_arguments)]
    pub fn select(
        &mut self,
        c: &DeviceBuffer,
        sc: &[usize],
        a: &DeviceBuffer,
        sa: &[usize],
        b: &DeviceBuffer,
        sb: &[usize],
        out: &DeviceBuffer,
        so: &[usize],
    ) -> Result<()> {
        let w = Walk::new(so, &[&broadcast(sc, so), &broadcast(sa, so), &broadcast(sb, so)]);
        let mut r = self.rec();
        r.addr(out).addr(c).addr(a).addr(b).u(w.rank()).u(0).u(0).u(0);
        r.all_u(&w.dims).all_i(&w.strides[0]).all_i(&w.strides[1]).all_i(&w.strides[2]);
        let key = PipelineKey { shader: Shader::Select(width(out.dtype())), spec: [0, 0] };
        self.dispatch(key, r, count(out.len())?, groups(out.len()), &[c, a, b], &[out])
    }
}
