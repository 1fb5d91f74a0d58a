//! DistributedGradientTape: equivalence with one process on the whole
//! batch, tensor fusion, the `None` mask, and a rank whose backward fails.

use gradtape_core::{DType, Error};
use gradtape_distributed::{self as hvd, DistributedGradientTape, ReduceOp};
use gradtape_engine::{from_slice, Differentiable, GradientTape, Tensor, Variable};

use crate::{report, Outcome};

fn e2s(e: Error) -> String {
    e.to_string()
}

fn rs() -> (usize, usize) {
    (hvd::rank().expect("initialized"), hvd::size().expect("initialized"))
}

/// The batch: divisible by 1, 2 and 4 ranks.
const BATCH: usize = 32;
const IN: usize = 3;
const HIDDEN: usize = 8;
const LR: f64 = 0.1;

/// Deterministic values in [-1, 1): the same on every rank.
fn lcg(seed: u64, n: usize) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        })
        .collect()
}

fn t(vals: &[f64], dims: &[usize], dt: DType) -> Result<Tensor, Error> {
    from_slice(vals, dims)?.cast(dt)
}

/// A 3-8-1 tanh MLP; the same initial weights on every rank.
struct Mlp {
    vars: Vec<Variable>,
}

impl Mlp {
    fn new(dt: DType) -> Result<Mlp, Error> {
        let shapes: [&[usize]; 4] = [&[IN, HIDDEN], &[HIDDEN], &[HIDDEN, 1], &[1]];
        let vars = shapes
            .iter()
            .enumerate()
            .map(|(i, s)| Variable::from_tensor(&t(&lcg(100 + i as u64, s.iter().product()), s, dt)?))
            .collect::<Result<_, _>>()?;
        Ok(Mlp { vars })
    }

    fn loss(&self, x: &Tensor, y: &Tensor) -> Result<Tensor, Error> {
        let v = &self.vars;
        let h = (x.matmul(&v[0].read())? + &v[1].read())?.tanh()?;
        let p = (h.matmul(&v[2].read())? + &v[3].read())?;
        (&p - y)?.square()?.reduce_mean()
    }

    fn sources(&self) -> Vec<&dyn Differentiable> {
        self.vars.iter().map(|v| v as &dyn Differentiable).collect()
    }

    /// One SGD step; `distributed` averages the gradients over the ranks.
    fn step(&self, x: &Tensor, y: &Tensor, distributed: bool) -> Result<(), Error> {
        let tape = GradientTape::new();
        let loss = tape.record(|_| self.loss(x, y))?;
        let grads = if distributed {
            DistributedGradientTape::new(tape).gradient(&loss, &self.sources())?
        } else {
            tape.gradients(&[&loss], &self.sources())?
        };
        for (v, g) in self.vars.iter().zip(grads) {
            let g = g.ok_or_else(|| Error::Value("a weight got no gradient".into()))?;
            v.assign_sub(&(&g * LR)?)?;
        }
        Ok(())
    }

    fn values(&self) -> Vec<f64> {
        self.vars.iter().flat_map(|v| v.read().to_f64_vec()).collect()
    }
}

/// max |a - b| over max(1, max |b|): the difference relative to the weights' scale.
fn rel_diff(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(1.0f64, |m, x| m.max(x.abs()));
    a.iter().zip(b).fold(0.0f64, |m, (x, y)| m.max((x - y).abs())) / scale
}

/// N ranks on 1/N of the batch each, averaged, against one process on the
/// whole batch (computed here, on every rank, without MPI).
///
/// The tolerance is float rounding, in units of the dtype's epsilon (ulp):
/// the mean over 32 rows is the same sum as the mean of N means over 32/N
/// rows in exact arithmetic, but floats add in another order (within gemm
/// and the reduction, then across ranks; dividing by 2 or 4 is exact). One
/// step's gradient carries a few ulps of relative error (about log2(32)
/// additions deep), so after one step the weights may differ by 16 ulps;
/// the descent contracts and the per-step errors have random signs, so
/// after 100 steps the gap grows far less than 100-fold: 256 ulps. float64:
/// 3.6e-15 and 5.7e-14; float32: 1.9e-6 and 3.1e-5. (Measured: one ulp or
/// less.) Any real error (a sum where a mean belongs, a lost shard) is O(1).
fn equivalence(dt: DType) -> Outcome {
    let (r, n) = rs();
    let ulp = if dt == DType::F64 { f64::EPSILON } else { f32::EPSILON as f64 };
    let (tol1, tol100) = (16.0 * ulp, 256.0 * ulp);
    let xs = lcg(7, BATCH * IN);
    let ys: Vec<f64> = (0..BATCH).map(|i| (xs[i * IN] * 2.0 - xs[i * IN + 1]).sin() + 0.5 * xs[i * IN + 2]).collect();
    let (x, y) = (t(&xs, &[BATCH, IN], dt).map_err(e2s)?, t(&ys, &[BATCH, 1], dt).map_err(e2s)?);
    let rows = BATCH / n;
    let shard = |v: &[f64], w: usize, dims: &[usize]| t(&v[r * rows * w..(r + 1) * rows * w], dims, dt);
    let xr = shard(&xs, IN, &[rows, IN]).map_err(e2s)?;
    let yr = shard(&ys, 1, &[rows, 1]).map_err(e2s)?;
    let (single, dist) = (Mlp::new(dt).map_err(e2s)?, Mlp::new(dt).map_err(e2s)?);
    let mut notes = Vec::new();
    for steps in 1..=100 {
        single.step(&x, &y, false).map_err(e2s)?;
        dist.step(&xr, &yr, true).map_err(e2s)?;
        if steps == 1 || steps == 100 {
            let d = rel_diff(&dist.values(), &single.values());
            let tol = if steps == 1 { tol1 } else { tol100 };
            // NaN fails too.
            if d.is_nan() || d > tol {
                return Err(format!("{dt} after {steps} steps: relative difference {d:.3e} > {tol:.1e}"));
            }
            notes.push(format!("{steps} step(s): {d:.1e} (tol {tol:.1e})"));
        }
    }
    // Every rank applied the same averaged gradients: bitwise the same weights.
    let mine = from_slice(&dist.values(), &[1, dist.values().len()]).map_err(e2s)?;
    let all = hvd::allgather(&mine).map_err(e2s)?.to_f64_vec();
    let len = dist.values().len();
    if (1..n).any(|q| all[q * len..(q + 1) * len] != all[..len]) {
        return Err("the ranks' weights differ after 100 distributed steps".into());
    }
    if single.loss(&x, &y).map_err(e2s)?.item().map_err(e2s)? >= Mlp::new(dt).map_err(e2s)?.loss(&x, &y).map_err(e2s)?.item().map_err(e2s)? {
        return Err("100 steps did not lower the loss: the comparison would be vacuous".into());
    }
    Ok(format!("({})", notes.join(", ")))
}

fn none_mask_and_fusion() -> Outcome {
    let (r, n) = rs();
    let x = from_slice(&[1.0f32, 2.0, 3.0], &[3]).map_err(e2s)?;
    let x = (&x * (r as f64 + 1.0)).map_err(e2s)?;
    let a = Variable::new([0.5f32, 0.5, 0.5]).map_err(e2s)?;
    let only_rank0 = Variable::new([1.0f32, 1.0, 1.0]).map_err(e2s)?;
    let unused = Variable::new([2.0f32, 2.0]).map_err(e2s)?;
    let many: Vec<Variable> = (0..30).map(|i| Variable::new([i as f32; 4])).collect::<Result<_, _>>().map_err(e2s)?;
    let tape = GradientTape::new();
    let loss = tape
        .record(|_| {
            let mut l = (&a.read() * &x)?.sum()?;
            if r == 0 {
                l = (&l + &(&only_rank0.read() * &x)?.sum()?)?;
            }
            for v in &many {
                l = (&l + &v.read().sum()?)?;
            }
            Ok(l)
        })
        .map_err(e2s)?;
    let mut sources: Vec<&dyn Differentiable> = vec![&a, &only_rank0, &unused];
    sources.extend(many.iter().map(|v| v as &dyn Differentiable));
    let before = hvd::stats();
    let g = DistributedGradientTape::new(tape).gradient(&loss, &sources).map_err(e2s)?;
    let after = hvd::stats();
    // d loss / d a = x_r = (r+1)·[1, 2, 3], averaged: (n+1)/2·[1, 2, 3].
    let m = (n as f32 + 1.0) / 2.0;
    let ga = g[0].as_ref().ok_or("a has no gradient")?.to_vec::<f32>().map_err(e2s)?;
    if ga != vec![m, 2.0 * m, 3.0 * m] {
        return Err(format!("a's gradient {ga:?}, want {m}·[1, 2, 3]"));
    }
    // Only rank 0's loss reads it: x_0 / n, on every rank.
    let g0 = g[1].as_ref().ok_or("only_rank0 has no gradient on this rank")?.to_vec::<f32>().map_err(e2s)?;
    let k = 1.0 / n as f32;
    if g0 != vec![k, 2.0 * k, 3.0 * k] {
        return Err(format!("only_rank0's gradient {g0:?}, want [1, 2, 3] / {n}"));
    }
    if g[2].is_some() {
        return Err("unused got a gradient; want None on every rank".into());
    }
    if g[3..].iter().any(|g| g.as_ref().map(|g| g.to_f64_vec()) != Some(vec![1.0; 4])) {
        return Err("the 30 small variables' gradients are not all ones".into());
    }
    let (calls, shakes) = (after.data_calls - before.data_calls, after.handshakes - before.handshakes);
    if calls != 2 || shakes != 1 {
        return Err(format!("33 variables took {shakes} handshakes and {calls} data collectives; want 1 and 2 (mask + one fused buffer)"));
    }
    Ok(format!("(33 variables: {shakes} handshake, {calls} data collectives)"))
}

fn a_failing_rank_is_named() -> Outcome {
    let (r, n) = rs();
    if n == 1 {
        return Ok("(needs two ranks)".into());
    }
    let w = Variable::new([1.0f32, 2.0]).map_err(e2s)?;
    let tape = GradientTape::new();
    let loss = tape.record(|_| w.read().square()?.sum()).map_err(e2s)?;
    let last = r == n - 1;
    if last {
        // The tape is non-persistent: a second gradient call fails locally.
        tape.gradient(&loss, &w).map_err(e2s)?;
    }
    let got = DistributedGradientTape::new(tape).gradient(&loss, &[&w]);
    let consumed = "A non-persistent GradientTape can only be used to compute one set of gradients";
    match (last, got) {
        (true, Err(Error::Runtime(m))) if m.starts_with(consumed) => {}
        (false, Err(e)) if e.message().contains(&format!("rank {} failed before the collective", n - 1)) && e.message().contains(consumed) => {}
        (_, other) => return Err(format!("want this rank's own Err or one naming rank {}, got {other:?}", n - 1)),
    }
    let one = hvd::allreduce(&from_slice(&[1.0f64], &[]).map_err(e2s)?, ReduceOp::Sum).map_err(e2s)?;
    if one.item().map_err(e2s)? != n as f64 {
        return Err("MPI does not work after the failed step".into());
    }
    Ok(String::new())
}

/// Runs every check in this file, in the same order on every rank.
pub fn run_all() {
    report("equivalence_float64_1_and_100_steps", equivalence(DType::F64));
    report("equivalence_float32_1_and_100_steps", equivalence(DType::F32));
    report("tape_none_mask_and_fusion", none_mask_and_fusion());
    report("tape_failing_rank_is_named", a_failing_rank_is_named());
}
