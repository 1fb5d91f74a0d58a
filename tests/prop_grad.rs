//! Random differentiable programs: a small random expression tree of unary,
//! binary, reduce, matmul and movement ops over three float64 inputs, whose
//! tape gradients must match `numeric_gradient` (central differences).
//!
//! Every node's shape broadcasts to `[m, n]`: input 0 is `[m, n]`, input 1
//! one of `[n]`, `[m, 1]`, `[]`, and input 2 is an `[n, n]` matrix that only
//! matmul nodes use. The target is `sum(f(xs) * w)` for a random `w`, so a
//! gradient that puts the right numbers in the wrong places fails. Ops with
//! kinks (abs, relu, max) are left to `gradients.rs`, whose inputs keep away
//! from them; here values are random and a kink would make a flaky test.

mod prop_common;

use gradtape::*;
use prop_common::*;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Expr {
    Leaf(usize),
    Unary(&'static str, Box<Expr>),
    Binary(&'static str, Box<Expr>, Box<Expr>),
    /// A reduction of the `[m, n]` broadcast, keeping dims.
    Reduce(&'static str, &'static [i64], Box<Expr>),
    /// `x @ W`, or `(W @ x^T)^T` through `matmul_t`.
    MatW(bool, Box<Expr>),
    /// concat on axis 1, reshape to `[m, 2, n]`, sum axis 1.
    ConcatSum(Box<Expr>, Box<Expr>),
    /// stack on axis 0, mean over it.
    StackMean(Box<Expr>, Box<Expr>),
    /// `x[::-1]` along an axis.
    Reverse(usize, Box<Expr>),
    /// transpose, flatten, reshape and transpose back.
    Shuffle(Box<Expr>),
    /// `where(mask, a, b)` with a constant mask from the seed's bits.
    Select(u16, Box<Expr>, Box<Expr>),
}

const UNARY: [&str; 10] = ["neg", "square", "sin", "cos", "tanh", "sigmoid", "exp_tanh", "log1p_sq", "sqrt1p_sq", "pow3"];
const BINARY: [&str; 5] = ["add", "sub", "mul", "div_safe", "pow_pos"];
const AXES: [&[i64]; 4] = [&[0], &[1], &[0, 1], &[-1]];

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = (0usize..2).prop_map(Expr::Leaf);
    leaf.prop_recursive(4, 24, 2, |inner| {
        let b = || inner.clone().prop_map(Box::new);
        prop_oneof![
            (prop::sample::select(&UNARY[..]), b()).prop_map(|(o, x)| Expr::Unary(o, x)),
            (prop::sample::select(&BINARY[..]), b(), b()).prop_map(|(o, x, y)| Expr::Binary(o, x, y)),
            (prop::sample::select(&["sum", "mean", "prod"][..]), prop::sample::select(&AXES[..]), b())
                .prop_map(|(o, a, x)| Expr::Reduce(o, a, x)),
            (any::<bool>(), b()).prop_map(|(t, x)| Expr::MatW(t, x)),
            (b(), b()).prop_map(|(x, y)| Expr::ConcatSum(x, y)),
            (b(), b()).prop_map(|(x, y)| Expr::StackMean(x, y)),
            (0usize..2, b()).prop_map(|(a, x)| Expr::Reverse(a, x)),
            b().prop_map(Expr::Shuffle),
            (any::<u16>(), b(), b()).prop_map(|(s, x, y)| Expr::Select(s, x, y)),
        ]
    })
}

/// Evaluates `x` on inputs `xs` (`xs[0]` is `[m, n]`, `xs[2]` is `W`).
fn eval(x: &Expr, xs: &[Tensor]) -> Result<Tensor> {
    let (m, n) = (xs[0].dims()[0], xs[0].dims()[1]);
    let full = |t: Tensor| t.broadcast_to(&[m, n]);
    Ok(match x {
        Expr::Leaf(i) => xs[*i].clone(),
        Expr::Unary(op, a) => {
            let a = eval(a, xs)?;
            match *op {
                "neg" => a.neg()?,
                "square" => a.square()?,
                "sin" => a.sin()?,
                "cos" => a.cos()?,
                "tanh" => a.tanh()?,
                "sigmoid" => a.sigmoid()?,
                "exp_tanh" => a.tanh()?.exp()?,
                "log1p_sq" => (a.square()? + 1.0)?.log()?,
                "sqrt1p_sq" => (a.square()? + 1.0)?.sqrt()?,
                "pow3" => a.pow(3.0)?,
                other => unreachable!("no unary op {other} in the table"),
            }
        }
        Expr::Binary(op, a, b) => {
            let (a, b) = (eval(a, xs)?, eval(b, xs)?);
            match *op {
                "add" => (&a + &b)?,
                "sub" => (&a - &b)?,
                "mul" => a.mul(&b)?,
                // Denominators in [1, 3], bases in [1, inf): smooth everywhere.
                "div_safe" => a.div(&(b.tanh()? + 2.0)?)?,
                "pow_pos" => (b.square()? + 1.0)?.pow(&a.tanh()?)?,
                other => unreachable!("no binary op {other} in the table"),
            }
        }
        Expr::Reduce(op, axes, a) => {
            let a = full(eval(a, xs)?)?;
            let axes = Axes::from(axes.to_vec());
            match *op {
                "sum" => a.reduce_sum_with(axes, true)?,
                "mean" => a.reduce_mean_with(axes, true)?,
                "prod" => a.reduce_prod_with(axes, true)?,
                other => unreachable!("no reduction {other} in the table"),
            }
        }
        Expr::MatW(t, a) => {
            let a = full(eval(a, xs)?)?;
            if *t {
                xs[2].matmul_t(&a, false, true)?.t()?
            } else {
                a.matmul(&xs[2])?
            }
        }
        Expr::ConcatSum(a, b) => {
            let parts = [full(eval(a, xs)?)?, full(eval(b, xs)?)?];
            concat(&parts, 1)?.reshape([m as i64, 2, n as i64])?.reduce_sum_axis(1)?
        }
        Expr::StackMean(a, b) => {
            let parts = [full(eval(a, xs)?)?, full(eval(b, xs)?)?];
            gradtape::stack(&parts, 0)?.reduce_mean_axis(0)?
        }
        Expr::Reverse(axis, a) => {
            let a = full(eval(a, xs)?)?;
            let rev = Idx::Range(None, None, -1);
            a.index(&if *axis == 0 { vec![rev] } else { vec![Idx::FULL, rev] })?
        }
        Expr::Shuffle(a) => full(eval(a, xs)?)?.transpose(&[1, 0])?.reshape([-1])?.reshape([n as i64, m as i64])?.t()?,
        Expr::Select(seed, a, b) => {
            let mask: Vec<bool> = (0..m * n).map(|i| seed >> (i % 16) & 1 == 1).collect();
            let mask = xs[0].engine().from_vec(mask, &[m, n])?;
            where_(&mask, &eval(a, xs)?, &eval(b, xs)?)?
        }
    })
}

fn case() -> impl Strategy<Value = (Expr, usize, usize, usize, Vec<f64>)> {
    (expr(), 1usize..=3, 1usize..=3, 0usize..3, prop::collection::vec(-1.0..1.0f64, 64))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn tape_gradients_of_random_programs_match_central_differences((x, m, n, form1, vals) in case()) {
        let e = Engine::cpu();
        let s1: Vec<usize> = match form1 { 0 => vec![n], 1 => vec![m, 1], _ => vec![] };
        let shapes = [vec![m, n], s1, vec![n, n]];
        let mut off = 0;
        let xs: Vec<Tensor> = shapes.iter().map(|s| {
            let k: usize = s.iter().product();
            off += k;
            tensor(&e, DType::F64, s, &vals[off - k..off])
        }).collect();
        let f = |a: &[Tensor]| eval(&x, a);
        let y = f(&xs)?;
        let w = tensor(&e, DType::F64, y.dims(), &vals[64 - y.numel()..].iter().map(|v| v + 0.5).collect::<Vec<_>>());

        let tape = e.gradient_tape(true, true);
        let loss = tape.record(|t| {
            t.watch(&xs)?;
            f(&xs)?.mul(&w)?.sum()
        })?;
        let sources: Vec<&dyn Differentiable> = xs.iter().map(|t| t as &dyn Differentiable).collect();
        let grads = tape.gradients(&[&loss], &sources)?;
        let numeric = numeric_gradient(|a| f(a)?.mul(&w), &xs, 1e-6)?;
        let scale = 1.0 + y.to_f64_vec().iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (k, (g, num)) in grads.iter().zip(&numeric).enumerate() {
            let num = num.to_vec::<f64>()?;
            match g {
                None => prop_assert!(num.iter().all(|&v| v == 0.0), "input {} has no gradient but f depends on it: {:?}", k, num),
                Some(g) => {
                    prop_assert_eq!(g.dims(), xs[k].dims());
                    prop_assert_eq!(g.dtype(), DType::F64);
                    if let Some(msg) = mismatch(&g.to_vec::<f64>()?, &num, |_| (1e-5, 1e-7 * scale)) {
                        return Err(TestCaseError::fail(format!("input {k} {:?}: {msg}", xs[k].dims())));
                    }
                }
            }
        }
        // A persistent tape gives the same gradients, bit for bit, a second time.
        let again = tape.gradients(&[&loss], &sources)?;
        for (a, b) in grads.iter().zip(&again) {
            prop_assert_eq!(a.as_ref().map(|t| t.to_f64_vec()), b.as_ref().map(|t| t.to_f64_vec()));
        }
    }
}
