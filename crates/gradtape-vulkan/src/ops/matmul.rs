//! `shaders/matmul.comp` and `shaders/matmul_vec4.comp`: batched, tiled
//! matrix products; float32 operands whose rows are whole vec4s take the
//! second, which reads and writes 16 bytes at a time.

use std::sync::Arc;

use gradtape_core::{DType, Result};
use smallvec::SmallVec;
use vulkano::device::Device;
use vulkano::shader::ShaderModule;
use vulkano::{Validated, VulkanError};

use super::{broadcast, count, PipelineKey, Shader, Walk};
use crate::{Batch, DeviceBuffer};

super::variants!(
    "../../shaders/matmul.comp",
    dt_f32_8 => [("DT_F32", "1"), ("TM", "8")],
    dt_f32_4 => [("DT_F32", "1"), ("TM", "4")],
    dt_f64 => [("DT_F64", "1"), ("TM", "4")],
    dt_i32 => [("DT_I32", "1"), ("TM", "4")],
    dt_i64 => [("DT_I64", "1"), ("TM", "4")],
);

super::variants!(
    "../../shaders/matmul_vec4.comp",
    v4_f32_8 => [("DT_F32", "1"), ("H", "2")],
    v4_f32_4 => [("DT_F32", "1"), ("H", "1")],
);

pub(crate) fn load(d: Arc<Device>, t: DType, k: Kernel) -> Result<Arc<ShaderModule>, Validated<VulkanError>> {
    match (t, k.tm, k.vec4) {
        (DType::F32, 8, true) => v4_f32_8::load(d),
        (DType::F32, _, true) => v4_f32_4::load(d),
        (DType::F32, 8, false) => dt_f32_8::load(d),
        (DType::F32, _, false) => dt_f32_4::load(d),
        (DType::F64, ..) => dt_f64::load(d),
        (DType::I32 | DType::Bool, ..) => dt_i32::load(d),
        (DType::I64, ..) => dt_i64::load(d),
        (DType::U8 | DType::I8 | DType::I16 | DType::F16 | DType::BF16, ..) => unreachable!("internal: narrow-dtype math runs on the host"),
    }
}

/// Big tiles only pay when they still give every compute unit work.
const BIG_TILE_MIN_TILES: usize = 256;

/// Which matmul kernel a product runs: its register block (`tm` x `tm` per
/// thread, a tile is 16 times that square) and whether it moves vec4s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Kernel {
    pub tm: u8,
    pub vec4: bool,
}

/// The kernel for an `m x k` by `k x n` product over `batches`, operands
/// at device addresses `addrs` (out, a, b). Only float32 has the wide
/// kernels. vec4 loads need the dim each operand is read along (k for a
/// plain A, m for a transposed one; n for a plain B, k for a transposed
/// one) and n, the output's row, to be multiples of 4, and every buffer
/// 16-byte aligned; batch strides are then multiples of 4 too.
pub(crate) fn kernel(dtype: DType, [m, n, k]: [usize; 3], batches: usize, ta: bool, tb: bool, addrs: [u64; 3]) -> Kernel {
    let f32 = dtype == DType::F32;
    let big = f32 && m.div_ceil(128) * n.div_ceil(128) * batches >= BIG_TILE_MIN_TILES;
    let rows_whole = [if ta { m } else { k }, if tb { k } else { n }, n].iter().all(|d| d % 4 == 0);
    let vec4 = f32 && rows_whole && addrs.iter().all(|a| a % 16 == 0);
    Kernel { tm: if big { 8 } else { 4 }, vec4 }
}

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
        let sa_b: SmallVec<[isize; 6]> = broadcast(&sa[..ra - 2], batch).iter().map(|&s| s * mk).collect();
        let sb_b: SmallVec<[isize; 6]> = broadcast(&sb[..sb.len() - 2], batch).iter().map(|&s| s * kn).collect();
        let w = Walk::new(batch, &[&sa_b, &sb_b]);
        let mut r = self.rec();
        r.addr(out).addr(a).addr(b).u(m).u(n).u(k).u(batches).u(w.rank());
        r.all_u(&w.dims).all_i(&w.strides[0]).all_i(&w.strides[1]);
        let kern = kernel(a.dtype(), [m, n, k], batches, ta, tb, [out.addr(), a.addr(), b.addr()]);
        let tile = 16 * kern.tm as usize;
        let g = [n.div_ceil(tile) as u32, m.div_ceil(tile) as u32, batches.min(65535) as u32];
        if g[0] > 65535 || g[1] > 65535 {
            return Err(gradtape_core::Error::Device("Vulkan: matrix too large for one dispatch".into()));
        }
        let key = PipelineKey { shader: Shader::MatMul(a.dtype(), kern), spec: [ta as u32, tb as u32] };
        self.dispatch(key, r, 0, g, &[a, b], &[out])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALIGNED: [u64; 3] = [0x1000, 0x2000, 0x3000];

    #[test]
    fn float32_rows_of_whole_vec4s_take_the_vec4_kernel() {
        let k = kernel(DType::F32, [8, 16, 12], 1, false, false, ALIGNED);
        assert_eq!(k, Kernel { tm: 4, vec4: true });
        // 256 tiles of 128 x 128: the big register block, still vec4.
        assert_eq!(kernel(DType::F32, [128, 128, 8], 256, false, false, ALIGNED), Kernel { tm: 8, vec4: true });
        assert_eq!(kernel(DType::F32, [128, 128, 8], 255, false, false, ALIGNED), Kernel { tm: 4, vec4: true });
    }

    #[test]
    fn the_dim_each_operand_is_read_along_decides() {
        // k = 6: a plain A's rows and a transposed B's rows split vec4s.
        assert!(!kernel(DType::F32, [8, 16, 6], 1, false, false, ALIGNED).vec4);
        assert!(!kernel(DType::F32, [8, 16, 6], 1, true, true, ALIGNED).vec4);
        // ...but transposed A (read along m) and plain B (along n) do not.
        assert!(kernel(DType::F32, [8, 16, 6], 1, true, false, ALIGNED).vec4);
        // m = 6 matters only to a transposed A.
        assert!(kernel(DType::F32, [6, 16, 8], 1, false, true, ALIGNED).vec4);
        assert!(!kernel(DType::F32, [6, 16, 8], 1, true, false, ALIGNED).vec4);
        // n = 6: the output's rows.
        assert!(!kernel(DType::F32, [8, 6, 8], 1, true, true, ALIGNED).vec4);
    }

    #[test]
    fn other_dtypes_and_unaligned_buffers_take_the_scalar_kernel() {
        for t in [DType::F64, DType::I32, DType::I64] {
            assert_eq!(kernel(t, [128, 128, 8], 256, false, false, ALIGNED), Kernel { tm: 4, vec4: false });
        }
        assert!(!kernel(DType::F32, [8, 16, 12], 1, false, false, [0x1000, 0x2004, 0x3000]).vec4);
    }
}
