//! The op families' kernel bindings, one file per shader in `shaders/`:
//! each compiles its shader's variants, names its op codes, and adds the
//! `Batch` methods that encode a dispatch's parameter record.

use std::sync::Arc;

use gradtape_core::{DType, Error, Result};
use smallvec::SmallVec;
use vulkano::shader::{ShaderModule, SpecializationConstant};

use crate::batch::GROUP;
use crate::{DeviceBuffer, VulkanDevice};

pub mod binary;
pub mod cast;
pub mod fused;
pub mod matmul;
pub mod movement;
pub mod put;
pub mod reduce;
pub mod scan;
pub mod select;
pub mod take;
pub mod unary;

/// Compiles one shader file once per set of defines, each into its own
/// module with a `load(device)` function.
macro_rules! variants {
    // The common case: one variant per element type (bool runs as int32),
    // and the `load` that picks it.
    (dtypes: $path:tt) => {
        super::variants!(
            $path,
            dt_f32 => [("DT_F32", "1")],
            dt_f64 => [("DT_F64", "1")],
            dt_i32 => [("DT_I32", "1")],
            dt_i64 => [("DT_I64", "1")],
        );

        pub(crate) fn load(d: Arc<Device>, t: DType) -> Result<Arc<ShaderModule>, Validated<VulkanError>> {
            match t {
                DType::F32 => dt_f32::load(d),
                DType::F64 => dt_f64::load(d),
                DType::I32 | DType::Bool => dt_i32::load(d),
                DType::I64 => dt_i64::load(d),
                DType::U8 | DType::I8 | DType::I16 | DType::F16 | DType::BF16 => unreachable!("internal: narrow-dtype math runs on the host"),
            }
        }
    };
    // The type-blind kernels: one variant per element width in bytes (4 or 8).
    (widths: $path:tt) => {
        super::variants!($path, w32 => [("W32", "1")], w64 => [("W64", "1")]);

        pub(crate) fn load(d: Arc<Device>, w: u8) -> Result<Arc<ShaderModule>, Validated<VulkanError>> {
            if w == 8 {
                w64::load(d)
            } else {
                w32::load(d)
            }
        }
    };
    ($path:tt, $($name:ident => [$(($k:tt, $v:tt)),*]),* $(,)?) => {
        $(
            #[allow(clippy::all)]
            mod $name {
                vulkano_shaders::shader! {
                    ty: "compute",
                    path: $path,
                    define: [$(($k, $v)),*],
                    vulkan_version: "1.2",
                    spirv_version: "1.5",
                    generate_structs: false,
                }
            }
        )*
    };
}
pub(crate) use variants;

/// A pipeline: which compiled shader variant, and its specialisation constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PipelineKey {
    pub shader: Shader,
    pub spec: [u32; 2],
}

/// A compiled shader variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Shader {
    Unary(DType),
    Binary(DType),
    Reduce(DType),
    /// The dtype, and which kernel (register block, vec4 or not).
    MatMul(DType, matmul::Kernel),
    /// Element width in bytes, 4 or 8.
    Movement(u8),
    Select(u8),
    /// Gather (by offsets, or along the last axis: the specialisation
    /// constant): element width in bytes, 4 or 8.
    Take(u8),
    /// Scatter by offsets (the op is the specialisation constant).
    Put(DType),
    /// Cumulative sum or product (the op is the specialisation constant).
    Scan(DType),
    /// Whether the 64-bit types are in.
    Cast(bool),
    Fused,
}

type Loaded = (Arc<ShaderModule>, Vec<(u32, SpecializationConstant)>);

fn u32_spec(values: &[u32]) -> Vec<(u32, SpecializationConstant)> {
    values.iter().enumerate().map(|(i, &v)| (i as u32, SpecializationConstant::U32(v))).collect()
}

pub(crate) fn module(dev: &VulkanDevice, key: PipelineKey) -> Result<Loaded> {
    let d = dev.0.device.clone();
    let m = match key.shader {
        Shader::Unary(t) => (unary::load(d, t), u32_spec(&key.spec[..1])),
        Shader::Binary(t) => (binary::load(d, t), u32_spec(&key.spec[..1])),
        Shader::Reduce(t) => (reduce::load(d, t), u32_spec(&key.spec[..1])),
        Shader::MatMul(t, k) => (
            matmul::load(d, t, k),
            vec![(0, SpecializationConstant::Bool(key.spec[0] != 0)), (1, SpecializationConstant::Bool(key.spec[1] != 0))],
        ),
        Shader::Movement(w) => (movement::load(d, w), Vec::new()),
        Shader::Select(w) => (select::load(d, w), Vec::new()),
        Shader::Take(w) => (take::load(d, w), u32_spec(&key.spec[..1])),
        Shader::Put(t) => (put::load(d, t), u32_spec(&key.spec[..1])),
        Shader::Scan(t) => (scan::load(d, t), u32_spec(&key.spec[..1])),
        Shader::Cast(wide) => (cast::load(d, wide), u32_spec(&key.spec)),
        Shader::Fused => (fused::load(d), Vec::new()),
    };
    let module = m.0.map_err(|e| Error::Device(format!("Vulkan: cannot load the {:?} shader: {e}", key.shader)))?;
    Ok((module, m.1))
}

/// Workgroups for a grid-stride loop over `n` elements.
pub(crate) fn groups(n: usize) -> [u32; 3] {
    let g = n.div_ceil(GROUP as usize).min(65535) as u32;
    [g, 1, 1]
}

/// The element count as the shaders' u32, or an `Err` for tensors the
/// 32-bit indexing cannot reach (the engine then runs the op on the CPU).
pub(crate) fn count(n: usize) -> Result<u32> {
    if n >= i32::MAX as usize {
        return Err(Error::Device(format!("Vulkan: {n} elements are more than the kernels index")));
    }
    Ok(n as u32)
}

/// Row-major strides of `dims`, in elements.
pub fn contiguous(dims: &[usize]) -> SmallVec<[isize; 6]> {
    let mut s: SmallVec<[isize; 6]> = SmallVec::from_elem(1, dims.len());
    for i in (0..dims.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * dims[i + 1] as isize;
    }
    s
}

/// Strides reading a contiguous tensor of shape `input` as if broadcast to `out`.
pub fn broadcast(input: &[usize], out: &[usize]) -> SmallVec<[isize; 6]> {
    let own = contiguous(input);
    let lead = out.len() - input.len();
    (0..out.len()).map(|i| if i < lead || input[i - lead] == 1 { 0 } else { own[i - lead] }).collect()
}

/// An index space walked by several operands, each through its own
/// strides. `collapse` drops size-1 dims and merges neighbours that every
/// operand walks contiguously, so that most ops end up rank 0 or 1.
#[derive(Clone, Debug, Default)]
pub struct Walk {
    pub dims: SmallVec<[usize; 6]>,
    pub strides: SmallVec<[SmallVec<[isize; 6]>; 4]>,
}

impl Walk {
    pub fn new(dims: &[usize], strides: &[&[isize]]) -> Walk {
        let mut w = Walk { dims: SmallVec::new(), strides: strides.iter().map(|_| SmallVec::new()).collect() };
        for (d, &n) in dims.iter().enumerate() {
            if n == 1 {
                continue;
            }
            let last = w.dims.len();
            let merge = last > 0
                && strides.iter().zip(&w.strides).all(|(s, ws)| ws[last - 1] == s[d] * n as isize);
            if merge {
                w.dims[last - 1] *= n;
                for (s, ws) in strides.iter().zip(w.strides.iter_mut()) {
                    ws[last - 1] = s[d];
                }
            } else {
                w.dims.push(n);
                for (s, ws) in strides.iter().zip(w.strides.iter_mut()) {
                    ws.push(s[d]);
                }
            }
        }
        w
    }

    pub fn rank(&self) -> usize {
        self.dims.len()
    }

    /// Whether operand `k` is read contiguously in the walk's order.
    pub fn is_contiguous(&self, k: usize) -> bool {
        self.rank() == 0 || (self.rank() == 1 && self.strides[k][0] == 1)
    }
}

/// A parameter record under construction, in the batch's scratch words
/// (`Batch::rec`), which `Batch::dispatch` takes back: so a record of any
/// length allocates nothing once the scratch has grown.
pub(crate) struct Rec(pub Vec<u32>);

impl Rec {
    pub fn addr(&mut self, b: &DeviceBuffer) -> &mut Self {
        let a = b.addr();
        self.0.extend_from_slice(&[a as u32, (a >> 32) as u32]);
        self
    }

    pub fn u(&mut self, v: usize) -> &mut Self {
        self.0.push(v as u32);
        self
    }

    pub fn all_u(&mut self, v: &[usize]) -> &mut Self {
        self.0.extend(v.iter().map(|&x| x as u32));
        self
    }

    pub fn all_i(&mut self, v: &[isize]) -> &mut Self {
        self.0.extend(v.iter().map(|&x| x as i32 as u32));
        self
    }
}

/// The device's element width for the type-blind kernels.
pub(crate) fn width(dtype: DType) -> u8 {
    crate::buffer::device_size(dtype) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_collapse_contiguous_and_broadcast_dims() {
        // Same-shape contiguous operands become one dim of stride 1.
        let w = Walk::new(&[2, 3, 4], &[&contiguous(&[2, 3, 4]), &contiguous(&[2, 3, 4])]);
        assert_eq!((w.dims.as_slice(), w.strides[0].as_slice()), (&[24][..], &[1][..]));
        assert!(w.is_contiguous(0) && w.is_contiguous(1));
        // A [3,1] operand broadcast against [1,4]: nothing merges.
        let w = Walk::new(&[3, 4], &[&broadcast(&[3, 1], &[3, 4]), &broadcast(&[1, 4], &[3, 4])]);
        assert_eq!(w.dims.as_slice(), &[3, 4]);
        assert_eq!((w.strides[0].as_slice(), w.strides[1].as_slice()), (&[1, 0][..], &[0, 1][..]));
        // Size-1 dims vanish; a transpose keeps its strides.
        let w = Walk::new(&[1, 4, 3], &[&[12, 1, 4]]);
        assert_eq!((w.dims.as_slice(), w.strides[0].as_slice()), (&[4, 3][..], &[1, 4][..]));
    }
}
