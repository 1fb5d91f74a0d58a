//! FMA-throughput peak of this CPU, the yardstick of the matmul rows in
//! benches/RESULTS.md: independent AVX-512 FMA chains (enough of them to
//! hide the FMA latency), single thread and one thread per core, f32 and f64.
//!
//! ```sh
//! rustc -O -C target-cpu=native benches/fma_peak/main.rs -o /tmp/fma_peak && /tmp/fma_peak
//! ```
use std::arch::x86_64::*;
use std::time::Instant;

const ITERS: u64 = 60_000_000;

#[target_feature(enable = "avx512f")]
unsafe fn f32_chains() -> f32 {
    // 12 accumulators: 4-cycle latency x 2 FMA ports needs at least 8.
    let mut acc = [_mm512_set1_ps(0.0); 12];
    let x = _mm512_set1_ps(1.000_000_1);
    let y = _mm512_set1_ps(0.999_999_9);
    for _ in 0..ITERS / 12 {
        for a in acc.iter_mut() {
            *a = _mm512_fmadd_ps(*a, x, y);
        }
    }
    acc.iter().map(|a| _mm512_reduce_add_ps(*a)).sum()
}

#[target_feature(enable = "avx512f")]
unsafe fn f64_chains() -> f64 {
    let mut acc = [_mm512_set1_pd(0.0); 12];
    let x = _mm512_set1_pd(1.000_000_1);
    let y = _mm512_set1_pd(0.999_999_9);
    for _ in 0..ITERS / 12 {
        for a in acc.iter_mut() {
            *a = _mm512_fmadd_pd(*a, x, y);
        }
    }
    acc.iter().map(|a| _mm512_reduce_add_pd(*a)).sum()
}

/// GFLOP/s of `threads` threads each running `f` (one FMA = 2 flops).
fn rate(threads: usize, lanes: u64, f: fn() -> f64) -> f64 {
    let t = Instant::now();
    let s: f64 = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..threads).map(|_| sc.spawn(f)).collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let dt = t.elapsed().as_secs_f64();
    std::hint::black_box(s);
    (ITERS / 12 * 12) as f64 * lanes as f64 * 2.0 * threads as f64 / dt / 1e9
}

fn main() {
    assert!(is_x86_feature_detected!("avx512f"), "needs AVX-512");
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    let f32r = || unsafe { f32_chains() as f64 };
    let f64r = || unsafe { f64_chains() };
    for (name, lanes, f) in [("f32", 16, f32r as fn() -> f64), ("f64", 8, f64r as fn() -> f64)] {
        for t in [1, n] {
            // best of 25: the peak is what the core can do, not what the load lets it.
            let best = (0..25).map(|_| rate(t, lanes, f)).fold(0.0, f64::max);
            println!("{name} {t} thread(s): {best:.1} GFLOP/s");
        }
    }
}
