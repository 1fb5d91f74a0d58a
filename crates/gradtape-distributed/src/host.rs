//! MPI on host buffers of every dtype: the typed dispatch from gradtape's
//! `HostData` to rsmpi's generic collectives, the fusion buffers and their
//! grouping, and output buffers drawn from the engine's pool.
//!
//! Every `match` on `HostData` lists the dtypes without a `_ =>` arm, so a new
//! dtype is a compile error here until it is handled.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use gradtape_core::half::{self, slice::HalfFloatSliceExt};
use gradtape_core::{with_data, DType, Element, Error, HostData, Result};
use gradtape_engine::backend::FlushState;
use gradtape_engine::{Engine, Tensor};
use mpi::collective::SystemOperation;
use mpi::datatype::{Equivalence, PartitionMut};
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;

use crate::ReduceOp;

/// MPI counts are C `int`s; larger buffers go in pieces of this many elements.
const CHUNK: usize = 1 << 30;

/// The MPI operation for `op` on `dtype` (`Average` sums; the caller divides).
fn system_op(op: ReduceOp, dtype: DType) -> SystemOperation {
    let logical = dtype == DType::Bool;
    match op {
        ReduceOp::Average | ReduceOp::Sum | ReduceOp::Max if logical => SystemOperation::logical_or(),
        ReduceOp::Min | ReduceOp::Product if logical => SystemOperation::logical_and(),
        ReduceOp::Average | ReduceOp::Sum => SystemOperation::sum(),
        ReduceOp::Max => SystemOperation::max(),
        ReduceOp::Min => SystemOperation::min(),
        ReduceOp::Product => SystemOperation::product(),
    }
}

/// Matches two buffers of the same dtype (the caller made them so); the
/// match is on the first. Half floats never get here (they are reduced as
/// float32), so they are the one arm listed apart.
macro_rules! pair {
    ($a:expr, $b:expr, $x:ident, $y:ident => $body:expr) => {
        pair!(@arms $a, $b, $x, $y, $body; Bool I32 I64 F32 F64 U8 I8 I16)
    };
    (@arms $a:expr, $b:expr, $x:ident, $y:ident, $body:expr; $($v:ident)*) => {{
        let b = $b;
        match $a {
            $(HostData::$v($x) => {
                let $y = match b {
                    HostData::$v($y) => $y,
                    other => panic!("internal: a {} buffer paired with a {}", DType::$v, other.dtype()),
                };
                $body
            })*
            HostData::F16(_) | HostData::BF16(_) => unreachable!("internal: half floats are reduced as float32 (all_reduce_into)"),
        }
    }};
}

fn reduce_slices<T: Equivalence>(comm: &SimpleCommunicator, send: &[T], recv: &mut [T], op: SystemOperation) {
    debug_assert_eq!(send.len(), recv.len());
    // An empty slice makes no call: its dangling address could read as
    // MPI_IN_PLACE (Open MPI's is 1, a `Vec<bool>`'s dangling pointer).
    for (s, r) in send.chunks(CHUNK).zip(recv.chunks_mut(CHUNK)) {
        crate::stats::data(std::mem::size_of_val(s));
        comm.all_reduce_into(s, r, op);
    }
}

/// The elementwise reduction of `send` over every rank, written into
/// `recv` (the same dtype and length; its old contents are ignored). No
/// averaging here: see [`divide`].
pub(crate) fn all_reduce_into(comm: &SimpleCommunicator, send: &HostData, recv: &mut HostData, op: ReduceOp) {
    let dtype = send.dtype();
    if dtype == DType::F16 || dtype == DType::BF16 {
        // MPI has no half-float type: reduce in float32 (TF's compute type
        // for them) and round once at the end, which is also more exact
        // than rounding after each rank's addition.
        let wide = send.widened().expect("internal: a half float widens");
        let mut out = HostData::zeros(DType::F32, wide.len());
        all_reduce_into(comm, &wide, &mut out, op);
        *recv = out.cast(dtype);
        return;
    }
    let sop = system_op(op, dtype);
    pair!(send, recv, s, r => reduce_slices(comm, s, r, sop))
}

thread_local! {
    /// The fusion buffers, a send and a receive buffer per dtype. They live
    /// on the MPI thread, which runs every job, and keep their capacity, so
    /// after the first step packing writes into pages already mapped
    /// (Horovod's persistent fusion buffer).
    static FUSION: RefCell<HashMap<DType, (HostData, HostData)>> = RefCell::new(HashMap::new());
}

/// One fused (or lone) all-reduce: the slots `members` of `values` (a
/// `None` slot sends zeros), results into the same slots of `outs`, which
/// hold buffers of the right dtype and length. A lone present tensor goes
/// straight from its own buffer into its output, with no copy; several are
/// packed into the fusion buffer, reduced into the second one and copied
/// out (Horovod's two copies). `average` divides by that many ranks.
pub(crate) fn reduce_group(
    comm: &SimpleCommunicator,
    dtype: DType,
    members: &[usize],
    values: &[Option<Arc<HostData>>],
    outs: &mut [HostData],
    op: ReduceOp,
    average: Option<usize>,
) {
    if let [i] = *members {
        if let Some(v) = &values[i] {
            all_reduce_into(comm, v, &mut outs[i], op);
            if let Some(n) = average {
                divide(&mut outs[i], n);
            }
            return;
        }
    }
    let lens: Vec<usize> = members.iter().map(|&i| outs[i].len()).collect();
    let total: usize = lens.iter().sum();
    if total == 0 {
        return;
    }
    FUSION.with(|f| {
        let mut f = f.borrow_mut();
        let (send, recv) = f.entry(dtype).or_insert_with(|| (HostData::zeros(dtype, 0), HostData::zeros(dtype, 0)));
        with_data!(&mut *send, v => v.clear());
        for (&i, &n) in members.iter().zip(&lens) {
            append(send, values[i].as_deref(), n);
        }
        crate::stats::fused(total * dtype.size());
        with_data!(&mut *recv, v => v.resize(total, Default::default()));
        all_reduce_into(comm, send, recv, op);
        if let Some(n) = average {
            divide(recv, n);
        }
        let mut at = 0;
        for (&i, &n) in members.iter().zip(&lens) {
            copy_range(recv, &mut outs[i], at);
            at += n;
        }
    });
}

/// `dst` (every element) from `src[at..]`, of the same dtype.
fn copy_range(src: &HostData, dst: &mut HostData, at: usize) {
    fn go<T: Element>(src: &HostData, dst: &mut [T], at: usize) {
        let src = T::unwrap_ref(src).expect("internal: the fusion buffer has the group's dtype");
        dst.copy_from_slice(&src[at..at + dst.len()]);
    }
    with_data!(dst, d => go(src, d, at))
}

/// Splits `members` (slot, bytes), in order, into the groups that make one
/// all-reduce each: consecutive tensors share a buffer while their total
/// stays within `threshold` bytes; a tensor above it goes alone, unpacked
/// (Horovod's `HOROVOD_FUSION_THRESHOLD`; 0 turns fusion off).
pub(crate) fn fusion_groups(members: &[(usize, usize)], threshold: usize) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut bytes = 0usize;
    for &(i, b) in members {
        if b > threshold {
            groups.push(vec![i]);
            continue;
        }
        if !open.is_empty() && bytes + b > threshold {
            groups.push(std::mem::take(&mut open));
            bytes = 0;
        }
        open.push(i);
        bytes += b;
    }
    if !open.is_empty() {
        groups.push(open);
    }
    groups
}

/// Output buffers of the given dtypes and lengths from `engine`'s buffer
/// pool: a steady loop gets back the buffers of the tensors it dropped, so
/// MPI writes into memory already mapped instead of faulting in a fresh
/// 64 MiB every call. Contents unspecified.
pub(crate) fn take_buffers(engine: &Engine, specs: &[(DType, usize)]) -> Vec<HostData> {
    engine.with_world(|w| {
        let mut state = w.get_resource_mut::<FlushState>();
        let mut pool = state.as_deref_mut().map(|s| &mut s.pool);
        specs
            .iter()
            .map(|&(dtype, n)| match pool.as_deref_mut() {
                None => HostData::zeros(dtype, n),
                Some(p) => {
                    let mut d = with_capacity(dtype, 0);
                    with_data!(&mut d, v => *v = p.take(n));
                    d
                }
            })
            .collect()
    })
}

/// Gives buffers from [`take_buffers`] that no tensor took back to the pool.
pub(crate) fn give_buffers(engine: &Engine, bufs: Vec<HostData>) {
    if bufs.is_empty() {
        return;
    }
    engine.with_world(|w| {
        if let Some(mut state) = w.get_resource_mut::<FlushState>() {
            bufs.into_iter().for_each(|b| state.pool.give(b));
        }
    });
}

/// `Average` on a dtype that has none: the same `Err` on every rank, since
/// the handshake has made the dtypes agree.
pub(crate) fn check_op(what: &str, op: ReduceOp, dtype: DType) -> Result<()> {
    if op == ReduceOp::Average && dtype == DType::Bool {
        return Err(Error::InvalidArgument(format!(
            "{what}: Average is not defined for bool tensors; use Sum or Max (logical or), or Min (logical and)"
        )));
    }
    Ok(())
}

/// Divides a sum by the number of ranks: floats exactly as `x / n`, integers
/// truncating toward zero.
pub(crate) fn divide(data: &mut HostData, n: usize) {
    match data {
        HostData::Bool(_) => {}
        HostData::I32(v) => v.iter_mut().for_each(|x| *x /= n as i32),
        HostData::I64(v) => v.iter_mut().for_each(|x| *x /= n as i64),
        HostData::F32(v) => v.iter_mut().for_each(|x| *x /= n as f32),
        HostData::F64(v) => v.iter_mut().for_each(|x| *x /= n as f64),
        HostData::U8(v) => v.iter_mut().for_each(|x| *x = (i32::from(*x) / n as i32) as u8),
        HostData::I8(v) => v.iter_mut().for_each(|x| *x = (i32::from(*x) / n as i32) as i8),
        HostData::I16(v) => v.iter_mut().for_each(|x| *x = (i32::from(*x) / n as i32) as i16),
        HostData::F16(v) => v.iter_mut().for_each(|x| *x = half::f16::from_f32(x.to_f32() / n as f32)),
        HostData::BF16(v) => v.iter_mut().for_each(|x| *x = half::bf16::from_f32(x.to_f32() / n as f32)),
    }
}

fn bcast_vec<T: Equivalence>(comm: &SimpleCommunicator, v: &mut [T], root: usize) {
    let root = comm.process_at_rank(root as i32);
    for c in v.chunks_mut(CHUNK) {
        crate::stats::data(std::mem::size_of_val(c));
        root.broadcast_into(c);
    }
}

/// Overwrites `data` with the root's buffer on every rank.
pub(crate) fn broadcast(comm: &SimpleCommunicator, data: &mut HostData, root: usize) {
    match data {
        HostData::Bool(v) => bcast_vec(comm, v, root),
        HostData::I32(v) => bcast_vec(comm, v, root),
        HostData::I64(v) => bcast_vec(comm, v, root),
        HostData::F32(v) => bcast_vec(comm, v, root),
        HostData::F64(v) => bcast_vec(comm, v, root),
        HostData::U8(v) => bcast_vec(comm, v, root),
        HostData::I8(v) => bcast_vec(comm, v, root),
        HostData::I16(v) => bcast_vec(comm, v, root),
        // Half floats travel as their bits.
        HostData::F16(v) => bcast_vec(comm, v.reinterpret_cast_mut(), root),
        HostData::BF16(v) => bcast_vec(comm, v.reinterpret_cast_mut(), root),
    }
}

fn gather_vec<T: Equivalence + Copy + Default>(comm: &SimpleCommunicator, v: &[T], counts: &[i32]) -> Vec<T> {
    let displs: Vec<i32> = counts.iter().scan(0i32, |at, &c| Some(std::mem::replace(at, *at + c))).collect();
    let mut out = vec![T::default(); counts.iter().map(|&c| c as usize).sum()];
    if out.is_empty() {
        // Every rank knows the counts, so every rank skips the call.
        return out;
    }
    // An empty Vec of 1-byte elements points at address 1, which is Open
    // MPI's MPI_IN_PLACE: a send buffer there would gather the receive
    // buffer instead. Zero elements from a real address are just nothing.
    let dummy = [T::default()];
    let send = if v.is_empty() { &dummy[..0] } else { v };
    crate::stats::data(std::mem::size_of_val(send));
    comm.all_gather_varcount_into(send, &mut PartitionMut::new(&mut out[..], counts, &displs[..]));
    out
}

/// Every rank's buffer, concatenated in rank order; `counts` holds each
/// rank's length and must sum to at most `i32::MAX` (the caller checks).
pub(crate) fn all_gather(comm: &SimpleCommunicator, data: &HostData, counts: &[i32]) -> HostData {
    match data {
        HostData::Bool(v) => HostData::Bool(gather_vec(comm, v, counts)),
        HostData::I32(v) => HostData::I32(gather_vec(comm, v, counts)),
        HostData::I64(v) => HostData::I64(gather_vec(comm, v, counts)),
        HostData::F32(v) => HostData::F32(gather_vec(comm, v, counts)),
        HostData::F64(v) => HostData::F64(gather_vec(comm, v, counts)),
        HostData::U8(v) => HostData::U8(gather_vec(comm, v, counts)),
        HostData::I8(v) => HostData::I8(gather_vec(comm, v, counts)),
        HostData::I16(v) => HostData::I16(gather_vec(comm, v, counts)),
        HostData::F16(v) => HostData::F16(gather_vec(comm, v.reinterpret_cast(), counts).into_iter().map(half::f16::from_bits).collect()),
        HostData::BF16(v) => HostData::BF16(gather_vec(comm, v.reinterpret_cast(), counts).into_iter().map(half::bf16::from_bits).collect()),
    }
}

/// Appends `src` (or `n` zeros when `None`) to `dst`, which has `src`'s dtype.
pub(crate) fn append(dst: &mut HostData, src: Option<&HostData>, n: usize) {
    fn push<T: Element + Default>(d: &mut Vec<T>, s: Option<&HostData>, n: usize) {
        match s.and_then(T::unwrap_ref) {
            Some(s) => d.extend_from_slice(s),
            None => d.resize(d.len() + n, T::default()),
        }
    }
    with_data!(dst, d => push(d, src, n))
}

/// An empty buffer of `dtype` with room for `n` elements.
pub(crate) fn with_capacity(dtype: DType, n: usize) -> HostData {
    let mut d = HostData::zeros(dtype, 0);
    with_data!(&mut d, v => v.reserve_exact(n));
    d
}

/// Cuts a packed buffer back into pieces of the given lengths.
pub(crate) fn split(data: HostData, lens: &[usize]) -> Vec<HostData> {
    if lens.len() == 1 {
        return vec![data];
    }
    fn cut<T: Element>(v: Vec<T>, lens: &[usize]) -> Vec<HostData> {
        let mut at = 0;
        lens.iter()
            .map(|&n| {
                let piece = v[at..at + n].to_vec();
                at += n;
                T::wrap(piece)
            })
            .collect()
    }
    with_data!(data, v => cut(v, lens))
}

/// A host tensor on `engine` holding `data`.
pub(crate) fn to_tensor(engine: &Engine, data: HostData, dims: &[usize]) -> Result<Tensor> {
    with_data!(data, v => engine.from_vec(v, dims))
}

#[cfg(test)]
mod tests {
    use super::fusion_groups;

    #[test]
    fn a_tensor_above_the_threshold_goes_alone_and_small_ones_share() {
        // 400 B alone; 16+16+16+16 = 64 B fill one buffer exactly; the
        // next 16 B and the empty tensor start the second.
        let m = [(0, 400), (1, 16), (2, 16), (3, 16), (4, 16), (5, 16), (6, 0)];
        assert_eq!(fusion_groups(&m, 64), vec![vec![0], vec![1, 2, 3, 4], vec![5, 6]]);
        // A big tensor between small ones does not close their buffer.
        assert_eq!(fusion_groups(&[(0, 8), (1, 100), (2, 8)], 64), vec![vec![1], vec![0, 2]]);
    }

    #[test]
    fn threshold_zero_is_one_collective_per_tensor() {
        // (The empty tensor's group makes no call: reduce_group skips 0 elements.)
        assert_eq!(fusion_groups(&[(0, 4), (1, 4), (2, 0)], 0), vec![vec![0], vec![1], vec![2]]);
        assert!(fusion_groups(&[], 64).is_empty());
    }
}
