//! MPI on host buffers of every dtype: the typed dispatch from gradtape's
//! `HostData` to rsmpi's generic collectives, plus packing for fusion.
//!
//! Every `match` on `HostData` lists the dtypes without a `_ =>` arm, so a new
//! dtype is a compile error here until it is handled.

use gradtape_core::{with_data, DType, Element, Error, HostData, Result};
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

fn reduce_vec<T: Equivalence + Copy + Default>(comm: &SimpleCommunicator, v: &[T], op: SystemOperation) -> Vec<T> {
    let mut out = vec![T::default(); v.len()];
    for (s, r) in v.chunks(CHUNK).zip(out.chunks_mut(CHUNK)) {
        crate::stats::data(std::mem::size_of_val(s));
        comm.all_reduce_into(s, r, op);
    }
    out
}

/// The elementwise reduction of `data` over every rank (no averaging).
pub(crate) fn all_reduce(comm: &SimpleCommunicator, data: &HostData, op: ReduceOp) -> HostData {
    let sop = system_op(op, data.dtype());
    match data {
        HostData::Bool(v) => HostData::Bool(reduce_vec(comm, v, sop)),
        HostData::I32(v) => HostData::I32(reduce_vec(comm, v, sop)),
        HostData::I64(v) => HostData::I64(reduce_vec(comm, v, sop)),
        HostData::F32(v) => HostData::F32(reduce_vec(comm, v, sop)),
        HostData::F64(v) => HostData::F64(reduce_vec(comm, v, sop)),
    }
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
    match dst {
        HostData::Bool(d) => push(d, src, n),
        HostData::I32(d) => push(d, src, n),
        HostData::I64(d) => push(d, src, n),
        HostData::F32(d) => push(d, src, n),
        HostData::F64(d) => push(d, src, n),
    }
}

/// An empty buffer of `dtype` with room for `n` elements.
pub(crate) fn with_capacity(dtype: DType, n: usize) -> HostData {
    match dtype {
        DType::Bool => HostData::Bool(Vec::with_capacity(n)),
        DType::I32 => HostData::I32(Vec::with_capacity(n)),
        DType::I64 => HostData::I64(Vec::with_capacity(n)),
        DType::F32 => HostData::F32(Vec::with_capacity(n)),
        DType::F64 => HostData::F64(Vec::with_capacity(n)),
    }
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
