//! Bounded resources: a training loop (linear regression `y = w x + b` with
//! two Variables and a fresh GradientTape per step) holds the same number of
//! entities at every step after warm-up, keeps its resident memory flat,
//! and keeps the engine's buffer pool flat.
//!
//! Always run: 2,000 steps, memory compared between steps 500 and 2,000.
//! `cargo test --release --test resources -- --ignored` runs the 10,000 steps
//! of DESIGN.md (steps 1,000 to 10,000); in a debug build those take longer
//! than a test run should.
//!
//! Tolerances between the two checkpoints: resident memory (`/proc/self/statm`)
//! may grow by less than 8 MiB, the live heap (counted by this binary's
//! global allocator, exact where RSS is noisy) by less than 64 KiB, and the
//! pool's bytes not at all. A leak of one 16 KiB buffer per step shows as
//! 24 MiB over 1,500 steps; bevy's removed-component records, before the
//! engine cleared them, grew the heap by 1.5 KiB a step.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Counts live heap bytes: exact where resident memory is noisy.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LIVE.fetch_add(n as isize - l.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

use gradtape::*;

/// Samples: enough that each step's buffers (16 KiB) are pooled.
const N: usize = 4096;
const MIB: usize = 1 << 20;

/// The loops measure one process's memory: run them one at a time. Each test
/// holds the lock from before its engine is made until after it is dropped,
/// since opening a Vulkan device (lavapipe's JIT and worker threads) grows
/// resident memory by tens of MiB, which another test's loop would count.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Resident set size in bytes, from `/proc/self/statm` (Linux).
fn resident_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

struct Checkpoint {
    rss: Option<usize>,
    live: isize,
    pooled: usize,
}

/// Callers hold `serial()` across the engine's whole life.
fn train(e: Engine, steps: usize, early: usize) -> Result<()> {
    // x in [-1, 1), y = 3x + 2 exactly, so w -> 3 and b -> 2.
    let xs: Vec<f32> = (0..N).map(|i| i as f32 / N as f32 * 2.0 - 1.0).collect();
    let ys: Vec<f32> = xs.iter().map(|x| 3.0 * x + 2.0).collect();
    let x = e.from_vec(xs, &[N, 1])?;
    let y = e.from_vec(ys, &[N, 1])?;
    let w = Variable::from_tensor(&e.zeros(&[1, 1], DType::F32)?)?;
    let b = Variable::from_tensor(&e.zeros(&[1], DType::F32)?)?;
    let lr = 0.1f32;

    let warm_up = 10;
    let mut steady: Option<usize> = None;
    let (mut first, mut last) = (None, None);
    let mut loss_value = f32::NAN;
    for step in 1..=steps {
        let tape = e.gradient_tape(false, true);
        let loss = tape.record(|_| {
            let pred = (x.matmul(&w.read())? + &b.read())?;
            (pred - &y)?.square()?.reduce_mean()
        })?;
        let grads = tape.gradients(&[&loss], &[&w, &b])?;
        let (gw, gb) = (grads[0].as_ref().expect("w is used"), grads[1].as_ref().expect("b is used"));
        w.assign_sub(&(gw * lr)?)?;
        b.assign_sub(&(gb * lr)?)?;
        loss_value = loss.scalar::<f32>()?;
        drop((tape, loss, grads));

        let count = e.entity_count();
        if step == warm_up {
            steady = Some(count);
        } else if step > warm_up {
            assert_eq!(Some(count), steady, "entities at step {step}");
        }
        if step == early || step == steps {
            let c = Checkpoint { rss: resident_bytes(), live: LIVE.load(Ordering::Relaxed), pooled: e.stats().pooled_bytes };
            if step == early { first = Some(c) } else { last = Some(c) }
        }
    }
    assert!(loss_value < 1e-6, "the loop trains: loss {loss_value}");
    let (w1, b1) = (w.to_vec::<f32>()?[0], b.to_vec::<f32>()?[0]);
    assert!((w1 - 3.0).abs() < 1e-3 && (b1 - 2.0).abs() < 1e-3, "w = {w1}, b = {b1}");

    let (first, last) = (first.expect("early checkpoint"), last.expect("last checkpoint"));
    if let (Some(a), Some(z)) = (first.rss, last.rss) {
        let growth = z.saturating_sub(a);
        assert!(growth < 8 * MIB, "resident memory grew {} KiB from step {early} to {steps}", growth / 1024);
    }
    // The heap itself, counted exactly; the slack is for the test harness's own threads.
    let heap_growth = last.live - first.live;
    assert!(heap_growth < 64 * 1024, "live heap grew {heap_growth} bytes from step {early} to {steps}");
    // The pool holds what a step frees, the same at every step.
    assert_eq!(last.pooled, first.pooled, "pooled bytes at steps {early} and {steps}");
    Ok(())
}

#[test]
fn training_2000_steps_keeps_entities_and_memory_flat() -> Result<()> {
    let _serial = serial();
    train(Engine::cpu(), 2_000, 500)
}

/// The same loop on the Vulkan device (lavapipe in CI; 1,000 steps, since a
/// debug build on lavapipe takes about 50 ms a step): device buffers come
/// from its pool, so host memory and entities stay flat there too.
#[cfg(feature = "vulkan")]
#[test]
fn training_1000_steps_on_vulkan_keeps_entities_and_memory_flat() -> Result<()> {
    let _serial = serial();
    match Engine::new(Device::Vulkan) {
        Ok(e) => train(e, 1_000, 250),
        Err(err) => {
            eprintln!("skipped: no Vulkan device ({err})");
            Ok(())
        }
    }
}

#[test]
#[ignore = "10,000 steps: run with --release -- --ignored"]
fn training_10000_steps_keeps_entities_and_memory_flat() -> Result<()> {
    let _serial = serial();
    train(Engine::cpu(), 10_000, 1_000)
}
