//! Every elementwise primitive of the registry (`UnaryOp::ALL`,
//! `BinaryOp::ALL`), differentiated by the tape in float64 and held to
//! central finite differences: first derivatives, and for unary ops the
//! second derivative by nested tapes. A new primitive is checked here with
//! no edit: its inputs come from its registry `domain`, and one without a
//! gradient (`has_gradient`) must give `None`, as TF.

use gradtape::ops::binary::BinaryOp;
use gradtape::ops::unary::UnaryOp;
use gradtape::*;

const H: f64 = 1e-6;

/// Deterministic points in [lo, hi), none within 0.05 of 0 (the kink of
/// abs, relu and sign) nor of an integer (where a floor-based op jumps).
fn points(n: usize, (lo, hi): (f64, f64), seed: f64) -> Vec<f64> {
    let mut out = Vec::new();
    let mut i = 0.0;
    while out.len() < n {
        let x = lo + (hi - lo) * ((i * 0.754_877_666 + seed) * 12.9898f64).sin().abs();
        i += 1.0;
        if (x - x.round()).abs() > 0.05 {
            out.push(x);
        }
    }
    out
}

fn t64(v: &[f64]) -> Tensor {
    from_slice::<f64>(v, &[v.len()]).unwrap()
}

fn assert_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * w.abs().max(1.0), "{what}: element {i} is {g}, finite differences give {w}\n got {got:?}\nwant {want:?}");
    }
}

/// d f(x) / dx elementwise by the tape (`None` when disconnected).
fn tape_grad(f: &dyn Fn(&Tensor) -> Result<Tensor>, x: &Tensor) -> Option<Vec<f64>> {
    let tape = GradientTape::new();
    let y = tape.record(|t| { t.watch(x)?; f(x) }).unwrap();
    tape.gradient(&y, x).unwrap().map(|g| g.to_vec::<f64>().unwrap())
}

/// Central differences of an elementwise `f` at each point of `v`.
fn central(f: &dyn Fn(&[f64]) -> Vec<f64>, v: &[f64]) -> Vec<f64> {
    let up: Vec<f64> = v.iter().map(|x| x + H).collect();
    let down: Vec<f64> = v.iter().map(|x| x - H).collect();
    f(&up).iter().zip(f(&down)).map(|(a, b)| (a - b) / (2.0 * H)).collect()
}

#[test]
fn unary_gradients_match_finite_differences() {
    for (k, &op) in UnaryOp::ALL.iter().enumerate() {
        let v = points(9, op.domain(), k as f64);
        let x = t64(&v);
        let f = |t: &Tensor| t.unary(op);
        let g = tape_grad(&f, &x);
        if !op.has_gradient() {
            assert!(g.is_none(), "{op:?} has no gradient in TF, got {g:?}");
            continue;
        }
        let g = g.unwrap_or_else(|| panic!("{op:?}: no gradient"));
        let value = |p: &[f64]| t64(p).unary(op).unwrap().to_vec::<f64>().unwrap();
        assert_close(&format!("d/dx {op:?}"), &g, &central(&value, &v), 1e-6);
        // The second derivative: the tape's gradient of its own gradient,
        // against differences of the (tape's) first derivative.
        let outer = GradientTape::new();
        let dy = outer
            .record(|o| {
                o.watch(&x)?;
                let inner = GradientTape::new();
                let y = inner.record(|i| { i.watch(&x)?; x.unary(op) })?;
                Ok(inner.gradient(&y, &x)?.expect("first derivative"))
            })
            .unwrap();
        let first = |p: &[f64]| tape_grad(&f, &t64(p)).expect("first derivative");
        let want = central(&first, &v);
        // A first derivative that does not depend on x (Sign's zeros) may be
        // disconnected from it: then the differences must be 0.
        let d2 = outer.gradient(&dy, &x).unwrap().map_or_else(|| vec![0.0; v.len()], |d| d.to_vec::<f64>().unwrap());
        assert_close(&format!("d2/dx2 {op:?}"), &d2, &want, 1e-5);
    }
}

#[test]
fn binary_gradients_match_finite_differences() {
    for (k, &op) in BinaryOp::ALL.iter().enumerate() {
        if op.is_comparison() {
            // A bool result is no differentiation target.
            continue;
        }
        let va = points(9, op.domain(), k as f64);
        let vb = points(9, op.domain(), k as f64 + 0.5);
        let (a, b) = (t64(&va), t64(&vb));
        let tape = GradientTape::persistent();
        let y = tape.record(|t| { t.watch(&a)?; t.watch(&b)?; a.binary(op, &b) }).unwrap();
        let (ga, gb) = (tape.gradient(&y, &a).unwrap(), tape.gradient(&y, &b).unwrap());
        if !op.has_gradient() {
            assert!(ga.is_none() && gb.is_none(), "{op:?} has no gradient in TF");
            continue;
        }
        let fa = |p: &[f64]| t64(p).binary(op, &b).unwrap().to_vec::<f64>().unwrap();
        let fb = |p: &[f64]| a.binary(op, &t64(p)).unwrap().to_vec::<f64>().unwrap();
        let ga = ga.unwrap_or_else(|| panic!("{op:?}: no gradient for a")).to_vec::<f64>().unwrap();
        let gb = gb.unwrap_or_else(|| panic!("{op:?}: no gradient for b")).to_vec::<f64>().unwrap();
        assert_close(&format!("d/da {op:?}"), &ga, &central(&fa, &va), 1e-6);
        assert_close(&format!("d/db {op:?}"), &gb, &central(&fb, &vb), 1e-6);
    }
}
