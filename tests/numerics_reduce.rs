//! Reductions whose numbers a user can trust (issue 13): means correctly
//! rounded as TF's `MeanReducer` computes them (the sum divided by the
//! count), and float sums in a fixed order, TF's own where TF's is fixed, so
//! they give the same bits on every run and any thread count.

mod common;
mod golden2;

use golden2::check;
use gradtape::*;

/// `[1.]*7 + [0.]*5` in every layout the kernels treat apart: all axes, a
/// row (suffix axes), a column (prefix axes) and a middle axis.
fn sevenths<T: Element + From<u8>>() -> Result<Vec<Tensor>> {
    let v: Vec<T> = (0..12).map(|i| T::from(u8::from(i < 7))).collect();
    let flat = from_slice(&v, &[12])?;
    // Column j of `[12, 2]` holds the same twelve values.
    let cols: Vec<T> = v.iter().flat_map(|&x| [x, x]).collect();
    let cols = from_slice(&cols, &[12, 2])?;
    Ok(vec![
        flat.reduce_mean()?,
        flat.reshape([1, 12])?.reduce_mean_axis(-1)?,
        cols.reduce_mean_axis(0)?,
        cols.reshape([1, 12, 2])?.reduce_mean_axis(1)?,
    ])
}

/// TF's `reduce_mean([1.]*7 + [0.]*5)` is 0.5833333, the f32 nearest 7/12
/// (its scalar repr shows that f32 in full, as the golden cases do).
#[test]
fn reduce_mean_divides_f32() -> Result<()> {
    for m in sevenths::<f32>()? {
        for x in m.to_vec::<f32>()? {
            assert_eq!(x.to_bits(), (7.0f32 / 12.0).to_bits(), "{m}");
        }
    }
    let m = constant([1., 1., 1., 1., 1., 1., 1., 0., 0., 0., 0., 0.])?.reduce_mean()?;
    assert_eq!(m.to_string(), "<tf.Tensor: shape=(), dtype=float32, numpy=0.5833333134651184>");
    // TF: reduce_mean([0.1] * 10) is 0.1 (times 1/n gave 0.10000002); the
    // sum's bits are in TF's CPU order, which a Vulkan device's tree is not.
    if golden2::on_cpu_kernels("reduce_mean of ten tenths") {
        assert_eq!(constant([0.1; 10])?.reduce_mean()?.scalar::<f32>()?, 0.1);
    }
    Ok(())
}

/// float64 means are the correctly rounded quotient too (7/12 = 0.5833333333333334).
#[test]
fn reduce_mean_divides_f64() -> Result<()> {
    for m in sevenths::<f64>()? {
        for x in m.to_vec::<f64>()? {
            assert_eq!(x.to_bits(), (7.0f64 / 12.0).to_bits(), "{m}");
        }
    }
    Ok(())
}

/// Values over 7 decades with both signs (see `common::wild`).
fn wild(n: usize, seed: u64) -> Vec<f64> {
    common::wild(n, seed, 7)
}

/// Every float reduction this test pins, as raw bits: sum and mean of all,
/// rows, columns and a middle axis, prod, and the broadcast backward (`sum_to`).
fn reductions(dtype: DType) -> Result<Vec<u64>> {
    let n = 1 << 18;
    let v = wild(n, 7);
    let x = constant_shaped(v.clone(), &[n])?.cast(dtype)?;
    let m = x.reshape([512, 512])?;
    let w = x.reshape([16, 32, 512])?;
    let p = constant_shaped(v[..1 << 17].iter().map(|a| 1.0 + a / 1e4).collect::<Vec<f64>>(), &[1 << 17])?.cast(dtype)?;
    let b = x.i(..512)?;
    let tape = GradientTape::new();
    let y = tape.record(|t| {
        t.watch(&b)?;
        b.broadcast_to(&[512, 512])?.mul(&m)?.reduce_sum()
    })?;
    let db = tape.gradient(&y, &b)?.expect("b is watched");
    let outs = [
        x.reduce_sum()?,
        x.reduce_mean()?,
        m.reduce_sum_axis(0)?,
        m.reduce_sum_axis(1)?,
        m.reduce_mean_axis(0)?,
        w.reduce_sum_axis(1)?,
        w.reduce_sum_axis([0, 2])?,
        p.reduce_prod()?,
        db,
    ];
    Ok(outs.iter().flat_map(|t| t.cast(DType::F64).unwrap().to_vec::<f64>().unwrap()).map(f64::to_bits).collect())
}

/// The same reductions give the same bits on every run, with one thread and
/// with two (issue 13: from 64Ki elements the parallel sum's order varied).
#[test]
fn reductions_are_deterministic_across_runs_and_threads() -> Result<()> {
    for dtype in [DType::F32, DType::F64] {
        common::assert_same_on_pools(&dtype.to_string(), &[1, 2], 4, || reductions(dtype))?;
    }
    Ok(())
}

/// Full and row sums add in exactly the order of TF's single-threaded Eigen
/// reduction (SEMANTICS_2.md), so they give TF's bits: ten million float32
/// tenths sum to 1000001.375 (exact: 1000000.0149) and mean to that / 1e7.
#[test]
fn reduce_sum_ten_million_tenths() -> Result<()> {
    if !golden2::on_cpu_kernels("reduce_sum_ten_million_tenths") {
        return Ok(());
    }
    let x = fill(&[10_000_000], 0.1)?;
    check("reduce_sum_ten_million_tenths", vec![x.reduce_sum()?, x.reduce_mean()?]);
    // A row of a matrix is the same sum in TF's order, from its own offset.
    let rows = x.reshape([2, 5_000_000])?.reduce_sum_axis(1)?.to_vec::<f32>()?;
    let halves = [x.i(..5_000_000)?, x.i(5_000_000..)?];
    assert_eq!(rows[0].to_bits(), halves[0].reduce_sum()?.scalar::<f32>()?.to_bits());
    assert!((f64::from(rows[1]) - 1e7 / 2.0 * f64::from(0.1f32)).abs() < 1.0, "{rows:?}");
    Ok(())
}

/// A thousand float32 tenths: TF's 99.9999771118164 (a sequential sum gives 99.99905).
#[test]
fn reduce_sum_thousand_tenths() -> Result<()> {
    if !golden2::on_cpu_kernels("reduce_sum_thousand_tenths") {
        return Ok(());
    }
    check("reduce_sum_thousand_tenths", fill(&[1000], 0.1)?.reduce_sum());
    Ok(())
}

/// TF's relative error on the ten million tenths (1000001.375).
const TF_REL_ERR: f64 = (1000001.375 - 1e7 * 0.1f32 as f64) / (1e7 * 0.1f32 as f64);

/// Column sums (the broadcast backward's shape) are blocked too, at least
/// as accurate as TF's total: a million rows of 0.1 added in sequence would
/// drift by ~1% in float32.
#[test]
fn column_sums_are_accurate() -> Result<()> {
    let x = fill(&[1_000_000, 3], 0.1)?;
    let exact = 1e6 * f64::from(0.1f32);
    for s in x.reduce_sum_axis(0)?.to_vec::<f32>()? {
        assert!((f64::from(s) - exact).abs() <= exact * TF_REL_ERR, "column sum {s}");
    }
    let x = constant_with(0.1, DType::F64)?.broadcast_to(&[1_000_000, 3])?;
    for s in x.reduce_sum_axis(0)?.to_vec::<f64>()? {
        assert!((s - 1e5).abs() < 1e-8, "column sum {s}");
    }
    Ok(())
}
