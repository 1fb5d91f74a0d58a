//! The backward pass as a system: [`backward_system`] queries a tape's
//! `TapeEntry` entities in reverse `seq` order (the tape's entry list is
//! their index) and applies each op's gradient rule. It reads the entries
//! where they are, so a persistent tape is never copied. Rules are tensor
//! ops, and an op call does not touch the World, so they run inside the
//! system and an enclosing recording tape records them (higher-order
//! derivatives, nested tapes, jacobians).

use std::collections::{HashMap, HashSet};

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{ScheduleLabel, SingleThreadedExecutor};
use gradtape_core::{Error, Result};
use smallvec::SmallVec;

use crate::components::{Tape, TapeEntry};
use crate::op;
use crate::ops::binary::{binary, BinaryOp};
use crate::{Engine, Tensor};

/// The backward system's in- and output: a job set before a run of the
/// backward schedule, its result taken after. A resource that stays (in
/// bevy 0.20 a resource is an entity: inserting one per walk would change
/// the entity count).
#[derive(Resource, Default)]
pub struct BackwardRun {
    /// The walk to do.
    pub job: Option<BackwardJob>,
    /// One gradient per source (`None`: no path), or the first rule's error.
    pub result: Option<Result<Vec<Option<Tensor>>>>,
}

/// One gradient walk.
pub struct BackwardJob {
    /// The tape whose entries are walked.
    pub tape: Entity,
    /// The engine the rules' tensors belong to.
    pub engine: Engine,
    /// Each target with its initial gradient (shape `batch dims ++ target shape`).
    pub seeds: Vec<(Entity, Tensor)>,
    /// The sources asked for.
    pub sources: Vec<Entity>,
    /// Leading batch dims of every gradient (0, or 1 for the vectorised jacobian).
    pub batch: usize,
}

/// The label of the backward schedule.
#[derive(ScheduleLabel, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Backward;

/// The backward schedule: one run per gradient walk.
pub fn backward_schedule() -> Schedule {
    let mut s = Schedule::new(Backward);
    s.set_executor(SingleThreadedExecutor::new());
    s.add_systems(backward_system);
    s
}

/// Walks the tape of the world's [`BackwardRun`] job and stores the gradients in it.
pub fn backward_system(world: &mut World) {
    let Some(mut job) = world.get_resource_mut::<BackwardRun>().and_then(|mut r| r.job.take()) else { return };
    let seeds = std::mem::take(&mut job.seeds);
    let result = walk(world, &job, seeds);
    world.resource_mut::<BackwardRun>().result = Some(result);
}

fn accumulate(grads: &mut HashMap<Entity, Tensor>, e: Entity, g: Tensor) -> Result<()> {
    let sum = match grads.remove(&e) {
        Some(prev) => binary(BinaryOp::Add, &prev, &g)?,
        None => g,
    };
    grads.insert(e, sum);
    Ok(())
}

fn walk(world: &mut World, run: &BackwardJob, seeds: Vec<(Entity, Tensor)>) -> Result<Vec<Option<Tensor>>> {
    let mut q = world.query::<&TapeEntry>();
    let world: &World = world;
    let order = &world.get::<Tape>(run.tape).ok_or_else(|| Error::Internal("a gradient of a tape that is gone".into()))?.entries;
    let entries: Vec<&TapeEntry> = q.iter_many(world, order).filter_map(std::result::Result::ok).collect();
    debug_assert!(entries.windows(2).all(|p| p[0].seq < p[1].seq && p[0].tape == run.tape));
    // Only ops on a path from a source matter.
    let mut reach: HashSet<Entity> = run.sources.iter().copied().collect();
    for en in &entries {
        if en.inputs.iter().any(|n| reach.contains(&n.entity())) {
            reach.insert(en.output.entity());
        }
    }
    let mut grads: HashMap<Entity, Tensor> = HashMap::new();
    for (e, g) in seeds {
        accumulate(&mut grads, e, g)?;
    }
    let engine = &run.engine;
    for en in entries.iter().rev() {
        let out = en.output.entity();
        if !reach.contains(&out) {
            continue;
        }
        let Some(g) = grads.get(&out).cloned() else { continue };
        let inputs: Vec<Tensor> = en.inputs.iter().map(|n| Tensor::from_node(engine, n.clone())).collect();
        let output = Tensor::from_node(engine, en.output.clone());
        // Only inputs on a path from a source get a gradient computed.
        let needs: SmallVec<[bool; 4]> = en.inputs.iter().map(|n| n.dtype.is_float() && reach.contains(&n.entity())).collect();
        let dins = op::gradient(&en.kind, &inputs, &output, &g, run.batch, &needs)?;
        for (inp, d) in en.inputs.iter().zip(dins) {
            if let Some(d) = d {
                if inp.dtype.is_float() && reach.contains(&inp.entity()) {
                    accumulate(&mut grads, inp.entity(), d)?;
                }
            }
        }
    }
    Ok(run.sources.iter().map(|s| grads.get(s).cloned()).collect())
}
