//! The engine as an ECS, tested in bevy's style (build a world, spawn, run a
//! system once, assert), and the entity bookkeeping of tapes and handles.

use std::sync::Arc;

use gradtape::bevy_ecs::world::World;
use gradtape::bevy_ecs::system::RunSystemOnce;
use gradtape::backend::FlushState;
use gradtape::components::{self, Pending, Storage};
use gradtape::node::{DropQueue, Node, Token};
use gradtape::ops::binary::BinaryOp;
use gradtape::systems::{cleanup_system, dispatch_pending};
use gradtape::*;

fn world() -> (World, Arc<DropQueue>) {
    let mut w = World::new();
    let drops = Arc::new(DropQueue::default());
    w.insert_resource(FlushState::new(Default::default(), drops.clone(), None));
    (w, drops)
}

fn leaf(w: &mut World, drops: &Arc<DropQueue>, v: Vec<f32>) -> Node {
    let shape = Shape::new(&[v.len()]);
    let e = w.spawn((components::Shape(shape.clone()), components::DType(DType::F32), Storage::Host(Arc::new(HostData::F32(v))))).id();
    Node { tok: Token::new(e, 0, drops.clone()), shape, dtype: DType::F32 }
}

#[test]
fn dispatch_runs_queued_ops_in_order() {
    let (mut w, drops) = world();
    let a = leaf(&mut w, &drops, vec![1., 2.]);
    let b = leaf(&mut w, &drops, vec![10., 20.]);
    let s = Shape::new(&[2]);
    let pending = |kind, inputs: [Node; 2]| Storage::Pending(Pending { kind, inputs: inputs.into_iter().collect() });
    let sum = w.spawn((components::Shape(s.clone()), components::DType(DType::F32), pending(OpKind::Binary(BinaryOp::Add), [a.clone(), b]))).id();
    let sum_node = Node { tok: Token::new(sum, 0, drops.clone()), shape: s.clone(), dtype: DType::F32 };
    // A second op that reads the first: program order must hold. The test
    // holds `sum` as a handle would (a value no one holds may stay unwritten
    // when the CPU fuses the two ops).
    let held = sum_node.clone();
    let prod = w.spawn((components::Shape(s), components::DType(DType::F32), pending(OpKind::Binary(BinaryOp::Mul), [sum_node, a]))).id();
    w.resource_mut::<FlushState>().pending.extend([sum, prod]);

    w.run_system_once(dispatch_pending).expect("the system runs");

    let get = |e| (**w.get::<Storage>(e).unwrap().host().unwrap()).clone();
    assert_eq!(get(sum), HostData::F32(vec![11., 22.]));
    assert_eq!(get(prod), HostData::F32(vec![11., 44.]));
    assert_eq!(w.resource::<FlushState>().stats.dispatched, 2);
    drop(held);
}

#[test]
fn computing_a_value_moves_no_row() {
    // Pending -> computed is a field of one `Storage` component: the entity
    // stays in its archetype and table row.
    let (mut w, drops) = world();
    let a = leaf(&mut w, &drops, vec![1., 2.]);
    let s = Shape::new(&[2]);
    let op = Storage::Pending(Pending { kind: OpKind::Unary(gradtape::ops::unary::UnaryOp::Neg), inputs: [a].into_iter().collect() });
    let out = w.spawn((components::Shape(s), components::DType(DType::F32), op)).id();
    w.resource_mut::<FlushState>().pending.push(out);
    let before = w.entity(out).location();
    w.run_system_once(dispatch_pending).expect("the system runs");
    let after = w.entity(out).location();
    assert_eq!((before.archetype_id, before.table_row), (after.archetype_id, after.table_row));
    assert_eq!(**w.get::<Storage>(out).unwrap().host().unwrap(), HostData::F32(vec![-1., -2.]));
}

#[test]
fn the_flush_schedule_runs_on_a_bare_world() {
    // A queued record, materialised, planned, dispatched on the CPU and
    // cleaned up by one run of the engine's flush schedule.
    let (mut w, drops) = world();
    let queue = w.resource::<FlushState>().queue.clone();
    let a = leaf(&mut w, &drops, vec![3., 4.]);
    let e = w.entity_allocator().alloc();
    let out = Node { tok: Token::new(e, 0, drops.clone()), shape: Shape::new(&[2]), dtype: DType::F32 };
    let rec = gradtape::queue::Record::Op {
        e,
        kind: OpKind::Binary(BinaryOp::Mul),
        inputs: [a.clone(), a.clone()].into_iter().collect(),
        shape: Shape::new(&[2]),
        dtype: DType::F32,
        watched: Default::default(),
    };
    queue.push(rec, []);
    let mut flush = gradtape::systems::flush_schedule();
    flush.run(&mut w);
    assert_eq!(**w.get::<Storage>(e).unwrap().host().unwrap(), HostData::F32(vec![9., 16.]));
    drop(out);
    flush.run(&mut w);
    assert!(w.get_entity(e).is_err(), "cleanup despawned what no handle holds");
}

#[test]
fn tape_entries_are_queryable_in_the_world() -> Result<()> {
    use gradtape::components::TapeEntry;
    let e = Engine::cpu();
    let x = e.constant([1.0, 2.0])?;
    let tape = e.gradient_tape(true, true);
    tape.record(|t| {
        t.watch(&x)?;
        (&x * &x)?.exp()
    })?;
    let rows = e.with_world(|w| {
        let mut q = w.query::<&TapeEntry>();
        let mut rows: Vec<(usize, &'static str, Vec<usize>)> = q
            .iter(w)
            .filter(|en| en.tape == tape.entity())
            .map(|en| (en.seq, en.kind.name(), en.output.shape.dims().to_vec()))
            .collect();
        rows.sort();
        rows
    });
    assert_eq!(rows, vec![(0, "Mul", vec![2]), (1, "Exp", vec![2])]);
    Ok(())
}

#[test]
fn cleanup_despawns_what_no_handle_holds() {
    let (mut w, drops) = world();
    let a = leaf(&mut w, &drops, vec![1.]);
    let kept = leaf(&mut w, &drops, vec![2.]);
    let e = a.entity();
    drop(a);
    w.run_system_once(cleanup_system).expect("the system runs");
    assert!(w.get_entity(e).is_err());
    assert!(w.get_entity(kept.entity()).is_ok());
}

#[test]
fn ops_are_lazy_until_a_read() -> Result<()> {
    let e = Engine::cpu();
    let a = e.constant([1.0, 2.0])?;
    let before = e.stats().dispatched;
    let b = (&a * 3)?;
    assert_eq!(e.stats().dispatched, before, "queued, not run");
    assert_eq!(b.to_vec::<f32>()?, vec![3.0, 6.0]);
    assert_eq!(e.stats().dispatched, before + 1);
    Ok(())
}

#[test]
fn dropped_persistent_tape_leaves_no_entities() -> Result<()> {
    let e = Engine::cpu();
    let x = e.constant([1.0, 2.0, 3.0])?;
    let base = e.entity_count();
    {
        let tape = e.gradient_tape(true, true);
        let y = tape.record(|t| {
            t.watch(&x)?;
            (&x * &x)?.sin()?.reduce_sum()
        })?;
        assert!(tape.entries().len() >= 3);
        let g1 = tape.gradient(&y, &x)?.unwrap();
        let g2 = tape.gradient(&y, &x)?.unwrap();
        assert_eq!(g1.to_vec::<f32>()?, g2.to_vec::<f32>()?);
        assert!(e.entity_count() > base);
    }
    assert_eq!(e.entity_count(), base);
    Ok(())
}

#[test]
fn nonpersistent_tape_releases_its_entries_after_one_gradient() -> Result<()> {
    let e = Engine::cpu();
    let x = e.constant(2.0)?;
    let base = e.entity_count();
    let tape = e.gradient_tape(false, true);
    let y = tape.record(|t| {
        t.watch(&x)?;
        (&x * &x)?.exp()
    })?;
    let g = tape.gradient(&y, &x)?.unwrap();
    assert!((g.scalar::<f32>()? - 4.0 * 4f32.exp()).abs() < 1e-3);
    assert!(tape.entries().is_empty());
    drop((y, g));
    // Only the tape entity itself is left while its handle lives.
    assert_eq!(e.entity_count(), base + 1);
    drop(tape);
    assert_eq!(e.entity_count(), base);
    Ok(())
}

#[test]
fn the_tape_is_inspectable_data() -> Result<()> {
    let e = Engine::cpu();
    let x = e.constant([[1.0, 2.0]])?;
    let w = e.constant([[1.0], [2.0]])?;
    let tape = e.gradient_tape(false, true);
    tape.record(|t| {
        t.watch(&x)?;
        x.matmul(&w)?.relu()
    })?;
    let entries = tape.entries();
    let ops: Vec<&str> = entries.iter().map(|en| en.op).collect();
    assert_eq!(ops, ["MatMul", "Relu"]);
    assert_eq!(entries[0].inputs, vec![(Shape::new(&[1, 2]), DType::F32), (Shape::new(&[2, 1]), DType::F32)]);
    assert_eq!(entries[1].output, (Shape::new(&[1, 1]), DType::F32));
    Ok(())
}

#[test]
fn mixing_engines_is_an_error() -> Result<()> {
    let (e1, e2) = (Engine::cpu(), Engine::cpu());
    let a = e1.constant([1.0])?;
    let b = e2.constant([1.0])?;
    assert!(matches!(&a + &b, Err(Error::InvalidArgument(_))));
    Ok(())
}

#[test]
fn a_failed_op_changes_nothing() -> Result<()> {
    let e = Engine::cpu();
    let a = e.constant([[1.0, 2.0]])?;
    let b = e.constant([[1.0, 2.0, 3.0]])?;
    let base = e.entity_count();
    assert!(concat(&[a.clone(), b.clone()], 0).is_err());
    assert!(a.matmul(&b).is_err());
    assert_eq!(e.entity_count(), base);
    assert_eq!(a.to_vec::<f32>()?, vec![1.0, 2.0]);
    Ok(())
}

#[test]
fn handles_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Tensor>();
    check::<Variable>();
    check::<Engine>();
}
