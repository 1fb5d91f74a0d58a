//! Golden TensorFlow 2.21 / Keras 3.15 cases of the area `optim`
//! (tf_cases_2.json): three steps of each optimizer, op for op as Keras.

mod golden2;

use golden2::{check, Out};
use gradtape::optimizers::{self, Keras, Optimizer};
use gradtape::*;

/// The guides' three steps from `[1, -2, 3]`; the case's `{"steps", "iterations"}`.
fn three_steps(mut opt: Keras) -> Result<Out> {
    let v = Variable::new([1.0, -2.0, 3.0])?;
    let grads = [[0.5, -1.0, 2.0], [0.1, 0.1, -0.5], [-2.0, 0.0, 1.0]];
    let mut steps = Vec::new();
    for g in grads {
        opt.apply_gradients(&[(Some(constant(g)?), &v)])?;
        steps.push(v.read().identity()?);
    }
    Ok(Out::D(vec![("steps", steps.into()), ("iterations", Out::Num(opt.iterations() as f64))]))
}

#[test]
fn opt_sgd_momentum() -> Result<()> {
    check("opt_sgd_momentum", three_steps(optimizers::Sgd::new(0.1).momentum(0.9).build())?);
    Ok(())
}

#[test]
fn opt_sgd_nesterov() -> Result<()> {
    check("opt_sgd_nesterov", three_steps(optimizers::Sgd::new(0.1).momentum(0.9).nesterov(true).build())?);
    Ok(())
}

#[test]
fn opt_rmsprop_default() -> Result<()> {
    check("opt_rmsprop_default", three_steps(optimizers::RmsProp::default().build())?);
    Ok(())
}

#[test]
fn opt_rmsprop_lr() -> Result<()> {
    check("opt_rmsprop_lr", three_steps(optimizers::RmsProp::new(0.1).build())?);
    Ok(())
}

#[test]
fn opt_rmsprop_momentum_centered() -> Result<()> {
    let opt = optimizers::RmsProp::new(0.1).momentum(0.5).centered(true).build();
    check("opt_rmsprop_momentum_centered", three_steps(opt)?);
    Ok(())
}

#[test]
fn opt_adagrad_lr() -> Result<()> {
    check("opt_adagrad_lr", three_steps(optimizers::Adagrad::new(0.5).initial_accumulator_value(1.0).build())?);
    Ok(())
}

#[test]
fn opt_sgd_clipnorm() -> Result<()> {
    check("opt_sgd_clipnorm", three_steps(optimizers::Sgd::new(0.1).clipnorm(1.0).build())?);
    Ok(())
}

#[test]
fn opt_adam_two_vars_and_none_grad() -> Result<()> {
    let a = Variable::new([1.0, 2.0])?;
    let b = Variable::new(5.0)?;
    let mut opt = optimizers::Adam::new(0.1).build();
    opt.apply_gradients(&[(Some(constant([1.0, -1.0])?), &a), (Some(constant(2.0)?), &b)])?;
    opt.apply_gradients(&[(Some(constant([1.0, -1.0])?), &a), (None, &b)])?;
    let out = Out::D(vec![
        ("a", a.read().identity()?.into()),
        ("b", b.read().identity()?.into()),
        ("iterations", Out::Num(opt.iterations() as f64)),
    ]);
    check("opt_adam_two_vars_and_none_grad", out);
    Ok(())
}

#[test]
fn opt_all_none_grads_error() -> Result<()> {
    let v = Variable::new([1.0])?;
    let mut opt = optimizers::Sgd::new(0.1).build();
    let r = opt.apply_gradients(&[(None, &v)]).map(|_| v.read());
    check("opt_all_none_grads_error", r);
    // Nothing moved.
    assert_eq!(v.to_vec::<f32>()?, vec![1.0]);
    assert_eq!(opt.iterations(), 0);
    Ok(())
}

#[test]
fn opt_learning_rate_read() -> Result<()> {
    let opt = optimizers::Adam::new(0.1).build();
    let it = opt.iterations_tensor()?;
    let out = Out::L(vec![
        Out::Num(opt.learning_rate() as f64),
        Out::Num(it.scalar::<i64>()? as f64),
        Out::Str(it.dtype().name().to_string()),
    ]);
    check("opt_learning_rate_read", out);
    Ok(())
}

#[test]
fn opt_sgd_float64_variable() -> Result<()> {
    let v = Variable::from_tensor(&constant_with([1.0, 2.0], DType::F64)?)?;
    let mut opt = optimizers::Sgd::new(0.1).build();
    opt.apply_gradients(&[(Some(constant_with([1.0, 1.0], DType::F64)?), &v)])?;
    check("opt_sgd_float64_variable", v.read().identity());
    Ok(())
}

/// Keras rules no case pins: AMSGrad keeps the running max of the second
/// moment; weight decay shrinks before the step; a variable seen first
/// after the build is an error; clipvalue clips each element.
#[test]
fn optimizer_rules_beyond_the_cases() -> Result<()> {
    // AMSGrad: with a shrinking gradient the max of s is kept, so the step
    // is smaller than plain Adam's.
    let (a, b) = (Variable::new([1.0])?, Variable::new([1.0])?);
    let mut plain = optimizers::Adam::new(0.1).build();
    let mut ams = optimizers::Adam::new(0.1).amsgrad(true).build();
    for g in [10.0, 0.1, 0.1] {
        plain.apply_gradients(&[(Some(constant([g])?), &a)])?;
        ams.apply_gradients(&[(Some(constant([g])?), &b)])?;
    }
    assert!(b.to_vec::<f32>()?[0] > a.to_vec::<f32>()?[0]);
    // weight_decay: v - v*wd*lr, then the SGD step.
    let w = Variable::new([2.0])?;
    let mut opt = optimizers::Sgd::new(0.5).weight_decay(0.1).build();
    opt.apply_gradients(&[(Some(constant([1.0])?), &w)])?;
    assert_eq!(w.to_vec::<f32>()?, vec![(2.0f32 - 2.0 * 0.1 * 0.5) - 0.5]);
    let other = Variable::new([0.0])?;
    assert!(matches!(opt.apply_gradients(&[(Some(constant([1.0])?), &other)]), Err(Error::Value(_))));
    let c = Variable::new([0.0, 0.0])?;
    let mut opt = optimizers::Sgd::new(1.0).clipvalue(0.5).build();
    opt.apply_gradients(&[(Some(constant([2.0, -0.25])?), &c)])?;
    assert_eq!(c.to_vec::<f32>()?, vec![-0.5, 0.25]);
    let d = Variable::new([0.0, 0.0])?;
    let mut opt = optimizers::Sgd::new(1.0).global_clipnorm(1.0).build();
    opt.apply_gradients(&[(Some(constant([3.0, 4.0])?), &d)])?;
    assert_eq!(d.to_vec::<f32>()?, vec![-0.6, -0.8]);
    Ok(())
}
