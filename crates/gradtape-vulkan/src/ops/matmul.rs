//! `shaders/matmul.comp`: batched, tiled matrix products.

use std::sync::Arc;

use gradtape_core::{DType, Result};
use vulkano::device::Device;
use vulkano::shader::ShaderModule;
use vulkano::{Validated, VulkanError};

use super::{broadcast, count, PipelineKey, Rec, Shader, Walk};
use crate::{Batch, DeviceBuffer};

super::variants!(
    "../../shaders/matmul.comp",
    dt_f32_8 => [("DT_F32", "1"), ("TM", "8")],
    dt_f32_4 => [("DT_F32", "1"), ("TM", "4")],
    dt_f64 => [("DT_F64", "1"), ("TM", "4")],
    dt_i32 => [("DT_I32", "1"), ("TM", "4")],
    dt_i64 => [("DT_I64", "1"), ("TM", "4")],
);

pub(crate) fn load(d: Arc<Device>, t: DType, tm: u8) -> Result<Arc<ShaderModule>, Validated<VulkanError>> {
    match (t, tm) {
        (DType::F32, 8) => dt_f32_8::load(d),
        (DType::F32, _) => dt_f32_4::load(d),
        (DType::F64, _) => dt_f64::load(d),
        (DType::I32 | DType::Bool, _) => dt_i32::load(d),
        (DType::I64, _) => dt_i64::load(d),
    }
}

/// Big tiles only pay when they still give every compute unit work.
const BIG_TILE_MIN_TILES: usize = 256;

impl Batch {
    /// `out = op(a) @ op(b)` (op transposes the last two dims when `ta` /
    /// `tb`), batch dims broadcast to `so`'s.
    #[allow(clippy::too_many_arguments)]
    pub fn matmul(
        &mut self,
        a: &DeviceBuffer,
        sa: &[usize],
        b: &DeviceBuffer,
        sb: &[usize],
        ta: bool,
        tb: bool,
        out: &DeviceBuffer,
        so: &[usize],
    ) -> Result<()> {
        let (ra, ro) = (sa.len(), so.len());
        let (m, n) = (so[ro - 2], so[ro - 1]);
        let k = if ta { sa[ra - 2] } else { sa[ra - 1] };
        let batch = &so[..ro - 2];
        let batches: usize = batch.iter().product();
        for t in [a, b, out] {
            count(t.len())?;
        }
        let mk = (m * k) as isize;
        let kn = (k * n) as isize;
        let sa_b: Vec<isize> = broadcast(&sa[..ra - 2], batch).iter().map(|&s| s * mk).collect();
        let sb_b: Vec<isize> = broadcast(&sb[..sb.len() - 2], batch).iter().map(|&s| s * kn).collect();
        let w = Walk::new(batch, &[&sa_b, &sb_b]);
        let mut r = Rec::default();
        r.addr(out).addr(a).addr(b).u(m).u(n).u(k).u(batches).u(w.rank());
        r.all_u(&w.dims).all_i(&w.strides[0]).all_i(&w.strides[1]);
        let big = a.dtype() == DType::F32 && m.div_ceil(128) * n.div_ceil(128) * batches >= BIG_TILE_MIN_TILES;
        let tm: u8 = if big { 8 } else { 4 };
        let tile = 16 * tm as usize;
        let g = [n.div_ceil(tile) as u32, m.div_ceil(tile) as u32, batches.min(65535) as u32];
        if g[0] > 65535 || g[1] > 65535 {
            return Err(gradtape_core::Error::Device("Vulkan: matrix too large for one dispatch".into()));
        }
        let key = PipelineKey { shader: Shader::MatMul(a.dtype(), tm), spec: [ta as u32, tb as u32] };
        self.dispatch(key, &r.0, 0, g, &[a, b], &[out])
    }
}
