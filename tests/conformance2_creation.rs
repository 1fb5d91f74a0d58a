//! Golden TensorFlow 2.21 cases of the area `creation` (tf_cases_2.json),
//! one test per case named after its id, plus gradient checks of the
//! composites (tile, pad, meshgrid) against finite differences.

mod golden2;

use golden2::check;
use gradtape::*;

#[test]
fn range_start_limit_delta() {
    check("range_start_limit_delta", range_from(3, 18, 3, None));
}

#[test]
fn range_float_tenths() {
    check("range_float_tenths", range_from(0.0, 1.0, 0.1, None));
}

#[test]
fn range_negative_delta() {
    check("range_negative_delta", range_from(10, 0, -3, None));
}

#[test]
fn range_mixed_int_float_args() {
    check("range_mixed_int_float_args", range_from(1, 4.5, 1, None));
}

#[test]
fn range_start_gt_limit_error() {
    check("range_start_gt_limit_error", range_from(5, 1, 1, None));
}

#[test]
fn range_zero_delta_error() {
    check("range_zero_delta_error", range_from(0, 5, 0, None));
}

#[test]
fn linspace_thirds() {
    check("linspace_thirds", linspace(-1.0, 1.0, 4));
}

#[test]
fn linspace_int_args() {
    check("linspace_int_args", linspace(0, 10, 4));
}

#[test]
fn eye_batch_shape_int() {
    check("eye_batch_shape_int", eye(2, None, &[2], DType::I32));
}

#[test]
fn one_hot_basic() -> Result<()> {
    check("one_hot_basic", one_hot(&constant([0, 2, -1, 3])?, 3, None, None, -1, None));
    Ok(())
}

#[test]
fn one_hot_on_off_axis0() -> Result<()> {
    let r = one_hot(&constant([1, 0, 2])?, 3, Some(5.0.into()), Some((-1.0).into()), 0, None);
    check("one_hot_on_off_axis0", r);
    Ok(())
}

#[test]
fn one_hot_int_dtype_2d() -> Result<()> {
    check("one_hot_int_dtype_2d", one_hot(&constant([[0, 1], [2, 0]])?, 3, None, None, -1, Some(DType::I32)));
    Ok(())
}

#[test]
fn one_hot_dtype_mismatch() -> Result<()> {
    check("one_hot_dtype_mismatch", one_hot(&constant([0])?, 2, Some(1.0.into()), Some(0.into()), -1, None));
    Ok(())
}

#[test]
fn one_hot_python_int_on_value() -> Result<()> {
    check("one_hot_python_int_on_value", one_hot(&constant([1])?, 2, Some(3.into()), None, -1, Some(DType::F32)));
    Ok(())
}

#[test]
fn tile_bad_multiples() -> Result<()> {
    check("tile_bad_multiples", constant([1, 2])?.tile(&[2, 2]));
    Ok(())
}

#[test]
fn pad_constant_values() -> Result<()> {
    check("pad_constant_values", constant([[1.0, 2.0], [3.0, 4.0]])?.pad(&[[0, 1], [1, 1]], PadMode::Constant(9.0.into())));
    Ok(())
}

#[test]
fn pad_reflect() -> Result<()> {
    check("pad_reflect", constant([[1, 2, 3], [4, 5, 6]])?.pad(&[[1, 1], [2, 2]], PadMode::Reflect));
    Ok(())
}

#[test]
fn pad_symmetric() -> Result<()> {
    check("pad_symmetric", constant([[1, 2, 3], [4, 5, 6]])?.pad(&[[1, 1], [2, 2]], PadMode::Symmetric));
    Ok(())
}

#[test]
fn pad_reflect_too_large() -> Result<()> {
    check("pad_reflect_too_large", constant([[1, 2, 3], [4, 5, 6]])?.pad(&[[2, 0], [0, 0]], PadMode::Reflect));
    Ok(())
}

#[test]
fn meshgrid_xy() -> Result<()> {
    check("meshgrid_xy", meshgrid(&[constant([1, 2, 3])?, constant([4, 5])?], true)?);
    Ok(())
}

#[test]
fn identity_and_stop_gradient_values() -> Result<()> {
    let x = constant([1.0, 2.0])?;
    let v = Variable::new([3, 4])?;
    check("identity_and_stop_gradient_values", vec![identity(&x)?, stop_gradient(&x)?, identity(&v.read())?]);
    Ok(())
}

/// SEMANTICS_2.md: `range` values are `start + i * delta`; `delta < 0`
/// needs `start >= limit`; `meshgrid` with `ij` keeps the input order.
#[test]
fn creation_rules_beyond_the_cases() -> Result<()> {
    assert_eq!(range_from(0, 10, 3, Some(DType::F64))?.to_vec::<f64>()?, vec![0.0, 3.0, 6.0, 9.0]);
    let e = range_from(1, 5, -1, None).unwrap_err();
    assert!(e.to_string().contains("Requires start >= limit when delta < 0: 1/5 [Op:Range]"), "{e}");
    let ij = meshgrid(&[constant([1, 2, 3])?, constant([4, 5])?], false)?;
    assert_eq!(ij[0].dims(), &[3, 2]);
    assert_eq!(ij[1].to_vec::<i32>()?, vec![4, 5, 4, 5, 4, 5]);
    assert_eq!(eye(2, Some(3), &[], DType::F32)?.to_vec::<f32>()?, vec![1., 0., 0., 0., 1., 0.]);
    assert_eq!(linspace(2.0, 3.0, 1)?.to_vec::<f32>()?, vec![2.0]);
    let t = constant([[1, 2], [3, 4]])?.tile(&[2, 1])?;
    assert_eq!((t.dims(), t.to_vec::<i32>()?), (&[4, 2][..], vec![1, 2, 3, 4, 1, 2, 3, 4]));
    let e = constant([1, 2, 3])?.pad(&[[4, 0]], PadMode::Symmetric).unwrap_err();
    assert!(e.to_string().contains("paddings must be no greater than the dimension size: 4, 0 greater than 3"), "{e}");
    let e = one_hot(&constant([0])?, 2, Some(1.0.into()), None, -1, Some(DType::I32)).unwrap_err();
    assert!(e.to_string().contains("dtype <dtype: 'float32'> of on_value does not match dtype parameter <dtype: 'int32'>"));
    Ok(())
}

/// `stop_gradient` cuts its path; on the only path the gradient is None.
#[test]
fn stop_gradient_cuts_the_path() -> Result<()> {
    let x = constant(2.0)?;
    let tape = GradientTape::persistent();
    let (y, z) = tape.record(|t| {
        t.watch(&x)?;
        Ok((x.mul(&x.stop_gradient()?)?, x.stop_gradient()?.mul(3.0)?))
    })?;
    assert_eq!(tape.gradient(&y, &x)?.unwrap().scalar::<f32>()?, 2.0);
    assert!(tape.gradient(&z, &x)?.is_none());
    Ok(())
}

fn fd_check(f: impl Fn(&Tensor) -> Result<Tensor>, x: &Tensor) -> Result<()> {
    let tape = GradientTape::new();
    let y = tape.record(|t| {
        t.watch(x)?;
        f(x)
    })?;
    let w = random::stateless_normal(y.dims(), [5, 5], 0.0, 1.0, DType::F64)?;
    let g = tape.gradients_with(&[&y], &[x], Some(&[Some(w.clone())]), Unconnected::None)?[0].clone().unwrap();
    let n = numeric_gradient(|a| f(&a[0])?.mul(&w), std::slice::from_ref(x), 1e-6)?;
    let (g, n) = (g.to_vec::<f64>()?, n[0].to_vec::<f64>()?);
    assert!(g.iter().zip(&n).all(|(a, b)| (a - b).abs() <= 1e-6 * b.abs().max(1.0)), "{g:?} vs {n:?}");
    Ok(())
}

#[test]
fn composite_gradients_match_finite_differences() -> Result<()> {
    let x = random::stateless_normal(&[2, 3], [1, 1], 0.0, 1.0, DType::F64)?;
    fd_check(|x| x.tile(&[2, 3]), &x)?;
    fd_check(|x| x.pad(&[[1, 1], [2, 2]], PadMode::Reflect), &x)?;
    fd_check(|x| x.pad(&[[2, 1], [3, 0]], PadMode::Symmetric), &x)?;
    fd_check(|x| x.pad(&[[0, 1], [1, 0]], PadMode::Constant(1.5.into())), &x)?;
    fd_check(|x| Ok(meshgrid(&[x.reshape([6])?, x.reshape([6])?.sin()?], true)?[1].clone()), &x)?;
    fd_check(|x| x.identity()?.mul(x), &x)?;
    Ok(())
}
