//! Golden TensorFlow 2.21 cases of the `tape` area (continued) and of the
//! `jacobian` area, translated.

mod common;

use common::{assert_err, repr, scalar};
use gradtape::*;

fn l<'a>(v: Vec<Nest<&'a dyn Differentiable>>) -> Nest<&'a dyn Differentiable> {
    Nest::List(v)
}

fn leaf(n: &Nest<Option<Tensor>>) -> String {
    match n {
        Nest::Leaf(t) => repr(t),
        Nest::List(v) => format!("[{}]", v.iter().map(leaf).collect::<Vec<_>>().join(", ")),
        Nest::Dict(m) => format!("{{{}}}", m.iter().map(|(k, v)| format!("{k}: {}", leaf(v))).collect::<Vec<_>>().join(", ")),
    }
}

#[test]
fn tape_structure() -> Result<()> {
    let g = GradientTape::persistent();
    let (x1, x2, x3) = (constant(3.0)?, constant(3.1)?, constant(3.2)?);
    let y = g.record(|g| {
        g.watch_all(&[&x1, &x2, &x3])?;
        (&x1 + &(2 * &x2)?)? + &(3 * &x3)?
    })?;
    let (a, b, c): (&dyn Differentiable, &dyn Differentiable, &dyn Differentiable) = (&x1, &x2, &x3);
    let t: Nest<&dyn Differentiable> = Nest::Leaf(&y);
    let s1 = g.gradient_nest(&t, &Nest::Leaf(a), Unconnected::None)?;
    let s2 = g.gradient_nest(&t, &l(vec![a.into()]), Unconnected::None)?;
    let s3 = g.gradient_nest(&t, &l(vec![a.into(), b.into()]), Unconnected::None)?;
    let s4 = g.gradient_nest(&t, &l(vec![l(vec![a.into(), b.into()]), l(vec![b.into(), c.into()])]), Unconnected::None)?;
    let s5 = g.gradient_nest(&t, &l(vec![a.into(), b.into(), l(vec![a.into(), c.into()])]), Unconnected::None)?;
    let dict = Nest::Dict([("x2".to_string(), b.into()), ("x3".to_string(), c.into())].into_iter().collect());
    let s6 = g.gradient_nest(&t, &l(vec![a.into(), dict]), Unconnected::None)?;
    let (one, two, three) = (scalar(1.0), scalar(2.0), scalar(3.0));
    assert_eq!(leaf(&s1), one);
    assert_eq!(leaf(&s2), format!("[{one}]"));
    assert_eq!(leaf(&s3), format!("[{one}, {two}]"));
    assert_eq!(leaf(&s4), format!("[[{one}, {two}], [{two}, {three}]]"));
    assert_eq!(leaf(&s5), format!("[{one}, {two}, [{one}, {three}]]"));
    assert_eq!(leaf(&s6), format!("[{one}, {{x2: {two}, x3: {three}}}]"));
    Ok(())
}

#[test]
fn tape_dict_sources() -> Result<()> {
    let a = Variable::new(2.0)?;
    let b = Variable::new(3.0)?;
    let g = GradientTape::new();
    let y = g.record(|_| (&a * &b)? + &b)?;
    let src = Nest::Dict([("a".to_string(), Nest::Leaf(&a as &dyn Differentiable)), ("b".to_string(), Nest::Leaf(&b as &dyn Differentiable))].into_iter().collect());
    let r = g.gradient_nest(&Nest::Leaf(&y), &src, Unconnected::None)?;
    assert_eq!(leaf(&r), format!("{{a: {}, b: {}}}", scalar(3.0), scalar(3.0)));
    Ok(())
}

#[test]
fn tape_constant_target_variables() -> Result<()> {
    let g = GradientTape::new();
    let (x, y) = g.record(|_| Ok((Variable::new([3.0])?, Variable::new([2.0])?)))?;
    assert_eq!(repr(&g.gradient(&x, &y)?), "None");
    Ok(())
}

#[test]
fn tape_variable_target_is_source() -> Result<()> {
    let v = Variable::new(2.0)?;
    let g = GradientTape::new();
    g.record(|_| Ok(()))?;
    assert_eq!(repr(&g.gradient(&v, &v)?), scalar(1.0));
    Ok(())
}

#[test]
fn tape_higher_order_persistent() -> Result<()> {
    let g = GradientTape::persistent();
    let (x, y, dy, d2y) = g.record(|g| {
        let x = constant(3.0)?;
        g.watch(&x)?;
        let y = x.pow(3)?;
        let dy = g.gradient(&y, &x)?.unwrap();
        let d2y = g.gradient(&dy, &x)?.unwrap();
        Ok((x, y, dy, d2y))
    })?;
    let d3y = g.gradient(&d2y, &x)?;
    assert_eq!(y.to_string(), scalar(27.0));
    assert_eq!(dy.to_string(), scalar(27.0));
    assert_eq!(d2y.to_string(), scalar(18.0));
    assert_eq!(repr(&d3y), scalar(6.0));
    Ok(())
}

#[test]
fn tape_second_derivative_nested_cubic() -> Result<()> {
    let x = Variable::new(3.0)?;
    let outer = GradientTape::new();
    let inner = GradientTape::new();
    let dy = outer.record(|_| {
        let y = inner.record(|_| x.read().pow(3))?;
        inner.gradient(&y, &x)
    })?;
    let d2y = outer.gradient(dy.as_ref().unwrap(), &x)?;
    assert_eq!((repr(&dy), repr(&d2y)), (scalar(27.0), scalar(18.0)));
    Ok(())
}

#[test]
fn tape_variable() -> Result<()> {
    let v = Variable::with_options(&constant(1.0)?, true, "v")?;
    let g = GradientTape::new();
    let y = g.record(|_| &v * &v)?;
    assert_eq!(repr(&g.gradients(&[&y], &[&v])?[0]), scalar(2.0));
    Ok(())
}

#[test]
fn tape_nested_gradients() -> Result<()> {
    let x = constant(3.0)?;
    let g = GradientTape::new();
    let (y, z) = g.record(|g| {
        g.watch(&x)?;
        let y = (&x * &x)?;
        let z = (&y * &y)?;
        Ok((y, z))
    })?;
    let r = g.gradients(&[&z], &[&x, &y])?;
    assert_eq!((repr(&r[0]), repr(&r[1])), (scalar(108.0), scalar(18.0)));
    Ok(())
}

#[test]
fn tape_unconnected_zero_variable() -> Result<()> {
    let x = Variable::from_tensor(&constant_shaped(1., &[2, 2])?)?;
    let y = Variable::new(3.)?;
    let g = GradientTape::new();
    let z = g.record(|g| {
        g.watch_variable(&x)?;
        g.watch_variable(&y)?;
        &y * 2
    })?;
    let r = g.gradients_with(&[&z], &[&x], None, Unconnected::Zero)?;
    assert_eq!(repr(&r[0]), "<tf.Tensor: shape=(2, 2), dtype=float32, numpy=\narray([[0., 0.],\n       [0., 0.]], dtype=float32)>");
    Ok(())
}

#[test]
fn tape_unconnected_bad_value() {
    assert_err("nonsense".parse::<Unconnected>(), "ValueError", "Unknown value for unconnected_gradients: 'nonsense'");
    assert_eq!("zero".parse::<Unconnected>().ok(), Some(Unconnected::Zero));
}

#[test]
fn tape_distinct_equal_constants() -> Result<()> {
    let g = GradientTape::new();
    let (x1, y) = g.record(|g| {
        let x1 = constant(3.0)?;
        let x2 = constant(3.0)?;
        g.watch(&x1)?;
        g.watch(&x2)?;
        Ok((x1.clone(), (&x1 + &x2)?))
    })?;
    assert_eq!(repr(&g.gradients(&[&y], &[&x1])?[0]), scalar(1.0));
    Ok(())
}

// tape_watch_pyfloat_error (`g.watch(3.0)`) and tape_target_none_error
// (`t.gradient(None, x)`) cannot be written in Rust: `watch` takes a
// `&Tensor` and `gradient` a `&dyn Differentiable`. The compile_fail
// doctests on `GradientTape` (crates/gradtape-engine/src/tape.rs) prove it.
#[test]
fn tape_watch_pyfloat_error() -> Result<()> {
    let g = GradientTape::new();
    let x = constant(3.0)?;
    g.record(|g| g.watch(&x))
}

#[test]
fn tape_watched_vars_after_nonpersistent_call() -> Result<()> {
    let tape = GradientTape::new();
    let x = tape.record(|t| {
        let x = Variable::new(1.0)?;
        t.watch_variable(&x)?;
        Ok(x)
    })?;
    tape.gradient(&x, &x)?;
    let w = tape.watched_variables();
    assert_eq!((w.len(), w[0].id()), (1, x.id()));
    Ok(())
}

#[test]
fn tape_watched_vars_respect_reset() -> Result<()> {
    let tape = GradientTape::new();
    let (first, second, z) = tape.record(|t| {
        let x = Variable::new(1.0)?;
        t.watch_variable(&x)?;
        let first = t.watched_variables()[0].id() == x.id();
        t.reset()?;
        let z = Variable::new(2.0)?;
        t.watch_variable(&z)?;
        let second: Vec<bool> = t.watched_variables().iter().map(|v| v.id() == z.id()).collect();
        Ok((first, second, z))
    })?;
    tape.gradient(&z, &z)?;
    let third: Vec<bool> = tape.watched_variables().iter().map(|v| v.id() == z.id()).collect();
    assert_eq!((first, second, third), (true, vec![true], vec![true]));
    Ok(())
}

#[test]
fn tape_unwatched_constant() -> Result<()> {
    let x = constant(3.0)?;
    let g = GradientTape::new();
    let y = g.record(|_| &x * &x)?;
    assert_eq!(repr(&g.gradient(&y, &x)?), "None");
    Ok(())
}

#[test]
fn tape_op_after_exit_not_recorded() -> Result<()> {
    let x = Variable::new(3.0)?;
    let t = GradientTape::new();
    let y = t.record(|_| &x * &x)?;
    let z = (&y * 2)?;
    assert_eq!(repr(&t.gradient(&z, &x)?), "None");
    Ok(())
}

#[test]
fn tape_list_target_sums() -> Result<()> {
    let x = Variable::new(2.0)?;
    let g = GradientTape::new();
    let (y1, y2) = g.record(|_| Ok(((&x * &x)?, (3 * &x)?)))?;
    assert_eq!(repr(&g.gradients(&[&y1, &y2], &[&x])?[0]), scalar(7.0));
    Ok(())
}

#[test]
fn tape_output_gradients_multi() -> Result<()> {
    let x = constant(3.0)?;
    let g = GradientTape::new();
    let (y, z) = g.record(|g| {
        g.watch(&x)?;
        let y = (&x * &x)?;
        Ok((y.clone(), (&y * 2)?))
    })?;
    let og = [Some(constant(1.0)?), Some(constant(1.0)?)];
    let r = g.gradients_with(&[&z, &y], &[&x], Some(&og), Unconnected::None)?;
    assert_eq!(repr(&r[0]), scalar(18.0));
    Ok(())
}

#[test]
fn tape_persistent_inside_warning() -> Result<()> {
    let x = constant(3.0)?;
    let g = GradientTape::persistent();
    let d = g.record(|g| {
        g.watch(&x)?;
        let y = (&x * &x)?;
        g.gradient(&y, &x)
    })?;
    assert_eq!(repr(&d), scalar(6.0));
    Ok(())
}

#[test]
fn tape_reduce_sum_axis_grad() -> Result<()> {
    let x = Variable::new([[1., 2.], [3., 4.]])?;
    let g = GradientTape::new();
    let y = g.record(|_| x.read().reduce_sum_axis(1)? * &constant([1., 10.])?)?;
    assert_eq!(repr(&g.gradient(&y, &x)?), "<tf.Tensor: shape=(2, 2), dtype=float32, numpy=\narray([[ 1.,  1.],\n       [10., 10.]], dtype=float32)>");
    Ok(())
}

#[test]
fn tape_reduce_max_ties() -> Result<()> {
    let x = constant([3., 3., 1.])?;
    let g = GradientTape::new();
    let y = g.record(|g| {
        g.watch(&x)?;
        x.reduce_max()
    })?;
    assert_eq!(repr(&g.gradient(&y, &x)?), "<tf.Tensor: shape=(3,), dtype=float32, numpy=array([0.5, 0.5, 0. ], dtype=float32)>");
    Ok(())
}

#[test]
fn tape_concat_grad() -> Result<()> {
    let a = constant([[1., 2.]])?;
    let b = constant([[3., 4.], [5., 6.]])?;
    let g = GradientTape::new();
    let c = g.record(|g| {
        g.watch_all(&[&a, &b])?;
        concat(&[a.clone(), b.clone()], 0)
    })?;
    let og = [Some(constant([[1., 2.], [3., 4.], [5., 6.]])?)];
    let r = g.gradients_with(&[&c], &[&a, &b], Some(&og), Unconnected::None)?;
    assert_eq!(repr(&r[0]), "<tf.Tensor: shape=(1, 2), dtype=float32, numpy=array([[1., 2.]], dtype=float32)>");
    assert_eq!(repr(&r[1]), "<tf.Tensor: shape=(2, 2), dtype=float32, numpy=\narray([[3., 4.],\n       [5., 6.]], dtype=float32)>");
    Ok(())
}

#[test]
fn tape_variable_index_grad() -> Result<()> {
    let v = Variable::new([1., 2., 3.])?;
    let g = GradientTape::new();
    let y = g.record(|_| (v.i(0)? * 2)? + &v.i(2)?.pow(2)?)?;
    assert_eq!(repr(&g.gradient(&y, &v)?), "<tf.Tensor: shape=(3,), dtype=float32, numpy=array([2., 0., 6.], dtype=float32)>");
    Ok(())
}
