//! Planning a flush: where each queued op runs, which float32 elementwise
//! runs fuse, and which fused values must be written out.
//!
//! Fusion rule: consecutive queued ops that are float32 unary or
//! arithmetic binary ops with one output shape form a chain when each
//! operand is made inside the chain or is a tensor of that same shape or
//! of one element. Any other op ends the chain; so does running out of
//! the shader's registers. A chain of one op runs as a plain kernel.
//! A value made inside a chain is written to memory only when it is still
//! needed after the chain: a handle or tape entry holds it (its token has
//! more references than the flush's own inputs), or an op outside the
//! chain reads it, or nothing in the flush reads it.

use std::collections::HashMap;
use std::sync::Arc;

use bevy_ecs::prelude::*;
use gradtape_core::{DType, Shape};
use gradtape_vulkan::ops::fused::MAX_REGS;
use gradtape_vulkan::VulkanDevice;
use smallvec::SmallVec;

use super::lower;
use crate::node::Node;
use crate::op::OpKind;

pub(super) use crate::backend::Op;
pub(super) use super::lower::Where;

pub(super) struct Plan {
    pub at: Vec<Where>,
    /// Op indices of each chain, in order.
    pub chains: Vec<Vec<usize>>,
    /// Whether op `i`'s output must be written (always, outside chains).
    pub store: Vec<bool>,
}

fn fusable(op: &Op) -> bool {
    if op.dtype != DType::F32 {
        return false;
    }
    match &op.kind {
        OpKind::Unary(_) => true,
        OpKind::Binary(b) => !b.is_comparison() && op.inputs[0].dtype == DType::F32,
        _ => false,
    }
}

struct Open {
    id: usize,
    shape: Shape,
    members: HashMap<Entity, usize>,
    externals: HashMap<Entity, ()>,
    regs: u32,
}

pub(super) fn plan(ops: &[Op], dev: &VulkanDevice, fuse: bool) -> Plan {
    let mut at: Vec<Where> = ops.iter().map(|op| lower::placement(op, dev)).collect();
    let mut chains: Vec<Vec<usize>> = Vec::new();
    let mut open: Option<Open> = None;
    for (i, op) in ops.iter().enumerate() {
        let candidate = fuse && at[i] == Where::Device && fusable(op);
        if !candidate {
            open = None;
            continue;
        }
        let fits_shape = |n: &Node, members: Option<&HashMap<Entity, usize>>| {
            members.is_some_and(|m| m.contains_key(&n.entity())) || n.shape == op.shape || n.shape.numel() == 1
        };
        let joins = open.as_ref().is_some_and(|c| {
            let new_ext: Vec<Entity> = op
                .inputs
                .iter()
                .map(|n| n.entity())
                .filter(|e| !c.members.contains_key(e) && !c.externals.contains_key(e))
                .collect();
            c.shape == op.shape
                && op.inputs.iter().all(|n| fits_shape(n, Some(&c.members)))
                && c.regs + 1 + distinct(&new_ext) <= MAX_REGS
        });
        if !joins {
            if !op.inputs.iter().all(|n| fits_shape(n, None)) {
                open = None;
                continue;
            }
            chains.push(Vec::new());
            open = Some(Open {
                id: chains.len() - 1,
                shape: op.shape.clone(),
                members: HashMap::new(),
                externals: HashMap::new(),
                regs: 0,
            });
        }
        let c = open.as_mut().expect("internal: a chain is open");
        for n in &op.inputs {
            let e = n.entity();
            if !c.members.contains_key(&e) && c.externals.insert(e, ()).is_none() {
                c.regs += 1;
            }
        }
        c.members.insert(op.e, i);
        c.regs += 1;
        chains[c.id].push(i);
        at[i] = Where::Chain(c.id);
    }
    for chain in &chains {
        if chain.len() == 1 {
            at[chain[0]] = Where::Device;
        }
    }
    let store = stores(ops, &at);
    Plan { at, chains, store }
}

fn distinct(v: &[Entity]) -> u32 {
    let mut seen: SmallVec<[Entity; 4]> = SmallVec::new();
    for e in v {
        if !seen.contains(e) {
            seen.push(*e);
        }
    }
    seen.len() as u32
}

fn stores(ops: &[Op], at: &[Where]) -> Vec<bool> {
    // Readers of each entity in this flush, and how many input slots hold it.
    let mut readers: HashMap<Entity, SmallVec<[usize; 4]>> = HashMap::new();
    let mut tokens: HashMap<Entity, usize> = HashMap::new();
    for (i, op) in ops.iter().enumerate() {
        for n in &op.inputs {
            readers.entry(n.entity()).or_default().push(i);
            tokens.insert(n.entity(), Arc::strong_count(&n.tok));
        }
    }
    ops.iter()
        .enumerate()
        .map(|(i, op)| {
            let Where::Chain(c) = at[i] else { return true };
            let Some(rs) = readers.get(&op.e) else { return true };
            let held_outside = tokens.get(&op.e).is_some_and(|&t| t > rs.len());
            held_outside || rs.iter().any(|&j| at[j] != Where::Chain(c))
        })
        .collect()
}
