//! The handshake every collective starts with: the ranks check that they are
//! making the same call on tensors of the same dtypes and shapes before any
//! data moves. MPI itself cannot tell: a count mismatch is undefined
//! behaviour (a hang, or memory overwritten), not an error.
//!
//! The common case costs one all-reduce of 8 words: each rank sends its
//! header `h` and `-h`, and `MAX` returns both the maximum and (negated) the
//! minimum of every field, which are equal exactly when every rank agrees.
//! Only on disagreement do the ranks all-gather their full descriptions, so
//! that every rank can build the same message naming both shapes.

use gradtape_core::{DType, Error, Result};
use mpi::collective::SystemOperation;
use mpi::datatype::PartitionMut;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;

use crate::runtime::Ctx;

/// The collective a rank is about to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Allreduce,
    Allgather,
    Broadcast,
    BroadcastVariables,
    GroupedAllreduce,
    /// The gradients of a [`DistributedGradientTape`](crate::DistributedGradientTape).
    Gradients,
    Barrier,
    /// This rank failed before the collective; it joins the handshake only
    /// to tell the others, who would otherwise wait for it until the timeout.
    Failed,
}

impl Kind {
    const ALL: [Kind; 8] = [
        Kind::Allreduce,
        Kind::Allgather,
        Kind::Broadcast,
        Kind::BroadcastVariables,
        Kind::GroupedAllreduce,
        Kind::Gradients,
        Kind::Barrier,
        Kind::Failed,
    ];

    fn code(self) -> i64 {
        Kind::ALL.iter().position(|&k| k == self).expect("internal: every kind is in ALL") as i64 + 1
    }

    fn from_code(c: i64) -> Option<Kind> {
        usize::try_from(c - 1).ok().and_then(|i| Kind::ALL.get(i).copied())
    }

    /// The name in messages: the public function's.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Allreduce => "allreduce",
            Kind::Allgather => "allgather",
            Kind::Broadcast => "broadcast",
            Kind::BroadcastVariables => "broadcast_variables",
            Kind::GroupedAllreduce => "grouped_allreduce",
            Kind::Gradients => "DistributedGradientTape.gradient",
            Kind::Barrier => "barrier",
            Kind::Failed => "(a failed call)",
        }
    }

    /// What `param` holds for this kind, for messages.
    fn param_name(self) -> &'static str {
        match self {
            Kind::Broadcast | Kind::BroadcastVariables => "root ranks",
            _ => "reduce ops",
        }
    }
}

/// A dimension that may differ between ranks (allgather's first).
pub(crate) const ANY: i64 = -1;

fn dtype_code(d: DType) -> i64 {
    match d {
        DType::Bool => 1,
        DType::I32 => 2,
        DType::I64 => 3,
        DType::F32 => 4,
        DType::F64 => 5,
        DType::U8 => 6,
        DType::I8 => 7,
        DType::I16 => 8,
        DType::F16 => 9,
        DType::BF16 => 10,
    }
}

fn dtype_name(code: i64) -> String {
    DType::ALL.iter().copied().find(|&d| dtype_code(d) == code).map_or_else(|| format!("dtype #{code}"), |d| d.name().to_string())
}

/// What a rank is about to do: the call, its parameter (a reduce op's code
/// or a root rank) and its tensors' dtypes and dimensions.
pub(crate) struct Call {
    pub kind: Kind,
    pub param: i64,
    pub tensors: Vec<(DType, Vec<i64>)>,
    /// The fusion threshold in bytes, for the fused kinds (they must agree,
    /// or the ranks would cut the tensors into different collectives); -1
    /// for the others.
    pub fusion: i64,
    /// For [`Kind::Failed`]: the local error.
    pub failure: String,
}

impl Call {
    pub(crate) fn new(kind: Kind, param: i64) -> Call {
        Call { kind, param, tensors: Vec::new(), fusion: -1, failure: String::new() }
    }

    pub(crate) fn tensor(mut self, dtype: DType, dims: &[usize]) -> Call {
        self.tensors.push((dtype, dims.iter().map(|&d| d as i64).collect()));
        self
    }

    pub(crate) fn failed(err: &Error) -> Call {
        Call { kind: Kind::Failed, param: 0, tensors: Vec::new(), fusion: -1, failure: err.to_string() }
    }

    /// `[kind, seq, param, fusion, n, (dtype, ndim, dims...)*, message bytes...]`.
    fn encode(&self, seq: u64) -> Vec<i64> {
        let mut w = vec![self.kind.code(), seq as i64, self.param, self.fusion, self.tensors.len() as i64];
        for (d, dims) in &self.tensors {
            w.push(dtype_code(*d));
            w.push(dims.len() as i64);
            w.extend_from_slice(dims);
        }
        w.extend(self.failure.bytes().map(i64::from));
        w
    }
}

/// A decoded description of another rank's call.
#[derive(PartialEq)]
struct Seen {
    kind: Option<Kind>,
    seq: i64,
    param: i64,
    fusion: i64,
    tensors: Vec<(i64, Vec<i64>)>,
    failure: String,
}

fn decode(w: &[i64]) -> Seen {
    let get = |i: usize| w.get(i).copied().unwrap_or(0);
    let mut s = Seen {
        kind: Kind::from_code(get(0)),
        seq: get(1),
        param: get(2),
        fusion: get(3),
        tensors: Vec::new(),
        failure: String::new(),
    };
    let mut at = 5;
    for _ in 0..get(4).max(0) {
        let (d, nd) = (get(at), get(at + 1).max(0) as usize);
        let dims = w.get(at + 2..(at + 2 + nd).min(w.len())).unwrap_or(&[]).to_vec();
        s.tensors.push((d, dims));
        at += 2 + nd;
    }
    if s.kind == Some(Kind::Failed) {
        let bytes: Vec<u8> = w.get(at..).unwrap_or(&[]).iter().map(|&b| b as u8).collect();
        s.failure = String::from_utf8_lossy(&bytes).into_owned();
    }
    s
}

/// FNV-1a over the words, kept to 62 bits so that negating it cannot overflow.
fn hash(words: &[i64]) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for w in words {
        for b in w.to_le_bytes() {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
    (h >> 2) as i64
}

/// Checks that every rank is making `call`; the same `Err` on every rank if not.
pub(crate) fn agree(comm: &SimpleCommunicator, ctx: Ctx, call: &Call) -> Result<()> {
    let words = call.encode(ctx.seq);
    let header = [ctx.seq as i64, call.kind.code(), hash(&words), words.len() as i64];
    let mut send = [0i64; 8];
    for (i, h) in header.iter().enumerate() {
        send[i] = *h;
        send[i + 4] = -*h;
    }
    let mut both = [0i64; 8];
    crate::stats::handshake();
    comm.all_reduce_into(&send[..], &mut both[..], SystemOperation::max());
    if (0..4).all(|i| both[i] == -both[i + 4]) {
        return Ok(());
    }
    let mut lens = vec![0i32; ctx.size];
    let len = i32::try_from(words.len()).unwrap_or(i32::MAX);
    comm.all_gather_into(&len, &mut lens[..]);
    let displs: Vec<i32> = lens.iter().scan(0i32, |at, &l| Some(std::mem::replace(at, at.saturating_add(l)))).collect();
    let total: usize = lens.iter().map(|&l| l as usize).sum();
    let mut all = vec![0i64; total];
    let mine = &words[..len as usize];
    comm.all_gather_varcount_into(mine, &mut PartitionMut::new(&mut all[..], &lens[..], &displs[..]));
    let seen: Vec<Seen> = lens
        .iter()
        .zip(&displs)
        .map(|(&l, &d)| decode(&all[d as usize..(d + l) as usize]))
        .collect();
    Err(mismatch(&seen))
}

fn shape_str(dims: &[i64]) -> String {
    let parts: Vec<String> = dims.iter().map(|&d| if d == ANY { "None".into() } else { d.to_string() }).collect();
    format!("[{}]", parts.join(", "))
}

/// The message every rank builds from the same gathered descriptions.
fn mismatch(seen: &[Seen]) -> Error {
    if let Some((r, s)) = seen.iter().enumerate().find(|(_, s)| s.kind == Some(Kind::Failed)) {
        return Error::Runtime(format!("rank {r} failed before the collective and could not take part: {}", s.failure));
    }
    let base = &seen[0];
    let Some((r, other)) = seen.iter().enumerate().find(|(_, s)| *s != base) else {
        // Equal descriptions with unequal headers: a hash collision cannot
        // produce this, so the headers were corrupted in transit.
        return Error::Runtime("the ranks' collective headers disagree although their calls match".into());
    };
    let name = |k: Option<Kind>| k.map_or("an unknown collective", Kind::name);
    let what = name(base.kind);
    if base.kind != other.kind {
        return Error::InvalidArgument(format!(
            "Mismatched collective operations: rank 0 called {what}, but rank {r} called {}.",
            name(other.kind)
        ));
    }
    if base.seq != other.seq {
        return Error::InvalidArgument(format!(
            "The ranks are out of step at {what}: rank 0 is at its collective #{}, but rank {r} at #{} (a rank skipped or repeated a collective).",
            base.seq, other.seq
        ));
    }
    if base.param != other.param {
        let pname = base.kind.map_or("parameters", Kind::param_name);
        let show = |p: i64| match base.kind {
            Some(Kind::Broadcast | Kind::BroadcastVariables) => p.to_string(),
            _ => crate::collectives::op_name(p),
        };
        return Error::InvalidArgument(format!(
            "Mismatched {what} {pname}: rank 0 used {}, but rank {r} used {}.",
            show(base.param),
            show(other.param)
        ));
    }
    if base.fusion != other.fusion {
        return Error::InvalidArgument(format!(
            "Mismatched {what} fusion thresholds: rank 0 used {} bytes, but rank {r} used {} bytes (set_fusion_threshold or GRADTAPE_FUSION_THRESHOLD must agree on every rank).",
            base.fusion, other.fusion
        ));
    }
    if base.tensors.len() != other.tensors.len() {
        return Error::InvalidArgument(format!(
            "Mismatched number of tensors in {what}: rank 0 sent {}, but rank {r} sent {}.",
            base.tensors.len(),
            other.tensors.len()
        ));
    }
    let many = base.tensors.len() > 1;
    for (i, (a, b)) in base.tensors.iter().zip(&other.tensors).enumerate() {
        let which = if many { format!(" (tensor {i})") } else { String::new() };
        if a.0 != b.0 {
            return Error::InvalidArgument(format!(
                "Mismatched {what} data types{which}: rank 0 sent a tensor of type {}, but rank {r} sent a tensor of type {}.",
                dtype_name(a.0),
                dtype_name(b.0)
            ));
        }
        if a.1 != b.1 {
            return Error::InvalidArgument(format!(
                "Mismatched {what} tensor shapes{which}: rank 0 sent a tensor of shape {}, but rank {r} sent a tensor of shape {}.",
                shape_str(&a.1),
                shape_str(&b.1)
            ));
        }
    }
    Error::Runtime(format!("the ranks disagree about {what} in a way not described"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(call: &Call, seq: u64) -> Seen {
        decode(&call.encode(seq))
    }

    #[test]
    fn a_shape_mismatch_names_both_shapes() {
        let a = Call::new(Kind::Allreduce, 0).tensor(DType::F32, &[2, 3]);
        let b = Call::new(Kind::Allreduce, 0).tensor(DType::F32, &[3, 2]);
        let e = mismatch(&[seen(&a, 4), seen(&a, 4), seen(&b, 4)]);
        assert_eq!(
            e.message(),
            "Mismatched allreduce tensor shapes: rank 0 sent a tensor of shape [2, 3], but rank 2 sent a tensor of shape [3, 2]."
        );
    }

    #[test]
    fn a_failed_rank_is_named_with_its_error() {
        let a = Call::new(Kind::Gradients, 0).tensor(DType::F32, &[]);
        let f = Call::failed(&Error::Value("boom".into()));
        let e = mismatch(&[seen(&a, 1), seen(&f, 1)]);
        assert_eq!(e.message(), "rank 1 failed before the collective and could not take part: ValueError: boom");
    }

    #[test]
    fn allgather_first_dims_print_as_none_and_dtypes_by_name() {
        let a = Call::new(Kind::Allgather, 0).tensor(DType::F64, &[]);
        let mut a = a;
        a.tensors[0].1 = vec![ANY, 3];
        let mut b = Call::new(Kind::Allgather, 0).tensor(DType::F64, &[]);
        b.tensors[0].1 = vec![ANY, 4];
        let e = mismatch(&[seen(&a, 0), seen(&b, 0)]);
        assert!(e.message().contains("shape [None, 3], but rank 1 sent a tensor of shape [None, 4]"), "{e}");
        let c = Call::new(Kind::Allreduce, 0).tensor(DType::I64, &[2]);
        let d = Call::new(Kind::Allreduce, 0).tensor(DType::Bool, &[2]);
        let e = mismatch(&[seen(&c, 0), seen(&d, 0)]);
        assert!(e.message().contains("type int64, but rank 1 sent a tensor of type bool"), "{e}");
    }

    #[test]
    fn a_fusion_threshold_mismatch_names_both() {
        let mut a = Call::new(Kind::Gradients, 0).tensor(DType::F32, &[4]);
        a.fusion = 1024;
        let mut b = Call::new(Kind::Gradients, 0).tensor(DType::F32, &[4]);
        b.fusion = 64;
        let e = mismatch(&[seen(&a, 2), seen(&b, 2)]);
        assert!(e.message().contains("fusion thresholds: rank 0 used 1024 bytes, but rank 1 used 64 bytes"), "{e}");
    }

    #[test]
    fn the_hash_sees_every_word() {
        let a = Call::new(Kind::Allreduce, 0).tensor(DType::F32, &[2, 3]).encode(0);
        let b = Call::new(Kind::Allreduce, 0).tensor(DType::F32, &[3, 2]).encode(0);
        assert_ne!(hash(&a), hash(&b));
        assert!(hash(&a) >= 0);
    }
}
