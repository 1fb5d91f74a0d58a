//! Golden TensorFlow 2.21 cases of the area `autodiff` (tf_cases_2.json):
//! custom gradients, forward mode, stop_gradient, variables read inside a
//! tape, ties and NaN through `where`.

mod golden2;

use golden2::{check, check_ulps, Out};
use gradtape::autodiff::{custom_gradient, custom_gradient_with_variables, ForwardAccumulator, GradFn, GradFnVars};
use gradtape::*;

#[test]
fn ad_custom_gradient_log1pexp() -> Result<()> {
    let x = constant(100.)?;
    let tape = GradientTape::new();
    let y = tape.record(|t| {
        t.watch(&x)?;
        custom_gradient(&[x.clone()], |xs| {
            let e = xs[0].exp()?;
            let y = e.add(1.0)?.log()?;
            let grad: GradFn = Box::new(move |up| Ok(vec![Some(up.mul(&(1.0 - &(1.0 / &e.add(1.0)?)?)?)?)]));
            Ok((y, grad))
        })
    })?;
    let g = tape.gradient(&y, &x)?;
    check("ad_custom_gradient_log1pexp", vec![Some(y), g]);
    Ok(())
}

#[test]
fn ad_custom_gradient_two_inputs() -> Result<()> {
    let (x, y) = (constant(2.)?, constant(3.)?);
    let tape = GradientTape::new();
    let z = tape.record(|t| {
        t.watch_all(&[&x, &y])?;
        custom_gradient(&[x.clone(), y.clone()], |v| {
            let (a, b) = (v[0].clone(), v[1].clone());
            let grad: GradFn = Box::new(move |dz| Ok(vec![Some(dz.mul(&b)?), Some(dz.mul(&a)?.mul(10.0)?)]));
            Ok((v[0].mul(&v[1])?, grad))
        })
    })?;
    check("ad_custom_gradient_two_inputs", tape.gradients(&[&z], &[&x, &y])?);
    Ok(())
}

#[test]
fn ad_custom_gradient_variable_no_kwarg() -> Result<()> {
    let v = Variable::new(2.)?;
    let x = constant(3.)?;
    let tape = GradientTape::new();
    let r = tape.record(|t| {
        t.watch(&x)?;
        custom_gradient(&[x.clone()], |xs| {
            let grad: GradFn = Box::new(|dy| Ok(vec![Some(dy.clone())]));
            Ok((xs[0].mul(&v)?, grad))
        })
    });
    check("ad_custom_gradient_variable_no_kwarg", r);
    Ok(())
}

#[test]
fn ad_stop_gradient_in_tape() -> Result<()> {
    let x = constant(3.)?;
    let tape = GradientTape::new();
    let y = tape.record(|t| {
        t.watch(&x)?;
        x.mul(&stop_gradient(&x)?)
    })?;
    check("ad_stop_gradient_in_tape", tape.gradient(&y, &x)?);
    Ok(())
}

#[test]
fn ad_stop_gradient_only_path() -> Result<()> {
    let x = constant([1., 2.])?;
    let tape = GradientTape::persistent();
    let y = tape.record(|t| {
        t.watch(&x)?;
        stop_gradient(&x.mul(2.0)?)?.sum()
    })?;
    let zero = tape.gradients_with(&[&y], &[&x], None, Unconnected::Zero)?.remove(0);
    check("ad_stop_gradient_only_path", vec![tape.gradient(&y, &x)?, zero]);
    Ok(())
}

#[test]
fn ad_noop_behavior_consistent() -> Result<()> {
    let x = constant(10.)?;
    let x1 = identity(&x)?;
    let x2 = x.add(0)?;
    let x3 = x.sub(0)?;
    let x4 = x.mul(1)?;
    let tape = GradientTape::new();
    let loss = tape.record(|t| {
        t.watch_all(&[&x, &x1, &x2, &x3, &x4])?;
        let ys = [x.mul(2.)?, x1.mul(3.)?, x2.mul(3.)?, x3.mul(3.)?, x4.mul(3.)?];
        ys[1..].iter().try_fold(ys[0].clone(), |a, b| a.add(b))
    })?;
    check("ad_noop_behavior_consistent", tape.gradients(&[&loss], &[&x, &x1, &x2, &x3, &x4])?);
    Ok(())
}

#[test]
fn ad_fwd_jvp_square() -> Result<()> {
    let x = constant(3.)?;
    let acc = ForwardAccumulator::new(&[x.clone()], &[constant(1.)?])?;
    let y = acc.record(|| x.mul(&x))?;
    check("ad_fwd_jvp_square", acc.jvp(&y, Unconnected::None)?);
    Ok(())
}

#[test]
fn ad_fwd_jvp_vector_chain() -> Result<()> {
    let x = constant([0., 1., 2.])?;
    let acc = ForwardAccumulator::new(&[x.clone()], &[constant([1., 0.5, -1.])?])?;
    let y = acc.record(|| x.sin()?.mul(&x.exp()?))?;
    check_ulps("ad_fwd_jvp_vector_chain", acc.jvp(&y, Unconnected::None)?, 4);
    Ok(())
}

#[test]
fn ad_fwd_jvp_matmul() -> Result<()> {
    let a = constant([[1., 2.], [3., 4.]])?;
    let b = constant([[5., 6.], [7., 8.]])?;
    let acc = ForwardAccumulator::new(&[a.clone()], &[constant([[1., 0.], [0., 0.]])?])?;
    let c = acc.record(|| matmul(&a, &b))?;
    check("ad_fwd_jvp_matmul", acc.jvp(&c, Unconnected::None)?);
    Ok(())
}

#[test]
fn ad_fwd_multiple_primals() -> Result<()> {
    let (x, y) = (constant(2.)?, constant(5.)?);
    let acc = ForwardAccumulator::new(&[x.clone(), y.clone()], &[constant(1.)?, constant(10.)?])?;
    let z = acc.record(|| x.mul(&y))?;
    check("ad_fwd_multiple_primals", acc.jvp(&z, Unconnected::None)?);
    Ok(())
}

#[test]
fn ad_fwd_unconnected() -> Result<()> {
    let x = constant(2.)?;
    let c = constant([1., 2.])?;
    let acc = ForwardAccumulator::new(&[x.clone()], &[constant(1.)?])?;
    let y = acc.record(|| c.mul(3.))?;
    check("ad_fwd_unconnected", vec![acc.jvp(&y, Unconnected::None)?, acc.jvp(&y, Unconnected::Zero)?]);
    Ok(())
}

#[test]
fn ad_fwd_reenter_error() -> Result<()> {
    let x = constant(3.)?;
    let acc = ForwardAccumulator::new(&[x.clone()], &[constant(1.)?])?;
    let r = acc.record(|| acc.record(|| x.mul(&x)));
    check("ad_fwd_reenter_error", r);
    Ok(())
}

#[test]
fn ad_fwd_count_mismatch_error() -> Result<()> {
    let r = ForwardAccumulator::new(&[constant(1.)?, constant(2.)?], &[constant(1.)?]).map(|_| constant(0.0).unwrap());
    check("ad_fwd_count_mismatch_error", r);
    Ok(())
}

#[test]
fn ad_fwd_int_primal() -> Result<()> {
    let x = constant(3)?;
    let acc = ForwardAccumulator::new(&[x.clone()], &[constant(1)?])?;
    let y = acc.record(|| x.mul(&x))?;
    check("ad_fwd_int_primal", acc.jvp(&y, Unconnected::None)?);
    Ok(())
}

#[test]
fn ad_variable_assigned_inside_tape() -> Result<()> {
    let v = Variable::new(2.)?;
    let tape = GradientTape::new();
    let total = tape.record(|_| {
        let y = v.read().mul(&v.read())?;
        v.assign(3.)?;
        let z = v.read().mul(&v.read())?;
        y.add(&z)
    })?;
    check("ad_variable_assigned_inside_tape", vec![tape.gradient(&total, &v)?.unwrap(), v.read().identity()?]);
    Ok(())
}

#[test]
fn ad_variable_assign_from_itself() -> Result<()> {
    let v = Variable::new(2.)?;
    let tape = GradientTape::new();
    let y = tape.record(|_| {
        v.assign(&v.read().mul(2.)?)?;
        v.read().mul(&v.read())
    })?;
    check("ad_variable_assign_from_itself", vec![tape.gradient(&y, &v)?.unwrap(), v.read().identity()?]);
    Ok(())
}

#[test]
fn ad_reduce_max_ties_axis() -> Result<()> {
    let x = constant([[1., 3., 3.], [2., 2., 2.]])?;
    let tape = GradientTape::new();
    let y = tape.record(|t| {
        t.watch(&x)?;
        x.reduce_max_with(1, false)?.sum()
    })?;
    check("ad_reduce_max_ties_axis", tape.gradient(&y, &x)?);
    Ok(())
}

#[test]
fn ad_maximum_minimum_ties() -> Result<()> {
    let (x, y) = (constant([1., 2., 3.])?, constant([2., 2., 2.])?);
    let tape = GradientTape::persistent();
    let (a, b) = tape.record(|t| {
        t.watch_all(&[&x, &y])?;
        Ok((x.maximum(&y)?.sum()?, x.minimum(&y)?.sum()?))
    })?;
    let out = Out::L(vec![tape.gradients(&[&a], &[&x, &y])?.into(), tape.gradients(&[&b], &[&x, &y])?.into()]);
    check("ad_maximum_minimum_ties", out);
    Ok(())
}

#[test]
fn ad_abs_sign_at_zero() -> Result<()> {
    let x = constant([-2., 0., 3.])?;
    let tape = GradientTape::new();
    let y = tape.record(|t| {
        t.watch(&x)?;
        x.abs()?.sum()
    })?;
    check("ad_abs_sign_at_zero", tape.gradient(&y, &x)?);
    Ok(())
}

// `ad_where_nan_untaken_branch` needs TF 2.21's SqrtGrad (0 where the
// upstream is 0) in ops/unary.rs and is left to that file's owner.

#[test]
fn ad_where_log_zero() -> Result<()> {
    let x = constant([0., 1.])?;
    let tape = GradientTape::new();
    let y = tape.record(|t| {
        t.watch(&x)?;
        where_(&x.greater(0.)?, &x.log()?, &constant(0.)?)?.sum()
    })?;
    check("ad_where_log_zero", tape.gradient(&y, &x)?);
    Ok(())
}

#[test]
fn ad_clip_by_value_boundary() -> Result<()> {
    let x = constant([-1., 0., 0.5, 1., 2.])?;
    let tape = GradientTape::new();
    let y = tape.record(|t| {
        t.watch(&x)?;
        x.clip_by_value(0., 1.)?.sum()
    })?;
    check("ad_clip_by_value_boundary", tape.gradient(&y, &x)?);
    Ok(())
}

#[test]
fn ad_norm_at_zero() -> Result<()> {
    let (z, x) = (constant([0., 0.])?, constant([3., 4.])?);
    let tape = GradientTape::persistent();
    let (a, b) = tape.record(|t| {
        t.watch_all(&[&z, &x])?;
        Ok((z.norm(NormOrd::Euclidean, None, false)?, x.norm(NormOrd::Euclidean, None, false)?))
    })?;
    check("ad_norm_at_zero", vec![tape.gradient(&a, &z)?, tape.gradient(&b, &x)?]);
    Ok(())
}

#[test]
fn ad_softmax_jacobian() -> Result<()> {
    let x = constant([1., 2., 3.])?;
    let tape = GradientTape::new();
    let s = tape.record(|t| {
        t.watch(&x)?;
        nn::softmax(&x, -1)
    })?;
    check_ulps("ad_softmax_jacobian", tape.jacobians(&s, &[&x], Unconnected::None, true)?.remove(0), 8);
    Ok(())
}

#[test]
fn ad_unconnected_zero_new_ops() -> Result<()> {
    let a = constant([[1., 2.], [3., 4.]])?;
    let b = constant([1., 2., 3.])?;
    let v = Variable::new([[1.], [2.]])?;
    let tape = GradientTape::new();
    let y = tape.record(|t| {
        t.watch_all(&[&a, &b])?;
        nn::softmax(&gather(&a, &constant([1])?, 0, 0)?, -1)?.sum()
    })?;
    // TF's IndexedSlices is densified here: the same values and shape.
    check("ad_unconnected_zero_new_ops", tape.gradients_with(&[&y], &[&a, &b, &v], None, Unconnected::Zero)?);
    Ok(())
}

/// Custom gradients inside nested tapes, with variables, and under a
/// jacobian; forward-over-reverse Hessian-vector products.
#[test]
fn autodiff_rules_beyond_the_cases() -> Result<()> {
    // A rule written with tensor ops is itself differentiated by an outer tape.
    let x = constant(3.)?;
    let outer = GradientTape::new();
    let g = outer.record(|o| {
        o.watch(&x)?;
        let inner = GradientTape::new();
        let y = inner.record(|t| {
            t.watch(&x)?;
            custom_gradient(&[x.clone()], |xs| {
                let x0 = xs[0].clone();
                let grad: GradFn = Box::new(move |dy| Ok(vec![Some(dy.mul(&x0.square()?)?)]));
                Ok((xs[0].pow(3.)?.div(3.)?, grad))
            })
        })?;
        Ok(inner.gradient(&y, &x)?.unwrap())
    })?;
    assert_eq!(g.scalar::<f32>()?, 9.0);
    assert!(outer.gradient(&g, &x)?.is_some());
    // Variables: the rule's second list reaches them.
    let v = Variable::new(2.)?;
    let tape = GradientTape::new();
    let y = tape.record(|t| {
        t.watch(&x)?;
        custom_gradient_with_variables(&[x.clone()], |xs| {
            let grad: GradFnVars = Box::new(|dy, vars| Ok((vec![Some(dy.mul(7.0)?)], vec![Some(dy.mul(&vars[0].read())?.mul(100.0)?)])));
            Ok((xs[0].mul(&v)?, grad))
        })
    })?;
    let gs = tape.gradients(&[&y], &[&x, &v])?;
    assert_eq!(gs[0].as_ref().unwrap().scalar::<f32>()?, 7.0);
    assert_eq!(gs[1].as_ref().unwrap().scalar::<f32>()?, 200.0);
    // A jacobian feeds the rule one row at a time.
    let xv = constant([1., 2.])?;
    let tape = GradientTape::new();
    let y = tape.record(|t| {
        t.watch(&xv)?;
        custom_gradient(&[xv.clone()], |xs| {
            let grad: GradFn = Box::new(|dy| Ok(vec![Some(dy.mul(5.0)?)]));
            Ok((xs[0].identity()?, grad))
        })
    })?;
    let j = tape.jacobians(&y, &[&xv], Unconnected::None, true)?.remove(0).unwrap();
    assert_eq!(j.to_vec::<f32>()?, vec![5., 0., 0., 5.]);
    // HVP: forward over reverse. f = x0² x1 + x1³; H = [[2x1, 2x0], [2x0, 6x1]].
    let p = constant_with([1.0, 2.0], DType::F64)?;
    let vdir = constant_with([1.0, -1.0], DType::F64)?;
    let acc = ForwardAccumulator::new(&[p.clone()], &[vdir])?;
    let grad = acc.record(|| {
        let t = GradientTape::new();
        let f = t.record(|t| {
            t.watch(&p)?;
            let (a, b) = (p.i(0)?, p.i(1)?);
            a.square()?.mul(&b)?.add(&b.pow(3.0)?)
        })?;
        Ok(t.gradient(&f, &p)?.unwrap())
    })?;
    let hvp = acc.jvp(&grad, Unconnected::None)?.unwrap().to_vec::<f64>()?;
    assert_eq!(hvp, vec![4.0 - 2.0, 2.0 - 12.0]);
    // jvp after the block, and of a value computed outside it: None.
    let late = p.mul(2.0)?;
    assert!(acc.jvp(&late, Unconnected::None)?.is_none());
    Ok(())
}

#[test]
fn ad_where_nan_untaken_branch() -> Result<()> {
    // where(x > 0, sqrt(x), 0) at x = -1: the untaken branch's upstream is 0
    // and SqrtGrad(0) is 0, so the gradient there is 0, not NaN.
    let x = constant([-1., 4.])?;
    let tape = GradientTape::persistent();
    let (y, y2) = tape.record(|t| {
        t.watch(&x)?;
        let pos = x.greater(0.0)?;
        let y = where_(&pos, &x.sqrt()?, 0.0)?.reduce_sum()?;
        let safe = where_(&pos, &x, 1.0)?;
        let y2 = where_(&pos, &safe.sqrt()?, 0.0)?.reduce_sum()?;
        Ok((y, y2))
    })?;
    let g = tape.gradient(&y, &x)?;
    let g2 = tape.gradient(&y2, &x)?;
    check("ad_where_nan_untaken_branch", vec![Some(y), g, g2]);
    Ok(())
}
