//! The engine as an ECS, tested in bevy's style (build a world, spawn, run a
//! system once, assert), and the entity bookkeeping of tapes and handles.

use std::sync::Arc;

use gradtape::bevy_ecs::world::World;
use gradtape::bevy_ecs::system::RunSystemOnce;
use gradtape::components::{Dims, ElemType, Pending, PendingQueue, Stats, Storage};
use gradtape::node::{DropQueue, Node, Token};
use gradtape::ops::binary::BinaryOp;
use gradtape::systems::{cleanup_system, dispatch_pending, Drops};
use gradtape::*;

fn world() -> (World, Arc<DropQueue>) {
    let mut w = World::new();
    w.init_resource::<PendingQueue>();
    w.init_resource::<Stats>();
    let drops = Arc::new(DropQueue::default());
    w.insert_resource(Drops(drops.clone()));
    (w, drops)
}

fn leaf(w: &mut World, drops: &Arc<DropQueue>, v: Vec<f32>) -> Node {
    let shape = Shape::new(&[v.len()]);
    let e = w.spawn((Dims(shape.clone()), ElemType(DType::F32), Storage(Arc::new(HostData::F32(v))))).id();
    Node { tok: Token::new(e, 0, drops.clone()), shape, dtype: DType::F32 }
}

#[test]
fn dispatch_runs_queued_ops_in_order() {
    let (mut w, drops) = world();
    let a = leaf(&mut w, &drops, vec![1., 2.]);
    let b = leaf(&mut w, &drops, vec![10., 20.]);
    let s = Shape::new(&[2]);
    let sum = w.spawn((Dims(s.clone()), ElemType(DType::F32))).id();
    let sum_node = Node { tok: Token::new(sum, 0, drops.clone()), shape: s.clone(), dtype: DType::F32 };
    w.entity_mut(sum).insert(Pending { kind: OpKind::Binary(BinaryOp::Add), inputs: [a.clone(), b].into_iter().collect() });
    // A second op that reads the first: program order must hold.
    let prod = w.spawn((Dims(s), ElemType(DType::F32))).id();
    w.entity_mut(prod).insert(Pending { kind: OpKind::Binary(BinaryOp::Mul), inputs: [sum_node, a].into_iter().collect() });
    w.resource_mut::<PendingQueue>().0.extend([sum, prod]);

    w.run_system_once(dispatch_pending).expect("the system runs");

    let get = |e| (*w.get::<Storage>(e).unwrap().0).clone();
    assert_eq!(get(sum), HostData::F32(vec![11., 22.]));
    assert_eq!(get(prod), HostData::F32(vec![11., 44.]));
    assert!(w.get::<Pending>(prod).is_none());
    assert_eq!(w.resource::<Stats>().dispatched, 2);
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
