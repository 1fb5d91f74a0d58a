//! NaN propagates as in TensorFlow 2.21 (issue 13): Relu and Maximum are
//! Eigen's `cwiseMax<PropagateNaN>`, and the gradients follow TF's rules:
//! ReluGrad is `g * (y > 0)`, Maximum's is `g * (a >= b)` (so NaN sends the
//! gradient to the other operand), reduce_max's is `g * (x == y) / count`.

mod golden2;

use golden2::check;
use gradtape::*;

const NAN: f64 = f64::NAN;

fn bits(t: &Tensor) -> Vec<u64> {
    t.cast(DType::F64).unwrap().to_vec::<f64>().unwrap().into_iter().map(|x| if x.is_nan() { u64::MAX } else { x.to_bits() }).collect()
}

#[track_caller]
fn same(t: &Tensor, want: &[f64]) {
    let want: Vec<u64> = want.iter().map(|x| if x.is_nan() { u64::MAX } else { x.to_bits() }).collect();
    assert_eq!(bits(t), want, "{t}");
}

/// `tf.nn.relu([nan, -1., 2.])` is `[nan, 0., 2.]`; its gradient `[0., 0., 1.]`.
#[test]
fn relu_keeps_nan() -> Result<()> {
    let x = constant([NAN, -1., 2.])?;
    let tape = GradientTape::new();
    let y = tape.record(|t| {
        t.watch(&x)?;
        x.relu()
    })?;
    same(&y, &[NAN, 0., 2.]);
    same(&tape.gradient(&y, &x)?.expect("connected"), &[0., 0., 1.]);
    let x = constant_with(vec![NAN, -1., 2.], DType::F64)?;
    same(&x.relu()?, &[NAN, 0., 2.]);
    Ok(())
}

/// d²relu stays connected zeros, as TF's ReluGrad gradient is.
#[test]
fn relu_second_derivative_is_zero() -> Result<()> {
    let x = constant([NAN, -1., 2.])?;
    let outer = GradientTape::new();
    let g = outer.record(|o| {
        o.watch(&x)?;
        let inner = GradientTape::new();
        let y = inner.record(|t| {
            t.watch(&x)?;
            x.relu()
        })?;
        Ok(inner.gradient(&y, &x)?.expect("connected"))
    })?;
    same(&outer.gradient(&g, &x)?.expect("connected"), &[0., 0., 0.]);
    Ok(())
}

/// `tf.maximum`/`tf.minimum` with NaN on either side give NaN; the gradient
/// goes to `a` where `a >= b` (`a <= b`), which NaN never is.
#[test]
fn maximum_minimum_nan_gradients() -> Result<()> {
    let a = constant([1., NAN, NAN, 3.])?;
    let b = constant([NAN, 2., NAN, 0.])?;
    for max in [true, false] {
        let tape = GradientTape::persistent();
        let y = tape.record(|t| {
            t.watch(&a)?;
            t.watch(&b)?;
            if max { a.maximum(&b) } else { a.minimum(&b) }
        })?;
        same(&y, &[NAN, NAN, NAN, if max { 3. } else { 0. }]);
        let (ga, gb) = (tape.gradient(&y, &a)?.expect("a"), tape.gradient(&y, &b)?.expect("b"));
        same(&ga, &[0., 0., 0., if max { 1. } else { 0. }]);
        same(&gb, &[1., 1., 1., if max { 0. } else { 1. }]);
    }
    Ok(())
}

/// reduce_max over a group holding NaN is NaN, and so is its gradient
/// (no element equals NaN, so TF's `indicators / num_selected` is 0/0).
#[test]
fn reduce_max_min_nan_gradients() -> Result<()> {
    let x = constant([[1., NAN, 3.], [4., 5., 6.]])?;
    let tape = GradientTape::persistent();
    let (mx, mn) = tape.record(|t| {
        t.watch(&x)?;
        Ok((x.reduce_max_axis(1)?, x.reduce_min_axis(1)?))
    })?;
    same(&mx, &[NAN, 6.]);
    same(&mn, &[NAN, 4.]);
    same(&tape.gradient(&mx, &x)?.expect("x"), &[NAN, NAN, NAN, 0., 0., 1.]);
    same(&tape.gradient(&mn, &x)?.expect("x"), &[NAN, NAN, NAN, 1., 0., 0.]);
    Ok(())
}

/// `tf.clip_by_value` keeps NaN and passes it no gradient (its minimum and
/// maximum masks are false there).
#[test]
fn clip_by_value_nan_gradient() -> Result<()> {
    let x = constant([NAN, 5., 0.5, -2.])?;
    let tape = GradientTape::new();
    let y = tape.record(|t| {
        t.watch(&x)?;
        x.clip_by_value(0., 1.)
    })?;
    same(&y, &[NAN, 1., 0.5, 0.]);
    same(&tape.gradient(&y, &x)?.expect("x"), &[0., 0., 1., 0.]);
    Ok(())
}

/// `tf.sign`: -0. and 0. give 0., NaN gives NaN.
#[test]
fn sign_float_int() -> Result<()> {
    let f = constant([-2., -0., 0., 3., NAN])?.sign()?;
    check("sign_float_int", vec![f, constant([-5, 0, 7])?.sign()?]);
    Ok(())
}

/// `tf.cast` float → int on x86: NaN, ±inf and out-of-range values become
/// the integer minimum (`cvttss2si`), others truncate.
#[test]
fn cast_nan_inf_to_int() -> Result<()> {
    let x = constant([NAN, f64::INFINITY, f64::NEG_INFINITY, 3e9, -3e9, 2.7, -2.7])?;
    check("cast_nan_inf_to_int", vec![x.cast(DType::I32)?, x.cast(DType::I64)?]);
    let d = constant_with(vec![NAN, 2147483647.9, -2147483648.9, -2147483649.0], DType::F64)?;
    assert_eq!(d.cast(DType::I32)?.to_vec::<i32>()?, vec![i32::MIN, i32::MAX, i32::MIN, i32::MIN]);
    Ok(())
}
