//! Golden TensorFlow 2.21 cases of the `jacobian` area, translated.

mod common;

use common::{assert_err};
use gradtape::*;

#[test]
fn jac_two_sources_pfor() -> Result<()> {
    let g = GradientTape::new();
    let (x, y, z) = g.record(|g| {
        let x = constant([1., 2.])?;
        let y = constant([3., 4.])?;
        g.watch(&x)?;
        g.watch(&y)?;
        let z = ((&x * &x)? * &y)?;
        Ok((x, y, z))
    })?;
    let j = g.jacobians(&z, &[&x, &y], Unconnected::None, true)?;
    assert_eq!(j[0].as_ref().unwrap().to_string(), "<tf.Tensor: shape=(2, 2), dtype=float32, numpy=\narray([[ 6.,  0.],\n       [ 0., 16.]], dtype=float32)>");
    assert_eq!(j[1].as_ref().unwrap().to_string(), "<tf.Tensor: shape=(2, 2), dtype=float32, numpy=\narray([[1., 0.],\n       [0., 4.]], dtype=float32)>");
    Ok(())
}

#[test]
fn jac_twice_error() -> Result<()> {
    let x = constant([1.0, 2.0])?;
    let g = GradientTape::new();
    let y = g.record(|g| {
        g.watch(&x)?;
        &x * &x
    })?;
    g.jacobians(&y, &[&x], Unconnected::None, true)?;
    assert_err(
        g.jacobians(&y, &[&x], Unconnected::None, true),
        "RuntimeError",
        "A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)",
    );
    Ok(())
}

#[test]
fn bjac_pfor() -> Result<()> {
    let g = GradientTape::new();
    let (x, z) = g.record(|g| {
        let x = constant([[1., 2.], [3., 4.]])?;
        let y = constant([[3., 4.], [5., 6.]])?;
        g.watch(&x)?;
        let z = ((&x * &x)? * &y)?;
        Ok((x, z))
    })?;
    assert_eq!(
        g.batch_jacobian(&z, &x, true)?.to_string(),
        "<tf.Tensor: shape=(2, 2, 2), dtype=float32, numpy=\narray([[[ 6.,  0.],\n        [ 0., 16.]],\n\n       [[30.,  0.],\n        [ 0., 48.]]], dtype=float32)>"
    );
    Ok(())
}

#[test]
fn bjac_nonpersistent_while_error() -> Result<()> {
    let g = GradientTape::new();
    let (x, y) = g.record(|g| {
        let x = constant([[1.0, 2.0]])?;
        g.watch(&x)?;
        Ok((x.clone(), (&x * &x)?))
    })?;
    assert_err(
        g.batch_jacobian(&y, &x, false),
        "RuntimeError",
        "GradientTape must be created with persistent=True to compute the batch_jacobian with eager execution enabled and  with experimental_use_pfor set to False.",
    );
    Ok(())
}

#[test]
fn jac_nonpersistent_while_error() -> Result<()> {
    // SEMANTICS.md §4: the jacobian variant of the same message.
    let g = GradientTape::new();
    let x = constant([1.0, 2.0])?;
    let y = g.record(|g| {
        g.watch(&x)?;
        &x * &x
    })?;
    assert_err(
        g.jacobians(&y, &[&x], Unconnected::None, false),
        "RuntimeError",
        "GradientTape must be created with persistent=True to compute the jacobian with eager execution enabled and with  experimental_use_pfor set to False.",
    );
    Ok(())
}

#[test]
fn bjac_bad_shape() -> Result<()> {
    let x = ones(&[2, 3], DType::F32)?;
    let g = GradientTape::new();
    let y = g.record(|_| concat(&[x.clone(), x.clone()], 0))?;
    assert_err(g.batch_jacobian(&y, &x, true), "ValueError", "Need first dimension of target shape ((4, 3)) and source shape ((2, 3)) to match.");
    assert_err(g.batch_jacobian(&constant([1., 2.])?, &x, true), "ValueError", "Shape (2,) must have rank at least 2");
    Ok(())
}

#[test]
fn bjac_matmul_parallel_iterations() -> Result<()> {
    // parallel_iterations only bounds how many rows run at once in TF; the
    // vectorised walk computes all rows together, so both calls are one form.
    let g = GradientTape::persistent();
    let (x, y) = g.record(|g| {
        let x = constant([[1., 2.], [3., 4.]])?;
        g.watch(&x)?;
        let w = constant([[1., 2., 3., 4.], [5., 6., 7., 8.]])?;
        Ok((x.clone(), x.matmul(&w)?))
    })?;
    let want = "<tf.Tensor: shape=(2, 4, 2), dtype=float32, numpy=\narray([[[1., 5.],\n        [2., 6.],\n        [3., 7.],\n        [4., 8.]],\n\n       [[1., 5.],\n        [2., 6.],\n        [3., 7.],\n        [4., 8.]]], dtype=float32)>";
    assert_eq!(g.batch_jacobian(&y, &x, true)?.to_string(), want);
    assert_eq!(g.batch_jacobian(&y, &x, false)?.to_string(), want, "the per-row loop agrees");
    Ok(())
}

#[test]
fn bjac_twice_error() -> Result<()> {
    let x = constant([[1.0, 2.0]])?;
    let g = GradientTape::new();
    let y = g.record(|g| {
        g.watch(&x)?;
        &x * &x
    })?;
    g.batch_jacobian(&y, &x, true)?;
    assert_err(
        g.batch_jacobian(&y, &x, true),
        "RuntimeError",
        "A non-persistent GradientTape can only be used tocompute one set of gradients (or jacobians)",
    );
    Ok(())
}

#[test]
fn jacobian_unconnected_and_zero_size() -> Result<()> {
    // SEMANTICS.md §4: unconnected → None or zeros of target.shape+source.shape;
    // batch_jacobian gives zeros; a (1,0) source gives shape (1,0,0).
    let g = GradientTape::persistent();
    let x = constant([1.0, 2.0])?;
    let u = constant([[1.0, 2.0, 3.0]])?;
    let e = zeros(&[1, 0], DType::F32)?;
    let (y, ye) = g.record(|g| {
        g.watch_all(&[&x, &u, &e])?;
        Ok(((&x * 2)?, (&e * 2)?))
    })?;
    let j = g.jacobians(&y, &[&u], Unconnected::None, true)?;
    assert!(j[0].is_none());
    let j = g.jacobians(&y, &[&u], Unconnected::Zero, true)?;
    assert_eq!(j[0].as_ref().unwrap().dims(), &[2, 1, 3]);
    let bj = g.batch_jacobian(&y.expand_dims(0)?, &u, true)?;
    assert_eq!((bj.dims(), bj.to_vec::<f32>()?.iter().all(|&v| v == 0.0)), (&[1usize, 2, 3][..], true));
    assert_eq!(g.batch_jacobian(&ye, &e, true)?.dims(), &[1, 0, 0]);
    Ok(())
}
