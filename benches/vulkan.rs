//! Vulkan timings: f32 matmul 1024 and 4096 (TFLOP/s) and an elementwise
//! add of 16M f32 (GB/s moved), each timed from queueing the op to the
//! fence signalling (`Engine::flush` waits for the batch), with the inputs
//! already on the device and the result left there.
//!
//! `cargo bench --features vulkan --bench vulkan` runs criterion;
//! `GRADTAPE_BENCH_TABLE=1` instead prints one `name ms rate unit` line per
//! workload (the median of several runs), which `benches/vulkan_gpu.sh`
//! puts beside PyTorch's numbers.

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use gradtape::{Device, Engine, Tensor};

struct Work {
    name: &'static str,
    a: Tensor,
    b: Tensor,
    matmul: bool,
    /// FLOPs (matmul) or bytes moved (add) per run.
    amount: f64,
}

fn workloads(e: &Engine) -> Vec<Work> {
    let filled = |n: usize, v: f32| e.from_vec((0..n).map(|i| v * ((i % 17) as f32 - 8.0) / 8.0).collect(), &[n]);
    let mut out = Vec::new();
    for n in [1024usize, 4096] {
        let a = filled(n * n, 0.5).and_then(|t| t.reshape([n as i64, n as i64])).expect("matmul input");
        let b = filled(n * n, 0.25).and_then(|t| t.reshape([n as i64, n as i64])).expect("matmul input");
        let name = if n == 1024 { "matmul_f32_1024" } else { "matmul_f32_4096" };
        out.push(Work { name, a, b, matmul: true, amount: 2.0 * (n as f64).powi(3) });
    }
    let n = 16 << 20;
    out.push(Work {
        name: "add_f32_16M",
        a: filled(n, 1.0).expect("add input"),
        b: filled(n, 2.0).expect("add input"),
        matmul: false,
        amount: 3.0 * 4.0 * n as f64,
    });
    out
}

fn run_once(e: &Engine, w: &Work) {
    let c = if w.matmul { w.a.matmul(&w.b) } else { w.a.add(&w.b) }.expect("op");
    e.flush();
    drop(c);
}

fn engine() -> Engine {
    Engine::new(Device::Vulkan).unwrap_or_else(|err| {
        eprintln!("no Vulkan device: {err}");
        std::process::exit(0)
    })
}

fn table() {
    let e = engine();
    println!("# device: {}", e.device_info());
    for w in workloads(&e) {
        let first = Instant::now();
        run_once(&e, &w); // uploads the inputs, builds the pipeline
        if first.elapsed() > Duration::from_secs(20) {
            // lavapipe takes minutes for a 4096 matmul: the number says nothing.
            println!("# {} skipped: its first run took {:.0} s", w.name, first.elapsed().as_secs_f64());
            continue;
        }
        let mut times = Vec::new();
        let start = Instant::now();
        while times.len() < 5 || (start.elapsed() < Duration::from_secs(3) && times.len() < 50) {
            let t = Instant::now();
            run_once(&e, &w);
            times.push(t.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        let med = times[times.len() / 2];
        let (rate, unit) = if w.matmul { (w.amount / med / 1e12, "TFLOP/s") } else { (w.amount / med / 1e9, "GB/s") };
        println!("{} {:.3} {:.3} {}", w.name, med * 1e3, rate, unit);
    }
}

fn bench(c: &mut Criterion) {
    let e = engine();
    let mut g = c.benchmark_group(format!("vulkan ({})", e.device_info()));
    g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    for w in workloads(&e) {
        g.throughput(Throughput::Elements(w.amount as u64));
        run_once(&e, &w);
        g.bench_function(w.name, |b| b.iter(|| run_once(&e, &w)));
    }
    g.finish();
}

fn main() {
    if std::env::var_os("GRADTAPE_BENCH_TABLE").is_some() {
        table();
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
