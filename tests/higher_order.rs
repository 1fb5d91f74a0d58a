//! Higher-order derivatives: nested tapes and a persistent tape against
//! closed forms, and the vectorised `jacobian` / `batch_jacobian` (Hessians
//! included) against central differences, all in float64.

use gradtape::*;

/// `|a - e| <= tol * max(1, |e|)` element by element.
fn assert_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: {} values, expected {}", got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * w.abs().max(1.0), "{what}: element {i} is {g}, expected {w}\n got {got:?}\nwant {want:?}");
    }
}

fn t64(v: &[f64], shape: &[usize]) -> Tensor {
    from_slice::<f64>(v, shape).unwrap()
}

/// Deterministic inputs without a PRNG: a smooth scramble in [lo, hi).
fn sample(n: usize, lo: f64, hi: f64, seed: f64) -> Vec<f64> {
    (0..n).map(|i| lo + (hi - lo) * ((i as f64 * 0.754_877_666 + seed) * 12.9898).sin().abs()).collect()
}

/// (dy/dx, d2y/dx2) of an elementwise `f` by nested tapes: the outer tape
/// watches x and records the inner tape's gradient computation.
fn nested(f: impl Fn(&Tensor) -> Result<Tensor>, x: &Tensor) -> (Vec<f64>, Vec<f64>) {
    let outer = GradientTape::new();
    let dy = outer
        .record(|o| {
            o.watch(x)?;
            let inner = GradientTape::new();
            let y = inner.record(|i| {
                i.watch(x)?;
                f(x)
            })?;
            Ok(inner.gradient(&y, x)?.expect("first derivative is connected"))
        })
        .unwrap();
    let d2 = outer.gradient(&dy, x).unwrap().expect("second derivative is connected");
    assert_eq!(d2.shape(), x.shape());
    (dy.to_vec::<f64>().unwrap(), d2.to_vec::<f64>().unwrap())
}

type Closed = fn(f64) -> f64;

#[test]
fn second_derivatives_match_closed_forms() {
    #[allow(clippy::type_complexity)]
    let cases: Vec<(&str, Box<dyn Fn(&Tensor) -> Result<Tensor>>, Closed, Closed, (f64, f64))> = vec![
        // d/dx x^3 = 3x^2, d2/dx2 x^3 = 6x
        ("x*x*x", Box::new(|x| x.mul(x)?.mul(x)), |x| 3.0 * x * x, |x| 6.0 * x, (-2.0, 2.0)),
        ("x^3 (pow)", Box::new(|x| x.pow(3.0)), |x| 3.0 * x * x, |x| 6.0 * x, (-2.0, 2.0)),
        // d2/dx2 sin x = -sin x
        ("sin", Box::new(|x| x.sin()), f64::cos, |x| -x.sin(), (-3.0, 3.0)),
        // d2/dx2 cos x = -cos x
        ("cos", Box::new(|x| x.cos()), |x| -x.sin(), |x| -x.cos(), (-3.0, 3.0)),
        // d2/dx2 e^x = e^x
        ("exp", Box::new(|x| x.exp()), f64::exp, f64::exp, (-2.0, 2.0)),
        // d/dx ln x = 1/x, d2/dx2 ln x = -1/x^2
        ("log", Box::new(|x| x.log()), |x| 1.0 / x, |x| -1.0 / (x * x), (0.3, 3.0)),
        // d tanh = 1 - t^2, d2 tanh = -2t (1 - t^2)
        ("tanh", Box::new(|x| x.tanh()), |x| 1.0 - x.tanh().powi(2), |x| -2.0 * x.tanh() * (1.0 - x.tanh().powi(2)), (-2.0, 2.0)),
        // d s = s(1-s), d2 s = s(1-s)(1-2s)
        ("sigmoid", Box::new(|x| x.sigmoid()), |x| 1.0 / (1.0 + (-x).exp()) * (1.0 - 1.0 / (1.0 + (-x).exp())), |x| {
            let s = 1.0 / (1.0 + (-x).exp());
            s * (1.0 - s) * (1.0 - 2.0 * s)
        }, (-4.0, 4.0)),
        // d/dx x sin x = sin x + x cos x, d2 = 2 cos x - x sin x
        ("x*sin(x)", Box::new(|x| x.mul(&x.sin()?)), |x| x.sin() + x * x.cos(), |x| 2.0 * x.cos() - x * x.sin(), (-3.0, 3.0)),
        // d/dx 1/x = -1/x^2, d2 = 2/x^3
        ("1/x", Box::new(|x| 1.0 / x), |x| -1.0 / (x * x), |x| 2.0 / (x * x * x), (0.5, 2.0)),
        // d sqrt x = 1/(2 sqrt x), d2 = -1/(4 x^1.5)
        ("sqrt", Box::new(|x| x.sqrt()), |x| 0.5 / x.sqrt(), |x| -0.25 / x.powf(1.5), (0.3, 3.0)),
        // d2/dx2 x^2 = 2
        ("square", Box::new(|x| x.square()), |x| 2.0 * x, |_| 2.0, (-2.0, 2.0)),
        // d/dx e^sin x = cos x e^sin x, d2 = (cos^2 x - sin x) e^sin x
        ("exp(sin(x))", Box::new(|x| x.sin()?.exp()), |x| x.cos() * x.sin().exp(), |x| (x.cos().powi(2) - x.sin()) * x.sin().exp(), (-3.0, 3.0)),
        // d/dx x^2.5 = 2.5 x^1.5, d2 = 3.75 x^0.5
        ("x^2.5", Box::new(|x| x.pow(2.5)), |x| 2.5 * x.powf(1.5), |x| 3.75 * x.sqrt(), (0.3, 3.0)),
        // d/dx x/(1+x^2) = (1-x^2)/(1+x^2)^2, d2 = 2x(x^2-3)/(1+x^2)^3
        ("x/(1+x^2)", Box::new(|x| x.div(&(x.square()? + 1.0)?)), |x| (1.0 - x * x) / (1.0 + x * x).powi(2), |x| 2.0 * x * (x * x - 3.0) / (1.0 + x * x).powi(3), (-2.0, 2.0)),
        // |x| and relu are piecewise linear: d2 = 0 (connected zeros, as in TF)
        ("abs", Box::new(|x| x.abs()), f64::signum, |_| 0.0, (0.2, 2.0)),
        ("relu", Box::new(|x| x.relu()), |x| if x > 0.0 { 1.0 } else { 0.0 }, |_| 0.0, (0.2, 2.0)),
    ];
    for (k, (name, f, d1, d2, (lo, hi))) in cases.iter().enumerate() {
        let mut v = sample(7, *lo, *hi, k as f64);
        if *name == "abs" || *name == "relu" {
            // both sides of the kink
            v.iter_mut().step_by(2).for_each(|x| *x = -*x);
        }
        let x = t64(&v, &[7]);
        let (g1, g2) = nested(f, &x);
        assert_close(&format!("d/dx {name}"), &g1, &v.iter().map(|&x| d1(x)).collect::<Vec<_>>(), 1e-12);
        assert_close(&format!("d2/dx2 {name}"), &g2, &v.iter().map(|&x| d2(x)).collect::<Vec<_>>(), 1e-12);
    }
}

#[test]
fn third_derivative_of_cube_is_six() {
    // d/dx x^3 = 3x^2, d2 = 6x, d3 = 6
    let x = t64(&[-1.5, 0.5, 3.0], &[3]);
    let t3 = GradientTape::new();
    let d2 = t3
        .record(|t3r| {
            t3r.watch(&x)?;
            let t2 = GradientTape::new();
            let d1 = t2.record(|t2r| {
                t2r.watch(&x)?;
                let t1 = GradientTape::new();
                let y = t1.record(|t1r| {
                    t1r.watch(&x)?;
                    x.mul(&x)?.mul(&x)
                })?;
                Ok(t1.gradient(&y, &x)?.expect("d1"))
            })?;
            assert_close("d/dx x^3", &d1.to_vec::<f64>()?, &[6.75, 0.75, 27.0], 1e-12);
            Ok(t2.gradient(&d1, &x)?.expect("d2"))
        })
        .unwrap();
    assert_close("d2/dx2 x^3", &d2.to_vec::<f64>().unwrap(), &[-9.0, 3.0, 18.0], 1e-12);
    let d3 = t3.gradient(&d2, &x).unwrap().expect("d3");
    assert_close("d3/dx3 x^3", &d3.to_vec::<f64>().unwrap(), &[6.0, 6.0, 6.0], 1e-12);
}

#[test]
fn persistent_tape_differentiates_its_own_gradient() {
    // y = x^3 + sin x: dy = 3x^2 + cos x, d2y = 6x - sin x, d3y = 6 - cos x
    let v = [-1.0, 0.25, 2.0];
    let x = t64(&v, &[3]);
    let tape = GradientTape::persistent();
    let guard = tape.scope().unwrap();
    tape.watch(&x).unwrap();
    let y = (x.pow(3.0).unwrap() + x.sin().unwrap()).unwrap();
    let dy = tape.gradient(&y, &x).unwrap().expect("dy");
    let d2 = tape.gradient(&dy, &x).unwrap().expect("d2y");
    drop(guard);
    let d3 = tape.gradient(&d2, &x).unwrap().expect("d3y");
    let map = |f: fn(f64) -> f64| v.iter().map(|&x| f(x)).collect::<Vec<_>>();
    assert_close("dy", &dy.to_vec::<f64>().unwrap(), &map(|x| 3.0 * x * x + x.cos()), 1e-12);
    assert_close("d2y", &d2.to_vec::<f64>().unwrap(), &map(|x| 6.0 * x - x.sin()), 1e-12);
    assert_close("d3y", &d3.to_vec::<f64>().unwrap(), &map(|x| 6.0 - x.cos()), 1e-12);
    // The first call's gradient ops were recorded: y's own gradient is unchanged.
    assert_close("dy again", &tape.gradient(&y, &x).unwrap().unwrap().to_vec::<f64>().unwrap(), &map(|x| 3.0 * x * x + x.cos()), 1e-12);
}

#[test]
fn mixed_partials() {
    // f = x^2 y: df/dx = 2xy, d2f/dydx = d2f/dxdy = 2x, d2f/dx2 = 2y
    let (x, y) = (t64(&[1.5, -2.0], &[2]), t64(&[0.5, 3.0], &[2]));
    let outer = GradientTape::persistent();
    let (gx, gy) = outer
        .record(|o| {
            o.watch_all(&[&x, &y])?;
            let inner = GradientTape::new();
            let f = inner.record(|i| {
                i.watch_all(&[&x, &y])?;
                x.square()?.mul(&y)
            })?;
            let g = inner.gradients(&[&f], &[&x, &y])?;
            Ok((g[0].clone().expect("df/dx"), g[1].clone().expect("df/dy")))
        })
        .unwrap();
    assert_close("df/dx", &gx.to_vec::<f64>().unwrap(), &[1.5, -12.0], 1e-12);
    assert_close("df/dy", &gy.to_vec::<f64>().unwrap(), &[2.25, 4.0], 1e-12);
    let dxx_dxy = outer.gradients(&[&gx], &[&x, &y]).unwrap();
    assert_close("d2f/dx2", &dxx_dxy[0].as_ref().unwrap().to_vec::<f64>().unwrap(), &[1.0, 6.0], 1e-12);
    assert_close("d2f/dydx", &dxx_dxy[1].as_ref().unwrap().to_vec::<f64>().unwrap(), &[3.0, -4.0], 1e-12);
    let dyx_dyy = outer.gradients(&[&gy], &[&x, &y]).unwrap();
    assert_close("d2f/dxdy", &dyx_dyy[0].as_ref().unwrap().to_vec::<f64>().unwrap(), &[3.0, -4.0], 1e-12);
    // df/dy = x^2 does not depend on y: no path, as in TF.
    assert!(dyx_dyy[1].is_none(), "d2f/dy2 should be unconnected");

    // g = x^y: d2g/dxdy = x^(y-1) (1 + y ln x)
    let (x, y) = (t64(&[0.5, 2.0, 3.0], &[3]), t64(&[1.5, -0.5, 2.0], &[3]));
    let outer = GradientTape::new();
    let gx = outer
        .record(|o| {
            o.watch_all(&[&x, &y])?;
            let inner = GradientTape::new();
            let g = inner.record(|i| {
                i.watch(&x)?;
                x.pow(&y)
            })?;
            Ok(inner.gradient(&g, &x)?.expect("dg/dx"))
        })
        .unwrap();
    let dxy = outer.gradient(&gx, &y).unwrap().expect("d2g/dxdy");
    let want: Vec<f64> = [(0.5f64, 1.5f64), (2.0, -0.5), (3.0, 2.0)].iter().map(|&(x, y)| x.powf(y - 1.0) * (1.0 + y * x.ln())).collect();
    assert_close("d2 x^y / dxdy", &dxy.to_vec::<f64>().unwrap(), &want, 1e-12);
}

/// Column j is (f(x + h e_j) - f(x - h e_j)) / 2h: the result is laid out as
/// `f(x).shape ++ x.shape`, row-major, like `tape.jacobian`.
fn numeric_jacobian(f: &dyn Fn(&Tensor) -> Result<Tensor>, x: &Tensor) -> Vec<f64> {
    let h = 1e-6;
    let v = x.to_vec::<f64>().unwrap();
    let eval = |p: &[f64]| f(&t64(p, x.dims())).unwrap().to_vec::<f64>().unwrap();
    let ny = eval(&v).len();
    let mut j = vec![0.0; ny * v.len()];
    for c in 0..v.len() {
        let (mut p, mut m) = (v.clone(), v.clone());
        p[c] += h;
        m[c] -= h;
        for (r, (a, b)) in eval(&p).iter().zip(eval(&m)).enumerate() {
            j[r * v.len() + c] = (a - b) / (2.0 * h);
        }
    }
    j
}

/// `tape.jacobian(f(x), x)` on a non-persistent tape (vectorised).
fn jacobian_of(f: &dyn Fn(&Tensor) -> Result<Tensor>, x: &Tensor) -> Tensor {
    let tape = GradientTape::new();
    let y = tape
        .record(|t| {
            t.watch(x)?;
            f(x)
        })
        .unwrap();
    let j = tape.jacobians(&y, &[x], Unconnected::None, true).unwrap().pop().unwrap().expect("connected");
    let mut dims = y.dims().to_vec();
    dims.extend_from_slice(x.dims());
    assert_eq!(j.dims(), &dims[..], "jacobian shape");
    j
}

fn check_jacobian(name: &str, f: &dyn Fn(&Tensor) -> Result<Tensor>, x: &Tensor) {
    let j = jacobian_of(f, x);
    assert_close(&format!("jacobian {name}"), &j.to_vec::<f64>().unwrap(), &numeric_jacobian(f, x), 1e-6);
}

#[test]
fn jacobians_match_numeric() {
    let x = t64(&sample(6, -1.5, 1.5, 0.3), &[2, 3]);
    let w = t64(&sample(12, -1.0, 1.0, 1.7), &[3, 4]);
    let b = t64(&sample(2, -1.0, 1.0, 2.9), &[2, 1]);
    check_jacobian("elementwise x sin x", &|x| x.mul(&x.sin()?), &x);
    check_jacobian("matmul x @ w", &|x| x.matmul(&w), &x);
    check_jacobian("matmul w^T @ x^T", &|x| w.matmul_t(x, true, true), &x);
    check_jacobian("reduce_sum x^2 axis 1", &|x| x.square()?.reduce_sum_axis(1), &x);
    check_jacobian("reduce_max axis 0 keepdims", &|x| x.reduce_max_with(0, true), &x);
    check_jacobian("reduce_prod axis -1", &|x| x.reduce_prod_axis(-1), &x);
    check_jacobian("broadcasting b * x + x[0]", &|x| (b.mul(x)? + x.i(0)?)?.tanh(), &x);
    check_jacobian("scalar target mean(exp x)", &|x| x.exp()?.reduce_mean(), &x);
    check_jacobian("transpose then slice", &|x| x.t()?.index(&[Idx::Range(None, None, -1)]), &x);
    // The matmul's second operand as the source.
    check_jacobian("matmul wrt w", &|w| x.matmul(w)?.sigmoid(), &w);
    let mask = from_slice::<bool>(&[true, false, true, true, false, false], &[1, 6]).unwrap();
    check_jacobian("concat then where", &|x| {
        let c = concat(&[x.clone(), x.square()?], 1)?;
        where_(&mask, &c, &c.neg()?.exp()?)
    }, &x);
    check_jacobian("stack, negative steps", &|x| {
        stack(&[x.clone(), x.cos()?], -1)?.index(&[Idx::Range(None, None, -1), Idx::Range(Some(2), None, -2)])
    }, &x);
    check_jacobian("maximum, minimum, pow", &|x| x.maximum(0.05)?.minimum(&x.sin()?)?.add(2.0)?.pow(x), &x);
    let w3 = t64(&sample(12, -1.0, 1.0, 3.3), &[2, 3, 2]);
    check_jacobian("batched matmul with batch broadcasting", &|x| x.reshape([1i64, 2, 3])?.matmul(&w3), &x);
    check_jacobian("broadcast_to, transpose, reduce_min", &|x| {
        x.expand_dims(0)?.broadcast_to(&[2, 2, 3])?.transpose(&[2, 0, 1])?.mul(&w3.reshape([3i64, 2, 2])?)?.reduce_min_axis(-1)
    }, &x);

    // The per-row loop (persistent tape, use_pfor = false) agrees with the vectorised walk.
    let tape = GradientTape::persistent();
    let y = tape.record(|t| {
        t.watch_all(&[&x, &w])?;
        x.matmul(&w)?.tanh()
    }).unwrap();
    let fast = tape.jacobians(&y, &[&x, &w], Unconnected::None, true).unwrap();
    let slow = tape.jacobians(&y, &[&x, &w], Unconnected::None, false).unwrap();
    for (f, s) in fast.iter().zip(&slow) {
        let (f, s) = (f.as_ref().unwrap(), s.as_ref().unwrap());
        assert_eq!(f.shape(), s.shape());
        assert_close("pfor vs loop", &f.to_vec::<f64>().unwrap(), &s.to_vec::<f64>().unwrap(), 1e-12);
    }
}

/// The per-example blocks of the full numeric jacobian: `[b, y..., x...]`.
fn numeric_batch_jacobian(f: &dyn Fn(&Tensor) -> Result<Tensor>, x: &Tensor) -> Vec<f64> {
    let full = numeric_jacobian(f, x);
    let b = x.dims()[0];
    let nx = x.numel() / b;
    let ny = f(x).unwrap().numel() / b;
    let mut out = Vec::with_capacity(b * ny * nx);
    for i in 0..b {
        for r in 0..ny {
            for c in 0..nx {
                out.push(full[(i * ny + r) * (b * nx) + i * nx + c]);
            }
        }
    }
    out
}

#[test]
fn batch_jacobians_match_numeric() {
    let w = t64(&sample(6, -1.0, 1.0, 0.9), &[3, 2]);
    let cases: Vec<(&str, Box<dyn Fn(&Tensor) -> Result<Tensor>>, Vec<usize>)> = vec![
        ("tanh(x @ w)", Box::new(|x| x.matmul(&w)?.tanh()), vec![4, 3]),
        ("x * x", Box::new(|x| x.square()), vec![4, 3]),
        ("row softmax-like", Box::new(|x| x.exp()?.div(&x.exp()?.reduce_sum_with(1, true)?)), vec![3, 4]),
        ("rank-3 source", Box::new(|x| x.sin()?.reduce_sum_axis(-1)?.matmul(&w)), vec![2, 3, 2]),
    ];
    for (name, f, shape) in &cases {
        let n: usize = shape.iter().product();
        let x = t64(&sample(n, -1.0, 1.0, 0.4), shape);
        let tape = GradientTape::new();
        let y = tape.record(|t| {
            t.watch(&x)?;
            f(&x)
        }).unwrap();
        let j = tape.batch_jacobian(&y, &x, true).unwrap();
        let mut dims = y.dims().to_vec();
        dims.extend_from_slice(&x.dims()[1..]);
        assert_eq!(j.dims(), &dims[..], "batch_jacobian {name} shape");
        assert_close(&format!("batch_jacobian {name}"), &j.to_vec::<f64>().unwrap(), &numeric_batch_jacobian(&**f, &x), 1e-6);
    }
}

/// Row-wise log-sum-exp: its Hessian is diag(p) - p p^T with p = softmax(x).
fn lse(x: &Tensor) -> Result<Tensor> {
    x.exp()?.reduce_sum_axis(-1)?.log()
}

fn lse_hessian(row: &[f64]) -> Vec<f64> {
    let z: f64 = row.iter().map(|v| v.exp()).sum();
    let p: Vec<f64> = row.iter().map(|v| v.exp() / z).collect();
    let n = p.len();
    (0..n * n).map(|k| (if k / n == k % n { p[k / n] } else { 0.0 }) - p[k / n] * p[k % n]).collect()
}

#[test]
fn hessians() {
    // Outer jacobian of an inner gradient: f = sum(x^2) has Hessian 2I.
    let x = t64(&[0.3, -1.2, 2.0, 0.7], &[4]);
    let outer = GradientTape::new();
    let g = outer.record(|o| {
        o.watch(&x)?;
        let inner = GradientTape::new();
        let f = inner.record(|i| {
            i.watch(&x)?;
            x.square()?.reduce_sum()
        })?;
        Ok(inner.gradient(&f, &x)?.expect("gradient"))
    }).unwrap();
    assert_close("grad sum x^2", &g.to_vec::<f64>().unwrap(), &[0.6, -2.4, 4.0, 1.4], 1e-12);
    let h = outer.jacobians(&g, &[&x], Unconnected::None, true).unwrap().pop().unwrap().unwrap();
    assert_eq!(h.dims(), &[4, 4]);
    let eye2: Vec<f64> = (0..16).map(|k| if k / 4 == k % 4 { 2.0 } else { 0.0 }).collect();
    assert_close("Hessian of sum x^2", &h.to_vec::<f64>().unwrap(), &eye2, 1e-12);

    // Nested jacobians of the scalar log-sum-exp.
    let v = [0.2, -0.7, 1.1];
    let x = t64(&v, &[3]);
    let outer = GradientTape::new();
    let j = outer.record(|o| {
        o.watch(&x)?;
        let inner = GradientTape::new();
        let f = inner.record(|i| {
            i.watch(&x)?;
            lse(&x)
        })?;
        Ok(inner.jacobians(&f, &[&x], Unconnected::None, true)?.pop().flatten().expect("jacobian"))
    }).unwrap();
    let h = outer.jacobians(&j, &[&x], Unconnected::None, true).unwrap().pop().unwrap().unwrap();
    assert_eq!(h.dims(), &[3, 3]);
    assert_close("jacobian of jacobian (lse)", &h.to_vec::<f64>().unwrap(), &lse_hessian(&v), 1e-12);

    // The product's Hessian, zero included: H_ij = prod of the others (i != j), 0 on the diagonal.
    let x = t64(&[0.0, 2.0, 3.0], &[3]);
    let outer = GradientTape::new();
    let g = outer.record(|o| {
        o.watch(&x)?;
        let inner = GradientTape::new();
        let f = inner.record(|i| {
            i.watch(&x)?;
            x.reduce_prod()
        })?;
        Ok(inner.gradient(&f, &x)?.expect("gradient"))
    }).unwrap();
    assert_close("grad prod", &g.to_vec::<f64>().unwrap(), &[6.0, 0.0, 0.0], 1e-12);
    let h = outer.jacobians(&g, &[&x], Unconnected::None, true).unwrap().pop().unwrap().unwrap();
    assert_close("Hessian of prod", &h.to_vec::<f64>().unwrap(), &[0.0, 3.0, 2.0, 3.0, 0.0, 0.0, 2.0, 0.0, 0.0], 1e-12);
}

/// The Hessian of scalar `f` as an outer jacobian of an inner gradient,
/// against central differences of that (first-order, separately tested) gradient.
fn check_hessian(name: &str, f: &dyn Fn(&Tensor) -> Result<Tensor>, x: &Tensor) {
    let grad = |x: &Tensor| -> Result<Tensor> {
        let inner = GradientTape::new();
        let y = inner.record(|i| {
            i.watch(x)?;
            f(x)
        })?;
        Ok(inner.gradient(&y, x)?.expect("gradient"))
    };
    let h = jacobian_of(&grad, x);
    assert_close(&format!("Hessian {name}"), &h.to_vec::<f64>().unwrap(), &numeric_jacobian(&grad, x), 1e-6);
}

#[test]
fn hessians_of_compositions_match_numeric() {
    let x = t64(&sample(6, 0.2, 1.5, 7.1), &[2, 3]);
    let w = t64(&sample(12, -1.0, 1.0, 0.6), &[3, 4]);
    let v = t64(&sample(4, -1.0, 1.0, 2.2), &[4, 1]);
    let mask = from_slice::<bool>(&[true, false, false, true, true, false], &[2, 3]).unwrap();
    let all = || Axes::All;
    check_hessian("mlp", &|x| x.matmul(&w)?.tanh()?.matmul(&v)?.reduce_sum_with(all(), false), &x);
    check_hessian("slices and concat", &|x| {
        let c = concat(&[x.index(&[Idx::Range(None, None, -1)])?, x.pow(3.0)?, x.i((.., 1..))?.t()?.reshape([2i64, 2])?.sin()?.reshape([1i64, 4])?.i((.., ..3))?], 0)?;
        c.mul(&c.sigmoid()?)?.reduce_sum_with(all(), false)
    }, &x);
    check_hessian("prod along rows", &|x| x.reduce_prod_axis(1)?.reduce_sum_with(all(), false), &x);
    check_hessian("div, pow, where", &|x| {
        where_(&mask, &x.div(&(x.square()? + 1.0)?)?, &x.pow(2.5)?)?.reduce_mean_with(all(), false)
    }, &x);
    check_hessian("sqrt, log, exp, broadcasting", &|x| {
        let m = x.reduce_mean_with(0, true)?;
        x.sub(&m)?.exp()?.mul(&x.sqrt()?)?.add(&x.log()?.transpose(&[1, 0])?.reduce_sum_axis(1)?.reshape([1i64, 3])?)?.reduce_sum_with(all(), false)
    }, &x);
    check_hessian("batched matmul", &|x| {
        let a = x.reshape([2i64, 1, 3])?;
        a.matmul_t(&a, false, true)?.square()?.reduce_sum_with(all(), false)
    }, &x);
}

#[test]
fn batched_hessians() {
    // Rows of x are independent examples; each row's lse has Hessian diag(p) - p p^T.
    let (b, d) = (2, 3);
    let v = sample(b * d, -1.0, 1.0, 5.0);
    let x = t64(&v, &[b, d]);
    let want: Vec<f64> = v.chunks(d).flat_map(lse_hessian).collect();

    // batch_jacobian of an inner gradient: [b, d, d].
    let outer = GradientTape::new();
    let g = outer.record(|o| {
        o.watch(&x)?;
        let inner = GradientTape::new();
        let f = inner.record(|i| {
            i.watch(&x)?;
            lse(&x)
        })?;
        Ok(inner.gradient(&f, &x)?.expect("gradient"))
    }).unwrap();
    let h = outer.batch_jacobian(&g, &x, true).unwrap();
    assert_eq!(h.dims(), &[b, d, d]);
    assert_close("batch_jacobian of gradient", &h.to_vec::<f64>().unwrap(), &want, 1e-12);

    // batch_jacobian of an inner batch_jacobian: y = [lse, sum x^3] per row, [b, 2, d, d].
    let two = |x: &Tensor| stack(&[lse(x)?, x.pow(3.0)?.reduce_sum_axis(1)?], 1);
    let outer = GradientTape::new();
    let jb = outer.record(|o| {
        o.watch(&x)?;
        let inner = GradientTape::new();
        let y = inner.record(|i| {
            i.watch(&x)?;
            two(&x)
        })?;
        inner.batch_jacobian(&y, &x, true)
    }).unwrap();
    assert_eq!(jb.dims(), &[b, 2, d]);
    assert_close("inner batch_jacobian", &jb.to_vec::<f64>().unwrap(), &numeric_batch_jacobian(&two, &x), 1e-6);
    let h = outer.batch_jacobian(&jb, &x, true).unwrap();
    assert_eq!(h.dims(), &[b, 2, d, d]);
    // d2/dx2 sum x^3 = diag(6x)
    let mut want2 = Vec::new();
    for (i, row) in v.chunks(d).enumerate() {
        want2.extend_from_slice(&want[i * d * d..(i + 1) * d * d]);
        want2.extend((0..d * d).map(|k| if k / d == k % d { 6.0 * row[k / d] } else { 0.0 }));
    }
    assert_close("batch_jacobian of batch_jacobian", &h.to_vec::<f64>().unwrap(), &want2, 1e-12);

    // batch_jacobian of an inner (full) jacobian, as TF 2.21 allows in eager:
    // J = d lse(x)_i / dx_j is [b, b, d]; row i depends on x_i only, so the
    // result [b, b, d, d] holds row i's Hessian at [i, i] and zeros elsewhere.
    let outer = GradientTape::new();
    let j = outer.record(|o| {
        o.watch(&x)?;
        let inner = GradientTape::new();
        let f = inner.record(|i| {
            i.watch(&x)?;
            lse(&x)
        })?;
        Ok(inner.jacobians(&f, &[&x], Unconnected::None, true)?.pop().flatten().expect("jacobian"))
    }).unwrap();
    assert_eq!(j.dims(), &[b, b, d]);
    let h = outer.batch_jacobian(&j, &x, true).unwrap();
    assert_eq!(h.dims(), &[b, b, d, d]);
    let mut want3 = vec![0.0; b * b * d * d];
    for i in 0..b {
        want3[(i * b + i) * d * d..(i * b + i + 1) * d * d].copy_from_slice(&want[i * d * d..(i + 1) * d * d]);
    }
    assert_close("batch_jacobian of jacobian", &h.to_vec::<f64>().unwrap(), &want3, 1e-12);
}
