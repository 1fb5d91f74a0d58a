//! Strided iteration shared by the CPU kernels: gathers through arbitrary
//! strides (transpose, broadcast, slice are all this) and broadcasting zips.

use gradtape_core::Shape;
use smallvec::SmallVec;

pub type Strides = SmallVec<[isize; 6]>;

/// Strides of `input` read as if broadcast to `out` (0 on broadcast axes).
pub fn broadcast_strides(input: &Shape, out: &Shape) -> Strides {
    let own = input.strides();
    let lead = out.rank() - input.rank();
    (0..out.rank())
        .map(|i| {
            if i < lead || input.dims()[i - lead] == 1 {
                0
            } else {
                own[i - lead] as isize
            }
        })
        .collect()
}

/// Calls `f(src_offset)` for each output element in row-major order.
#[inline]
pub(crate) fn for_each_offset(offset: usize, strides: &[isize], out: &[usize], mut f: impl FnMut(usize)) {
    for_each_pair(offset, strides, strides, out, |p, _| f(p));
}

/// Calls `f(a_offset, b_offset)` for each output element in row-major
/// order, walking two stride sets at once (an odometer over the outer dims).
#[inline]
fn for_each_pair(offset: usize, sa: &[isize], sb: &[isize], out: &[usize], mut f: impl FnMut(usize, usize)) {
    let n: usize = out.iter().product();
    if n == 0 {
        return;
    }
    let r = out.len();
    if r == 0 {
        f(offset, 0);
        return;
    }
    let inner = out[r - 1];
    let (ia, ib) = (sa[r - 1], sb[r - 1]);
    let mut idx: SmallVec<[usize; 6]> = SmallVec::from_elem(0, r);
    let (mut base_a, mut base_b) = (offset as isize, 0isize);
    let mut done = 0;
    while done < n {
        let (mut pa, mut pb) = (base_a, base_b);
        for _ in 0..inner {
            f(pa as usize, pb as usize);
            pa += ia;
            pb += ib;
        }
        done += inner;
        let mut d = r - 1;
        while d > 0 {
            d -= 1;
            idx[d] += 1;
            base_a += sa[d];
            base_b += sb[d];
            if idx[d] < out[d] {
                break;
            }
            base_a -= sa[d] * out[d] as isize;
            base_b -= sb[d] * out[d] as isize;
            idx[d] = 0;
        }
    }
}

/// Reads `src` at `offset + sum(i_k * strides_k)` for every index of `out`.
pub fn gather<T: Copy>(src: &[T], offset: usize, strides: &[isize], out: &[usize]) -> Vec<T> {
    let mut v = Vec::with_capacity(out.iter().product());
    for_each_offset(offset, strides, out, |p| v.push(src[p]));
    v
}

/// `f(a, b)` over the broadcast of `a` (shape `sa`) and `b` (shape `sb`) to `out`.
pub fn zip<A: Copy, B: Copy, O>(
    a: &[A],
    sa: &Shape,
    b: &[B],
    sb: &Shape,
    out: &Shape,
    f: impl Fn(A, B) -> O,
) -> Vec<O> {
    if sa == out && sb == out {
        return a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect();
    }
    if sb.numel() == 1 && sa == out {
        let y = b[0];
        return a.iter().map(|&x| f(x, y)).collect();
    }
    if sa.numel() == 1 && sb == out {
        let x = a[0];
        return b.iter().map(|&y| f(x, y)).collect();
    }
    let ta = broadcast_strides(sa, out);
    let tb = broadcast_strides(sb, out);
    let mut v = Vec::with_capacity(out.numel());
    for_each_pair(0, &ta, &tb, out.dims(), |pa, pb| v.push(f(a[pa], b[pb])));
    v
}

/// Scatters `src` (shape `out_dims`) into `dst` at the strided positions.
pub fn scatter<T: Copy>(dst: &mut [T], offset: usize, strides: &[isize], src: &[T], out: &[usize]) {
    let mut k = 0;
    for_each_offset(offset, strides, out, |p| {
        dst[p] = src[k];
        k += 1;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gather_transposes_and_broadcasts() {
        let src = [1, 2, 3, 4, 5, 6]; // [2,3]
        assert_eq!(gather(&src, 0, &[1, 3], &[3, 2]), vec![1, 4, 2, 5, 3, 6]);
        let bs = broadcast_strides(&Shape::new(&[3]), &Shape::new(&[2, 3]));
        assert_eq!(gather(&src[..3], 0, &bs, &[2, 3]), vec![1, 2, 3, 1, 2, 3]);
    }

    #[test]
    fn zip_broadcasts_both_sides() {
        let a = [1, 2]; // [2,1]
        let b = [10, 20, 30]; // [3]
        let out = Shape::new(&[2, 3]);
        let v = zip(&a, &Shape::new(&[2, 1]), &b, &Shape::new(&[3]), &out, |x, y| x + y);
        assert_eq!(v, vec![11, 21, 31, 12, 22, 32]);
    }
}
