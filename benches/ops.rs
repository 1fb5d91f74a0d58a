//! Every op family at a small (4), medium (64K) and large (16M) size, on
//! the device `GRADTAPE_DEVICE` names (the CPU by default; Vulkan with
//! `--features vulkan`). Each iteration queues the op and flushes, so the
//! kernel (and on Vulkan the fence) is inside the timed region.
//!
//! `cargo bench --bench ops` (add `-- binary` to run one family).

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gradtape::{DType, Device, Engine, Idx, Result, Tensor};

const SIZES: [usize; 3] = [4, 64 << 10, 16 << 20];

fn engine() -> Engine {
    let dev = Device::from_env().unwrap_or(Device::Auto);
    Engine::new(dev).unwrap_or_else(|_| Engine::cpu())
}

fn input(e: &Engine, n: usize, seed: u32) -> Tensor {
    let v: Vec<f32> = (0..n).map(|i| ((i as u32).wrapping_mul(2654435761).wrapping_add(seed) % 1000) as f32 / 1000.0 + 0.5).collect();
    e.from_vec(v, &[n]).expect("bench input")
}

/// Times `f(x, y)` plus a flush for each size.
fn family(c: &mut Criterion, name: &str, f: impl Fn(&Tensor, &Tensor) -> Result<Tensor>) {
    let e = engine();
    let mut g = c.benchmark_group(format!("{name}/{}", e.device_info()));
    for n in SIZES {
        let (x, y) = (input(&e, n, 1), input(&e, n, 2));
        if n >= 1 << 20 {
            g.sample_size(10).measurement_time(Duration::from_secs(3));
        }
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                let out = f(&x, &y).expect("bench op");
                e.flush();
                out
            })
        });
    }
    g.finish();
}

fn unary(c: &mut Criterion) {
    family(c, "unary_exp", |x, _| x.exp());
    family(c, "unary_tanh", |x, _| x.tanh());
    // Unary ops inside one fused elementwise chain (the block kernels).
    family(c, "unary_fused", |x, y| ((x * y)?.relu()?.exp()? - y)?.sigmoid());
}

fn binary(c: &mut Criterion) {
    family(c, "binary_add", |x, y| x + y);
    family(c, "binary_mul_scalar", |x, _| x * 2.0);
    family(c, "binary_compare", |x, y| x.greater(y));
}

fn reduce(c: &mut Criterion) {
    family(c, "reduce_sum", |x, _| x.reduce_sum());
    family(c, "reduce_max", |x, _| x.reduce_max());
}

fn movement(c: &mut Criterion) {
    // Square-ish views of the same elements: a transpose, a concat, a strided slice.
    family(c, "movement_transpose", |x, _| {
        let n = x.numel();
        let r = (n as f64).sqrt() as usize;
        x.i(..(r * r) as i64)?.reshape([r as i64, r as i64])?.t()
    });
    family(c, "movement_concat", |x, y| gradtape::concat(&[x.clone(), y.clone()], 0));
    family(c, "index_strided", |x, _| x.index(&[Idx::Range(None, None, 2)]));
}

fn cast_select(c: &mut Criterion) {
    family(c, "cast_f64", |x, _| x.cast(DType::F64));
    family(c, "select", |x, y| x.greater(y)?.select(x, y));
}

fn matmul(c: &mut Criterion) {
    let e = engine();
    let mut g = c.benchmark_group(format!("matmul/{}", e.device_info()));
    // 2x2, 256x256 (64K elements), 4096x4096 (16M elements).
    for n in [2usize, 256, 4096] {
        let a = input(&e, n * n, 3).reshape([n as i64, n as i64]).expect("square");
        let b = input(&e, n * n, 4).reshape([n as i64, n as i64]).expect("square");
        if n >= 1024 {
            g.sample_size(10).measurement_time(Duration::from_secs(10));
        }
        g.throughput(Throughput::Elements((2 * n * n * n) as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |bch, _| {
            bch.iter(|| {
                let out = a.matmul(&b).expect("bench matmul");
                e.flush();
                out
            })
        });
    }
    g.finish();
}

fn tape(c: &mut Criterion) {
    // The backward walk of one elementwise op at each size.
    family(c, "gradient_mul", |x, y| {
        let tape = x.engine().gradient_tape(false, true);
        let z = tape.record(|t| {
            t.watch(x)?;
            x * y
        })?;
        Ok(tape.gradient(&z, x)?.expect("connected"))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = unary, binary, reduce, movement, cast_select, matmul, tape
}
criterion_main!(benches);
