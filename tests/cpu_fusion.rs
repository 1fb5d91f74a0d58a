//! CPU elementwise fusion: a chain flushed at once runs as one blocked pass
//! (`Stats::fused` counts its ops) and gives the same bits as the same ops
//! flushed one by one; values a handle or a tape holds are still written.

use std::sync::{Mutex, MutexGuard};

use gradtape::backend::fuse;
use gradtape::*;

/// The fusion minimum is process-wide: tests take turns, each setting it.
fn fuse_from(min: usize) -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    let g = TURN.lock().unwrap_or_else(|e| e.into_inner());
    fuse::set_min_elements(min);
    g
}

/// Deterministic values of every dtype, varied in sign and size.
fn vals(n: usize, seed: u32) -> Vec<f32> {
    (0..n).map(|i| ((i as f32 + seed as f32 * 7.3) * 0.37).sin() * 3.0).collect()
}

fn f32s(e: &Engine, dims: &[usize], seed: u32) -> Tensor {
    e.from_vec(vals(dims.iter().product(), seed), dims).unwrap()
}

fn f64s(e: &Engine, dims: &[usize], seed: u32) -> Tensor {
    e.from_vec(vals(dims.iter().product(), seed).into_iter().map(f64::from).collect::<Vec<f64>>(), dims).unwrap()
}

fn i32s(e: &Engine, dims: &[usize], seed: u32) -> Tensor {
    e.from_vec(vals(dims.iter().product(), seed).into_iter().map(|x| (x * 10.0) as i32).collect::<Vec<i32>>(), dims).unwrap()
}

fn i64s(e: &Engine, dims: &[usize], seed: u32) -> Tensor {
    e.from_vec(vals(dims.iter().product(), seed).into_iter().map(|x| (x * 1e6) as i64).collect::<Vec<i64>>(), dims).unwrap()
}

/// The value's bits, so NaNs and signed zeros compare exactly.
fn bits(t: &Tensor) -> (Vec<usize>, DType, Vec<u64>) {
    let d = t.data();
    let b = match &*d {
        HostData::F32(v) => v.iter().map(|x| u64::from(x.to_bits())).collect(),
        HostData::F64(v) => v.iter().map(|x| x.to_bits()).collect(),
        HostData::I32(v) => v.iter().map(|&x| x as u64).collect(),
        HostData::I64(v) => v.iter().map(|&x| x as u64).collect(),
        HostData::Bool(v) => v.iter().map(|&x| x as u64).collect(),
        // Exact in float64: every narrow value is one.
        other => other.to_f64_vec().iter().map(|x| x.to_bits()).collect(),
    };
    (t.dims().to_vec(), t.dtype(), b)
}

type Step<'a> = &'a dyn Fn(Tensor) -> Tensor;

/// Builds the chain twice: once in one flush, once flushing after every op
/// (`step`); asserts the same bits and returns how many ops ran fused.
fn same_bits(build: impl Fn(&Engine, Step) -> Result<Vec<Tensor>>) -> u64 {
    // Every chain here fuses, however small (the default leaves small ones unfused).
    let _turn = fuse_from(0);
    let e = Engine::new(Device::Cpu).unwrap();
    let outs = build(&e, &|t| t).unwrap();
    let fused: Vec<_> = outs.iter().map(bits).collect();
    let n = e.stats().fused;
    let s = Engine::new(Device::Cpu).unwrap();
    let each = |t: Tensor| {
        s.flush();
        t
    };
    let outs = build(&s, &each).unwrap();
    let single: Vec<_> = outs.iter().map(bits).collect();
    assert_eq!(s.stats().fused, 0, "ops flushed one by one never fuse");
    assert_eq!(fused, single);
    n
}

#[test]
fn the_benchmark_chain_fuses_and_keeps_its_bits() {
    // relu(x * w + b) * s - t, over several blocks and a partial one.
    for n in [1, 5, 8192, 8193, 70_001] {
        let fused = same_bits(|e, st| {
            let [x, w, b, s, t] = [1, 2, 3, 4, 5].map(|k| f32s(e, &[n], k));
            let y = st((&x * &w)?);
            let y = st((&y + &b)?);
            let y = st(y.relu()?);
            let y = st((&y * &s)?);
            Ok(vec![st((&y - &t)?)])
        });
        assert_eq!(fused, 5, "n = {n}");
    }
}

#[test]
fn broadcast_and_scalar_operands_fuse() {
    let fused = same_bits(|e, st| {
        let x = f32s(e, &[3, 40_000], 1);
        let bias = f32s(e, &[40_000], 2);
        let col = f32s(e, &[3, 1], 3);
        let y = st((&x + &bias)?);
        let y = st((&y * 0.5)?);
        let y = st((&y - &col)?);
        let y = st(y.exp()?);
        let c = st(y.greater(1.0)?);
        let z = st(c.select(&y, &x)?);
        Ok(vec![st(z.cast(DType::F64)?)])
    });
    assert_eq!(fused, 7);
    // Both operands broadcast in the chain's first op.
    let fused = same_bits(|e, st| {
        let a = f32s(e, &[4, 1], 1);
        let b = f32s(e, &[1, 5], 2);
        let y = st((&a * &b)?);
        Ok(vec![st(y.tanh()?)])
    });
    assert_eq!(fused, 2);
}

#[test]
fn every_dtype_fuses_with_the_same_bits() {
    let fused = same_bits(|e, st| {
        let (a, b) = (f64s(e, &[9000], 1), f64s(e, &[9000], 2));
        let y = st(a.sin()?);
        let y = st((&y * &b)?);
        let y = st(y.sigmoid()?);
        let y = st(y.abs()?);
        let y = st(y.sqrt()?);
        let y = st(y.log()?);
        Ok(vec![st((&y / &b)?)])
    });
    assert_eq!(fused, 7);
    let fused = same_bits(|e, st| {
        let (a, b, c) = (i32s(e, &[9000], 1), i32s(e, &[9000], 2), i32s(e, &[9000], 3));
        let y = st((&a * &b)?);
        let y = st((&y + &c)?);
        let y = st(y.abs()?);
        let y = st(y.maximum(&c)?);
        let m = st(y.equal(&a)?);
        let m = st(m.not_equal(&m)?);
        Ok(vec![st(m.cast(DType::I32)?)])
    });
    assert_eq!(fused, 7);
    let fused = same_bits(|e, st| {
        let (a, b) = (i64s(e, &[100], 1), i64s(e, &[100], 2));
        let y = st((&a - &b)?);
        let y = st(y.square()?);
        let y = st(y.neg()?);
        Ok(vec![st(y.cast(DType::F32)?)])
    });
    assert_eq!(fused, 4);
}

#[test]
fn scalar_and_empty_shapes() {
    let fused = same_bits(|e, st| {
        let (a, b) = (e.constant(1.5f32)?, e.constant(-2.25f32)?);
        let y = st((&a * &b)?);
        let y = st(y.neg()?);
        Ok(vec![st((&y + &a)?)])
    });
    assert_eq!(fused, 3);
    // Nothing to compute: empty outputs run unfused, with the same result.
    let fused = same_bits(|e, st| {
        let (a, b) = (f32s(e, &[0, 5], 1), f32s(e, &[5], 2));
        let y = st((&a + &b)?);
        Ok(vec![st(y.exp()?)])
    });
    assert_eq!(fused, 0);
}

#[test]
fn values_held_outside_the_chain_are_written() {
    // `mid` keeps a handle and `side` is read by a matmul, which closes the
    // chain mid, side, y (relu(y) then runs alone): all correct, same bits.
    let fused = same_bits(|e, st| {
        let (x, w) = (f32s(e, &[20, 20], 1), f32s(e, &[20, 20], 2));
        let mid = st((&x * &w)?);
        let side = st(mid.exp()?);
        let y = st((&side + &mid)?);
        let m = st(side.matmul(&w)?);
        let z = st(y.relu()?);
        Ok(vec![mid, z, m])
    });
    assert_eq!(fused, 3);
}

#[test]
fn a_tape_over_a_fused_chain_gives_the_unfused_gradient() {
    let _turn = fuse_from(0);
    let grads = |fuse: bool| {
        let e = Engine::new(Device::Cpu).unwrap();
        let (x, w, b) = (f32s(&e, &[9000], 1), f32s(&e, &[9000], 2), f32s(&e, &[9000], 3));
        let tape = e.gradient_tape(false, true);
        let step = |t: Tensor| {
            if !fuse {
                e.flush();
            }
            t
        };
        let loss = tape
            .record(|tp| {
                tp.watch(&x)?;
                let y = step((&x * &w)?);
                let y = step((&y + &b)?);
                let y = step(y.tanh()?);
                step((&y * &y)?).reduce_sum()
            })
            .unwrap();
        let g = tape.gradient(&loss, &x).unwrap().unwrap();
        let out = (bits(&loss), bits(&g));
        (out, e.stats().fused)
    };
    let (fused, n) = grads(true);
    let (single, _) = grads(false);
    assert!(n >= 4, "the forward chain fused ({n} ops)");
    assert_eq!(fused, single);
}

#[test]
fn dead_intermediates_leave_no_entities() {
    let _turn = fuse_from(0);
    let e = Engine::new(Device::Cpu).unwrap();
    let (x, w) = (f32s(&e, &[10_000], 1), f32s(&e, &[10_000], 2));
    let base = e.entity_count();
    for _ in 0..3 {
        let y = ((((&x * &w).unwrap() + &x).unwrap().relu().unwrap()) - &w).unwrap();
        e.flush();
        drop(y);
    }
    assert_eq!(e.entity_count(), base);
    assert_eq!(e.stats().fused, 12);
}

#[test]
fn the_default_minimum_leaves_small_chains_unfused() {
    let _turn = fuse_from(fuse::MIN_ELEMENTS);
    let e = Engine::new(Device::Cpu).unwrap();
    let small = f32s(&e, &[fuse::MIN_ELEMENTS - 1], 1);
    let big = f32s(&e, &[fuse::MIN_ELEMENTS], 1);
    let y = ((&small * &small).unwrap().exp().unwrap() - &small).unwrap();
    e.flush();
    assert_eq!(e.stats().fused, 0);
    let z = ((&big * &big).unwrap().exp().unwrap() - &big).unwrap();
    e.flush();
    assert_eq!(e.stats().fused, 3);
    drop((y, z));
}
