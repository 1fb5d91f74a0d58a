//! Reductions, matmul and indexing on random shapes against naive float64
//! references written here. Float sums depend on summation order, so they
//! are held to `n * eps * sum|x|`; integer results and max/min are exact.

mod prop_common;

use gradtape::ops::reduce::ReduceOp;
use gradtape::*;
use prop_common::*;
use proptest::prelude::*;

/// Relative precision of a dtype's arithmetic.
fn eps(dt: DType) -> f64 {
    match dt {
        DType::F32 => f32::EPSILON as f64,
        DType::F64 => f64::EPSILON,
        _ => 0.0,
    }
}

/// A shape, a subset of its axes (each written as a random positive or
/// negative form, in random order), and values.
fn reduce_case(value: BoxedStrategy<f64>) -> impl Strategy<Value = (Vec<usize>, Vec<i64>, bool, Vec<f64>)> {
    shape(4, 4).prop_flat_map(move |s| {
        let r = s.len();
        let axes = prop::sample::subsequence((0..r).collect::<Vec<_>>(), 0..=r)
            .prop_flat_map(move |a| (Just(a.clone()), prop::collection::vec(any::<bool>(), a.len())))
            .prop_map(move |(a, neg)| a.iter().zip(neg).map(|(&x, n)| if n { x as i64 - r as i64 } else { x as i64 }).collect::<Vec<_>>())
            .prop_shuffle();
        let n: usize = s.iter().product();
        (Just(s), axes, any::<bool>(), prop::collection::vec(value.clone(), n))
    })
}

/// The reference: groups of input elements by output position, folded in
/// f64 by the registry's `ReduceOp::reference`.
fn reduce_ref(op: ReduceOp, dt: DType, s: &[usize], axes: &[usize], xs: &[f64]) -> (Vec<usize>, Vec<f64>, Vec<f64>) {
    let kept: Vec<usize> = (0..s.len()).map(|d| if axes.contains(&d) { 1 } else { s[d] }).collect();
    let n_out: usize = kept.iter().product();
    let mut groups: Vec<Vec<f64>> = vec![Vec::new(); n_out];
    for (i, &x) in xs.iter().enumerate() {
        let idx: Vec<usize> = unravel(i, s).iter().zip(&kept).map(|(&j, &k)| if k == 1 { 0 } else { j }).collect();
        groups[ravel(&idx, &kept)].push(x);
    }
    let scale: Vec<f64> = groups.iter().map(|g| g.iter().map(|x| x.abs()).sum::<f64>() * g.len() as f64).collect();
    (kept, groups.iter().map(|g| op.reference(dt, g)).collect(), scale)
}

fn check_reduce(dt: DType, s: Vec<usize>, axes: Vec<i64>, keep: bool, vals: Vec<f64>, op: ReduceOp) -> Result<(), TestCaseError> {
    let e = Engine::cpu();
    let x = tensor(&e, dt, &s, &vals);
    let xs = x.to_f64_vec();
    let r = s.len() as i64;
    let norm: Vec<usize> = axes.iter().map(|&a| if a < 0 { a + r } else { a } as usize).collect();
    let (kept, want, scale) = reduce_ref(op, dt, &s, &norm, &xs);
    let out: Vec<usize> = if keep { kept } else { (0..s.len()).filter(|d| !norm.contains(d)).map(|d| s[d]).collect() };
    let y = x.reduce(op, Axes::from(axes.clone()), keep)?;
    prop_assert_eq!(y.dims(), &out[..], "{:?} over {:?} of {:?}", op, axes, s);
    prop_assert_eq!(y.dtype(), dt);
    let want: Vec<f64> = want.iter().map(|&w| round_to(dt, w)).collect();
    // Products round relative to their size, sums (and means) to the sum of |x|.
    let tol = |i: usize| match op {
        _ if op.is_exact() => (0.0, 0.0),
        ReduceOp::Prod => (4.0 * eps(dt) * scale[i].max(1.0), 0.0),
        _ => (0.0, 2.0 * eps(dt) * scale[i]),
    };
    if let Some(m) = mismatch(&y.to_f64_vec(), &want, tol) {
        return Err(TestCaseError::fail(format!("{op:?} over {axes:?} of {s:?}: {m}")));
    }
    Ok(())
}

/// `[m, k]` or `[k, m]` (transposed) after `batch`.
fn operand(batch: &[usize], rows: usize, cols: usize, t: bool) -> Vec<usize> {
    let mut s = batch.to_vec();
    s.extend(if t { [cols, rows] } else { [rows, cols] });
    s
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn float_reductions_match_the_reference(dt in float_dtype(), (s, axes, keep, v) in reduce_case(finite_value().boxed()),
                                            op in prop::sample::select(ReduceOp::ALL)) {
        check_reduce(dt, s, axes, keep, v, op)?;
    }

    /// NaN in a group makes its max and min NaN; infinities are extremes.
    #[test]
    fn float_max_min_propagate_nan(dt in float_dtype(), (s, axes, keep, v) in reduce_case(float_value().boxed()),
                                   op in prop::sample::select(&[ReduceOp::Max, ReduceOp::Min][..])) {
        check_reduce(dt, s, axes, keep, v, op)?;
    }

    /// Exact, with TF's truncating integer mean (empty groups left out: TF divides by zero there).
    #[test]
    fn integer_reductions_match_the_reference(dt in int_dtype(), (s, axes, keep, v) in reduce_case(int_value().boxed()),
                                              op in prop::sample::select(ReduceOp::ALL)) {
        let empty_group = axes.iter().any(|&a| s[if a < 0 { a + s.len() as i64 } else { a } as usize] == 0);
        prop_assume!(!(op == ReduceOp::Mean && empty_group));
        let small: Vec<f64> = if op == ReduceOp::Prod { v.iter().map(|x| x % 3.0).collect() } else { v };
        check_reduce(dt, s, axes, keep, small, op)?;
    }

    /// Out-of-range and repeated axes are TF's InvalidArgument errors.
    #[test]
    fn bad_reduction_axes_are_errors(s in shape(3, 3), a in -6i64..6, op in prop::sample::select(ReduceOp::ALL)) {
        let e = Engine::cpu();
        let x = e.zeros(&s, DType::F32)?;
        let r = s.len() as i64;
        let res = x.reduce(op, Axes::from(vec![a]), false);
        prop_assert_eq!(res.is_ok(), (-r..r).contains(&a));
        if let Err(err) = res {
            let want = format!("Invalid reduction dimension ({a} for input with {r} dimension(s)");
            prop_assert!(err.to_string().contains(&want), "{}", err);
        }
        if (-r..r).contains(&a) {
            let dup = x.reduce(op, Axes::from(vec![a, if a < 0 { a + r } else { a - r }]), false).unwrap_err();
            prop_assert!(dup.to_string().contains("Axes contains duplicate dimension"), "{}", dup);
        }
    }

    /// Batched matmul with broadcast batch dims and both transposes.
    #[test]
    fn matmul_matches_the_reference(
        dt in prop::sample::select(&[DType::F32, DType::F64, DType::I32, DType::I64][..]),
        (ba, bb) in broadcastable(2, 3), (m, k, n) in (0usize..=4, 0usize..=4, 0usize..=4), (ta, tb) in (any::<bool>(), any::<bool>()),
        rank2 in any::<bool>(), seed in prop::collection::vec(-4i32..=4, 200),
    ) {
        let (ba, bb) = if rank2 { (vec![], vec![]) } else { (ba, bb) };
        let (sa, sb) = (operand(&ba, m, k, ta), operand(&bb, k, n, tb));
        let e = Engine::cpu();
        let frac = if dt.is_float() { 0.37 } else { 0.0 };
        let vals = |len: usize, off: usize| -> Vec<f64> { (0..len).map(|i| seed[(i + off) % seed.len()] as f64 + frac * (i % 3) as f64).collect() };
        let a = tensor(&e, dt, &sa, &vals(sa.iter().product(), 0));
        let b = tensor(&e, dt, &sb, &vals(sb.iter().product(), 77));
        let (xa, xb) = (a.to_f64_vec(), b.to_f64_vec());
        let batch = np_broadcast(&ba, &bb).unwrap();
        let mut out = batch.clone();
        out.extend([m, n]);
        let (mut want, mut scale) = (Vec::new(), Vec::new());
        for flat in 0..out.iter().product() {
            let idx = unravel(flat, &out);
            let (bi, i, j) = (&idx[..batch.len()], idx[batch.len()], idx[batch.len() + 1]);
            let (oa, ob) = (broadcast_source(bi, &ba) * m * k, broadcast_source(bi, &bb) * k * n);
            let at = |p: usize| xa[oa + if ta { p * m + i } else { i * k + p }];
            let bt = |p: usize| xb[ob + if tb { j * k + p } else { p * n + j }];
            want.push((0..k).map(|p| at(p) * bt(p)).sum::<f64>());
            scale.push((0..k).map(|p| (at(p) * bt(p)).abs()).sum::<f64>());
        }
        let c = a.matmul_t(&b, ta, tb)?;
        prop_assert_eq!(c.dims(), &out[..]);
        prop_assert_eq!(c.dtype(), dt);
        let want: Vec<f64> = want.iter().map(|&w| round_to(dt, w)).collect();
        if let Some(msg) = mismatch(&c.to_f64_vec(), &want, |i| (0.0, 2.0 * k as f64 * eps(dt) * scale[i])) {
            return Err(TestCaseError::fail(msg));
        }
    }

    /// Python's indexing: integers (negative from the end, out of range an
    /// error) and slices with any bounds and non-zero steps, against a naive walk.
    #[test]
    fn indexing_matches_python(
        s in shape(4, 5), items in prop::collection::vec((0u8..3, -7i64..7, -7i64..7, prop_oneof![-3i64..=-1, 1i64..=3], any::<(bool, bool)>()), 0..=4),
    ) {
        let e = Engine::cpu();
        let n: usize = s.iter().product();
        let x = e.from_vec((0..n as i64).collect::<Vec<_>>(), &s)?;
        let idx: Vec<Idx> = items.iter().map(|&(kind, a, b, step, (has_a, has_b))| match kind {
            0 => Idx::At(a),
            _ => Idx::Range(has_a.then_some(a), has_b.then_some(b), step),
        }).collect();
        let res = x.index(&idx);
        if idx.len() > s.len() {
            prop_assert!(res.is_err());
            return Ok(());
        }
        // Per axis: the positions taken, and whether the axis is kept.
        let mut picks: Vec<(Vec<usize>, bool)> = Vec::new();
        for (d, &len) in s.iter().enumerate() {
            let len = len as i64;
            match idx.get(d).copied().unwrap_or(Idx::FULL) {
                Idx::At(i) => {
                    let j = if i < 0 { i + len } else { i };
                    if !(0..len).contains(&j) {
                        prop_assert!(res.is_err(), "index {} of a dim of {}", i, len);
                        return Ok(());
                    }
                    picks.push((vec![j as usize], false));
                }
                Idx::Range(start, stop, step) => {
                    let adj = |v: i64| if v < 0 { v + len } else { v };
                    let (lo, hi) = if step > 0 { (0, len) } else { (-1, len - 1) };
                    let first = start.map_or(if step > 0 { 0 } else { len - 1 }, |v| adj(v).clamp(lo, hi));
                    let end = stop.map_or(if step > 0 { len } else { -1 }, |v| adj(v).clamp(lo, hi));
                    let mut taken = Vec::new();
                    let mut i = first;
                    while (step > 0 && i < end) || (step < 0 && i > end) {
                        taken.push(i as usize);
                        i += step;
                    }
                    picks.push((taken, true));
                }
            }
        }
        let y = res?;
        let want_shape: Vec<usize> = picks.iter().filter(|p| p.1).map(|p| p.0.len()).collect();
        prop_assert_eq!(y.dims(), &want_shape[..]);
        let counts: Vec<usize> = picks.iter().map(|p| p.0.len()).collect();
        let want: Vec<i64> = (0..counts.iter().product()).map(|f| {
            let sel: Vec<usize> = unravel(f, &counts).iter().zip(&picks).map(|(&k, p)| p.0[k]).collect();
            ravel(&sel, &s) as i64
        }).collect();
        prop_assert_eq!(y.to_vec::<i64>()?, want);
    }
}
