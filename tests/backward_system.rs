//! The backward pass as a bevy system over the tape's `TapeEntry` entities:
//! run on a bare World, queried by a user, and stopping for a custom
//! gradient's rule, which then runs with the engine unlocked. A rule that
//! locks the engine (reads a variable, or a value) would hang these tests
//! if it ran inside the system: a hang is their failing signal.

use std::sync::{Arc, Mutex};

use gradtape::autodiff::{custom_gradient, custom_gradient_with_variables, GradFn, GradFnVars};
use gradtape::bevy_ecs::prelude::{Entity, World};
use gradtape::bevy_ecs::system::RunSystemOnce;
use gradtape::components::{Tape, TapeEntry, TapeMarks};
use gradtape::node::Node;
use gradtape::ops::binary::BinaryOp;
use gradtape::ops::unary::UnaryOp;
use gradtape::walk::{backward_schedule, backward_system, BackwardRun, Walk};
use gradtape::*;

fn close(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-4 * (1.0 + y.abs()))
}

/// A tape entity on a bare World, with its entries listed in order.
fn bare_tape(w: &mut World, entries: Vec<(OpKind, Vec<Node>, Node)>) -> Entity {
    let tape = w
        .spawn(Tape {
            persistent: true,
            watch_accessed_variables: true,
            recording: false,
            paused: false,
            consumed: false,
            entered: true,
            entries: Vec::new(),
            marks: Arc::new(TapeMarks::default()),
            variables: Vec::new(),
            walks: 0,
        })
        .id();
    let ids: Vec<Entity> = entries
        .into_iter()
        .enumerate()
        .map(|(seq, (kind, inputs, output))| {
            w.spawn(TapeEntry { tape, seq, kind, inputs: inputs.into_iter().collect(), output }).id()
        })
        .collect();
    w.get_mut::<Tape>(tape).unwrap().entries = ids;
    tape
}

#[test]
fn the_backward_system_runs_on_a_bare_world() -> Result<()> {
    // The entries live in a World of their own; the engine only holds the
    // tensors, and the rules' ops are queued on it.
    let e = Engine::cpu();
    let x = e.constant([0.5, 1.0, 2.0])?;
    let y = (&x * &x)?;
    let z = y.sin()?;
    let mut w = World::new();
    let tape = bare_tape(
        &mut w,
        vec![
            (OpKind::Binary(BinaryOp::Mul), vec![x.node().clone(), x.node().clone()], y.node().clone()),
            (OpKind::Unary(UnaryOp::Sin), vec![y.node().clone()], z.node().clone()),
        ],
    );
    let walk = Walk::new(&e, tape, vec![(z.id(), z.ones_like())], vec![x.id(), y.id()], 0);
    w.insert_resource(BackwardRun(Some(walk)));
    w.run_system_once(backward_system).expect("the system runs");
    let walk = w.resource_mut::<BackwardRun>().0.take().expect("the walk is handed back");
    assert_eq!(walk.cursor(), Some(0), "walked down to seq 0");
    let g = walk.result().expect("no custom rule: done in one run")?;
    let xs = x.to_vec::<f32>()?;
    let want_x: Vec<f32> = xs.iter().map(|v| 2.0 * v * (v * v).cos()).collect();
    let want_y: Vec<f32> = xs.iter().map(|v| (v * v).cos()).collect();
    assert!(close(&g[0].as_ref().unwrap().to_vec::<f32>()?, &want_x));
    assert!(close(&g[1].as_ref().unwrap().to_vec::<f32>()?, &want_y));
    // The walk read the entries where they are: the tape still lists them.
    assert_eq!(w.get::<Tape>(tape).unwrap().entries.len(), 2);
    Ok(())
}

#[test]
fn the_backward_system_stops_before_a_custom_rule_on_a_bare_world() -> Result<()> {
    // A custom gradient's op, as an engine tape recorded it, copied into a
    // bare World: the system stops before it with its place kept, the
    // caller runs the rule, and the next run of the schedule goes on.
    let e = Engine::cpu();
    let x = e.constant([1.0, 3.0])?;
    let tape = e.gradient_tape(true, true);
    let z = tape.record(|t| {
        t.watch(&x)?;
        let y = custom_gradient(&[x.clone()], |xs| {
            let rule: GradFn = Box::new(|dy| Ok(vec![Some(dy.mul(10.0)?)]));
            Ok((xs[0].identity()?, rule))
        })?;
        y.exp()
    })?;
    let recorded: Vec<(OpKind, Vec<Node>, Node)> = e.with_world(|w| {
        let order = w.get::<Tape>(tape.entity()).unwrap().entries.clone();
        order
            .iter()
            .map(|&en| {
                let en = w.get::<TapeEntry>(en).unwrap();
                (en.kind.clone(), en.inputs.to_vec(), en.output.clone())
            })
            .collect()
    });
    let names: Vec<&str> = recorded.iter().map(|r| r.0.name()).collect();
    assert_eq!(names.last(), Some(&"Exp"));
    let n = recorded.len();
    let mut w = World::new();
    let bare = bare_tape(&mut w, recorded);
    let mut schedule = backward_schedule();
    w.insert_resource(BackwardRun(Some(Walk::new(&e, bare, vec![(z.id(), z.ones_like())], vec![x.id()], 0))));
    schedule.run(&mut w);
    let mut walk = w.resource_mut::<BackwardRun>().0.take().unwrap();
    assert!(walk.waits_outside(), "stopped before the custom rule");
    let custom_seq = walk.cursor().expect("it started");
    assert!(custom_seq < n - 1, "after the Exp's rule ran inside");
    assert!(walk.run_outside());
    w.resource_mut::<BackwardRun>().0 = Some(walk);
    schedule.run(&mut w);
    let walk = w.resource_mut::<BackwardRun>().0.take().unwrap();
    let g = walk.result().expect("done after the rule")?.remove(0).unwrap();
    let want: Vec<f32> = [1.0f32, 3.0].iter().map(|v| 10.0 * v.exp()).collect();
    assert!(close(&g.to_vec::<f32>()?, &want));
    Ok(())
}

#[test]
fn a_user_queries_a_tapes_entries_from_the_world() -> Result<()> {
    let e = Engine::cpu();
    let x = e.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])?;
    let w = e.constant([[1.0], [0.5], [0.25]])?;
    let tape = e.gradient_tape(true, true);
    let other = e.gradient_tape(true, true);
    tape.record(|t| {
        t.watch(&x)?;
        x.matmul(&w)?.tanh()?.reduce_sum()
    })?;
    other.record(|t| {
        t.watch(&w)?;
        w.exp()
    })?;
    // (seq, op name, input shapes, output shape) of this tape's entries, in order.
    type Row = (usize, &'static str, Vec<Vec<usize>>, Vec<usize>);
    let rows: Vec<Row> = e.with_world(|world| {
        let mut q = world.query::<&TapeEntry>();
        let mut rows: Vec<Row> = q
            .iter(world)
            .filter(|en| en.tape == tape.entity())
            .map(|en| {
                let ins = en.inputs.iter().map(|n| n.shape.dims().to_vec()).collect();
                (en.seq, en.kind.name(), ins, en.output.shape.dims().to_vec())
            })
            .collect();
        rows.sort_by_key(|r| r.0);
        rows
    });
    assert_eq!(
        rows,
        vec![
            (0, "MatMul", vec![vec![2, 3], vec![3, 1]], vec![2, 1]),
            (1, "Tanh", vec![vec![2, 1]], vec![2, 1]),
            (2, "Sum", vec![vec![2, 1]], vec![]),
        ]
    );
    // The same through the tape's list (the index the backward system walks).
    let listed = e.with_world(|world| {
        let order = world.get::<Tape>(tape.entity()).unwrap().entries.clone();
        order.iter().map(|&en| world.get::<TapeEntry>(en).unwrap().info()).collect::<Vec<_>>()
    });
    assert_eq!(listed, tape.entries());
    Ok(())
}

#[test]
fn a_persistent_tapes_gradient_leaves_its_entries_in_place() -> Result<()> {
    let e = Engine::cpu();
    let x = e.constant([1.0, 2.0])?;
    let tape = e.gradient_tape(true, true);
    let y = tape.record(|t| {
        t.watch(&x)?;
        (&x * &x)?.exp()?.reduce_sum()
    })?;
    let ids = |tape: &GradientTape| e.with_world(|w| w.get::<Tape>(tape.entity()).unwrap().entries.clone());
    let before = ids(&tape);
    let count = e.entity_count();
    let g1 = tape.gradient(&y, &x)?.unwrap().to_vec::<f32>()?;
    let g2 = tape.gradient(&y, &x)?.unwrap().to_vec::<f32>()?;
    assert_eq!(g1, g2);
    assert_eq!(ids(&tape), before, "the same entry entities, not copies");
    assert_eq!(e.entity_count(), count);
    Ok(())
}

/// `f(x) = x³` whose rule reads the variable `k` (1.5) and its value with
/// `to_vec` (a flush): `df = dy · 3x² · k`, built from tensor ops on the
/// variable's read, so an outer tape sees `k` and `x` in it.
fn cube_reading_a_variable(x: &Tensor, k: &Variable, seen: &Arc<Mutex<Vec<f32>>>) -> Result<Tensor> {
    let (k, seen) = (k.clone(), seen.clone());
    custom_gradient(&[x.clone()], move |xs| {
        let x0 = xs[0].clone();
        let y = x0.mul(&x0)?.mul(&x0)?;
        let rule: GradFn = Box::new(move |dy| {
            let kv = k.read();
            seen.lock().unwrap().extend(kv.to_vec::<f32>()?);
            seen.lock().unwrap().extend(x0.to_vec::<f32>()?);
            Ok(vec![Some(dy.mul(&x0.mul(&x0)?.mul(3.0)?)?.mul(&kv)?)])
        });
        Ok((y, rule))
    })
}

#[test]
fn a_custom_rule_that_locks_the_engine_under_a_persistent_tape() -> Result<()> {
    let e = Engine::cpu();
    let k = e.variable(1.5)?;
    let x = e.constant([1.0, 2.0])?;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let tape = e.gradient_tape(true, true);
    let y = tape.record(|t| {
        t.watch(&x)?;
        cube_reading_a_variable(&x, &k, &seen)?.reduce_sum()
    })?;
    for _ in 0..2 {
        let g = tape.gradient(&y, &x)?.unwrap();
        assert!(close(&g.to_vec::<f32>()?, &[4.5, 18.0]));
    }
    // Inside the `with` block too (the tape records its own backward pass).
    let _rec = tape.scope()?;
    let g = tape.gradient(&y, &x)?.unwrap();
    assert!(close(&g.to_vec::<f32>()?, &[4.5, 18.0]));
    assert_eq!(seen.lock().unwrap().len(), 3 * 3, "the rule ran and read values, three times");
    Ok(())
}

#[test]
fn a_custom_rule_that_locks_the_engine_under_a_nested_outer_tape() -> Result<()> {
    let e = Engine::cpu();
    let k = e.variable(1.5)?;
    let x = e.constant([1.0, 2.0])?;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let outer = e.gradient_tape(false, true);
    let dx = outer.record(|o| {
        o.watch(&x)?;
        let inner = e.gradient_tape(false, true);
        let y = inner.record(|t| {
            t.watch(&x)?;
            cube_reading_a_variable(&x, &k, &seen)?.reduce_sum()
        })?;
        // The outer tape records the rule's ops, the variable's read among them.
        inner.gradient(&y, &x).map(Option::unwrap)
    })?;
    assert!(close(&dx.to_vec::<f32>()?, &[4.5, 18.0]));
    // d/dx sum(3x²k) = 6xk; d/dk sum(3x²) = 15.
    let g = outer.gradients(&[&dx], &[&x, &k])?;
    assert!(close(&g[0].as_ref().unwrap().to_vec::<f32>()?, &[9.0, 18.0]));
    assert!(close(&[g[1].as_ref().expect("the read was recorded").scalar::<f32>()?], &[15.0]));
    Ok(())
}

#[test]
fn a_custom_rule_that_locks_the_engine_in_jacobians_and_forward_mode() -> Result<()> {
    let e = Engine::cpu();
    let k = e.variable(1.5)?;
    let x = e.constant([1.0, 2.0])?;
    let seen = Arc::new(Mutex::new(Vec::new()));
    // The vectorised jacobian feeds the rule one row at a time.
    let tape = e.gradient_tape(false, true);
    let y = tape.record(|t| {
        t.watch(&x)?;
        cube_reading_a_variable(&x, &k, &seen)
    })?;
    let j = tape.jacobian(&y, &x)?.unwrap();
    assert!(close(&j.to_vec::<f32>()?, &[4.5, 0.0, 0.0, 18.0]));
    // batch_jacobian of rows [x0, x1] of a [2, 1] input.
    let xb = x.reshape([2, 1])?;
    let tape = e.gradient_tape(true, true);
    let yb = tape.record(|t| {
        t.watch(&xb)?;
        cube_reading_a_variable(&xb, &k, &seen)
    })?;
    let bj = tape.batch_jacobian(&yb, &xb, true)?;
    assert_eq!(bj.dims(), &[2, 1, 1]);
    assert!(close(&bj.to_vec::<f32>()?, &[4.5, 18.0]));
    // Forward mode: the accumulator differentiates the rule's backward pass.
    let acc = autodiff::ForwardAccumulator::new(&[x.clone()], &[e.constant([1.0, -1.0])?])?;
    let y = acc.record(|| cube_reading_a_variable(&x, &k, &seen))?;
    let jvp = acc.jvp(&y, Unconnected::None)?.unwrap();
    assert!(close(&jvp.to_vec::<f32>()?, &[4.5, -18.0]));
    Ok(())
}

#[test]
fn a_custom_rule_that_computes_a_gradient_of_its_own() -> Result<()> {
    // The rule starts a walk of its own while the outer walk is stopped for
    // it: each has its walk to itself.
    let e = Engine::cpu();
    let x = e.constant([0.5, 2.0])?;
    let v = e.variable([1.0, 3.0])?;
    let tape = e.gradient_tape(false, true);
    let y = tape.record(|t| {
        t.watch(&x)?;
        custom_gradient_with_variables(&[x.clone()], |xs| {
            let x0 = xs[0].clone();
            let y = x0.mul(&v)?.sin()?;
            let rule: GradFnVars = Box::new(move |dy, vars| {
                let inner = x0.engine().gradient_tape(false, true);
                let s = inner.record(|t| {
                    t.watch(&x0)?;
                    x0.mul(&vars[0])?.sin()
                })?;
                let d = inner.gradient(&s, &x0)?.unwrap();
                // A variable's gradient read through to_vec, for good measure.
                let dv = dy.mul(&x0.mul(&x0.mul(&vars[0])?.cos()?)?)?;
                dv.to_vec::<f32>()?;
                Ok((vec![Some(dy.mul(&d)?)], vec![Some(dv)]))
            });
            Ok((y, rule))
        })?
        .reduce_sum()
    })?;
    let g = tape.gradients(&[&y], &[&x, &v])?;
    let (xs, vs) = ([0.5f32, 2.0], [1.0f32, 3.0]);
    let want_x: Vec<f32> = xs.iter().zip(&vs).map(|(a, b)| b * (a * b).cos()).collect();
    let want_v: Vec<f32> = xs.iter().zip(&vs).map(|(a, b)| a * (a * b).cos()).collect();
    assert!(close(&g[0].as_ref().unwrap().to_vec::<f32>()?, &want_x));
    assert!(close(&g[1].as_ref().unwrap().to_vec::<f32>()?, &want_v));
    Ok(())
}

#[test]
fn reset_inside_a_custom_rule_of_the_same_tape_is_refused() -> Result<()> {
    // The walk reads the entries where they are, so a reset from inside it
    // is an error and the walk goes on over the entries it started with.
    let e = Engine::cpu();
    let x = e.constant(2.0)?;
    let tape = Arc::new(e.gradient_tape(true, true));
    let refused = Arc::new(Mutex::new(None));
    let _rec = tape.scope()?;
    tape.watch(&x)?;
    let (t2, r2) = (tape.clone(), refused.clone());
    let y = custom_gradient(&[x.clone()], move |xs| {
        let rule: GradFn = Box::new(move |dy| {
            *r2.lock().unwrap() = Some(t2.reset().is_err());
            Ok(vec![Some(dy.mul(7.0)?)])
        });
        Ok((xs[0].mul(2.0)?, rule))
    })?;
    let z = y.square()?;
    let g = tape.gradient(&z, &x)?.unwrap();
    assert_eq!(*refused.lock().unwrap(), Some(true));
    // dz/dy = 2y = 8, times the rule's 7.
    assert_eq!(g.scalar::<f32>()?, 56.0);
    // Once the walk is over, reset works.
    tape.reset()?;
    assert!(tape.entries().is_empty());
    Ok(())
}
