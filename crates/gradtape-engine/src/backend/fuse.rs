//! CPU elementwise fusion: chains of elementwise ops (unary, binary, cast,
//! select) on one output shape run as one pass over the data, in blocks of
//! [`BLOCK`] elements that stay in cache, split over rayon's threads.
//!
//! Each block runs every member's block kernel (`unary::cpu_block`,
//! `binary::cpu_block`, `HostData::cast`, a select), which apply the same
//! per-element functions as the unfused kernels, so the bits are the
//! same; only the memory traffic changes. Operands are read in place from
//! their buffers (a broadcast one is gathered per block). A member's full
//! output is written only when it is needed after the chain: a handle, a
//! tape entry or an op outside the chain holds it (its token has more
//! references than the chain's own inputs), or nothing in the flush reads
//! it. Otherwise its values live one block at a time in pooled scratch and
//! its entity is left without a value, to be despawned with its last
//! reference (the rule of the Vulkan fused shader too).
//!
//! Grouping: ops are taken in program order. An elementwise op whose output
//! has the shape of an open group, and which reads one of that group's
//! values, joins it; any other op that reads a group's value closes that
//! group, which then runs where its last member stands. So everything a
//! group reads is computed before it runs, and everything that reads a
//! group's value runs after it. Chains smaller than [`MIN_ELEMENTS`] run
//! unfused; `GRADTAPE_CPU_FUSE=0` turns fusion off.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use bevy_ecs::prelude::*;
use gradtape_core::{DType, HostData, Shape};
use rayon::prelude::*;
use smallvec::SmallVec;

use super::{Op, Values};
use crate::block::{Block, BlockMut};
use crate::components::Storage;
use crate::op::OpKind;
use crate::kernels::{binary, unary};
use crate::pool::BufferPool;
use crate::strided::broadcast_strides;

/// Elements per block: eight f32 blocks fit a 256 KiB L2 with room to spare.
pub const BLOCK: usize = 8192;
/// Below this many elements the blocks run on the calling thread.
const PAR_MIN: usize = 1 << 16;

/// Chains of fewer elements than this run unfused: they live in cache
/// anyway, and the grouping costs more than it saves (a 1,000-op chain of
/// 4-element tensors ran 1.5x slower fused).
pub const MIN_ELEMENTS: usize = BLOCK;

static MIN: AtomicUsize = AtomicUsize::new(MIN_ELEMENTS);

/// Whether fusion is on (`GRADTAPE_CPU_FUSE=0` turns it off).
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var("GRADTAPE_CPU_FUSE").map_or(true, |v| v != "0"))
}

/// The smallest output, in elements, that fuses ([`MIN_ELEMENTS`] unless set).
pub fn min_elements() -> usize {
    MIN.load(Ordering::Relaxed)
}

/// Sets [`min_elements`] for the whole process: a tuning and testing knob
/// (the tests fuse tiny and scalar chains with 0, to check their bits).
pub fn set_min_elements(n: usize) {
    MIN.store(n, Ordering::Relaxed);
}

/// Whether `ops` hold anything to fuse: cheap, so that a flush of small
/// ops skips the grouping.
pub fn worth_planning(ops: &[Op]) -> bool {
    let min = min_elements().max(1);
    enabled() && ops.len() > 1 && ops.iter().any(|op| elementwise(&op.kind) && op.shape.numel() >= min)
}

/// Where a member's operand comes from.
#[derive(Clone, Copy, Debug)]
enum Src {
    /// The value of the group's member at this position.
    Member(usize),
    /// The op's input at the same position, from outside the group.
    Ext,
}

/// One fused chain.
#[derive(Debug)]
pub struct Group {
    /// The op indices of its members, in program order.
    pub members: Vec<usize>,
    /// Each member's operands.
    srcs: Vec<SmallVec<[Src; 3]>>,
    /// Whether each member's full output is written.
    pub keep: Vec<bool>,
    /// The output shape every member shares.
    shape: Shape,
}

/// What the CPU does with each op of a flush.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// Its own kernel.
    Single,
    /// A member of group `g`, run with the group.
    Member(usize),
    /// The last member of group `g`: the group runs here.
    Last(usize),
}

/// The fusion plan of one flush's ops.
#[derive(Debug, Default)]
pub struct FusePlan {
    /// One slot per op.
    pub at: Vec<Slot>,
    /// The groups of two or more ops.
    pub groups: Vec<Group>,
}

fn elementwise(kind: &OpKind) -> bool {
    matches!(kind, OpKind::Unary(_) | OpKind::Binary(_) | OpKind::Cast | OpKind::Select)
}

/// Groups `ops` (program order) into fused chains.
pub fn plan(ops: &[Op]) -> FusePlan {
    let min = min_elements();
    let mut at = vec![Slot::Single; ops.len()];
    // Op index of each entity made in this flush, and its group if any.
    let mut index: HashMap<Entity, usize> = HashMap::with_capacity(ops.len());
    let mut group_of: Vec<Option<usize>> = vec![None; ops.len()];
    let mut members: Vec<Vec<usize>> = Vec::new();
    let mut open: Vec<bool> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let n = op.shape.numel();
        // The narrow dtypes round back after every op (kernels::run_widened):
        // they run unfused.
        let narrow = op.dtype.is_narrow() || op.inputs.iter().any(|n| n.dtype.is_narrow());
        let fusible = elementwise(&op.kind) && n > 0 && n >= min && !narrow;
        let mut join: Option<usize> = None;
        for n in &op.inputs {
            let Some(g) = index.get(&n.entity()).and_then(|&j| group_of[j]) else { continue };
            if !open[g] || join == Some(g) {
                continue;
            }
            if fusible && join.is_none() && ops[members[g][0]].shape == op.shape {
                join = Some(g);
            } else {
                open[g] = false;
            }
        }
        if fusible {
            let g = join.unwrap_or_else(|| {
                members.push(Vec::new());
                open.push(true);
                members.len() - 1
            });
            members[g].push(i);
            group_of[i] = Some(g);
        }
        index.insert(op.e, i);
    }
    // A token's references: every input slot in the flush that holds it, plus handles and tapes.
    let mut uses: HashMap<Entity, usize> = HashMap::new();
    let mut tokens: HashMap<Entity, usize> = HashMap::new();
    for op in ops {
        for n in &op.inputs {
            *uses.entry(n.entity()).or_default() += 1;
            tokens.insert(n.entity(), Arc::strong_count(&n.tok));
        }
    }
    let mut groups = Vec::new();
    for m in members.into_iter().filter(|m| m.len() > 1) {
        let g = groups.len();
        let pos: HashMap<Entity, usize> = m.iter().enumerate().map(|(p, &i)| (ops[i].e, p)).collect();
        let srcs = m
            .iter()
            .map(|&i| ops[i].inputs.iter().map(|n| pos.get(&n.entity()).map_or(Src::Ext, |&p| Src::Member(p))).collect())
            .collect::<Vec<SmallVec<[Src; 3]>>>();
        let mut inside: HashMap<Entity, usize> = HashMap::new();
        for s in &srcs {
            for src in s {
                if let Src::Member(p) = src {
                    *inside.entry(ops[m[*p]].e).or_default() += 1;
                }
            }
        }
        let keep = m
            .iter()
            .map(|&i| {
                let e = ops[i].e;
                let Some(&inner) = inside.get(&e) else { return true };
                // Read outside the group in this flush, or held by a handle or tape.
                uses.get(&e).is_some_and(|&u| u > inner) || tokens.get(&e).is_some_and(|&t| t > inner)
            })
            .collect();
        for (p, &i) in m.iter().enumerate() {
            at[i] = if p + 1 == m.len() { Slot::Last(g) } else { Slot::Member(g) };
        }
        let shape = ops[m[0]].shape.clone();
        groups.push(Group { members: m, srcs, keep, shape });
    }
    FusePlan { at, groups }
}

/// An operand of a block: a block-long buffer, or one value broadcast.
enum Ext {
    /// The operand has the group's shape: its block is a slice.
    Full(Arc<HostData>),
    /// One element, broadcast (the kernels' scalar-operand path).
    Scalar(Arc<HostData>),
    /// Any other broadcast: its block is gathered through these strides.
    Strided(Arc<HostData>, SmallVec<[isize; 6]>),
}

/// `d` cut into blocks, to write.
fn chunks(d: &mut HostData) -> Vec<BlockMut<'_>> {
    match d {
        HostData::Bool(v) => v.chunks_mut(BLOCK).map(BlockMut::Bool).collect(),
        HostData::I32(v) => v.chunks_mut(BLOCK).map(BlockMut::I32).collect(),
        HostData::I64(v) => v.chunks_mut(BLOCK).map(BlockMut::I64).collect(),
        HostData::F32(v) => v.chunks_mut(BLOCK).map(BlockMut::F32).collect(),
        HostData::F64(v) => v.chunks_mut(BLOCK).map(BlockMut::F64).collect(),
        _ => unreachable!("internal: narrow dtypes are never fused (plan)"),
    }
}

/// A pooled buffer of `n` elements of `dtype`.
fn take(pool: &mut BufferPool, dtype: DType, n: usize) -> HostData {
    match dtype {
        DType::Bool => HostData::Bool(pool.take(n)),
        DType::I32 => HostData::I32(pool.take(n)),
        DType::I64 => HostData::I64(pool.take(n)),
        DType::F32 => HostData::F32(pool.take(n)),
        DType::F64 => HostData::F64(pool.take(n)),
        _ => unreachable!("internal: narrow dtypes are never fused (plan)"),
    }
}

/// Elements `start..start + len` (row-major over `dims`) of `src` read
/// through broadcast `strides`.
fn gather_range<T: Copy>(src: &[T], strides: &[isize], dims: &[usize], start: usize, len: usize) -> Vec<T> {
    let r = dims.len();
    let mut out = Vec::with_capacity(len);
    let mut idx: SmallVec<[usize; 6]> = SmallVec::from_elem(0, r);
    let mut rem = start;
    for d in (0..r).rev() {
        idx[d] = rem % dims[d];
        rem /= dims[d];
    }
    let mut off: isize = idx.iter().zip(strides).map(|(&i, &s)| i as isize * s).sum();
    for _ in 0..len {
        out.push(src[off as usize]);
        let mut d = r;
        while d > 0 {
            d -= 1;
            idx[d] += 1;
            off += strides[d];
            if idx[d] < dims[d] {
                break;
            }
            off -= strides[d] * dims[d] as isize;
            idx[d] = 0;
        }
    }
    out
}

fn gather_block(d: &HostData, strides: &[isize], shape: &Shape, start: usize, len: usize) -> HostData {
    gradtape_core::with_data!(d, v => HostData::from_vec(gather_range(v, strides, shape.dims(), start, len)))
}

/// Copies `v` into `o`.
fn write(o: BlockMut, v: &HostData) {
    match (o, v) {
        (BlockMut::Bool(d), HostData::Bool(s)) => d.copy_from_slice(s),
        (BlockMut::I32(d), HostData::I32(s)) => d.copy_from_slice(s),
        (BlockMut::I64(d), HostData::I64(s)) => d.copy_from_slice(s),
        (BlockMut::F32(d), HostData::F32(s)) => d.copy_from_slice(s),
        (BlockMut::F64(d), HostData::F64(s)) => d.copy_from_slice(s),
        _ => unreachable!("internal: a fused member's dtype is its output's"),
    }
}

/// The block as an owned buffer (for `HostData::cast`).
fn owned(b: Block) -> HostData {
    match b {
        Block::Bool(v) => HostData::Bool(v.to_vec()),
        Block::I32(v) => HostData::I32(v.to_vec()),
        Block::I64(v) => HostData::I64(v.to_vec()),
        Block::F32(v) => HostData::F32(v.to_vec()),
        Block::F64(v) => HostData::F64(v.to_vec()),
    }
}

/// `where(c, a, b)` over a block, each operand as long as `o` or one element.
fn select_block(c: Block, a: Block, b: Block, o: BlockMut) {
    fn run<T: Copy>(c: &[bool], a: &[T], b: &[T], o: &mut [T]) {
        let at = |v: &[T], i: usize| if v.len() == 1 { v[0] } else { v[i] };
        for (i, o) in o.iter_mut().enumerate() {
            let k = if c.len() == 1 { c[0] } else { c[i] };
            *o = if k { at(a, i) } else { at(b, i) };
        }
    }
    let Block::Bool(c) = c else { unreachable!("internal: where's condition is bool") };
    match (a, b, o) {
        (Block::Bool(x), Block::Bool(y), BlockMut::Bool(o)) => run(c, x, y, o),
        (Block::I32(x), Block::I32(y), BlockMut::I32(o)) => run(c, x, y, o),
        (Block::I64(x), Block::I64(y), BlockMut::I64(o)) => run(c, x, y, o),
        (Block::F32(x), Block::F32(y), BlockMut::F32(o)) => run(c, x, y, o),
        (Block::F64(x), Block::F64(y), BlockMut::F64(o)) => run(c, x, y, o),
        _ => unreachable!("internal: where's branches share a dtype"),
    }
}

/// Where a member's block is.
#[derive(Clone, Copy)]
enum Loc {
    /// In kept output `k`'s chunk.
    Out(usize),
    /// In scratch buffer `i`.
    Scratch(usize),
}

/// Runs one block of group `g`: every member's kernel in order, reading
/// operands from their buffers in place, kept members writing straight into
/// their outputs' `outs` chunks and the others into pooled scratch.
fn run_block(g: &Group, ops: &[Op], ext: &[SmallVec<[Option<Ext>; 3]>], start: usize, len: usize, outs: &mut [BlockMut], pool: &mut BufferPool) {
    let mut scratch: SmallVec<[HostData; 8]> = SmallVec::new();
    let mut loc: SmallVec<[Loc; 8]> = SmallVec::new();
    let mut out_k = 0;
    for (p, &i) in g.members.iter().enumerate() {
        // Broadcast operands are gathered first, so the views below can borrow scratch.
        let mut gathered: SmallVec<[usize; 3]> = SmallVec::new();
        for x in ext[p].iter() {
            if let Some(Ext::Strided(d, strides)) = x {
                scratch.push(gather_block(d, strides, &g.shape, start, len));
                gathered.push(scratch.len() - 1);
            } else {
                gathered.push(usize::MAX);
            }
        }
        let (done, rest) = outs.split_at_mut(out_k);
        let operands: SmallVec<[Block; 3]> = g.srcs[p]
            .iter()
            .enumerate()
            .map(|(k, s)| match (*s, &ext[p][k]) {
                (Src::Member(q), _) => match loc[q] {
                    Loc::Out(o) => done[o].as_block(),
                    Loc::Scratch(j) => Block::of(&scratch[j], 0, len),
                },
                (Src::Ext, Some(Ext::Full(d))) => Block::of(d, start, len),
                (Src::Ext, Some(Ext::Scalar(d))) => Block::of(d, 0, 1),
                (Src::Ext, Some(Ext::Strided(..))) => Block::of(&scratch[gathered[k]], 0, len),
                (Src::Ext, None) => unreachable!("internal: every external operand is resolved"),
            })
            .collect();
        let op = &ops[i];
        let mut fresh = if g.keep[p] { None } else { Some(take(pool, op.dtype, len)) };
        let dst = match fresh.as_mut() {
            Some(f) => BlockMut::of(f),
            None => rest[0].reborrow(),
        };
        match &op.kind {
            OpKind::Unary(u) => unary::cpu_block(*u, operands[0], dst),
            OpKind::Binary(b) => binary::cpu_block(*b, operands[0], operands[1], dst),
            OpKind::Cast => write(dst, &owned(operands[0]).cast(op.dtype)),
            OpKind::Select => select_block(operands[0], operands[1], operands[2], dst),
            _ => unreachable!("internal: only elementwise ops are fused"),
        }
        drop(operands);
        match fresh {
            Some(f) => {
                scratch.push(f);
                loc.push(Loc::Scratch(scratch.len() - 1));
            }
            None => {
                loc.push(Loc::Out(out_k));
                out_k += 1;
            }
        }
    }
    for d in scratch {
        pool.give(d);
    }
}

/// Runs group `g` of `ops`. Returns false, running nothing, when an
/// operand has no host value (lost with a device, or failed): the caller
/// then runs the members one by one, which carries the failure.
pub fn run_group(values: &mut impl Values, ops: &[Op], g: &Group, pool: &mut BufferPool) -> bool {
    let mut ext: Vec<SmallVec<[Option<Ext>; 3]>> = Vec::with_capacity(g.members.len());
    for (p, &i) in g.members.iter().enumerate() {
        let mut row = SmallVec::new();
        for (k, s) in g.srcs[p].iter().enumerate() {
            let Src::Ext = s else {
                row.push(None);
                continue;
            };
            let n = &ops[i].inputs[k];
            let Some(d) = values.value(n.entity()).and_then(|s| s.host()).cloned() else { return false };
            row.push(Some(if n.shape == g.shape {
                Ext::Full(d)
            } else if n.shape.numel() == 1 {
                Ext::Scalar(d)
            } else {
                Ext::Strided(d, broadcast_strides(&n.shape, &g.shape))
            }));
        }
        ext.push(row);
    }
    let n = g.shape.numel();
    let mut outs: Vec<HostData> =
        g.members.iter().zip(&g.keep).filter(|(_, &k)| k).map(|(&i, _)| take(pool, ops[i].dtype, n)).collect();
    {
        let nblocks = n.div_ceil(BLOCK);
        let mut per_block: Vec<Vec<BlockMut>> = (0..nblocks).map(|_| Vec::with_capacity(outs.len())).collect();
        for o in outs.iter_mut() {
            for (b, c) in chunks(o).into_iter().enumerate() {
                per_block[b].push(c);
            }
        }
        let body = |pool: &mut BufferPool, (b, mut cs): (usize, Vec<BlockMut>)| {
            let start = b * BLOCK;
            run_block(g, ops, &ext, start, BLOCK.min(n - start), &mut cs, pool);
        };
        if n >= PAR_MIN {
            per_block.into_par_iter().enumerate().for_each_init(BufferPool::default, body);
        } else {
            let mut local = BufferPool::default();
            per_block.into_iter().enumerate().for_each(|x| body(&mut local, x));
        }
    }
    let mut outs = outs.into_iter();
    for (&i, &k) in g.members.iter().zip(&g.keep) {
        if k {
            let v = outs.next().expect("internal: one output per kept member");
            values.set(ops[i].e, Storage::Host(Arc::new(v)));
        }
    }
    true
}
