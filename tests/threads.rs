//! Threads: handles are `Send + Sync`; eight threads running ops and tapes
//! on one engine at once get, bit for bit, what one thread running the same
//! programs in turn gets; and, as in TF, a tape belongs to the thread that
//! started it: ops on other threads are not recorded by it.

use std::sync::Barrier;

use gradtape::*;

// Checked when this file compiles: handles cross threads.
const _: fn() = || {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Tensor>();
    send_sync::<Variable>();
    send_sync::<Engine>();
    send_sync::<GradientTape>();
};

const THREADS: usize = 8;

/// Inputs every thread shares: read-only handles made before the threads.
struct Shared {
    x: Tensor,
    w: Tensor,
    big: Tensor,
}

fn shared(e: &Engine) -> Result<Shared> {
    let v = |n: usize, k: f64| -> Vec<f64> { (0..n).map(|i| ((i as f64 * k).sin() * 3.0).round() / 4.0).collect() };
    Ok(Shared {
        x: e.from_vec(v(12, 0.7), &[3, 4])?,
        w: e.from_vec(v(20, 1.3), &[4, 5])?,
        // Large enough that matmul runs on gemm's own thread pool.
        big: e.from_vec(v(96 * 96, 0.01), &[96, 96])?,
    })
}

/// One thread's program: its own variable and tape, ops on shared and
/// private tensors, a gradient, a variable update, a jacobian. Returns every
/// value it computed, as bits.
fn program(e: &Engine, s: &Shared, id: usize, barrier: Option<&Barrier>) -> Result<Vec<Vec<u64>>> {
    let bits = |t: &Tensor| t.to_f64_vec().iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
    let scale = e.from_vec(vec![1.0 + id as f64 / 8.0], &[])?;
    let v = Variable::from_tensor(&s.w.mul(&scale)?)?;
    let mut out = Vec::new();
    for round in 0..4 {
        if let Some(b) = barrier {
            b.wait();
        }
        let tape = e.gradient_tape(true, true);
        let (y, h) = tape.record(|t| {
            t.watch(&s.x)?;
            let h = s.x.matmul(&v.read())?.tanh()?;
            let y = (h.square()?.reduce_sum_axis(1)? + s.x.sin()?.reduce_mean_axis(1)?)?;
            Ok((y.sum()?, h))
        })?;
        let g = tape.gradients(&[&y], &[&s.x, &v])?;
        let jac = tape.jacobians(&h, &[&s.x], Unconnected::None, true)?;
        let gv = g[1].clone().expect("v is used");
        v.assign_sub(&(&gv * 0.01)?)?;
        let m = s.big.matmul(&s.big.mul(&scale)?)?.reduce_sum()?;
        out.extend([bits(&y), bits(&h), bits(g[0].as_ref().expect("x is watched")), bits(&gv)]);
        out.extend([bits(jac[0].as_ref().expect("h depends on x")), bits(&m)]);
        out.push(vec![round as u64, tape.entries().len() as u64]);
    }
    out.push(v.to_vec::<f64>()?.iter().map(|x| x.to_bits()).collect());
    Ok(out)
}

#[test]
fn eight_threads_on_one_engine_match_a_serial_run_bit_for_bit() -> Result<()> {
    let serial = {
        let e = Engine::cpu();
        let s = shared(&e)?;
        (0..THREADS).map(|id| program(&e, &s, id, None)).collect::<Result<Vec<_>>>()?
    };
    let e = Engine::cpu();
    let s = shared(&e)?;
    let base = e.entity_count();
    let barrier = Barrier::new(THREADS);
    let parallel: Vec<Vec<Vec<u64>>> = std::thread::scope(|scope| {
        let handles: Vec<_> =
            (0..THREADS).map(|id| scope.spawn({ let (e, s, b) = (&e, &s, &barrier); move || program(e, s, id, Some(b)) })).collect();
        handles.into_iter().map(|h| h.join().expect("no thread panics")).collect::<Result<Vec<_>>>()
    })?;
    for (id, (p, q)) in parallel.iter().zip(&serial).enumerate() {
        assert!(p == q, "thread {id}'s results differ from the serial run");
    }
    assert_eq!(e.entity_count(), base, "the threads' entities are all gone");
    Ok(())
}

/// TF's tape stack is thread-local: thread B's ops on a tensor that thread
/// A's active tape watches are not recorded by A's tape, and B's own tape
/// records only B's ops.
#[test]
fn a_tape_records_only_its_own_threads_ops() -> Result<()> {
    let e = Engine::cpu();
    let x = e.constant([1.0, 2.0, 3.0])?;
    let v = e.variable([0.5, 0.5, 0.5])?;
    let step = Barrier::new(2);
    std::thread::scope(|scope| -> Result<()> {
        let a = scope.spawn(|| -> Result<()> {
            let tape = e.gradient_tape(false, true);
            tape.start()?;
            tape.watch(&x)?;
            step.wait(); // A is recording and watches x.
            step.wait(); // B has run its ops on x and read v.
            let mine = x.sin()?;
            tape.stop();
            let ops: Vec<&str> = tape.entries().iter().map(|en| en.op).collect();
            assert_eq!(ops, ["Sin"], "A's tape saw only A's op");
            assert!(tape.watched_variables().is_empty(), "B's read of v is not A's");
            let g = tape.gradient(&mine, &x)?.expect("A's own op is on A's tape");
            assert_eq!(g.to_vec::<f32>()?, x.to_vec::<f32>()?.iter().map(|a| a.cos()).collect::<Vec<_>>());
            Ok(())
        });
        let b = scope.spawn(|| -> Result<()> {
            step.wait();
            let tape = e.gradient_tape(true, true);
            let y = tape.record(|_| (&x * &x)?.mul(v.read()))?;
            let _untracked = x.exp()?;
            let ops: Vec<&str> = tape.entries().iter().map(|en| en.op).collect();
            // B's tape watches v (read while it records), not x (watched only by A).
            assert_eq!(ops, ["Identity", "Mul"], "B's tape records B's ops on what it watches");
            assert!(tape.gradient(&y, &x)?.is_none(), "x is not on B's tape");
            assert_eq!(tape.gradient(&y, &v)?.expect("v is").to_vec::<f32>()?, vec![1.0, 4.0, 9.0]);
            step.wait();
            Ok(())
        });
        a.join().expect("A does not panic")?;
        b.join().expect("B does not panic")
    })
}

/// Handles made on one thread may be dropped on another; the engine still
/// frees every entity.
#[test]
fn handles_dropped_on_other_threads_are_freed() -> Result<()> {
    let e = Engine::cpu();
    let base = e.entity_count();
    let made: Vec<Tensor> = (0..64).map(|i| e.constant([i as f32, 1.0])).collect::<Result<_>>()?;
    let sums: Vec<Tensor> = made.windows(2).map(|w| &w[0] + &w[1]).collect::<Result<_>>()?;
    let var = e.variable([1.0, 2.0])?;
    let tape = e.gradient_tape(true, true);
    std::thread::spawn(move || drop((made, sums, var, tape))).join().expect("the drop does not panic");
    assert_eq!(e.entity_count(), base);
    Ok(())
}
