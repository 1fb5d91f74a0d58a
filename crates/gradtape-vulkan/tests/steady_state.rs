//! In steady state the device layer allocates nothing per op: after a
//! warm-up flush, an identical flush creates no device buffer and no
//! pipeline (they come from the pool and the cache), and recording more ops
//! makes no more host allocations either: a flush's few allocations (its
//! command buffer, fence, growth of its lists) do not grow with its ops.
//!
//! Skipped, with a line on stderr, where there is no Vulkan device.

#![cfg(feature = "vulkan")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use gradtape_core::{DType, HostData, Result};
use gradtape_core::registry::{BinaryOp, ReduceOp, UnaryOp};
use gradtape_vulkan::ops::fused::Fused;
use gradtape_vulkan::{DeviceBuffer, VulkanDevice};

/// Counts heap allocations (calls, not bytes).
struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// The counts are of the whole process: one test at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn device() -> Option<VulkanDevice> {
    match VulkanDevice::shared() {
        Ok(d) => Some(d),
        Err(e) => {
            eprintln!("skipped: {e}");
            None
        }
    }
}

/// One flush of `steps` rounds of every kind of dispatch the engine
/// records: elementwise, broadcast, fused chain, matmul, reduction and a
/// transpose, each reading the previous round's output (so every round
/// also needs a barrier). Output buffers are dropped as the engine drops
/// them, once the next round has read them.
fn flush(dev: &VulkanDevice, x: &DeviceBuffer, w: &DeviceBuffer, steps: usize) -> Result<()> {
    let mut b = dev.batch();
    let mut h = x.clone();
    for _ in 0..steps {
        let u = b.alloc(DType::F32, 64)?;
        b.unary(UnaryOp::Neg, &h, &u)?;
        let v = b.alloc(DType::F32, 64)?;
        b.binary(BinaryOp::Add, &u, &[8, 8], w, &[8], &v, &[8, 8])?;
        let f = b.alloc(DType::F32, 64)?;
        let mut chain = Fused::new(64);
        let (r0, r1) = (chain.input(&v).expect("registers"), chain.input(&u).expect("registers"));
        let r2 = chain.binary(BinaryOp::Add, r0, r1).expect("registers");
        let r3 = chain.unary(UnaryOp::Exp, r2).expect("registers");
        chain.output(r3, &f);
        b.fused(&chain)?;
        let m = b.alloc(DType::F32, 64)?;
        b.matmul(&f, &[8, 8], &v, &[8, 8], false, true, &m, &[8, 8])?;
        let s = b.alloc(DType::F32, 8)?;
        b.reduce(ReduceOp::Sum, &m, &[8, 8], &[0], &s)?;
        let t = b.alloc(DType::F32, 64)?;
        b.transpose(&m, &[8, 8], &[1, 0], &t)?;
        h = t;
    }
    b.submit()?;
    Ok(())
}

#[test]
fn steady_state_allocates_nothing_per_op() -> Result<()> {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(dev) = device() else { return Ok(()) };
    let mut setup = dev.batch();
    let x = setup.upload(&HostData::F32((0..64).map(|i| i as f32 / 64.0).collect()))?;
    let w = setup.upload(&HostData::F32(vec![0.5; 8]))?;
    setup.submit()?;

    // Warm-up: the pipelines compile, the pool fills, the lists grow.
    flush(&dev, &x, &w, 400)?;
    flush(&dev, &x, &w, 400)?;

    let (buffers, pipelines) = (dev.buffers_created(), dev.pipelines_cached());
    let a0 = ALLOCS.load(Ordering::Relaxed);
    flush(&dev, &x, &w, 100)?;
    let small = ALLOCS.load(Ordering::Relaxed) - a0;
    let a1 = ALLOCS.load(Ordering::Relaxed);
    flush(&dev, &x, &w, 400)?;
    let large = ALLOCS.load(Ordering::Relaxed) - a1;

    assert_eq!(dev.buffers_created(), buffers, "device buffers created in steady state");
    assert_eq!(dev.pipelines_cached(), pipelines, "pipelines built in steady state");
    // 300 more rounds are 1,800 more dispatches. A flush's lists double a
    // few more times for them (log2 of 4x), so allow a handful; one
    // allocation per op would be 1,800.
    eprintln!("host allocations: {small} for a flush of 100 rounds, {large} for 400");
    let extra = large.saturating_sub(small);
    assert!(extra <= 16, "a flush of 100 rounds allocated {small} times, of 400 rounds {large} times");
    Ok(())
}

#[test]
fn device_buffers_are_16_byte_aligned() -> Result<()> {
    // The vec4 matmul relies on it (ops/matmul.rs `kernel` checks, and
    // falls back to the scalar kernel, but should not have to).
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(dev) = device() else { return Ok(()) };
    let mut b = dev.batch();
    for len in [1, 3, 5, 64, 1000, 4099] {
        let buf = b.alloc(DType::F32, len)?;
        assert_eq!(buf.addr() % 16, 0, "a buffer of {len} float32 at {:#x}", buf.addr());
    }
    Ok(())
}
