//! Every differentiable op's gradient rule against central differences, in
//! float64, on seeded random inputs of several shapes (broadcasting included).
//!
//! Each case differentiates `sum(f(xs) * w)` with a random `w` (fed to the
//! tape as `output_gradients`): with a seed of ones, a gradient rule that
//! misplaces elements (transpose, slicing, concat...) would still sum right.

use gradtape::*;

/// splitmix64: a tiny deterministic PRNG, so no dependency and no flaky seeds.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    fn unit(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
    }

    fn tensor(&mut self, shape: &[usize], mut gen: impl FnMut(&mut Rng) -> f64) -> Tensor {
        let n: usize = shape.iter().product();
        let v: Vec<f64> = (0..n).map(|_| gen(self)).collect();
        from_slice::<f64>(&v, shape).unwrap()
    }

    fn uniform(&mut self, shape: &[usize], lo: f64, hi: f64) -> Tensor {
        self.tensor(shape, |r| r.unit(lo, hi))
    }

    /// |x| in [lo, hi) with a random sign: away from kinks and poles at 0.
    fn away(&mut self, shape: &[usize], lo: f64, hi: f64) -> Tensor {
        self.tensor(shape, |r| if r.next_u64() & 1 == 0 { r.unit(lo, hi) } else { -r.unit(lo, hi) })
    }

    /// Multiples of 0.2 plus `offset`: two grids with offsets 0.05 apart
    /// never tie, and stay 0.1 apart, far beyond the finite-difference step.
    fn grid(&mut self, shape: &[usize], offset: f64) -> Tensor {
        self.tensor(shape, |r| (r.next_u64() % 17) as f64 * 0.2 - 1.6 + offset)
    }

    /// All elements distinct and at least 0.2 apart (max/min without ties).
    fn distinct(&mut self, shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        let mut v: Vec<f64> = (0..n).map(|i| i as f64 * 0.25 - n as f64 * 0.125).collect();
        for i in (1..n).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
        let v: Vec<f64> = v.into_iter().map(|x| x + self.unit(0.0, 0.02)).collect();
        from_slice::<f64>(&v, shape).unwrap()
    }
}

/// `|a - n| <= 1e-6 * max(1, |n|)` for every element; the first bad index otherwise.
fn compare(analytic: &[f64], numeric: &[f64]) -> Option<String> {
    if analytic.len() != numeric.len() {
        return Some(format!("{} analytic values vs {} numeric", analytic.len(), numeric.len()));
    }
    // Written as "not within" so that a NaN anywhere fails.
    let within = |a: f64, n: f64| (a - n).abs() <= 1e-6 * n.abs().max(1.0);
    let bad = analytic.iter().zip(numeric).position(|(&a, &n)| !within(a, n));
    bad.map(|i| format!("element {i}: analytic {} vs numeric {}", analytic[i], numeric[i]))
}

/// Runs cases, collecting every failure so one run shows them all.
struct Checker {
    rng: Rng,
    failures: Vec<String>,
    cases: usize,
}

impl Checker {
    fn new(seed: u64) -> Checker {
        Checker { rng: Rng::new(seed), failures: Vec::new(), cases: 0 }
    }

    fn case(&mut self, name: &str, f: impl Fn(&[Tensor]) -> Result<Tensor>, xs: &[Tensor]) {
        self.cases += 1;
        if let Err(e) = self.try_case(&f, xs) {
            self.failures.push(format!("{name}: {e}"));
        }
    }

    fn try_case(&mut self, f: &dyn Fn(&[Tensor]) -> Result<Tensor>, xs: &[Tensor]) -> std::result::Result<(), String> {
        let tape = GradientTape::new();
        let y = tape
            .record(|t| {
                t.watch(xs)?;
                f(xs)
            })
            .map_err(|e| e.to_string())?;
        let w = self.rng.uniform(y.dims(), -1.0, 1.0);
        let sources: Vec<&dyn Differentiable> = xs.iter().map(|x| x as &dyn Differentiable).collect();
        let grads = tape
            .gradients_with(&[&y], &sources, Some(&[Some(w.clone())]), Unconnected::None)
            .map_err(|e| e.to_string())?;
        let numeric = numeric_gradient(|a| f(a)?.mul(&w), xs, 1e-6).map_err(|e| e.to_string())?;
        for (k, (g, n)) in grads.iter().zip(&numeric).enumerate() {
            let g = g.as_ref().ok_or_else(|| format!("input {k}: gradient is None"))?;
            if g.shape() != xs[k].shape() || g.dtype() != DType::F64 {
                return Err(format!("input {k}: gradient {} {} for input {}", g.shape(), g.dtype(), xs[k].shape()));
            }
            if let Some(e) = compare(&g.to_vec::<f64>().map_err(|e| e.to_string())?, &n.to_vec::<f64>().unwrap()) {
                return Err(format!("input {k} {}: {e}", xs[k].shape()));
            }
        }
        Ok(())
    }

    fn finish(self) {
        assert!(self.cases > 0, "no case ran");
        assert!(self.failures.is_empty(), "{} of {} cases failed:\n{}", self.failures.len(), self.cases, self.failures.join("\n"));
    }
}

const SHAPES: [&[usize]; 4] = [&[], &[5], &[2, 3], &[2, 3, 4]];

/// Pairs of shapes that broadcast, in both directions.
const PAIRS: [(&[usize], &[usize]); 7] = [
    (&[2, 3], &[2, 3]),
    (&[2, 3], &[3]),
    (&[3], &[2, 3]),
    (&[2, 1, 4], &[3, 1]),
    (&[], &[2, 3]),
    (&[4, 1], &[1, 5]),
    (&[2, 3, 4], &[]),
];

#[test]
fn checker_detects_a_wrong_gradient() {
    assert!(compare(&[1.0, 2.0], &[1.0, 2.0]).is_none());
    assert!(compare(&[1.0, 2.0], &[1.0, 2.0 + 3e-6]).is_some());
    assert!(compare(&[100.0], &[100.0 + 5e-5]).is_none());
    assert!(compare(&[100.0], &[100.0 + 2e-4]).is_some());
    assert!(compare(&[f64::NAN], &[1.0]).is_some());
    assert!(compare(&[1.0], &[1.0, 2.0]).is_some());
}

#[test]
fn unary() {
    let mut c = Checker::new(1);
    for s in SHAPES {
        let n = |c: &mut Checker| c.rng.uniform(s, -2.0, 2.0);
        let x = n(&mut c);
        c.case(&format!("neg {s:?}"), |x| x[0].neg(), &[x.clone()]);
        c.case(&format!("-x operator {s:?}"), |x| -&x[0], &[x]);
        let x = c.rng.away(s, 0.1, 2.0);
        c.case(&format!("abs {s:?}"), |x| x[0].abs(), &[x]);
        let x = n(&mut c);
        c.case(&format!("exp {s:?}"), |x| x[0].exp(), &[x]);
        let x = c.rng.uniform(s, 0.3, 3.0);
        c.case(&format!("log {s:?}"), |x| x[0].log(), &[x]);
        let x = c.rng.uniform(s, 0.3, 3.0);
        c.case(&format!("sqrt {s:?}"), |x| x[0].sqrt(), &[x]);
        let x = n(&mut c);
        c.case(&format!("square {s:?}"), |x| x[0].square(), &[x]);
        let x = c.rng.uniform(s, -3.0, 3.0);
        c.case(&format!("sin {s:?}"), |x| x[0].sin(), &[x]);
        let x = c.rng.uniform(s, -3.0, 3.0);
        c.case(&format!("cos {s:?}"), |x| x[0].cos(), &[x]);
        let x = n(&mut c);
        c.case(&format!("tanh {s:?}"), |x| x[0].tanh(), &[x]);
        let x = c.rng.uniform(s, -4.0, 4.0);
        c.case(&format!("sigmoid {s:?}"), |x| x[0].sigmoid(), &[x]);
        let x = c.rng.away(s, 0.1, 2.0);
        c.case(&format!("relu {s:?}"), |x| x[0].relu(), &[x]);
        let x = n(&mut c);
        c.case(&format!("sin(exp(tanh x)) {s:?}"), |x| x[0].tanh()?.exp()?.sin(), &[x]);
    }
    c.finish();
}

#[test]
fn arithmetic() {
    let mut c = Checker::new(2);
    for (sa, sb) in PAIRS {
        let (a, b) = (c.rng.uniform(sa, -2.0, 2.0), c.rng.uniform(sb, -2.0, 2.0));
        c.case(&format!("add {sa:?} {sb:?}"), |x| &x[0] + &x[1], &[a.clone(), b.clone()]);
        c.case(&format!("sub {sa:?} {sb:?}"), |x| &x[0] - &x[1], &[a.clone(), b.clone()]);
        c.case(&format!("mul {sa:?} {sb:?}"), |x| x[0].mul(&x[1]), &[a.clone(), b.clone()]);
        let d = c.rng.away(sb, 0.5, 2.0);
        c.case(&format!("div {sa:?} {sb:?}"), |x| &x[0] / &x[1], &[a.clone(), d]);
        let d = c.rng.away(sb, 0.5, 2.0);
        c.case(&format!("a*b - a/b + a {sa:?} {sb:?}"), |x| (x[0].mul(&x[1])? - x[0].div(&x[1])?)? + &x[0], &[a, d]);
    }
    let x = c.rng.away(&[2, 3], 0.5, 2.0);
    c.case("x + 2.0", |x| &x[0] + 2.0, &[x.clone()]);
    c.case("3.0 - x", |x| 3.0 - &x[0], &[x.clone()]);
    c.case("x * -1.5", |x| &x[0] * -1.5, &[x.clone()]);
    c.case("2.0 / x", |x| 2.0 / &x[0], &[x.clone()]);
    c.case("x / 4", |x| &x[0] / 4, &[x.clone()]);
    c.case("x * x (one input used twice)", |x| &x[0] * &x[0], &[x.clone()]);
    c.case("x / x", |x| &x[0] / &x[0], &[x]);
    c.finish();
}

#[test]
fn pow() {
    let mut c = Checker::new(3);
    for (sa, sb) in PAIRS {
        let base = c.rng.uniform(sa, 0.5, 2.0);
        let exponent = c.rng.uniform(sb, -2.0, 2.0);
        c.case(&format!("pow {sa:?} {sb:?}"), |x| x[0].pow(&x[1]), &[base, exponent]);
    }
    for s in SHAPES {
        let base = c.rng.uniform(s, 0.5, 2.0);
        c.case(&format!("x^0.5 {s:?}"), |x| x[0].pow(0.5), &[base.clone()]);
        c.case(&format!("x^-1.5 {s:?}"), |x| x[0].pow(-1.5), &[base.clone()]);
        c.case(&format!("2^x {s:?}"), |x| from_slice::<f64>(&[2.0], &[])?.pow(&x[0]), &[base]);
        // An integer exponent is defined for negative bases too.
        let any = c.rng.uniform(s, -2.0, 2.0);
        c.case(&format!("x^3 {s:?}"), |x| x[0].pow(3.0), &[any]);
    }
    c.finish();
}

#[test]
fn maximum_minimum() {
    let mut c = Checker::new(4);
    for (sa, sb) in PAIRS {
        let (a, b) = (c.rng.grid(sa, 0.05), c.rng.grid(sb, 0.15));
        c.case(&format!("maximum {sa:?} {sb:?}"), |x| x[0].maximum(&x[1]), &[a.clone(), b.clone()]);
        c.case(&format!("minimum {sa:?} {sb:?}"), |x| x[0].minimum(&x[1]), &[a, b]);
    }
    let x = c.rng.away(&[3, 4], 0.1, 2.0);
    c.case("maximum(x, 0.0)", |x| x[0].maximum(0.0), &[x.clone()]);
    c.case("minimum(x, 0.0)", |x| x[0].minimum(0.0), &[x]);
    c.finish();
}

#[test]
fn reductions() {
    let mut c = Checker::new(5);
    let axes: [(Axes, &str); 9] = [
        (Axes::All, "None"),
        (Axes::from([0i64]), "[0]"),
        (Axes::from([1i64]), "[1]"),
        (Axes::from([-1i64]), "[-1]"),
        (Axes::from([0i64, 2]), "[0, 2]"),
        (Axes::from([-1i64, 0]), "[-1, 0]"),
        (Axes::from([1i64, -3]), "[1, -3]"),
        (Axes::from([0i64, 1, 2]), "[0, 1, 2]"),
        (Axes::List(Default::default()), "[]"),
    ];
    for (ax, label) in &axes {
        for keep in [false, true] {
            let x = c.rng.distinct(&[2, 3, 4]);
            let name = |op: &str| format!("{op} axis={label} keepdims={keep}");
            c.case(&name("reduce_sum"), |x| x[0].reduce_sum_with(ax.clone(), keep), &[x.clone()]);
            c.case(&name("reduce_mean"), |x| x[0].reduce_mean_with(ax.clone(), keep), &[x.clone()]);
            c.case(&name("reduce_max"), |x| x[0].reduce_max_with(ax.clone(), keep), &[x.clone()]);
            c.case(&name("reduce_min"), |x| x[0].reduce_min_with(ax.clone(), keep), &[x]);
            let p = c.rng.away(&[2, 3, 4], 0.5, 1.5);
            c.case(&name("reduce_prod"), |x| x[0].reduce_prod_with(ax.clone(), keep), &[p]);
        }
    }
    for s in SHAPES {
        let x = c.rng.distinct(s);
        c.case(&format!("reduce_max all {s:?}"), |x| x[0].reduce_max(), &[x.clone()]);
        c.case(&format!("reduce_mean all keepdims {s:?}"), |x| x[0].reduce_mean_with(Axes::All, true), &[x]);
    }
    // Zeros in a product: the gradient is the product of the others, not y / x.
    let one_zero = from_slice::<f64>(&[0.0, 2.0, -3.0, 1.5, 0.5, 0.0, 4.0, -1.0, 2.0, 1.0, 3.0, 0.5], &[3, 4]).unwrap();
    c.case("reduce_prod with zeros axis=1", |x| x[0].reduce_prod_axis(1), &[one_zero.clone()]);
    c.case("reduce_prod with zeros axis=0", |x| x[0].reduce_prod_with(0, true), &[one_zero.clone()]);
    c.case("reduce_prod with zeros axis=None", |x| x[0].reduce_prod(), &[one_zero]);
    let two_zeros = from_slice::<f64>(&[0.0, 2.0, 0.0, 3.0, 1.5, 2.5], &[2, 3]).unwrap();
    c.case("reduce_prod two zeros in a row", |x| x[0].reduce_prod_axis(-1), &[two_zeros]);
    c.finish();
}

#[test]
fn movement() {
    let mut c = Checker::new(6);
    let x = c.rng.uniform(&[2, 3, 4], -2.0, 2.0);
    c.case("reshape [4, -1]", |x| x[0].reshape([4i64, -1]), &[x.clone()]);
    c.case("reshape [24]", |x| x[0].reshape([24i64]), &[x.clone()]);
    c.case("reshape then transpose", |x| x[0].reshape([6i64, 4])?.t(), &[x.clone()]);
    c.case("transpose [2, 0, 1]", |x| x[0].transpose(&[2, 0, 1]), &[x.clone()]);
    c.case("transpose [-1, 0, 1]", |x| x[0].transpose(&[-1, 0, 1]), &[x.clone()]);
    c.case("transpose reversed (.t())", |x| x[0].t(), &[x.clone()]);
    c.case("expand_dims 0", |x| x[0].expand_dims(0), &[x.clone()]);
    c.case("expand_dims -1", |x| x[0].expand_dims(-1), &[x.clone()]);
    c.case("expand_dims -2", |x| x[0].expand_dims(-2), &[x]);
    let ones = c.rng.uniform(&[1, 3, 1], -2.0, 2.0);
    c.case("squeeze all", |x| x[0].squeeze(&[]), &[ones.clone()]);
    c.case("squeeze [-1]", |x| x[0].squeeze(&[-1]), &[ones.clone()]);
    c.case("broadcast_to [4, 2, 3, 5]", |x| x[0].reshape([1i64, 3, 1])?.broadcast_to(&[4, 2, 3, 5]), &[ones]);
    let v = c.rng.uniform(&[3], -2.0, 2.0);
    c.case("broadcast_to [2, 3]", |x| x[0].broadcast_to(&[2, 3]), &[v]);
    let s = c.rng.uniform(&[], -2.0, 2.0);
    c.case("broadcast_to scalar to [2, 2]", |x| x[0].broadcast_to(&[2, 2]), &[s]);
    let parts = [c.rng.uniform(&[2, 1, 4], -1.0, 1.0), c.rng.uniform(&[2, 3, 4], -1.0, 1.0), c.rng.uniform(&[2, 2, 4], -1.0, 1.0)];
    c.case("concat axis 1", |x| concat(x, 1), &parts);
    c.case("concat axis -2", |x| concat(x, -2), &parts);
    let rows = [c.rng.uniform(&[1, 3], -1.0, 1.0), c.rng.uniform(&[4, 3], -1.0, 1.0)];
    c.case("concat axis 0", |x| concat(x, 0), &rows);
    let cols = [c.rng.uniform(&[2, 3], -1.0, 1.0), c.rng.uniform(&[2, 5], -1.0, 1.0)];
    c.case("concat axis -1", |x| concat(x, -1), &cols);
    let same = [c.rng.uniform(&[2, 3], -1.0, 1.0), c.rng.uniform(&[2, 3], -1.0, 1.0), c.rng.uniform(&[2, 3], -1.0, 1.0)];
    for axis in [0, 1, 2, -1, -2, -3] {
        c.case(&format!("stack axis {axis}"), |x| stack(x, axis), &same);
    }
    let x = c.rng.uniform(&[2, 3], -1.0, 1.0);
    c.case("concat of x with itself", |x| concat(&[x[0].clone(), x[0].square()?], 0), &[x]);
    c.finish();
}

#[test]
fn indexing() {
    let mut c = Checker::new(7);
    let x = c.rng.uniform(&[4, 5, 3], -2.0, 2.0);
    let rev = Idx::Range(None, None, -1);
    let cases: Vec<(&str, Box<dyn Fn(&Tensor) -> Result<Tensor>>)> = vec![
        ("x[1]", Box::new(|t| t.i(1))),
        ("x[-1]", Box::new(|t| t.i(-1))),
        ("x[:2]", Box::new(|t| t.i(..2))),
        ("x[1:3]", Box::new(|t| t.i(1..3))),
        ("x[2:]", Box::new(|t| t.i(2..))),
        ("x[:, 1]", Box::new(|t| t.i((.., 1)))),
        ("x[1:, :, 2]", Box::new(|t| t.i((1.., .., 2)))),
        ("x[2, 3, 1]", Box::new(|t| t.i((2, 3, 1)))),
        ("x[::-1]", Box::new(move |t| t.index(&[rev]))),
        ("x[:, ::-1, ::-1]", Box::new(move |t| t.index(&[Idx::FULL, rev, rev]))),
        ("x[:, -1::-2, 0]", Box::new(|t| t.index(&[Idx::FULL, Idx::Range(Some(-1), None, -2), Idx::At(0)]))),
        ("x[3:0:-2]", Box::new(|t| t.index(&[Idx::Range(Some(3), Some(0), -2)]))),
        ("x[::2, 1::3]", Box::new(|t| t.index(&[Idx::Range(None, None, 2), Idx::Range(Some(1), None, 3)]))),
        ("x[:2] + x[1:3] (overlapping)", Box::new(|t| &t.i(..2)? + &t.i(1..3)?)),
        ("x[::-1] * x", Box::new(move |t| t.index(&[rev])?.mul(t))),
    ];
    for (name, f) in &cases {
        c.case(name, |x| f(&x[0]), &[x.clone()]);
    }
    c.finish();
}

#[test]
fn cast_and_select() {
    let mut c = Checker::new(8);
    let x = c.rng.uniform(&[2, 3], -2.0, 2.0);
    c.case("cast f64 -> f64", |x| x[0].cast(DType::F64)?.square(), &[x]);
    let cond = from_slice::<bool>(&[true, false, false, true, true, false], &[2, 3]).unwrap();
    let row = from_slice::<bool>(&[false, true, true], &[3]).unwrap();
    for (sa, sb) in [(&[2usize, 3][..], &[2usize, 3][..]), (&[2, 3], &[3]), (&[3], &[2, 1]), (&[], &[2, 3])] {
        let (a, b) = (c.rng.uniform(sa, -2.0, 2.0), c.rng.uniform(sb, -2.0, 2.0));
        c.case(&format!("where [2, 3] {sa:?} {sb:?}"), |x| where_(&cond, &x[0], &x[1]), &[a.clone(), b.clone()]);
        c.case(&format!("where [3] {sa:?} {sb:?}"), |x| row.select(&x[0], &x[1]), &[a, b]);
    }
    let x = c.rng.away(&[3, 4], 0.2, 2.0);
    c.case("where(x > 0, x, x^2)", |x| where_(&x[0].greater(0.0)?, &x[0], &x[0].square()?), &[x]);
    c.finish();
}

#[test]
fn matmul_family() {
    let mut c = Checker::new(9);
    let pair = |c: &mut Checker, name: &str, sa: &[usize], sb: &[usize], ta: bool, tb: bool| {
        let (a, b) = (c.rng.uniform(sa, -1.0, 1.0), c.rng.uniform(sb, -1.0, 1.0));
        c.case(&format!("{name} {sa:?} {sb:?} ta={ta} tb={tb}"), |x| x[0].matmul_t(&x[1], ta, tb), &[a, b]);
    };
    pair(&mut c, "matmul", &[3, 4], &[4, 5], false, false);
    pair(&mut c, "matmul_t", &[4, 3], &[4, 5], true, false);
    pair(&mut c, "matmul_t", &[3, 4], &[5, 4], false, true);
    pair(&mut c, "matmul_t", &[4, 3], &[5, 4], true, true);
    pair(&mut c, "matmul 1x1", &[1, 1], &[1, 1], false, false);
    pair(&mut c, "batched", &[2, 3, 4], &[2, 4, 5], false, false);
    pair(&mut c, "batch broadcast", &[2, 3, 4], &[4, 5], false, false);
    pair(&mut c, "batch broadcast", &[3, 4], &[2, 4, 5], false, false);
    pair(&mut c, "batch broadcast", &[2, 1, 3, 4], &[5, 4, 2], false, false);
    pair(&mut c, "batch broadcast", &[1, 3, 4], &[2, 4, 2], false, false);
    pair(&mut c, "batched transposed", &[2, 4, 3], &[5, 4], true, true);
    pair(&mut c, "batched transposed", &[2, 3, 4], &[1, 5, 4], false, true);
    let (a, b) = (c.rng.uniform(&[2, 3], -1.0, 1.0), c.rng.uniform(&[3, 2], -1.0, 1.0));
    c.case("matmul() function", |x| matmul(&x[0], &x[1]), &[a, b]);
    let sq = c.rng.uniform(&[3, 3], -1.0, 1.0);
    c.case("x @ x", |x| x[0].matmul(&x[0]), &[sq.clone()]);
    c.case("x @ x^T", |x| x[0].matmul_t(&x[0], false, true), &[sq]);
    c.finish();
}

#[test]
fn composite_models() {
    let mut c = Checker::new(10);
    let xs = [
        c.rng.uniform(&[4, 3], -1.0, 1.0),
        c.rng.uniform(&[3, 5], -1.0, 1.0),
        c.rng.uniform(&[5], -0.5, 0.5),
        c.rng.uniform(&[5, 2], -1.0, 1.0),
    ];
    // A two-layer perceptron with a mean squared error.
    c.case("mlp", |x| {
        let h = (x[0].matmul(&x[1])? + &x[2])?.tanh()?;
        h.matmul(&x[3])?.sigmoid()?.sub(0.5)?.square()?.reduce_mean()
    }, &xs);
    // A numerically stable softmax along the last axis.
    let logits = c.rng.uniform(&[3, 4], -2.0, 2.0);
    c.case("softmax", |x| {
        let z = x[0].sub(&x[0].reduce_max_with(-1, true)?)?.exp()?;
        z.div(&z.reduce_sum_with(-1, true)?)
    }, &[logits]);
    let p = c.rng.uniform(&[2, 3], 0.5, 2.0);
    c.case("log(sqrt(p) * p^p) along axes", |x| x[0].sqrt()?.mul(&x[0].pow(&x[0])?)?.log()?.reduce_sum_axis(0), &[p]);
    c.finish();
}
