//! Golden TensorFlow 2.21 cases of the `tape` area, translated. Python's
//! `with tape:` block is `tape.record(|t| ...)`, or `start()`/`stop()` where
//! a case needs statements after the block.

mod common;

use common::{assert_err, repr, scalar};
use gradtape::*;

#[test]
fn tape_doc_nested_second_order() -> Result<()> {
    let x = constant(5.0)?;
    let g = GradientTape::new();
    let gg = GradientTape::new();
    let dy_dx = g.record(|g| {
        g.watch(&x)?;
        let y = gg.record(|gg| {
            gg.watch(&x)?;
            &x * &x
        })?;
        gg.gradient(&y, &x)
    })?;
    let d2y_dx2 = g.gradient(dy_dx.as_ref().unwrap(), &x)?;
    assert_eq!(repr(&dy_dx), scalar(10.0));
    assert_eq!(repr(&d2y_dx2), scalar(2.0));
    Ok(())
}

#[test]
fn tape_doc_watch_accessed_false() -> Result<()> {
    let x = Variable::new(2.0)?;
    let w = Variable::new(5.0)?;
    let tape = Engine::default_engine().gradient_tape(true, false);
    let (y, z) = tape.record(|t| {
        t.watch_variable(&x)?;
        Ok(((&x).pow(2)?, (&w).pow(3)?))
    })?;
    assert_eq!(repr(&tape.gradient(&y, &x)?), scalar(4.0));
    assert_eq!(repr(&tape.gradient(&z, &w)?), "None");
    Ok(())
}

#[test]
fn tape_integer_source() -> Result<()> {
    let x = constant(1)?;
    let t = GradientTape::new();
    let y = t.record(|t| {
        t.watch(&x)?;
        &x + &x
    })?;
    assert_eq!(repr(&t.gradient(&y, &x)?), "None");
    Ok(())
}

#[test]
fn tape_integer_variable() -> Result<()> {
    let x = Variable::new(3)?;
    let t = GradientTape::new();
    let y = t.record(|_| &x * &x)?;
    assert_eq!(repr(&t.gradient(&y, &x)?), "None");
    assert_eq!(t.watched_variables().len(), 1);
    Ok(())
}

#[test]
fn tape_integer_target() -> Result<()> {
    let x = constant(3.0)?;
    let t = GradientTape::new();
    let y = t.record(|t| {
        t.watch(&x)?;
        x.cast(DType::I32)
    })?;
    assert_eq!(repr(&t.gradient(&y, &x)?), "None");
    Ok(())
}

#[test]
fn tape_noop_gradient() -> Result<()> {
    let x = constant(3.0)?;
    let t = GradientTape::new();
    let y = t.record(|t| {
        t.watch(&x)?;
        Ok(x.clone())
    })?;
    assert_eq!(repr(&t.gradient(&y, &x)?), scalar(1.0));
    Ok(())
}

#[test]
fn tape_multitarget_all_source() -> Result<()> {
    let x = constant(3.0)?;
    let t = GradientTape::new();
    let y = t.record(|t| {
        t.watch(&x)?;
        Ok(x.clone())
    })?;
    assert_eq!(repr(&t.gradients(&[&y, &y], &[&x])?[0]), scalar(2.0));
    Ok(())
}

#[test]
fn tape_multitarget_multisource() -> Result<()> {
    let x = constant(3.0)?;
    let y = constant(5.0)?;
    let t = GradientTape::new();
    let z = t.record(|t| {
        t.watch(&x)?;
        t.watch(&y)?;
        &y * &y
    })?;
    let g = t.gradients(&[&x, &y, &z], &[&x, &y])?;
    assert_eq!((repr(&g[0]), repr(&g[1])), (scalar(1.0), scalar(11.0)));
    Ok(())
}

#[test]
fn tape_noop_multitarget_2x2() -> Result<()> {
    let a = constant_shaped(2.0, &[2, 2])?;
    let tape = GradientTape::persistent();
    tape.record(|t| t.watch(&a))?;
    let g = tape.gradients(&[&a, &a], &[&a])?;
    assert_eq!(repr(&g[0]), "<tf.Tensor: shape=(2, 2), dtype=float32, numpy=\narray([[2., 2.],\n       [2., 2.]], dtype=float32)>");
    Ok(())
}

#[test]
fn tape_stop_recording_doc() -> Result<()> {
    let x = constant(4.0)?;
    let tape = GradientTape::new();
    let y = tape.record(|t| {
        let _pause = t.stop_recording()?;
        x.pow(2)
    })?;
    assert_eq!(repr(&tape.gradient(&y, &x)?), "None");
    Ok(())
}

#[test]
fn tape_stop_recording_not_entered() {
    let t = GradientTape::new();
    assert_err(t.stop_recording().map(|_| ()), "RuntimeError", "Trying to stop recording a tape which is not recording.");
}

#[test]
fn tape_stop_recording_after_exit() -> Result<()> {
    // SEMANTICS.md §4: a tape whose block already exited says ValueError.
    let t = GradientTape::new();
    t.record(|_| Ok(()))?;
    assert_err(t.stop_recording().map(|_| ()), "ValueError", "Tape is not recording.");
    Ok(())
}

#[test]
fn tape_nonpersistent_gradient_inside_stops_recording() -> Result<()> {
    let x = Variable::new(2.0)?;
    let t = GradientTape::new();
    let g1 = t.record(|t| {
        let y = &x * &x;
        let g1 = t.gradient(&y?, &x)?;
        assert!(!t.is_recording(), "gradient() stopped the non-persistent tape");
        let _z = (&x * 3.)?;
        Ok(g1)
    })?;
    assert_eq!(repr(&g1), scalar(4.0));
    assert_eq!(t.watched_variables()[0].id(), x.id());
    assert!(t.entries().is_empty(), "nothing recorded after the gradient call");
    Ok(())
}

#[test]
fn tape_reset() -> Result<()> {
    let t = GradientTape::new();
    let (v, loss) = t.record(|t| {
        let v = Variable::new(1.0)?;
        let loss = (&v * &v)?;
        t.reset()?;
        let loss = (&loss + &(&v * &v)?)?;
        Ok((v, loss))
    })?;
    assert_eq!(repr(&t.gradient(&loss, &v)?), scalar(2.0));
    Ok(())
}

#[test]
fn tape_automatic_watched_variables() -> Result<()> {
    let t = GradientTape::new();
    let mut counts = vec![];
    let v = t.record(|t| {
        counts.push(t.watched_variables().len());
        let v = Variable::new(1.0)?;
        let loss = (&v * &v)?;
        counts.push(t.watched_variables().len());
        t.reset()?;
        counts.push(t.watched_variables().len());
        let _loss = (&loss + &(&v * &v)?)?;
        counts.push(t.watched_variables().len());
        Ok(v)
    })?;
    assert_eq!(counts, vec![0, 1, 0, 1]);
    assert_eq!(t.watched_variables()[0].id(), v.id());
    Ok(())
}

#[test]
fn tape_gradient_within_block() -> Result<()> {
    let v1 = Variable::new(1.)?;
    let t = GradientTape::new();
    let grad1 = t.record(|t| {
        let loss = (2 * &v1)?;
        t.gradient(&loss, &v1)
    })?;
    let t2 = GradientTape::persistent();
    let grad2 = t2.record(|t2| {
        let loss = (2 * &v1)?;
        let g = t2.gradient(&loss, &v1)?;
        assert!(t2.is_recording(), "a persistent tape keeps recording");
        Ok(g)
    })?;
    assert_eq!((repr(&grad1), repr(&grad2)), (scalar(2.0), scalar(2.0)));
    Ok(())
}

#[test]
fn tape_watching_is_tape_local() -> Result<()> {
    let e = Engine::default_engine();
    let x1 = Variable::with_options(&e.constant(2.0)?, false, "Variable")?;
    let x2 = Variable::with_options(&e.constant(2.0)?, false, "Variable")?;
    let tape1 = GradientTape::new();
    let tape2 = GradientTape::new();
    let (dy, dz) = tape1.record(|tape1| {
        tape2.record(|tape2| {
            tape1.watch_variable(&x1)?;
            tape2.watch_variable(&x1)?;
            tape2.watch_variable(&x2)?;
            let y = x1.read().pow(3)?;
            let z = x2.read().pow(2)?;
            let g = tape2.gradients(&[&y, &z], &[&x1, &x2])?;
            Ok((g[0].clone().unwrap(), g[1].clone().unwrap()))
        })
    })?;
    let d2 = tape1.gradients(&[&dy, &dz], &[&x1, &x2])?;
    assert_eq!((dy.to_string(), dz.to_string()), (scalar(12.0), scalar(4.0)));
    assert_eq!((repr(&d2[0]), repr(&d2[1])), (scalar(12.0), "None".to_string()));
    Ok(())
}

#[test]
fn tape_reenter_context() -> Result<()> {
    let g = GradientTape::new();
    let (x, y) = g.record(|g| {
        let x = constant(3.0)?;
        g.watch(&x)?;
        let y = (2 * &x)?;
        Ok((x, y))
    })?;
    let z = g.record(|_| 2 * &y)?;
    assert_eq!(repr(&g.gradients(&[&z], &[&x])?[0]), scalar(4.0));
    Ok(())
}

#[test]
fn tape_reenter_while_recording_is_an_error() -> Result<()> {
    let g = GradientTape::new();
    g.record(|g| {
        assert_err(g.start(), "ValueError", "Tape is still recording, This can happen if you try to re-enter an already-active tape.");
        Ok(())
    })
}

#[test]
fn tape_repeated_source() -> Result<()> {
    let g = GradientTape::new();
    let (x, y) = g.record(|g| {
        let x = constant(3.0)?;
        g.watch(&x)?;
        Ok((x.clone(), (2 * &x)?))
    })?;
    let r = g.gradients(&[&y], &[&x, &x])?;
    assert_eq!((repr(&r[0]), repr(&r[1])), (scalar(2.0), scalar(2.0)));
    Ok(())
}

#[test]
fn tape_persistent_repeated_source() -> Result<()> {
    let g = GradientTape::persistent();
    let (x, y, z) = g.record(|g| {
        let x = constant(3.0)?;
        let y = constant(5.0)?;
        g.watch(&x)?;
        g.watch(&y)?;
        let z = ((&x * &x)? + &(&x * &y)?)?;
        Ok((x, y, z))
    })?;
    let a = g.gradients(&[&z], &[&x, &x])?;
    let b = g.gradients(&[&z], &[&y, &x])?;
    assert_eq!((repr(&a[0]), repr(&a[1])), (scalar(11.0), scalar(11.0)));
    assert_eq!((repr(&b[0]), repr(&b[1])), (scalar(3.0), scalar(11.0)));
    Ok(())
}
