//! The collectives on every dtype, on empty and scalar tensors; broadcast
//! and broadcast_variables; mismatches across ranks.

use gradtape_core::{DType, Error};
use gradtape_distributed::{self as hvd, ReduceOp};
use gradtape_engine::{Engine, Tensor, Variable};

use crate::{report, Outcome};

const ALL: &[DType] = DType::ALL;

fn rs() -> (usize, usize) {
    (hvd::rank().expect("initialized"), hvd::size().expect("initialized"))
}

/// A tensor of `dtype` holding `vals` (converted as `tf.cast` does).
fn tensor(e: &Engine, vals: &[f64], dims: &[usize], dtype: DType) -> Result<Tensor, Error> {
    e.from_slice(vals, dims)?.cast(dtype)
}

fn same(what: &str, got: &Tensor, dims: &[usize], dtype: DType, want: &[f64]) -> Result<(), String> {
    if got.dims() != dims || got.dtype() != dtype {
        return Err(format!("{what}: got {:?} {}, want {dims:?} {dtype}", got.dims(), got.dtype()));
    }
    let v = got.to_f64_vec();
    if v != want {
        return Err(format!("{what} on {dtype}: got {v:?}, want {want:?}"));
    }
    Ok(())
}

fn e2s(e: Error) -> String {
    e.to_string()
}

fn allreduce_every_dtype() -> Outcome {
    let (r, n) = rs();
    let e = Engine::cpu();
    // Rank r holds [r+1, 3-r, 2, r%2]: small enough that every dtype's sum,
    // product and mean are exact.
    let mine = |r: usize| vec![r as f64 + 1.0, 3.0 - r as f64, 2.0, (r % 2) as f64];
    let ranks: Vec<Vec<f64>> = (0..n).map(mine).collect();
    for &dt in ALL {
        let x = tensor(&e, &mine(r), &[2, 2], dt).map_err(e2s)?;
        // The rank's values as this dtype sees them (bool: nonzero).
        let conv = |v: Vec<f64>| -> Vec<f64> {
            v.into_iter().map(|x| if dt == DType::Bool { (x != 0.0) as u8 as f64 } else { x }).collect()
        };
        let cast_ranks: Vec<Vec<f64>> = ranks.iter().map(|v| conv(v.clone())).collect();
        let cfold = |f: &dyn Fn(f64, f64) -> f64| -> Vec<f64> {
            (0..4).map(|i| cast_ranks.iter().map(|v| v[i]).reduce(f).expect("one rank")).collect()
        };
        let sum = cfold(&|a, b| a + b);
        let want_sum: Vec<f64> = if dt == DType::Bool { sum.iter().map(|&s| (s > 0.0) as u8 as f64).collect() } else { sum.clone() };
        same("Sum", &hvd::allreduce(&x, ReduceOp::Sum).map_err(e2s)?, &[2, 2], dt, &want_sum)?;
        same("Max", &hvd::allreduce(&x, ReduceOp::Max).map_err(e2s)?, &[2, 2], dt, &cfold(&f64::max))?;
        same("Min", &hvd::allreduce(&x, ReduceOp::Min).map_err(e2s)?, &[2, 2], dt, &cfold(&f64::min))?;
        same("Product", &hvd::allreduce(&x, ReduceOp::Product).map_err(e2s)?, &[2, 2], dt, &cfold(&|a, b| a * b))?;
        let avg = hvd::allreduce(&x, ReduceOp::Average);
        match dt {
            DType::Bool => match avg {
                Err(Error::InvalidArgument(m)) if m.contains("Average is not defined for bool") => {}
                other => return Err(format!("Average on bool: want the InvalidArgument Err, got {other:?}")),
            },
            d if d.is_int() => {
                let want: Vec<f64> = sum.iter().map(|&s| (s / n as f64).trunc()).collect();
                same("Average", &avg.map_err(e2s)?, &[2, 2], dt, &want)?;
            }
            _ => {
                // The mean rounded once into the dtype (float16's too).
                let exact: Vec<f64> = sum.iter().map(|&s| s / n as f64).collect();
                let want = tensor(&e, &exact, &[2, 2], dt).map_err(e2s)?.to_f64_vec();
                same("Average", &avg.map_err(e2s)?, &[2, 2], dt, &want)?;
            }
        }
    }
    Ok(String::new())
}

fn empty_and_scalar() -> Outcome {
    let (r, n) = rs();
    let e = Engine::cpu();
    for &dt in ALL {
        for dims in [vec![0], vec![3, 0, 2]] {
            let x = tensor(&e, &[], &dims, dt).map_err(e2s)?;
            same("allreduce of empty", &hvd::allreduce(&x, ReduceOp::Sum).map_err(e2s)?, &dims, dt, &[])?;
            same("broadcast of empty", &hvd::broadcast(&x, n - 1).map_err(e2s)?, &dims, dt, &[])?;
            let g = hvd::allgather(&x).map_err(e2s)?;
            let mut gd = dims.clone();
            gd[0] *= n;
            same("allgather of empty", &g, &gd, dt, &[])?;
        }
        let s = tensor(&e, &[(r % 2) as f64 + 1.0], &[], dt).map_err(e2s)?;
        let one = |x: f64| if dt == DType::Bool { (x != 0.0) as u8 as f64 } else { x };
        let sum: f64 = (0..n).map(|q| one((q % 2) as f64 + 1.0)).sum();
        let want = if dt == DType::Bool { 1.0 } else { sum };
        same("allreduce of a scalar", &hvd::allreduce(&s, ReduceOp::Sum).map_err(e2s)?, &[], dt, &[want])?;
        same("broadcast of a scalar", &hvd::broadcast(&s, 0).map_err(e2s)?, &[], dt, &[one(1.0)])?;
        let all: Vec<f64> = (0..n).map(|q| one((q % 2) as f64 + 1.0)).collect();
        same("allgather of scalars", &hvd::allgather(&s).map_err(e2s)?, &[n], dt, &all)?;
    }
    Ok(String::new())
}

fn allgather_uneven_rows() -> Outcome {
    let (r, n) = rs();
    let e = Engine::cpu();
    for &dt in ALL {
        // Rank r sends r rows (rank 0 none) of [r, r+1, r+2].
        let vals: Vec<f64> = (0..r).flat_map(|_| [r as f64, r as f64 + 1.0, r as f64 + 2.0]).collect();
        let x = tensor(&e, &vals, &[r, 3], dt).map_err(e2s)?;
        let g = hvd::allgather(&x).map_err(e2s)?;
        let want: Vec<f64> = (0..n)
            .flat_map(|q| (0..q).flat_map(move |_| [q as f64, q as f64 + 1.0, q as f64 + 2.0]))
            .map(|x| if dt == DType::Bool { (x != 0.0) as u8 as f64 } else { x })
            .collect();
        same("allgather", &g, &[n * (n - 1) / 2, 3], dt, &want)?;
    }
    Ok(String::new())
}

fn broadcast_every_dtype() -> Outcome {
    let (r, n) = rs();
    let e = Engine::cpu();
    let root = n - 1;
    for &dt in ALL {
        let x = tensor(&e, &[r as f64, 1.0, r as f64 + 2.0], &[3], dt).map_err(e2s)?;
        let want: Vec<f64> = [root as f64, 1.0, root as f64 + 2.0]
            .into_iter()
            .map(|x| if dt == DType::Bool { (x != 0.0) as u8 as f64 } else { x })
            .collect();
        same("broadcast", &hvd::broadcast(&x, root).map_err(e2s)?, &[3], dt, &want)?;
    }
    match hvd::broadcast(&tensor(&e, &[1.0], &[1], DType::F32).map_err(e2s)?, n) {
        Err(Error::InvalidArgument(m)) if m.contains("out of range") => Ok(String::new()),
        other => Err(format!("a root out of range: want Err, got {other:?}")),
    }
}

fn broadcast_variables_equalize() -> Outcome {
    let (r, n) = rs();
    let e = Engine::cpu();
    let rf = r as f64;
    let w = Variable::from_tensor(&e.from_slice(&[rf, rf * 2.0, -rf], &[3]).map_err(e2s)?).map_err(e2s)?;
    let k = Variable::from_tensor(&e.from_slice(&[r as f32 + 0.5; 4], &[2, 2]).map_err(e2s)?).map_err(e2s)?;
    let c = Variable::from_tensor(&e.from_slice(&[r as i64 * 7], &[]).map_err(e2s)?).map_err(e2s)?;
    let b = Variable::from_tensor(&e.from_slice(&[r % 2 == 1, true], &[2]).map_err(e2s)?).map_err(e2s)?;
    let ids = [w.id(), k.id(), c.id(), b.id()];
    let root = n / 2;
    hvd::broadcast_variables(&[&w, &k, &c, &b], root).map_err(e2s)?;
    if [w.id(), k.id(), c.id(), b.id()] != ids {
        return Err("broadcast_variables replaced a variable instead of assigning it".into());
    }
    // Every rank's values, gathered: all rows must be the root's.
    for v in [&w, &k, &c, &b] {
        let mine = v.read();
        let flat = mine.reshape([1, mine.numel() as i64]).map_err(e2s)?;
        let all = hvd::allgather(&flat).map_err(e2s)?.to_f64_vec();
        let row = mine.numel();
        for q in 1..n {
            if all[q * row..(q + 1) * row] != all[..row] {
                return Err(format!("rank {q} differs from rank 0 after broadcast_variables: {all:?}"));
            }
        }
    }
    let rt = root as f64;
    if w.to_vec::<f64>().map_err(e2s)? != vec![rt, rt * 2.0, -rt] || c.to_vec::<i64>().map_err(e2s)? != vec![root as i64 * 7] {
        return Err(format!("not the root's values: w = {w}, c = {c}"));
    }
    if k.to_vec::<f32>().map_err(e2s)? != vec![root as f32 + 0.5; 4] || b.to_vec::<bool>().map_err(e2s)? != vec![root % 2 == 1, true] {
        return Err(format!("not the root's values: k = {k}, b = {b}"));
    }
    Ok(String::new())
}

fn grouped_allreduce_fuses() -> Outcome {
    let (r, n) = rs();
    let e = Engine::cpu();
    let ts: Vec<Tensor> = (0..20)
        .map(|i| {
            let dt = if i % 3 == 0 { DType::F64 } else { DType::F32 };
            tensor(&e, &[r as f64 + i as f64; 5], &[5], dt)
        })
        .collect::<Result<_, _>>()
        .map_err(e2s)?;
    let refs: Vec<&Tensor> = ts.iter().collect();
    let before = hvd::stats();
    let out = hvd::grouped_allreduce(&refs, ReduceOp::Sum).map_err(e2s)?;
    let after = hvd::stats();
    for (i, o) in out.iter().enumerate() {
        let want = (0..n).map(|q| q as f64 + i as f64).sum::<f64>();
        same("grouped_allreduce", o, &[5], ts[i].dtype(), &[want; 5])?;
    }
    let calls = after.data_calls - before.data_calls;
    if calls != 2 {
        return Err(format!("20 tensors of two dtypes took {calls} data collectives, want 2 (one per dtype)"));
    }
    Ok(format!("(20 tensors, {calls} data collectives, {} handshake)", after.handshakes - before.handshakes))
}

fn expect_mismatch(what: &str, got: Result<Tensor, Error>, needles: &[&str]) -> Result<(), String> {
    match got {
        Err(e) if needles.iter().all(|n| e.message().contains(n)) => Ok(()),
        Err(e) => Err(format!("{what}: the Err does not name {needles:?}: {e}")),
        Ok(t) => Err(format!("{what}: want Err, got {t}")),
    }
}

fn mismatches_err_on_every_rank() -> Outcome {
    let (r, n) = rs();
    if n == 1 {
        return Ok("(needs two ranks)".into());
    }
    let e = Engine::cpu();
    let odd = r == n - 1;
    let dims: &[usize] = if odd { &[3, 2] } else { &[2, 3] };
    let x = e.zeros(dims, DType::F32).map_err(e2s)?;
    let odd_shape = format!("rank {} sent a tensor of shape [3, 2]", n - 1);
    let needles = ["Mismatched allreduce tensor shapes", "rank 0 sent a tensor of shape [2, 3]", &odd_shape];
    expect_mismatch("shapes", hvd::allreduce(&x, ReduceOp::Sum), &needles)?;
    let y = e.zeros(&[4], if odd { DType::F64 } else { DType::F32 }).map_err(e2s)?;
    expect_mismatch("dtypes", hvd::allreduce(&y, ReduceOp::Sum), &["type float32", "type float64"])?;
    let z = e.zeros(&[4], DType::F32).map_err(e2s)?;
    let op = if odd { ReduceOp::Average } else { ReduceOp::Sum };
    expect_mismatch("ops", hvd::allreduce(&z, op), &["used Sum", "used Average"])?;
    expect_mismatch("roots", hvd::broadcast(&z, if odd { 1 } else { 0 }), &["root ranks: rank 0 used 0", "used 1"])?;
    let other = if odd { hvd::broadcast(&z, 0) } else { hvd::allreduce(&z, ReduceOp::Sum) };
    expect_mismatch("operations", other, &["rank 0 called allreduce", "called broadcast"])?;
    let rows = e.zeros(&[r + 1, if odd { 4 } else { 3 }], DType::I32).map_err(e2s)?;
    expect_mismatch("allgather", hvd::allgather(&rows), &["shape [None, 3]", "shape [None, 4]"])?;
    // The communicator still works after every one of them.
    let one = hvd::allreduce(&e.from_slice(&[1i64], &[]).map_err(e2s)?, ReduceOp::Sum).map_err(e2s)?;
    same("after the mismatches", &one, &[], DType::I64, &[n as f64])?;
    Ok(String::new())
}

fn world() -> Outcome {
    let (r, n) = rs();
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<usize>().ok());
    if env("OMPI_COMM_WORLD_SIZE") != Some(n) || env("OMPI_COMM_WORLD_RANK") != Some(r) {
        return Err(format!("rank {r} / size {n} disagree with mpirun's environment"));
    }
    let (lr, ls) = (hvd::local_rank().map_err(e2s)?, hvd::local_size().map_err(e2s)?);
    if env("OMPI_COMM_WORLD_LOCAL_RANK") != Some(lr) || ls != n {
        return Err(format!("local rank {lr} of {ls}: want mpirun's local rank, and all {n} ranks on this machine"));
    }
    if hvd::init().is_ok() {
        return Err("a second init() succeeded".into());
    }
    hvd::barrier().map_err(e2s)?;
    Ok(String::new())
}

/// Runs every check in this file, in the same order on every rank.
pub fn run_all() {
    report("world", world());
    report("allreduce_every_dtype_and_op", allreduce_every_dtype());
    report("empty_and_scalar_tensors", empty_and_scalar());
    report("allgather_uneven_rows", allgather_uneven_rows());
    report("broadcast_every_dtype", broadcast_every_dtype());
    report("broadcast_variables_makes_ranks_equal", broadcast_variables_equalize());
    report("grouped_allreduce_one_collective_per_dtype", grouped_allreduce_fuses());
    report("mismatches_err_on_every_rank", mismatches_err_on_every_rank());
}
