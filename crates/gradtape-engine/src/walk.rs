//! The backward pass as a system. [`backward_system`] queries a tape's
//! `TapeEntry` entities (the tape's `entries` list is their index, in `seq`
//! order; each entry names its tape), walks them in reverse `seq` order
//! where they are in the World (a persistent tape is never copied), and
//! applies each op's gradient rule. Rules are tensor ops, and an op call
//! only queues a record, so the built-in rules run inside the system and an
//! enclosing recording tape records them (higher orders, nested tapes,
//! jacobians).
//!
//! A rule that is user code (a custom gradient) may do anything, including
//! what locks the engine: read a variable, or a value (`to_vec`), which
//! flushes. The system never runs such a rule: it stops before it, its
//! place (`cursor`) and the gradients so far kept in the [`Walk`], which the
//! caller takes out of the World, runs the rule with the World's lock
//! released ([`Walk::run_outside`]), and hands back for the next run of the
//! schedule to go on from there. The walk lives in the [`BackwardRun`]
//! resource only while the schedule runs, so a walk started inside a user's
//! rule (a nested gradient) has the resource to itself.

use bevy_ecs::entity::{EntityHashMap, EntityHashSet};
use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{ScheduleLabel, SingleThreadedExecutor};
use gradtape_core::{Error, Result};
use smallvec::SmallVec;

use crate::components::{Tape, TapeEntry};
use crate::op::OpKind;
use crate::ops;
use crate::ops::binary::{binary, BinaryOp};
use crate::ops::ext::ExtOp;
use crate::backend::FlushState;
use crate::reentry::RulesInside;
use crate::systems::materialize_system;
use crate::{Engine, Tensor};

/// The walk the backward schedule's next run advances; empty between runs.
#[derive(Resource, Default)]
pub struct BackwardRun(pub Option<Walk>);

/// One gradient walk over one tape, between runs of the backward schedule.
pub struct Walk {
    tape: Entity,
    engine: Engine,
    sources: Vec<Entity>,
    batch: usize,
    /// The targets' initial gradients, accumulated at the first run.
    seeds: Vec<(Entity, Tensor)>,
    /// The entries still to visit are those with `seq < cursor`; `None`
    /// before the first run.
    cursor: Option<usize>,
    /// Tensors on a path from a source: only their gradients are built.
    reach: EntityHashSet,
    /// The gradient of each tensor reached so far.
    grads: EntityHashMap<Tensor>,
    step: Step,
}

enum Step {
    /// To be advanced by the next run.
    Ready,
    /// Stopped before a rule that must run with the World unlocked.
    Outside(OutsideRule),
    /// That rule's result, for the next run to accumulate.
    Returned(OutsideRule, SmallVec<[Option<Tensor>; 2]>),
    /// One gradient per source, or the first error.
    Done(Result<Vec<Option<Tensor>>>),
}

/// An entry's rule with what it is applied to.
struct OutsideRule {
    seq: usize,
    entry: Entity,
    kind: OpKind,
    inputs: Vec<Tensor>,
    output: Tensor,
    g: Tensor,
    needs: SmallVec<[bool; 4]>,
}

/// Whether `kind`'s rule may run inside the system, holding the World. The
/// built-in rules only queue tensor ops (none reads a value or a variable:
/// checked in debug builds by [`Engine::lock`]); a custom gradient is the
/// user's code.
fn runs_inside(kind: &OpKind) -> bool {
    !matches!(kind, OpKind::Ext(ExtOp::Custom(_)))
}

impl Walk {
    /// A walk of `tape` from the targets' `seeds` (each of shape `batch dims
    /// ++ target shape`) back to `sources`.
    pub fn new(engine: &Engine, tape: Entity, seeds: Vec<(Entity, Tensor)>, sources: Vec<Entity>, batch: usize) -> Walk {
        Walk {
            tape,
            engine: engine.clone(),
            sources,
            batch,
            seeds,
            cursor: None,
            reach: EntityHashSet::default(),
            grads: EntityHashMap::default(),
            step: Step::Ready,
        }
    }

    /// The tape walked.
    pub fn tape(&self) -> Entity {
        self.tape
    }

    /// Where the walk is: `None` before its first run, else the `seq` below
    /// which entries are still to visit.
    pub fn cursor(&self) -> Option<usize> {
        self.cursor
    }

    /// Whether it stopped before a rule for the caller to run ([`Walk::run_outside`]).
    pub fn waits_outside(&self) -> bool {
        matches!(self.step, Step::Outside(_))
    }

    /// Runs the rule the walk stopped before, as user code: the caller must
    /// not hold the World's lock. Returns whether there was one; the next
    /// run of the schedule goes on after it.
    pub fn run_outside(&mut self) -> bool {
        let Step::Outside(rule) = std::mem::replace(&mut self.step, Step::Ready) else { return false };
        let r = ops::gradient(&rule.kind, &rule.inputs, &rule.output, &rule.g, self.batch, &rule.needs);
        self.step = match r {
            Ok(dins) => Step::Returned(rule, dins),
            Err(e) => Step::Done(Err(e)),
        };
        true
    }

    /// The gradients, one per source (`None`: no path), once the walk is done.
    pub fn result(self) -> Option<Result<Vec<Option<Tensor>>>> {
        match self.step {
            Step::Done(r) => Some(r),
            _ => None,
        }
    }

    fn accumulate(&mut self, e: Entity, g: Tensor) -> Result<()> {
        let sum = match self.grads.remove(&e) {
            Some(prev) => binary(BinaryOp::Add, &prev, &g)?,
            None => g,
        };
        self.grads.insert(e, sum);
        Ok(())
    }

    /// Adds an entry's input gradients to those of the inputs that want one.
    fn take_input_grads(&mut self, inputs: &[Tensor], dins: SmallVec<[Option<Tensor>; 2]>) -> Result<()> {
        for (inp, d) in inputs.iter().zip(dins) {
            if let Some(d) = d {
                if inp.dtype().is_float() && self.reach.contains(&inp.id()) {
                    self.accumulate(inp.id(), d)?;
                }
            }
        }
        Ok(())
    }

    /// Visits entries down from the cursor until the walk is done or stops
    /// before a rule to run outside.
    fn advance(&mut self, tapes: &Query<&Tape>, entries: &Query<&TapeEntry>) -> Result<()> {
        let _inside = RulesInside::enter(self.engine.id());
        let tape = self.tape;
        let order = &tapes.get(tape).map_err(|_| Error::Internal("a gradient of a tape that is gone".into()))?.entries;
        let entry = |seq: usize| -> Result<&TapeEntry> {
            let en = order.get(seq).and_then(|&e| entries.get(e).ok());
            // The list is the entries' index; each entry knows its tape and place.
            en.filter(|en| en.seq == seq && en.tape == tape)
                .ok_or_else(|| Error::Internal(format!("tape entry {seq} is not where its tape lists it")))
        };
        let end = match self.cursor {
            Some(c) => c,
            None => {
                // Only ops on a path from a source matter.
                self.reach.extend(self.sources.iter().copied());
                for seq in 0..order.len() {
                    let en = entry(seq)?;
                    if en.inputs.iter().any(|n| self.reach.contains(&n.entity())) {
                        self.reach.insert(en.output.entity());
                    }
                }
                for (e, g) in std::mem::take(&mut self.seeds) {
                    self.accumulate(e, g)?;
                }
                order.len()
            }
        };
        if let Step::Returned(rule, dins) = std::mem::replace(&mut self.step, Step::Ready) {
            // Still the entry it stopped at: tape.reset() refuses to run while a walk is on.
            if order.get(rule.seq) != Some(&rule.entry) {
                return Err(Error::Internal("a tape's entries changed while its gradient was computed".into()));
            }
            self.take_input_grads(&rule.inputs, dins)?;
        }
        for seq in (0..end).rev() {
            let en = entry(seq)?;
            let out = en.output.entity();
            if !self.reach.contains(&out) {
                continue;
            }
            let Some(g) = self.grads.get(&out).cloned() else { continue };
            let inputs: Vec<Tensor> = en.inputs.iter().map(|n| Tensor::from_node(&self.engine, n.clone())).collect();
            let output = Tensor::from_node(&self.engine, en.output.clone());
            // Only inputs on a path from a source get a gradient computed.
            let needs: SmallVec<[bool; 4]> = en.inputs.iter().map(|n| n.dtype.is_float() && self.reach.contains(&n.entity())).collect();
            if !runs_inside(&en.kind) {
                self.cursor = Some(seq);
                self.step = Step::Outside(OutsideRule { seq, entry: order[seq], kind: en.kind.clone(), inputs, output, g, needs });
                return Ok(());
            }
            let dins = ops::gradient(&en.kind, &inputs, &output, &g, self.batch, &needs)?;
            self.take_input_grads(&inputs, dins)?;
        }
        self.cursor = Some(0);
        self.step = Step::Done(Ok(self.sources.iter().map(|s| self.grads.get(s).cloned()).collect()));
        Ok(())
    }
}

/// Advances the [`BackwardRun`] walk: to its end, or to the next rule that
/// must run with the World unlocked.
pub fn backward_system(mut run: ResMut<BackwardRun>, tapes: Query<&Tape>, entries: Query<&TapeEntry>) {
    let Some(walk) = run.0.as_mut() else { return };
    if matches!(walk.step, Step::Done(_) | Step::Outside(_)) {
        return;
    }
    if let Err(e) = walk.advance(&tapes, &entries) {
        walk.step = Step::Done(Err(e));
    }
}

/// The label of the backward schedule.
#[derive(ScheduleLabel, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Backward;

/// The backward schedule: queued records become entities (where the World
/// has an op queue), then the backward system advances the walk.
pub fn backward_schedule() -> Schedule {
    let mut s = Schedule::new(Backward);
    // On the calling thread: a rule's ops are offered to that thread's tapes.
    s.set_executor(SingleThreadedExecutor::new());
    s.add_systems((materialize_system.run_if(resource_exists::<FlushState>), backward_system).chain());
    s
}

/// Adds the backward schedule and its resource to an engine's world, built
/// now: building adds resources (entities in bevy 0.20), and a gradient
/// must not change the entity count.
pub(crate) fn install(world: &mut World) {
    world.init_resource::<BackwardRun>();
    world.add_schedule(backward_schedule());
    world.schedule_scope(Backward, |w, s| s.initialize(w).expect("internal: the backward schedule builds"));
}

impl Engine {
    /// Runs the backward schedule once on `walk` (the caller holds the lock).
    pub(crate) fn advance_walk(&self, w: &mut World, walk: Walk) -> Walk {
        w.resource_mut::<BackwardRun>().0 = Some(walk);
        w.run_schedule(Backward);
        w.resource_mut::<BackwardRun>().0.take().expect("internal: the backward system keeps its walk")
    }
}
