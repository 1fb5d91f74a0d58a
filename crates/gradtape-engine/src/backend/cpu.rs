//! The CPU backend: each op's host kernel, in program order, with chains
//! of elementwise ops fused into one blocked pass (see [`super::fuse`]).
//! Device backends run here what they do not offer.

use std::sync::Arc;

use bevy_ecs::prelude::*;
use gradtape_core::Shape;
use smallvec::SmallVec;

use super::fuse::{self, FusePlan, Slot};
use super::{Backend, Cx, FlushState, Op, Values};
use crate::components::Storage;
use crate::kernels;
use crate::pool::BufferPool;

/// The host: always present, it runs whatever no device took.
#[derive(Default)]
pub struct CpuBackend;

impl Backend for CpuBackend {
    fn dispatch<V: Values>(&mut self, ops: &mut Vec<Op>, cx: &mut Cx<V>) -> gradtape_core::Result<()> {
        let (mut ran, mut fused) = (0u64, 0u64);
        let plan = if fuse::worth_planning(ops) { fuse::plan(ops) } else { FusePlan::default() };
        for (i, op) in ops.iter().enumerate() {
            match plan.at.get(i).copied().unwrap_or(Slot::Single) {
                Slot::Single => ran += u64::from(run_on_host(cx.values, op, cx.pool)),
                // Run with the group, at its last member.
                Slot::Member(_) => {}
                Slot::Last(g) => {
                    let g = &plan.groups[g];
                    if fuse::run_group(cx.values, ops, g, cx.pool) {
                        ran += g.members.len() as u64;
                        fused += g.members.len() as u64;
                    } else {
                        for &m in &g.members {
                            ran += u64::from(run_on_host(cx.values, &ops[m], cx.pool));
                        }
                    }
                }
            }
        }
        // The inputs' references go now, so this flush's cleanup sees them.
        ops.clear();
        cx.stats.flushes += 1;
        cx.stats.dispatched += ran;
        cx.stats.fused += fused;
        cx.stats.pooled_bytes = cx.pool.pooled_bytes();
        Ok(())
    }
}

/// The CPU's `Dispatch` system: it runs every planned op left. The emptied
/// buffer stays in [`FlushState::planned`], so a steady loop reuses it.
pub fn cpu_dispatch_system(mut state: ResMut<FlushState>, mut values: Query<&mut Storage>) {
    if state.planned.is_empty() {
        return;
    }
    let st = &mut *state;
    let mut cx = Cx { values: &mut values, pool: &mut st.pool, stats: &mut st.stats };
    // The host cannot fail as a device does; a kernel's own errors were
    // found when its op was queued.
    let _ = CpuBackend.dispatch(&mut st.planned, &mut cx);
}

/// Runs `op` on the host, its inputs' values being in host `Storage`.
/// Returns whether it ran: an input lost with a failed device (or whose
/// own op failed) leaves the output failed with the same error instead.
pub(crate) fn run_on_host(values: &mut impl Values, op: &Op, pool: &mut BufferPool) -> bool {
    let Some(inputs) = op
        .inputs
        .iter()
        .map(|n| values.value(n.entity()).and_then(|s| s.host()).map(|h| (h.clone(), &n.shape)))
        .collect::<Option<SmallVec<[(Arc<_>, &Shape); 2]>>>()
    else {
        if let Some(f) = super::failed_input(values, &op.inputs) {
            values.set(op.e, Storage::Failed(f));
        }
        return false;
    };
    let out = kernels::run_cpu(&op.kind, &inputs, &op.shape, op.dtype, pool);
    drop(inputs);
    values.set(op.e, Storage::Host(out));
    true
}
