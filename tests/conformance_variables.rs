//! Golden TensorFlow 2.21 cases of the `variable` area, translated.
//! Each test names its case id; the expected text is TF's own repr or message.

mod common;

use common::{assert_err};
use gradtape::*;

#[test]
fn var_from_list_repr() -> Result<()> {
    let v = Variable::new([1., 2., 3.])?;
    assert_eq!(v.to_string(), "<tf.Variable 'Variable:0' shape=(3,) dtype=float32, numpy=array([1., 2., 3.], dtype=float32)>");
    Ok(())
}

#[test]
fn var_from_int_list() -> Result<()> {
    let v = Variable::new([1, 2, 3])?;
    assert_eq!(v.to_string(), "<tf.Variable 'Variable:0' shape=(3,) dtype=int32, numpy=array([1, 2, 3], dtype=int32)>");
    Ok(())
}

#[test]
fn var_from_constant() -> Result<()> {
    let v = Variable::from_tensor(&constant([[1, 2], [3, 4]])?)?;
    assert_eq!(
        v.to_string(),
        "<tf.Variable 'Variable:0' shape=(2, 2) dtype=int32, numpy=\narray([[1, 2],\n       [3, 4]], dtype=int32)>"
    );
    Ok(())
}

#[test]
fn var_from_numpy() -> Result<()> {
    // np.array([1., 2.]) is a float64 buffer: it keeps its dtype.
    let v = Variable::from_tensor(&from_slice::<f64>(&[1., 2.], &[2])?)?;
    assert_eq!(v.to_string(), "<tf.Variable 'Variable:0' shape=(2,) dtype=float64, numpy=array([1., 2.])>");
    Ok(())
}

#[test]
fn var_index() -> Result<()> {
    let a = Variable::new([1., 2., 3.])?;
    assert_eq!(a.i(0)?.to_string(), "<tf.Tensor: shape=(), dtype=float32, numpy=1.0>");
    Ok(())
}

#[test]
fn var_slice() -> Result<()> {
    let a = Variable::new([1., 2., 3.])?;
    assert_eq!(a.i(..2)?.to_string(), "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([1., 2.], dtype=float32)>");
    Ok(())
}

#[test]
fn var_2d_index() -> Result<()> {
    let v = Variable::new([[1, 2, 3], [4, 5, 6]])?;
    assert_eq!(v.i((1, 0))?.to_string(), "<tf.Tensor: shape=(), dtype=int32, numpy=4>");
    assert_eq!(v.i((.., 1))?.to_string(), "<tf.Tensor: shape=(2,), dtype=int32, numpy=array([2, 5], dtype=int32)>");
    assert_eq!(v.i(-1)?.to_string(), "<tf.Tensor: shape=(3,), dtype=int32, numpy=array([4, 5, 6], dtype=int32)>");
    Ok(())
}

#[test]
fn var_arith_returns_tensor() -> Result<()> {
    let a = Variable::new([1., 2., 3.])?;
    let r: [Tensor; 3] = [(&a + 1)?, (&a * &a)?, ((2 * &a)? - &a)?];
    assert_eq!(r[0].to_string(), "<tf.Tensor: shape=(3,), dtype=float32, numpy=array([2., 3., 4.], dtype=float32)>");
    assert_eq!(r[1].to_string(), "<tf.Tensor: shape=(3,), dtype=float32, numpy=array([1., 4., 9.], dtype=float32)>");
    assert_eq!(r[2].to_string(), "<tf.Tensor: shape=(3,), dtype=float32, numpy=array([1., 2., 3.], dtype=float32)>");
    Ok(())
}

#[test]
fn var_assign_identity() -> Result<()> {
    let a = Variable::new([1., 2., 3.])?;
    let before = a.id();
    let r = a.assign([4., 5., 6.])?;
    assert_eq!(a.id(), before);
    assert_eq!(r.id(), before, "assign returns the same variable (TF's _UnreadVariable view of it)");
    assert_eq!(a.to_string(), "<tf.Variable 'Variable:0' shape=(3,) dtype=float32, numpy=array([4., 5., 6.], dtype=float32)>");
    Ok(())
}

#[test]
fn var_assign_add() -> Result<()> {
    let a = Variable::new([1., 2., 3.])?;
    let before = a.id();
    a.assign_add([1., 1., 1.])?;
    assert_eq!(a.id(), before);
    assert_eq!(a.to_string(), "<tf.Variable 'Variable:0' shape=(3,) dtype=float32, numpy=array([2., 3., 4.], dtype=float32)>");
    Ok(())
}

#[test]
fn var_assign_sub() -> Result<()> {
    let a = Variable::new([1, 2, 3])?;
    a.assign_sub([1, 1, 1])?;
    assert_eq!(a.to_string(), "<tf.Variable 'Variable:0' shape=(3,) dtype=int32, numpy=array([0, 1, 2], dtype=int32)>");
    Ok(())
}

#[test]
fn var_assign_chain() -> Result<()> {
    let a = Variable::new(1.0)?;
    let b = a.clone(); // b = a: an alias of the same variable
    a.assign(5.0)?;
    a.assign_add(2.0)?;
    a.assign_sub(0.5)?;
    assert_eq!(b.to_string(), "<tf.Variable 'Variable:0' shape=() dtype=float32, numpy=6.5>");
    assert_eq!(a.id(), b.id());
    Ok(())
}

#[test]
fn var_slice_assign() -> Result<()> {
    let v = Variable::new([1., 2., 3.])?;
    let before = v.id();
    v.assign_slice(0, 10.)?;
    assert_eq!(v.id(), before);
    assert_eq!(v.to_string(), "<tf.Variable 'Variable:0' shape=(3,) dtype=float32, numpy=array([10.,  2.,  3.], dtype=float32)>");
    Ok(())
}

#[test]
fn var_assign_shape_mismatch() -> Result<()> {
    let v = Variable::new([1., 2., 3.])?;
    assert_err(
        v.assign([1., 2.]),
        "ValueError",
        "Cannot assign value to variable ' Variable:0': Shape mismatch.The variable shape (3,), and the assigned value shape (2,) are incompatible.",
    );
    // A failed assign leaves the variable as it was.
    assert_eq!(v.to_vec::<f32>()?, vec![1., 2., 3.]);
    Ok(())
}

#[test]
fn var_assign_dtype_mismatch() -> Result<()> {
    let v = Variable::new([1, 2])?;
    assert_err(v.assign([1.5, 2.5]), "TypeError", "Cannot convert [1.5, 2.5] to EagerTensor of dtype int32");
    assert_eq!(v.to_vec::<i32>()?, vec![1, 2]);
    Ok(())
}

// var_item_assignment_error (`v[0] = 5.` → TypeError) and var_iadd_error
// (`a += 1` → RuntimeError) are rejected at compile time in Rust: Variable
// implements neither IndexMut nor AddAssign. The compile_fail doctests on
// `Variable` (crates/gradtape-engine/src/variable.rs) prove both forms do not
// build; the supported forms are `assign_slice` and `assign_add`.
#[test]
fn var_item_assignment_error() -> Result<()> {
    let v = Variable::new([1., 2., 3.])?;
    v.assign_slice(0, 5.)?;
    assert_eq!(v.to_vec::<f32>()?, vec![5., 2., 3.]);
    Ok(())
}

#[test]
fn var_iadd_error() -> Result<()> {
    let a = Variable::new([1., 2.])?;
    let id = a.id();
    a.assign_add([1., 1.])?;
    assert_eq!((a.id(), a.to_vec::<f32>()?), (id, vec![2., 3.]));
    Ok(())
}

#[test]
fn var_trainable_default() -> Result<()> {
    assert!(Variable::new(1.)?.trainable());
    assert!(Variable::new(1)?.trainable(), "integer variables are trainable too");
    assert!(!Variable::with_options(&constant(1.)?, false, "Variable")?.trainable());
    Ok(())
}
