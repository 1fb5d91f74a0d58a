//! Row reuse: a plain tensor's entity is retired, not despawned, when its
//! last handle goes, and the next op call takes its id, so a steady loop
//! neither spawns nor despawns. A tensor on a tape leaves the tape's marks
//! first; a variable's entity is despawned as before, so no id an
//! optimizer remembers returns.

use std::sync::Arc;

use gradtape::bevy_ecs::entity::Entity;
use gradtape::components::Storage;
use gradtape::*;

fn spawned(e: &Engine) -> u32 {
    e.with_world(|w| w.entities().count_spawned())
}

#[test]
fn a_steady_loop_reuses_its_rows() -> Result<()> {
    let e = Engine::cpu();
    let a = e.constant([1.0, 2.0, 3.0, 4.0])?;
    let b = e.constant([0.5, 0.25, 0.125, 0.0625])?;
    let base = e.entity_count();
    let round = |i: usize| -> Result<()> {
        // Each round computes something else, so a row keeping its old
        // value (or another row's) would show.
        let k = i as f32;
        let c = ((&a * k)? + &b)?;
        e.flush();
        let want: Vec<f32> = [1.0f32, 2.0, 3.0, 4.0].iter().zip([0.5f32, 0.25, 0.125, 0.0625]).map(|(x, y)| x * k + y).collect();
        assert_eq!(c.to_vec::<f32>()?, want, "round {i}");
        Ok(())
    };
    // Two rounds reach the steady state: a handle dropped after its flush
    // is retired by the next one.
    for i in 0..2 {
        round(i)?;
    }
    let (rows, despawned) = (spawned(&e), e.stats().despawned);
    for i in 2..200 {
        round(i)?;
    }
    assert_eq!(spawned(&e), rows, "no row was spawned in the steady loop");
    assert_eq!(e.stats().despawned, despawned, "no row was despawned in the steady loop");
    assert_eq!(e.entity_count(), base, "retired rows are not counted");
    Ok(())
}

#[test]
fn retired_rows_hold_nothing_and_are_not_counted() -> Result<()> {
    let e = Engine::cpu();
    let base = e.entity_count();
    let big = e.fill(&[1 << 14], 2.0)?;
    let t: Vec<Tensor> = (0..10).map(|i| &big * i as f32).collect::<Result<_>>()?;
    e.flush();
    assert_eq!(e.entity_count(), base + 11);
    let ids: Vec<Entity> = t.iter().map(|x| x.id()).collect();
    drop(t);
    assert_eq!(e.entity_count(), base + 1);
    e.with_world(|w| {
        for id in &ids {
            assert!(matches!(w.get::<Storage>(*id), Some(Storage::Free)), "{id:?} is retired");
        }
    });
    // The pool has their buffers; the rows hold none.
    assert!(e.stats().pooled_bytes >= 10 << 16);
    // The next ops take the retired ids (an op with no scalar operand:
    // a scalar is a constant, which takes an id too).
    let again: Vec<Tensor> = (0..10).map(|_| big.neg()).collect::<Result<_>>()?;
    for (i, x) in again.iter().enumerate() {
        assert!(ids.contains(&x.id()), "op {i} took a retired id");
        assert_eq!(x.to_vec::<f32>()?[0], -2.0);
    }
    Ok(())
}

#[test]
fn a_watched_tensor_leaves_its_tape_before_its_row_is_reused() -> Result<()> {
    let e = Engine::cpu();
    let tape = e.gradient_tape(true, true);
    let tmp = e.constant([1.0, 2.0])?;
    tape.watch(&tmp)?;
    let id = tmp.id();
    drop(tmp);
    e.flush();
    // The next tensor takes the retired id; the tape must not take it for
    // the watched tensor that had it.
    let z = e.constant([3.0, 4.0])?;
    assert_eq!(z.id(), id, "the retired row was reused");
    let y = tape.record(|_| &z * &z)?;
    assert!(tape.entries().is_empty(), "an op on an unwatched tensor is not recorded");
    assert!(tape.gradient(&y, &z)?.is_none());
    // Watched now, it is recorded as any tensor is.
    let y = tape.record(|t| {
        t.watch(&z)?;
        &z * &z
    })?;
    assert_eq!(tape.gradient(&y, &z)?.expect("watched").to_vec::<f32>()?, vec![6.0, 8.0]);
    Ok(())
}

#[test]
fn a_recorded_output_is_reused_once_its_tape_is_gone() -> Result<()> {
    let e = Engine::cpu();
    let x = e.constant([1.0, 2.0])?;
    let before = e.stats().despawned;
    let id = {
        let tape = e.gradient_tape(false, true);
        let y = tape.record(|t| {
            t.watch(&x)?;
            &x * &x
        })?;
        e.flush();
        y.id()
    };
    e.collect_garbage();
    // The tape and its entry are despawned; the output's row is retired.
    assert_eq!(e.stats().despawned, before + 2);
    assert!(e.with_world(|w| matches!(w.get::<Storage>(id), Some(Storage::Free))));
    let z = (&x + 1.0)?;
    assert_eq!(z.to_vec::<f32>()?, vec![2.0, 3.0]);
    Ok(())
}

#[test]
fn a_variable_is_despawned_not_reused() -> Result<()> {
    let e = Engine::cpu();
    let v = Variable::from_tensor(&e.constant([1.0, 2.0])?)?;
    let id = v.id();
    drop(v);
    e.collect_garbage();
    assert!(e.with_world(|w| w.get_entity(id).is_err()));
    Ok(())
}

#[test]
fn handles_dropped_on_other_threads_while_ops_run_keep_values_apart() -> Result<()> {
    // Threads take retired ids and drop handles while others flush: every
    // value read is its own op's, and nothing is left at the end.
    let e = Engine::cpu();
    let a = Arc::new(e.constant([1.0, 2.0, 3.0])?);
    let base = e.entity_count();
    std::thread::scope(|s| {
        for t in 0..4 {
            let (e, a) = (e.clone(), a.clone());
            s.spawn(move || -> Result<()> {
                for i in 0..300 {
                    let k = (t * 1000 + i) as f32;
                    let c = (&*a * k)?;
                    if i % 3 == 0 {
                        e.flush();
                    }
                    assert_eq!(c.to_vec::<f32>()?, vec![k, 2.0 * k, 3.0 * k]);
                }
                Ok(())
            });
        }
    });
    assert_eq!(e.entity_count(), base);
    Ok(())
}
