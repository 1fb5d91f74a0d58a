//! All-reduce throughput of a 16M-float gradient through gradtape-distributed
//! (`allreduce`, and `grouped_allreduce` of the same floats cut into 64
//! tensors: one fused buffer at the default 64 MiB threshold, which adds
//! fusion's pack and unpack copies). Its twin,
//! `plain_allreduce.c` (`MPI_Allreduce` on a bare buffer), runs in the same
//! `benches/mpi_bench.sh` for the comparison.
//!
//! `mpirun -np N target/release/examples/bench_allreduce [ELEMENTS] [ITERS]`.
//! Rank 0 prints one line per variant: the median time of a call (each
//! call starts after a barrier), the algorithm bandwidth (bytes / time) and
//! the bus bandwidth (× 2(N-1)/N, the bytes each rank moves in a ring).

use std::time::Instant;

use gradtape_distributed::{self as hvd, ReduceOp};
use gradtape_core::Element;
use gradtape_engine::{Engine, Tensor};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn line(what: &str, n: usize, size: usize, secs: f64) {
    let bytes = (n * 4) as f64;
    let bus = bytes * 2.0 * (size as f64 - 1.0) / size as f64;
    println!(
        "{what:<34} np={size} elements={n} median {:8.2} ms  algbw {:6.2} GB/s  busbw {:6.2} GB/s",
        secs * 1e3,
        bytes / secs / 1e9,
        bus / secs / 1e9
    );
}

fn main() -> Result<(), gradtape_core::Error> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(16 << 20);
    let iters: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(20);
    let _mpi = hvd::init()?;
    let (rank, size) = (hvd::rank()?, hvd::size()?);
    let e = Engine::cpu();
    let x = e.from_vec(vec![rank as f32 + 1.0; n], &[n])?;
    let parts: Vec<Tensor> = (0..64).map(|i| e.from_vec(vec![i as f32; n / 64], &[n / 64])).collect::<Result<_, _>>()?;
    let part_refs: Vec<&Tensor> = parts.iter().collect();
    let mut single = Vec::new();
    let mut grouped = Vec::new();
    for i in 0..iters + 2 {
        hvd::barrier()?;
        let t = Instant::now();
        let y = hvd::allreduce(&x, ReduceOp::Sum)?;
        let dt = t.elapsed().as_secs_f64();
        hvd::barrier()?;
        let t = Instant::now();
        let g = hvd::grouped_allreduce(&part_refs, ReduceOp::Sum)?;
        let dg = t.elapsed().as_secs_f64();
        // The first two calls fault the pages in; they are not timed.
        if i >= 2 {
            single.push(dt);
            grouped.push(dg);
        }
        let want = (size * (size + 1) / 2) as f32;
        // Read in place (no copy), so the loop's only big buffers are the
        // results, which the engine's pool hands back to the next call.
        let last = |t: &Tensor| t.try_data().map(|d| <f32 as Element>::unwrap_ref(&d).and_then(|v| v.last().copied()));
        if last(&y)? != Some(want) || last(&g[63])? != Some(63.0 * size as f32) {
            return Err(gradtape_core::Error::Runtime("the all-reduce gave a wrong sum".into()));
        }
    }
    if rank == 0 {
        line("gradtape allreduce", n, size, median(single));
        line("gradtape grouped_allreduce (64 t)", n, size, median(grouped));
    }
    Ok(())
}
