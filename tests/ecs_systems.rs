//! Each system of the flush schedule run alone on a bare `World`, holding
//! only the resources and components that system needs: Materialize, Plan,
//! CPU Dispatch (and Vulkan Dispatch where there is a device), and
//! Cleanup (release, then retire or despawn).

use std::sync::Arc;

use gradtape::backend::cpu::cpu_dispatch_system;
use gradtape::backend::FlushState;
use gradtape::bevy_ecs::entity::Entity;
use gradtape::bevy_ecs::system::RunSystemOnce;
use gradtape::bevy_ecs::world::World;
use gradtape::components::{self, Pending, Storage, Tape, TapeEntry, TapeMarks};
use gradtape::node::{DropQueue, Node, Token};
use gradtape::ops::binary::BinaryOp;
use gradtape::queue::{OpQueue, Record};
use gradtape::rows::FreeRows;
use gradtape::systems::{cleanup_system, materialize_system, plan_system};
use gradtape::*;

/// A bare world with the flush's one resource; without free rows, so
/// cleanup despawns every dropped row.
fn world() -> (World, Arc<DropQueue>) {
    let mut w = World::new();
    let drops = Arc::new(DropQueue::default());
    w.insert_resource(FlushState::new(Arc::new(OpQueue::default()), drops.clone(), None));
    (w, drops)
}

fn state(w: &World) -> &FlushState {
    w.resource::<FlushState>()
}

fn leaf(w: &mut World, drops: &Arc<DropQueue>, v: Vec<f32>) -> Node {
    let shape = Shape::new(&[v.len()]);
    let e = w.spawn((components::Shape(shape.clone()), components::DType(DType::F32), Storage::Host(Arc::new(HostData::F32(v))))).id();
    Node { tok: Token::new(e, 0, drops.clone()), shape, dtype: DType::F32 }
}

fn tape(w: &mut World, drops: &Arc<DropQueue>) -> (Entity, Arc<Token>) {
    let t = Tape {
        persistent: true,
        watch_accessed_variables: true,
        recording: false,
        paused: false,
        consumed: false,
        entered: false,
        entries: Vec::new(),
        marks: Arc::new(TapeMarks::default()),
        variables: Vec::new(),
        walks: 0,
    };
    let e = w.spawn(t).id();
    (e, Token::new(e, 0, drops.clone()))
}

fn host(w: &World, e: Entity) -> HostData {
    (**w.get::<Storage>(e).expect("spawned").host().expect("on the host")).clone()
}

#[test]
fn materialize_spawns_queued_records_and_numbers_tape_entries() {
    let (mut w, drops) = world();
    let queue = state(&w).queue.clone();
    let (t, _tape_tok) = tape(&mut w, &drops);
    let c = w.entity_allocator().alloc();
    let c_node = Node { tok: Token::new(c, 0, drops.clone()), shape: Shape::new(&[2]), dtype: DType::F32 };
    let s = w.entity_allocator().alloc();
    let s_node = Node { tok: Token::new(s, 0, drops.clone()), shape: Shape::new(&[2]), dtype: DType::F32 };
    queue.push(
        Record::Value { e: c, data: Arc::new(HostData::F32(vec![1., 2.])), shape: Shape::new(&[2]), watched: [t].into_iter().collect() },
        [
            Record::Op {
                e: s,
                kind: OpKind::Binary(BinaryOp::Add),
                inputs: [c_node.clone(), c_node.clone()].into_iter().collect(),
                shape: Shape::new(&[2]),
                dtype: DType::F32,
                watched: [t].into_iter().collect(),
            },
            Record::Entry { tape: t, kind: OpKind::Binary(BinaryOp::Add), inputs: [c_node.clone(), c_node.clone()].into_iter().collect(), output: s_node.clone() },
            Record::Entry { tape: t, kind: OpKind::Binary(BinaryOp::Mul), inputs: [s_node.clone(), c_node.clone()].into_iter().collect(), output: s_node.clone() },
        ],
    );

    w.run_system_once(materialize_system).expect("the system runs");

    assert_eq!(host(&w, c), HostData::F32(vec![1., 2.]));
    assert!(matches!(w.get::<Storage>(s), Some(Storage::Pending(_))));
    assert_eq!(w.get::<components::Watched>(s).expect("on the tape").0.as_slice(), &[t]);
    assert_eq!(state(&w).pending, vec![s]);
    let entries = w.get::<Tape>(t).expect("the tape").entries.clone();
    assert_eq!(entries.len(), 2);
    let seqs: Vec<(usize, &str)> = entries.iter().map(|&en| w.get::<TapeEntry>(en).map(|x| (x.seq, x.kind.name())).expect("spawned")).collect();
    assert_eq!(seqs, vec![(0, "AddV2"), (1, "Mul")]);
    assert!(queue.is_empty());
}

#[test]
fn plan_takes_pending_ops_in_program_order() {
    let (mut w, drops) = world();
    let a = leaf(&mut w, &drops, vec![1., 2.]);
    let s = Shape::new(&[2]);
    let pending = |kind| Storage::Pending(Pending { kind, inputs: [a.clone(), a.clone()].into_iter().collect() });
    let x = w.spawn((components::Shape(s.clone()), components::DType(DType::F32), pending(OpKind::Binary(BinaryOp::Mul)))).id();
    let y = w.spawn((components::Shape(s), components::DType(DType::F32), pending(OpKind::Binary(BinaryOp::Sub)))).id();
    w.resource_mut::<FlushState>().pending.extend([y, x]);

    w.run_system_once(plan_system).expect("the system runs");

    let planned: Vec<(Entity, &str)> = state(&w).planned.iter().map(|op| (op.e, op.kind.name())).collect();
    assert_eq!(planned, vec![(y, "Sub"), (x, "Mul")]);
    assert!(matches!(w.get::<Storage>(x), Some(Storage::Empty)), "the op moved out; the component stays");
    assert!(state(&w).pending.is_empty());
}

#[test]
fn cpu_dispatch_runs_planned_ops_over_a_query() {
    let (mut w, drops) = world();
    let a = leaf(&mut w, &drops, vec![1., 2.]);
    let b = leaf(&mut w, &drops, vec![10., 20.]);
    let s = Shape::new(&[2]);
    let sum = w.spawn((components::Shape(s.clone()), components::DType(DType::F32), Storage::Empty)).id();
    let sum_node = Node { tok: Token::new(sum, 0, drops.clone()), shape: s.clone(), dtype: DType::F32 };
    let prod = w.spawn((components::Shape(s.clone()), components::DType(DType::F32), Storage::Empty)).id();
    let op = |e, kind, inputs: [Node; 2]| gradtape::backend::Op { e, kind, inputs: inputs.into_iter().collect(), shape: s.clone(), dtype: DType::F32 };
    let held = sum_node.clone();
    w.resource_mut::<FlushState>().planned.extend([
        op(sum, OpKind::Binary(BinaryOp::Add), [a.clone(), b]),
        op(prod, OpKind::Binary(BinaryOp::Mul), [sum_node, a]),
    ]);

    w.run_system_once(cpu_dispatch_system).expect("the system runs");

    assert_eq!(host(&w, sum), HostData::F32(vec![11., 22.]));
    assert_eq!(host(&w, prod), HostData::F32(vec![11., 44.]));
    assert!(state(&w).planned.is_empty());
    let st = state(&w).stats;
    assert_eq!((st.flushes, st.dispatched), (1, 2));
    drop(held);
}

#[test]
fn cleanup_frees_what_no_handle_holds() {
    let (mut w, drops) = world();
    // Large enough to be pooled.
    let big = leaf(&mut w, &drops, vec![0.5; 1 << 13]);
    let kept = leaf(&mut w, &drops, vec![2.]);
    let e = big.entity();
    drop(big);

    w.run_system_once(cleanup_system).expect("the system runs");
    assert!(w.get_entity(e).is_err());
    assert!(w.get_entity(kept.entity()).is_ok());
    assert!(state(&w).doomed.is_empty());
    assert_eq!(state(&w).pool.pooled_bytes(), 4 << 13, "its buffer went to the pool");
    assert_eq!(state(&w).stats.despawned, 1);
    assert_eq!(state(&w).stats.pooled_bytes, 4 << 13);
}

#[test]
fn cleanup_retires_a_plain_row_and_materialize_rewrites_it() {
    let (mut w, drops) = world();
    let rows = Arc::new(FreeRows::default());
    w.resource_mut::<FlushState>().rows = Some(rows.clone());
    let a = leaf(&mut w, &drops, vec![0.5; 1 << 13]);
    let e = a.entity();
    let spawned = w.entities().count_spawned();
    drop(a);

    w.run_system_once(cleanup_system).expect("the system runs");
    assert!(matches!(w.get::<Storage>(e), Some(Storage::Free)), "retired, not despawned");
    assert_eq!(state(&w).stats.despawned, 0);
    assert_eq!(state(&w).pool.pooled_bytes(), 4 << 13, "its buffer went to the pool");
    assert_eq!(rows.len(), 1);

    // An op call takes the retired id; materialize rewrites the row in place.
    let id = rows.take().expect("a retired row");
    assert_eq!(id, e);
    let out = Node { tok: Token::new(id, 0, drops.clone()), shape: Shape::new(&[3]), dtype: DType::I32 };
    let queue = state(&w).queue.clone();
    queue.push(Record::Value { e: id, data: Arc::new(HostData::I32(vec![1, 2, 3])), shape: Shape::new(&[3]), watched: Default::default() }, []);
    w.run_system_once(materialize_system).expect("the system runs");
    assert_eq!(host(&w, id), HostData::I32(vec![1, 2, 3]));
    assert_eq!(w.get::<components::Shape>(id).expect("a row").0, Shape::new(&[3]));
    assert_eq!(w.get::<components::DType>(id).expect("a row").0, DType::I32);
    assert_eq!(w.entities().count_spawned(), spawned, "nothing spawned");

    // A handle dropped while its retired id waits for its record is kept
    // for the cleanup after the record's flush, as an unspawned one is.
    let next = Node { tok: Token::new(id, 0, drops.clone()), shape: Shape::new(&[3]), dtype: DType::I32 };
    drop(out);
    w.run_system_once(cleanup_system).expect("the system runs");
    assert_eq!(rows.take(), Some(id), "retired again");
    drop(next);
    w.run_system_once(cleanup_system).expect("the system runs");
    assert!(rows.is_empty(), "a retired row's handle is not retired twice");
    assert!(!drops.is_empty(), "kept for the cleanup after its record");
}

#[test]
fn despawning_a_tape_releases_what_its_entries_held() {
    // The tape's entry holds the only reference to `x`: despawning the
    // entry drops it, and the despawn system goes round again for it.
    let (mut w, drops) = world();
    let (t, tape_tok) = tape(&mut w, &drops);
    let x = leaf(&mut w, &drops, vec![3.]);
    let xe = x.entity();
    let entry = w.spawn(TapeEntry { tape: t, seq: 0, kind: OpKind::Binary(BinaryOp::Mul), inputs: [x.clone(), x.clone()].into_iter().collect(), output: x }).id();
    w.get_mut::<Tape>(t).expect("the tape").entries.push(entry);
    drop(tape_tok);

    w.run_system_once(cleanup_system).expect("the system runs");
    for e in [t, entry, xe] {
        assert!(w.get_entity(e).is_err(), "{e:?} despawned");
    }
    assert!(drops.is_empty());
}

#[test]
fn a_dropped_handle_not_yet_spawned_waits_for_its_entity() {
    let (mut w, drops) = world();
    let e = w.entity_allocator().alloc();
    drop(Token::new(e, 0, drops.clone()));
    w.run_system_once(cleanup_system).expect("the system runs");
    assert!(!drops.is_empty(), "kept for the cleanup after its spawn");
    w.spawn_at(e, Storage::Empty).expect("a fresh id");
    w.run_system_once(cleanup_system).expect("the system runs");
    assert!(w.get_entity(e).is_err());
    assert!(drops.is_empty());
}

#[cfg(feature = "vulkan")]
#[test]
fn vulkan_dispatch_runs_on_a_bare_world() {
    use gradtape::vulkan::{ensure_host, vulkan_dispatch_system, VulkanBackend};
    let (mut w, drops) = world();
    w.init_resource::<components::DeviceFault>();
    let a = leaf(&mut w, &drops, vec![1., 2.]);
    let s = Shape::new(&[2]);
    let out = w.spawn((components::Shape(s.clone()), components::DType(DType::F32), Storage::Empty)).id();
    let plan = |w: &mut World| {
        let op = gradtape::backend::Op { e: out, kind: OpKind::Binary(BinaryOp::Mul), inputs: [a.clone(), a.clone()].into_iter().collect(), shape: s.clone(), dtype: DType::F32 };
        w.resource_mut::<FlushState>().planned.push(op);
    };
    // Without a device the system leaves every op to the CPU's.
    plan(&mut w);
    w.run_system_once(vulkan_dispatch_system).expect("the system runs");
    assert_eq!(state(&w).planned.len(), 1);
    w.resource_mut::<FlushState>().planned.clear();
    let Ok(engine) = Engine::new(Device::Vulkan) else {
        eprintln!("skipped: no Vulkan device");
        return;
    };
    let dev = engine.with_world(|w| w.resource::<VulkanBackend>().device.clone());
    w.insert_resource(VulkanBackend::new(dev));
    plan(&mut w);
    w.run_system_once(vulkan_dispatch_system).expect("the system runs");
    assert!(state(&w).planned.is_empty());
    assert!(w.get::<Storage>(out).and_then(Storage::device).is_some(), "the value is on the device");
    ensure_host(&mut w, out);
    assert_eq!(host(&w, out), HostData::F32(vec![1., 4.]));
}
