//! The host kernels of the movement ops (transpose, broadcast_to, concat,
//! strided slices and their gradient): gathers and scatters of any
//! dtype's elements, unchanged.

use gradtape_core::{HostData, Shape};
use smallvec::SmallVec;

use crate::op::SliceSpec;
use crate::strided::{broadcast_strides, gather, scatter};

impl SliceSpec {
    /// The flat offset of the window's first element in `input`, and the
    /// flat step along each axis.
    fn offset_strides(&self, input: &Shape) -> (usize, SmallVec<[isize; 6]>) {
        let own = input.strides();
        let offset = self.begin.iter().zip(own.iter()).map(|(b, s)| b * s).sum();
        (offset, self.step.iter().zip(own.iter()).map(|(&k, &s)| k * s as isize).collect())
    }
}

pub(crate) fn transpose_cpu(x: &HostData, s: &Shape, perm: &[usize]) -> HostData {
    let own = s.strides();
    let strides: SmallVec<[isize; 6]> = perm.iter().map(|&p| own[p] as isize).collect();
    let out: SmallVec<[usize; 6]> = perm.iter().map(|&p| s.dims()[p]).collect();
    gradtape_core::with_data!(x, v => HostData::from_vec(gather(v, 0, &strides, &out)))
}

pub(crate) fn broadcast_cpu(x: &HostData, s: &Shape, out: &Shape) -> HostData {
    let strides = broadcast_strides(s, out);
    gradtape_core::with_data!(x, v => HostData::from_vec(gather(v, 0, &strides, out.dims())))
}

pub(crate) fn concat_cpu(parts: &[(&HostData, &Shape)], axis: usize, out: &Shape) -> HostData {
    let outer: usize = out.dims()[..axis].iter().product();
    let blocks: SmallVec<[usize; 4]> = parts.iter().map(|(_, s)| s.dims()[axis..].iter().product()).collect();
    macro_rules! cat {
        ($($v:ident),*) => {
            match parts[0].0 {
                $(HostData::$v(_) => {
                    let mut v = Vec::with_capacity(out.numel());
                    for o in 0..outer {
                        for ((d, _), &block) in parts.iter().zip(&blocks) {
                            let HostData::$v(x) = d else { unreachable!("internal: concat parts share a dtype") };
                            v.extend_from_slice(&x[o * block..(o + 1) * block]);
                        }
                    }
                    HostData::$v(v)
                })*
            }
        };
    }
    cat!(Bool, I32, I64, F32, F64, U8, I8, I16, F16, BF16)
}

pub(crate) fn slice_cpu(x: &HostData, s: &Shape, spec: &SliceSpec, out: &Shape) -> HostData {
    let (offset, strides) = spec.offset_strides(s);
    gradtape_core::with_data!(x, v => HostData::from_vec(gather(v, offset, &strides, out.dims())))
}

/// Writes `src` (shape `window`) into `dst` (shape `shape`) at `spec`'s positions.
pub(crate) fn scatter_window(dst: &mut HostData, shape: &Shape, spec: &SliceSpec, src: &HostData, window: &Shape) {
    let (offset, strides) = spec.offset_strides(shape);
    macro_rules! go {
        ($($v:ident),*) => {
            match (dst, src) {
                $((HostData::$v(d), HostData::$v(s)) => scatter(d, offset, &strides, s, window.dims()),)*
                _ => unreachable!("internal: same dtype"),
            }
        };
    }
    go!(Bool, I32, I64, F32, F64, U8, I8, I16, F16, BF16);
}

pub(crate) fn slice_grad_cpu(g: &HostData, sg: &Shape, spec: &SliceSpec, out: &Shape) -> HostData {
    let mut z = HostData::zeros(g.dtype(), out.numel());
    scatter_window(&mut z, out, spec, g, sg);
    z
}
