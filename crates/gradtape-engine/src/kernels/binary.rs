//! The host kernels of the elementwise functions of two tensors, with
//! NumPy broadcasting: whole buffers, and the fused path's blocks.

use gradtape_core::registry::BinaryOp;
use gradtape_core::{Element, HostData, Shape};

use crate::par;
use crate::pool::BufferPool;
use crate::strided::zip;

// Each op gets its own monomorphised loop (a closure per match arm would
// decay to a function pointer and block vectorisation).
macro_rules! arith {
    ($op:expr, $t:ty, float, |$f:ident| $body:expr) => {
        match $op {
            BinaryOp::Add => { let $f = |a: $t, b: $t| a + b; $body }
            BinaryOp::Sub => { let $f = |a: $t, b: $t| a - b; $body }
            BinaryOp::Mul => { let $f = |a: $t, b: $t| a * b; $body }
            BinaryOp::Div => { let $f = |a: $t, b: $t| a / b; $body }
            BinaryOp::FloorDiv => { let $f = |a: $t, b: $t| (a / b).floor(); $body }
            BinaryOp::Pow => { let $f = |a: $t, b: $t| a.powf(b); $body }
            BinaryOp::Maximum => { let $f = |a: $t, b: $t| if a.is_nan() || a > b { a } else { b }; $body }
            BinaryOp::Minimum => { let $f = |a: $t, b: $t| if a.is_nan() || a < b { a } else { b }; $body }
            BinaryOp::FloorMod => {
                let $f = |x: $t, y: $t| {
                    let r = x % y;
                    if r != 0.0 && ((y < 0.0) != (r < 0.0)) { r + y } else { r }
                };
                $body
            }
            BinaryOp::TruncateDiv => { let $f = |x: $t, y: $t| (x / y).trunc(); $body }
            BinaryOp::TruncateMod => { let $f = |x: $t, y: $t| x % y; $body }
            BinaryOp::DivNoNan => { let $f = |x: $t, y: $t| if y == 0.0 { 0.0 } else { x / y }; $body }
            _ => unreachable!("internal: comparisons have their own kernel"),
        }
    };
    ($op:expr, $t:ty, int, |$f:ident| $body:expr) => {
        match $op {
            BinaryOp::Add => { let $f = |a: $t, b: $t| a.wrapping_add(b); $body }
            BinaryOp::Sub => { let $f = |a: $t, b: $t| a.wrapping_sub(b); $body }
            BinaryOp::Mul => { let $f = |a: $t, b: $t| a.wrapping_mul(b); $body }
            // Integer `/` is cast to float64 before it gets here; RealDiv on
            // ints only runs through internal callers, which never divide by 0.
            BinaryOp::Div => { let $f = |a: $t, b: $t| if b == 0 { 0 } else { a.wrapping_div(b) }; $body }
            BinaryOp::FloorDiv => {
                let $f = |a: $t, b: $t| {
                    if b == 0 {
                        0
                    } else {
                        let q = a.wrapping_div(b);
                        if (a.wrapping_rem(b) != 0) && ((a < 0) != (b < 0)) { q - 1 } else { q }
                    }
                };
                $body
            }
            BinaryOp::Pow => { let $f = |a: $t, b: $t| if b < 0 { 0 } else { a.wrapping_pow(b as u32) }; $body }
            BinaryOp::Maximum => { let $f = |a: $t, b: $t| a.max(b); $body }
            BinaryOp::Minimum => { let $f = |a: $t, b: $t| a.min(b); $body }
            BinaryOp::FloorMod => {
                let $f = |x: $t, y: $t| {
                    if y == 0 { return 0; }
                    let r = x.wrapping_rem(y);
                    if r != 0 && ((x < 0) != (y < 0)) { r.wrapping_add(y) } else { r }
                };
                $body
            }
            BinaryOp::TruncateDiv => { let $f = |x: $t, y: $t| if y == 0 { 0 } else { x.wrapping_div(y) }; $body }
            // DivNoNan is float-only: its integer arm is never queued.
            BinaryOp::TruncateMod | BinaryOp::DivNoNan => { let $f = |x: $t, y: $t| if y == 0 { 0 } else { x.wrapping_rem(y) }; $body }
            _ => unreachable!("internal: comparisons have their own kernel"),
        }
    };
}

macro_rules! compare {
    ($op:expr, $t:ty, |$f:ident| $body:expr) => {
        match $op {
            BinaryOp::Equal => { let $f = |a: $t, b: $t| a == b; $body }
            BinaryOp::NotEqual => { let $f = |a: $t, b: $t| a != b; $body }
            BinaryOp::Less => { let $f = |a: $t, b: $t| a < b; $body }
            BinaryOp::LessEqual => { let $f = |a: $t, b: $t| a <= b; $body }
            BinaryOp::Greater => { let $f = |a: $t, b: $t| a > b; $body }
            BinaryOp::GreaterEqual => { let $f = |a: $t, b: $t| a >= b; $body }
            _ => unreachable!("internal: not a comparison"),
        }
    };
}

/// Same-shape and scalar-operand cases run as flat (parallel) loops into a
/// pooled buffer; anything else goes through the strided broadcast.
fn kernel<A: Copy + Sync, B: Copy + Sync, O: Element + Default>(
    a: &[A],
    sa: &Shape,
    b: &[B],
    sb: &Shape,
    out: &Shape,
    f: impl Fn(A, B) -> O + Sync,
    pool: &mut BufferPool,
) -> Vec<O> {
    let n = out.numel();
    if sa == out && sb == out {
        let mut o = pool.take::<O>(n);
        par::zip(&mut o, a, b, f);
        o
    } else if sb.numel() == 1 && sa == out {
        let mut o = pool.take::<O>(n);
        let y = b[0];
        par::map(&mut o, a, |x| f(x, y));
        o
    } else if sa.numel() == 1 && sb == out {
        let mut o = pool.take::<O>(n);
        let x = a[0];
        par::map(&mut o, b, |y| f(x, y));
        o
    } else {
        zip(a, sa, b, sb, out, f)
    }
}

pub(crate) fn cpu(op: BinaryOp, a: &HostData, sa: &Shape, b: &HostData, sb: &Shape, out: &Shape, pool: &mut BufferPool) -> HostData {
    use HostData as H;
    if op.is_comparison() {
        return H::Bool(match (a, b) {
            (H::F32(x), H::F32(y)) => compare!(op, f32, |f| kernel(x, sa, y, sb, out, f, pool)),
            (H::F64(x), H::F64(y)) => compare!(op, f64, |f| kernel(x, sa, y, sb, out, f, pool)),
            (H::I32(x), H::I32(y)) => compare!(op, i32, |f| kernel(x, sa, y, sb, out, f, pool)),
            (H::I64(x), H::I64(y)) => compare!(op, i64, |f| kernel(x, sa, y, sb, out, f, pool)),
            (H::Bool(x), H::Bool(y)) => compare!(op, bool, |f| kernel(x, sa, y, sb, out, f, pool)),
            _ => unreachable!("internal: operand dtypes were checked at queue time"),
        });
    }
    match (a, b) {
        (H::F32(x), H::F32(y)) => H::F32(arith!(op, f32, float, |f| kernel(x, sa, y, sb, out, f, pool))),
        (H::F64(x), H::F64(y)) => H::F64(arith!(op, f64, float, |f| kernel(x, sa, y, sb, out, f, pool))),
        (H::I32(x), H::I32(y)) => H::I32(arith!(op, i32, int, |f| kernel(x, sa, y, sb, out, f, pool))),
        (H::I64(x), H::I64(y)) => H::I64(arith!(op, i64, int, |f| kernel(x, sa, y, sb, out, f, pool))),
        _ => unreachable!("internal: operand dtypes were checked at queue time"),
    }
}

/// `op` over block `a` and `b` (each as long as `o`, or one element) into
/// `o`: the fused CPU path's kernel (`backend/fuse.rs`), with the same
/// per-element functions as [`cpu`], so the same bits.
pub(crate) fn cpu_block(op: BinaryOp, a: crate::block::Block, b: crate::block::Block, o: crate::block::BlockMut) {
    use crate::block::{zip_into, Block as B, BlockMut as M};
    if op.is_comparison() {
        match (a, b, o) {
            (B::F32(x), B::F32(y), M::Bool(o)) => compare!(op, f32, |f| zip_into(x, y, o, f)),
            (B::F64(x), B::F64(y), M::Bool(o)) => compare!(op, f64, |f| zip_into(x, y, o, f)),
            (B::I32(x), B::I32(y), M::Bool(o)) => compare!(op, i32, |f| zip_into(x, y, o, f)),
            (B::I64(x), B::I64(y), M::Bool(o)) => compare!(op, i64, |f| zip_into(x, y, o, f)),
            (B::Bool(x), B::Bool(y), M::Bool(o)) => compare!(op, bool, |f| zip_into(x, y, o, f)),
            _ => unreachable!("internal: operand dtypes were checked at queue time"),
        }
        return;
    }
    match (a, b, o) {
        (B::F32(x), B::F32(y), M::F32(o)) => arith!(op, f32, float, |f| zip_into(x, y, o, f)),
        (B::F64(x), B::F64(y), M::F64(o)) => arith!(op, f64, float, |f| zip_into(x, y, o, f)),
        (B::I32(x), B::I32(y), M::I32(o)) => arith!(op, i32, int, |f| zip_into(x, y, o, f)),
        (B::I64(x), B::I64(y), M::I64(o)) => arith!(op, i64, int, |f| zip_into(x, y, o, f)),
        _ => unreachable!("internal: operand dtypes were checked at queue time"),
    }
}
