//! Horovod's collectives on gradtape tensors: `allreduce`, `grouped_allreduce`
//! (fused), `allgather`, `broadcast`, `broadcast_variables`, `barrier`. Each
//! reads its inputs to the host on the calling thread, runs handshake + data
//! on the MPI thread, and builds the results on the input's engine.

use std::sync::Arc;

use gradtape_core::{DType, Error, HostData, Result};
use gradtape_engine::{Engine, Tensor, Variable};
use mpi::traits::*;

use crate::handshake::{self, Call, Kind, ANY};
use crate::{host, runtime, ReduceOp};

const OPS: [ReduceOp; 5] = [ReduceOp::Average, ReduceOp::Sum, ReduceOp::Min, ReduceOp::Max, ReduceOp::Product];

pub(crate) fn op_code(op: ReduceOp) -> i64 {
    OPS.iter().position(|&o| o == op).expect("internal: every op is in OPS") as i64
}

/// The op's name for a code another rank sent.
pub(crate) fn op_name(code: i64) -> String {
    usize::try_from(code).ok().and_then(|i| OPS.get(i)).map_or_else(|| format!("op #{code}"), |o| format!("{o:?}"))
}

/// Runs a collective whose local preparation failed: this rank still joins
/// the handshake, so the others return an `Err` naming it at once instead of
/// waiting out the timeout; then it returns its own error.
pub(crate) fn join_failed<T>(what: &str, err: Error) -> Result<T> {
    let call = Call::failed(&err);
    let _ = runtime::run(what, move |comm, ctx| handshake::agree(comm, ctx, &call));
    Err(err)
}

/// `hvd.allreduce(tensor, op=...)`: the elementwise `op` of `tensor` over
/// every rank, on every rank. Any dtype (see [`ReduceOp`] for `bool` and the
/// integers); empty and scalar tensors too. Every rank must pass the same
/// shape and dtype, else every rank gets the same `Err` naming both shapes.
///
/// ```no_run
/// use gradtape_distributed::{self as hvd, ReduceOp};
/// let _mpi = hvd::init()?;
/// let x = gradtape_engine::constant([hvd::rank()? as f32, 1.0])?;
/// let mean = hvd::allreduce(&x, ReduceOp::Average)?; // [(size-1)/2, 1] everywhere
/// # Ok::<(), gradtape_core::Error>(())
/// ```
pub fn allreduce(tensor: &Tensor, op: ReduceOp) -> Result<Tensor> {
    // On Vulkan, reading the value is the device-to-host copy; on the CPU
    // engine it shares the tensor's buffer, which MPI reads in place.
    let data = match tensor.try_data() {
        Ok(d) => d,
        Err(e) => return join_failed("allreduce", e),
    };
    // MPI writes the sum straight into the output tensor's buffer, drawn
    // from the engine's pool: no copy, and no fresh pages in a loop.
    let mut out = host::take_buffers(tensor.engine(), &[(tensor.dtype(), tensor.numel())]);
    let call = Call::new(Kind::Allreduce, op_code(op)).tensor(tensor.dtype(), tensor.dims());
    let out = runtime::run("allreduce", move |comm, ctx| {
        handshake::agree(comm, ctx, &call)?;
        host::check_op("allreduce", op, data.dtype())?;
        let mut out = out.pop().expect("internal: one buffer taken");
        host::all_reduce_into(comm, &data, &mut out, op);
        if op == ReduceOp::Average {
            host::divide(&mut out, ctx.size);
        }
        Ok(out)
    })?;
    host::to_tensor(tensor.engine(), out, tensor.dims())
}

/// `hvd.grouped_allreduce(tensors, op=...)`: [`allreduce`] of many tensors
/// after one handshake, fused as the tape's gradients are (one collective
/// per dtype and fusion buffer; see [`set_fusion_threshold`](crate::set_fusion_threshold)).
pub fn grouped_allreduce(tensors: &[&Tensor], op: ReduceOp) -> Result<Vec<Tensor>> {
    let mut values = Vec::with_capacity(tensors.len());
    for t in tensors {
        match t.try_data() {
            Ok(d) => values.push(Some(d)),
            Err(e) => return join_failed("grouped_allreduce", e),
        }
    }
    let metas: Vec<(DType, Vec<usize>)> = tensors.iter().map(|t| (t.dtype(), t.dims().to_vec())).collect();
    let engine = tensors.first().map(|t| t.engine());
    let out = fused("grouped_allreduce", Kind::GroupedAllreduce, engine, metas, values, op)?;
    tensors
        .iter()
        .zip(out)
        .map(|(t, d)| host::to_tensor(t.engine(), d.expect("internal: every tensor was present"), t.dims()))
        .collect()
}

/// The fused reduction behind [`grouped_allreduce`] and the tape: after the
/// handshake on `metas` (each slot's dtype and dims) and the fusion
/// threshold, the ranks agree on which slots anyone has (a `None` slot is
/// zeros where another rank has a value, and stays `None` if no rank has
/// one; `Gradients` only). Then each dtype's present slots, in order, are
/// cut into groups of at most the threshold's bytes, one all-reduce each;
/// a tensor above the threshold goes alone, from its own buffer. Output
/// buffers come from `engine`'s pool (any engine: they are host memory).
pub(crate) fn fused(
    what: &'static str,
    kind: Kind,
    engine: Option<&Engine>,
    metas: Vec<(DType, Vec<usize>)>,
    values: Vec<Option<Arc<HostData>>>,
    op: ReduceOp,
) -> Result<Vec<Option<HostData>>> {
    let mut call = Call::new(kind, op_code(op));
    for (d, dims) in &metas {
        call = call.tensor(*d, dims);
    }
    let specs: Vec<(DType, usize)> = metas.iter().map(|(d, dims)| (*d, dims.iter().product())).collect();
    let outs = engine.map_or_else(Vec::new, |e| host::take_buffers(e, &specs));
    let (out, unused) = runtime::run(what, move |comm, ctx| {
        call.fusion = ctx.fusion as i64;
        handshake::agree(comm, ctx, &call)?;
        for (d, _) in &metas {
            host::check_op(what, op, *d)?;
        }
        let present: Vec<bool> = if kind == Kind::Gradients && !values.is_empty() {
            let mine: Vec<u8> = values.iter().map(|v| v.is_some() as u8).collect();
            let mut any = vec![0u8; mine.len()];
            crate::stats::data(mine.len());
            comm.all_reduce_into(&mine[..], &mut any[..], mpi::collective::SystemOperation::max());
            any.into_iter().map(|a| a != 0).collect()
        } else {
            vec![true; values.len()]
        };
        let mut outs = outs;
        let average = (op == ReduceOp::Average).then_some(ctx.size);
        // Dtypes in order of first appearance: the same order on every rank.
        let mut dtypes: Vec<DType> = Vec::new();
        for (d, _) in &metas {
            if !dtypes.contains(d) {
                dtypes.push(*d);
            }
        }
        for dt in dtypes {
            let members: Vec<(usize, usize)> = (0..metas.len())
                .filter(|&i| metas[i].0 == dt && present[i])
                .map(|i| (i, outs[i].len() * dt.size()))
                .collect();
            for group in host::fusion_groups(&members, ctx.fusion) {
                host::reduce_group(comm, dt, &group, &values, &mut outs, op, average);
            }
        }
        let mut unused = Vec::new();
        let out = outs
            .into_iter()
            .zip(present)
            .map(|(o, p)| {
                if p {
                    Some(o)
                } else {
                    unused.push(o);
                    None
                }
            })
            .collect();
        Ok((out, unused))
    })?;
    if let Some(e) = engine {
        host::give_buffers(e, unused);
    }
    Ok(out)
}

/// `hvd.allgather(tensor)`: every rank's tensor concatenated along the first
/// axis, in rank order. The first dimension may differ between ranks; the
/// rest and the dtype may not. A scalar counts as one row: `size()` scalars
/// gather into shape `[size]`.
pub fn allgather(tensor: &Tensor) -> Result<Tensor> {
    let data = match tensor.try_data() {
        Ok(d) => d,
        Err(e) => return join_failed("allgather", e),
    };
    let dims = tensor.dims().to_vec();
    let (rows, rest): (usize, Vec<usize>) = match dims.split_first() {
        Some((&d0, rest)) => (d0, rest.to_vec()),
        None => (1, Vec::new()),
    };
    let mut call = Call::new(Kind::Allgather, 0).tensor(tensor.dtype(), &dims);
    if !dims.is_empty() {
        call.tensors[0].1[0] = ANY;
    }
    let row: usize = rest.iter().product();
    let (out, total_rows) = runtime::run("allgather", move |comm, ctx| {
        handshake::agree(comm, ctx, &call)?;
        let mut all_rows = vec![0u64; ctx.size];
        comm.all_gather_into(&(rows as u64), &mut all_rows[..]);
        let total_rows: u64 = all_rows.iter().sum();
        if total_rows.saturating_mul(row as u64) > i32::MAX as u64 {
            return Err(Error::ResourceExhausted(format!(
                "allgather: {total_rows} rows of {row} elements exceed MPI's limit of {} elements in one gather",
                i32::MAX
            )));
        }
        let counts: Vec<i32> = all_rows.iter().map(|&r| (r as usize * row) as i32).collect();
        Ok((host::all_gather(comm, &data, &counts), total_rows as usize))
    })?;
    let mut out_dims = vec![total_rows];
    out_dims.extend_from_slice(&rest);
    host::to_tensor(tensor.engine(), out, &out_dims)
}

fn check_root(what: &str, root: usize, size: usize) -> Result<()> {
    if root >= size {
        return Err(Error::InvalidArgument(format!("{what}: root rank {root} is out of range for {size} ranks")));
    }
    Ok(())
}

/// `hvd.broadcast(tensor, root_rank)`: the root's value on every rank. Every
/// rank passes a tensor of the root's shape and dtype (only the root's
/// values are read).
pub fn broadcast(tensor: &Tensor, root: usize) -> Result<Tensor> {
    let root_here = runtime::rank()? == root;
    let data = if root_here {
        match tensor.try_data() {
            Ok(d) => Some(d),
            Err(e) => return join_failed("broadcast", e),
        }
    } else {
        None
    };
    let (dtype, n) = (tensor.dtype(), tensor.numel());
    let call = Call::new(Kind::Broadcast, root as i64).tensor(dtype, tensor.dims());
    let out = runtime::run("broadcast", move |comm, ctx| {
        handshake::agree(comm, ctx, &call)?;
        check_root("broadcast", root, ctx.size)?;
        let mut buf = match data {
            Some(d) => Arc::unwrap_or_clone(d),
            None => HostData::zeros(dtype, n),
        };
        host::broadcast(comm, &mut buf, root);
        Ok(buf)
    })?;
    host::to_tensor(tensor.engine(), out, tensor.dims())
}

/// `hvd.broadcast_variables(variables, root_rank)`: assigns the root's value
/// of each variable to it on every rank, so that all ranks start training
/// from the same weights. One broadcast per dtype among the variables.
///
/// ```no_run
/// use gradtape_distributed as hvd;
/// let _mpi = hvd::init()?;
/// // Different on every rank at first...
/// let w = gradtape_engine::Variable::new([hvd::rank()? as f32; 3])?;
/// hvd::broadcast_variables(&[&w], 0)?;
/// assert_eq!(w.to_vec::<f32>()?, vec![0.0; 3]); // ...rank 0's everywhere now
/// # Ok::<(), gradtape_core::Error>(())
/// ```
pub fn broadcast_variables(variables: &[&Variable], root: usize) -> Result<()> {
    let root_here = runtime::rank()? == root;
    let mut values = Vec::with_capacity(variables.len());
    for v in variables {
        values.push(if root_here {
            match v.read().try_data() {
                Ok(d) => Some(d),
                Err(e) => return join_failed("broadcast_variables", e),
            }
        } else {
            None
        });
    }
    let metas: Vec<(DType, Vec<usize>)> = variables.iter().map(|v| (v.dtype(), v.shape().dims().to_vec())).collect();
    let mut call = Call::new(Kind::BroadcastVariables, root as i64);
    for (d, dims) in &metas {
        call = call.tensor(*d, dims);
    }
    let out = runtime::run("broadcast_variables", move |comm, ctx| {
        handshake::agree(comm, ctx, &call)?;
        check_root("broadcast_variables", root, ctx.size)?;
        let mut dtypes: Vec<DType> = Vec::new();
        for (d, _) in &metas {
            if !dtypes.contains(d) {
                dtypes.push(*d);
            }
        }
        let mut out: Vec<Option<HostData>> = (0..metas.len()).map(|_| None).collect();
        for dt in dtypes {
            let members: Vec<usize> = (0..metas.len()).filter(|&i| metas[i].0 == dt).collect();
            let lens: Vec<usize> = members.iter().map(|&i| metas[i].1.iter().product()).collect();
            let mut packed = host::with_capacity(dt, lens.iter().sum());
            for (&i, &n) in members.iter().zip(&lens) {
                host::append(&mut packed, values[i].as_deref(), n);
            }
            host::broadcast(comm, &mut packed, root);
            for (&i, piece) in members.iter().zip(host::split(packed, &lens)) {
                out[i] = Some(piece);
            }
        }
        Ok(out)
    })?;
    for (v, d) in variables.iter().zip(out) {
        let t = host::to_tensor(v.engine(), d.expect("internal: every variable was broadcast"), v.shape().dims())?;
        v.assign(&t)?;
    }
    Ok(())
}

/// `MPI_Barrier`: returns once every rank has called it (or `Err` after the
/// timeout).
pub fn barrier() -> Result<()> {
    let call = Call::new(Kind::Barrier, 0);
    runtime::run("barrier", move |comm, ctx| {
        handshake::agree(comm, ctx, &call)?;
        comm.barrier();
        Ok(())
    })
}
