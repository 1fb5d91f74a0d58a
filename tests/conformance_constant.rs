//! Golden TensorFlow 2.21 cases of the areas `constant` and `dtype`
//! (`tests/golden/tf_cases.json`), one test per case, named after
//! the case id. Python literal lists map to Rust arrays, NumPy arrays to
//! `from_slice`, which keeps the buffer's dtype.

mod common;

use common::{assert_err, assert_tensor};
use gradtape::*;
/// Python float list -> float32; repr format from the lecture
#[test]
fn const_float_list_repr() -> Result<()> {
    let t = constant([1.0, 2.0, 3.0, 4.0])?;
    assert_tensor(
        &t,
        &[4],
        DType::F32,
        &[1.0, 2.0, 3.0, 4.0],
        "<tf.Tensor: shape=(4,), dtype=float32, numpy=array([1., 2., 3., 4.], dtype=float32)>",
    );
    Ok(())
}

/// Python int list -> int32
#[test]
fn const_int_list() -> Result<()> {
    let t = constant([1, 2, 3, 4])?;
    assert_tensor(
        &t,
        &[4],
        DType::I32,
        &[1.0, 2.0, 3.0, 4.0],
        "<tf.Tensor: shape=(4,), dtype=int32, numpy=array([1, 2, 3, 4], dtype=int32)>",
    );
    Ok(())
}

/// Nested list -> rank-2 int32
#[test]
fn const_nested_int() -> Result<()> {
    let t = constant([[1, 2, 3], [4, 5, 6]])?;
    assert_tensor(
        &t,
        &[2, 3],
        DType::I32,
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        concat!(
            "<tf.Tensor: shape=(2, 3), dtype=int32, numpy=\n",
            "array([[1, 2, 3],\n",
            "       [4, 5, 6]], dtype=int32)>",
        ),
    );
    Ok(())
}

/// Rank-2 float32 repr (multi-line numpy repr)
#[test]
fn const_nested_float_repr() -> Result<()> {
    let t = constant([[1.0, 2.0], [3.0, 4.0]])?;
    assert_tensor(
        &t,
        &[2, 2],
        DType::F32,
        &[1.0, 2.0, 3.0, 4.0],
        concat!(
            "<tf.Tensor: shape=(2, 2), dtype=float32, numpy=\n",
            "array([[1., 2.],\n",
            "       [3., 4.]], dtype=float32)>",
        ),
    );
    Ok(())
}

/// numpy int array (int64 default) -> int64
// `np.array([1, 2, 3])`: NumPy's default int is int64, and a typed buffer keeps its dtype.
#[test]
fn const_numpy_int() -> Result<()> {
    let t = from_slice::<i64>(&[1, 2, 3], &[3])?;
    assert_tensor(
        &t,
        &[3],
        DType::I64,
        &[1.0, 2.0, 3.0],
        "<tf.Tensor: shape=(3,), dtype=int64, numpy=array([1, 2, 3])>",
    );
    Ok(())
}

/// numpy float array (float64 default) -> float64
#[test]
fn const_numpy_float() -> Result<()> {
    let t = from_slice::<f64>(&[1.0, 2.0, 3.0], &[3])?;
    assert_tensor(
        &t,
        &[3],
        DType::F64,
        &[1.0, 2.0, 3.0],
        "<tf.Tensor: shape=(3,), dtype=float64, numpy=array([1., 2., 3.])>",
    );
    Ok(())
}

/// numpy float32 array keeps float32
#[test]
fn const_numpy_float32() -> Result<()> {
    let t = from_slice::<f32>(&[1.0, 2.0], &[2])?;
    assert_tensor(
        &t,
        &[2],
        DType::F32,
        &[1.0, 2.0],
        "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([1., 2.], dtype=float32)>",
    );
    Ok(())
}

/// numpy int32 array keeps int32
#[test]
fn const_numpy_int32() -> Result<()> {
    let t = from_slice::<i32>(&[1, 2], &[2])?;
    assert_tensor(
        &t,
        &[2],
        DType::I32,
        &[1.0, 2.0],
        "<tf.Tensor: shape=(2,), dtype=int32, numpy=array([1, 2], dtype=int32)>",
    );
    Ok(())
}

/// tf.constant(range(5)) -> int32 [0..4]
#[test]
fn const_range() -> Result<()> {
    let t = constant(0..5)?;
    assert_tensor(
        &t,
        &[5],
        DType::I32,
        &[0.0, 1.0, 2.0, 3.0, 4.0],
        "<tf.Tensor: shape=(5,), dtype=int32, numpy=array([0, 1, 2, 3, 4], dtype=int32)>",
    );
    Ok(())
}

/// Mixed int/float Python list -> float32
// A Rust array cannot mix ints and floats as `[1, 2.5]` does, so the list is
// built from per-element literals, which keep their Python kinds.
#[test]
fn const_mixed_int_float() -> Result<()> {
    let t = constant(vec![1.into_literal()?, 2.5.into_literal()?])?;
    assert_tensor(
        &t,
        &[2],
        DType::F32,
        &[1.0, 2.5],
        "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([1. , 2.5], dtype=float32)>",
    );
    Ok(())
}

/// Scalar int repr
#[test]
fn const_scalar_int_repr() -> Result<()> {
    let t = constant(3)?;
    assert_tensor(
        &t,
        &[],
        DType::I32,
        &[3.0],
        "<tf.Tensor: shape=(), dtype=int32, numpy=3>",
    );
    Ok(())
}

/// Scalar float repr
#[test]
fn const_scalar_float_repr() -> Result<()> {
    let t = constant(3.0)?;
    assert_tensor(
        &t,
        &[],
        DType::F32,
        &[3.0],
        "<tf.Tensor: shape=(), dtype=float32, numpy=3.0>",
    );
    Ok(())
}

/// Explicit dtype=tf.float64 on int literals
#[test]
fn const_explicit_dtype() -> Result<()> {
    let t = constant_with([1, 2], DType::F64)?;
    assert_tensor(
        &t,
        &[2],
        DType::F64,
        &[1.0, 2.0],
        "<tf.Tensor: shape=(2,), dtype=float64, numpy=array([1., 2.])>",
    );
    Ok(())
}

/// Scalar value broadcast to shape=
#[test]
fn const_fill_shape() -> Result<()> {
    let t = constant_shaped(2.0, &[2, 2])?;
    assert_tensor(
        &t,
        &[2, 2],
        DType::F32,
        &[2.0, 2.0, 2.0, 2.0],
        concat!(
            "<tf.Tensor: shape=(2, 2), dtype=float32, numpy=\n",
            "array([[2., 2.],\n",
            "       [2., 2.]], dtype=float32)>",
        ),
    );
    Ok(())
}

/// Flat list reshaped by shape=
#[test]
fn const_reshape_via_shape() -> Result<()> {
    let t = constant_shaped([1, 2, 3, 4, 5, 6], &[2, 3])?;
    assert_tensor(
        &t,
        &[2, 3],
        DType::I32,
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        concat!(
            "<tf.Tensor: shape=(2, 3), dtype=int32, numpy=\n",
            "array([[1, 2, 3],\n",
            "       [4, 5, 6]], dtype=int32)>",
        ),
    );
    Ok(())
}

/// Python int outside int32 range -> int64
// `2**31` does not fit int32, so TF infers int64.
#[test]
fn const_big_python_int() -> Result<()> {
    let t = constant(1i64 << 31)?;
    assert_tensor(
        &t,
        &[],
        DType::I64,
        &[2147483648.0],
        "<tf.Tensor: shape=(), dtype=int64, numpy=2147483648>",
    );
    Ok(())
}

/// Non-rectangular nested list is rejected
#[test]
fn const_ragged_error() -> Result<()> {
    let res = constant(vec![vec![1, 2], vec![3]]);
    assert_err(
        res,
        "ValueError",
        "Can't convert non-rectangular Python sequence to Tensor.",
    );
    Ok(())
}

/// convert_to_tensor packs lists containing tensors
// `tf.convert_to_tensor([1, tf.constant(0), 2])`: a list mixing Python ints
// and a tensor, as a list of literals (a tensor's literal remembers its dtype).
#[test]
fn const_auto_stack() -> Result<()> {
    let zero = constant(0)?;
    let t = constant(vec![1.into_literal()?, (&zero).into_literal()?, 2.into_literal()?])?;
    assert_tensor(
        &t,
        &[3],
        DType::I32,
        &[1.0, 0.0, 2.0],
        "<tf.Tensor: shape=(3,), dtype=int32, numpy=array([1, 0, 2], dtype=int32)>",
    );
    Ok(())
}

/// List with a float64 tensor infers float64
#[test]
fn const_auto_stack_f64() -> Result<()> {
    let mid = constant_with([0.0, 0.0, 0.0], DType::F64)?;
    let t = constant(vec![
        [0.0, 0.0, 0.0].into_literal()?,
        (&mid).into_literal()?,
        [0.0, 0.0, 0.0].into_literal()?,
    ])?;
    assert_tensor(
        &t,
        &[3, 3],
        DType::F64,
        &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        concat!(
            "<tf.Tensor: shape=(3, 3), dtype=float64, numpy=\n",
            "array([[0., 0., 0.],\n",
            "       [0., 0., 0.],\n",
            "       [0., 0., 0.]])>",
        ),
    );
    Ok(())
}

/// float32 and float64 tensors in one list -> TypeError
#[test]
fn const_auto_stack_dtype_conflict() -> Result<()> {
    let a = constant_with([0.0, 0.0, 0.0], DType::F32)?;
    let b = constant_with([0.0, 0.0, 0.0], DType::F64)?;
    let res = constant(vec![
        (&a).into_literal()?,
        (&b).into_literal()?,
        [0.0, 0.0, 0.0].into_literal()?,
    ]);
    assert_err(res, "TypeError", "Cannot convert a list containing a tensor of dtype <dtype: 'float64'> to <dtype: 'float32'> (Tensor is: <tf.Tensor: shape=(3,), dtype=float64, numpy=array([0., 0., 0.])>)");
    Ok(())
}

/// Lecture: int32 + float32 tensors -> InvalidArgumentError
#[test]
fn dtype_add_int_float_error() -> Result<()> {
    let res = &constant([1, 2])? + &constant([1.0, 2.0])?;
    assert_err(res, "InvalidArgumentError", "cannot compute AddV2 as input #1(zero-based) was expected to be a int32 tensor but is a float tensor [Op:AddV2]");
    Ok(())
}

/// int32 * float32 tensors
#[test]
fn dtype_mul_int_float_error() -> Result<()> {
    let res = &constant([1, 2])? * &constant([1.0, 2.0])?;
    assert_err(
        res,
        "InvalidArgumentError",
        "cannot compute Mul as input #1(zero-based) was expected to be a int32 tensor but is a float tensor [Op:Mul]",
    );
    Ok(())
}

/// int32 + int64 tensors
#[test]
fn dtype_add_int32_int64_error() -> Result<()> {
    let res = &constant([1, 2])? + &constant_with([1, 2], DType::I64)?;
    assert_err(res, "InvalidArgumentError", "cannot compute AddV2 as input #1(zero-based) was expected to be a int32 tensor but is a int64 tensor [Op:AddV2]");
    Ok(())
}

/// int32 tensor + Python float -> error (float literal becomes float32)
// The float literal becomes a float32 tensor; the AddV2 kernel then rejects the mix.
#[test]
fn dtype_int_tensor_plus_pyfloat() -> Result<()> {
    let res = &constant([1, 2])? + 2.5;
    assert_err(res, "InvalidArgumentError", "cannot compute AddV2 as input #1(zero-based) was expected to be a int32 tensor but is a float tensor [Op:AddV2]");
    Ok(())
}

/// float32 tensor + Python int -> float32
#[test]
fn dtype_float_tensor_plus_pyint() -> Result<()> {
    let t = (&constant([1.0, 2.0])? + 1)?;
    assert_tensor(
        &t,
        &[2],
        DType::F32,
        &[2.0, 3.0],
        "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([2., 3.], dtype=float32)>",
    );
    Ok(())
}

/// int32 tensor + Python int -> int32
#[test]
fn dtype_int_tensor_plus_pyint() -> Result<()> {
    let t = (&constant([1, 2])? + 1)?;
    assert_tensor(
        &t,
        &[2],
        DType::I32,
        &[2.0, 3.0],
        "<tf.Tensor: shape=(2,), dtype=int32, numpy=array([2, 3], dtype=int32)>",
    );
    Ok(())
}

/// int32 / int32 -> float64 (true division)
#[test]
fn dtype_int_truediv() -> Result<()> {
    let t = (&constant([1, 2])? / &constant([2, 2])?)?;
    assert_tensor(
        &t,
        &[2],
        DType::F64,
        &[0.5, 1.0],
        "<tf.Tensor: shape=(2,), dtype=float64, numpy=array([0.5, 1. ])>",
    );
    Ok(())
}

/// int32 // int32 floors
// Rust has no `//` operator; `floordiv` is Python's `//` on tensors.
#[test]
fn dtype_int_floordiv() -> Result<()> {
    let t = constant([7, -7])?.floordiv(&constant([2, 2])?)?;
    assert_tensor(
        &t,
        &[2],
        DType::I32,
        &[3.0, -4.0],
        "<tf.Tensor: shape=(2,), dtype=int32, numpy=array([ 3, -4], dtype=int32)>",
    );
    Ok(())
}

/// tf.cast float -> int truncates toward zero
#[test]
fn dtype_cast_truncates() -> Result<()> {
    let t = constant([1.7, -1.7])?.cast(DType::I32)?;
    assert_tensor(
        &t,
        &[2],
        DType::I32,
        &[1.0, -1.0],
        "<tf.Tensor: shape=(2,), dtype=int32, numpy=array([ 1, -1], dtype=int32)>",
    );
    Ok(())
}

/// tf.constant(2.2, dtype=tf.int32) -> TypeError
#[test]
fn dtype_const_float_to_int_error() -> Result<()> {
    let res = constant_with(2.2, DType::I32);
    assert_err(res, "TypeError", "Cannot convert 2.2 to EagerTensor of dtype int32");
    Ok(())
}

/// int64 tensor + Python float -> error
#[test]
fn dtype_int64_plus_pyfloat() -> Result<()> {
    let res = &constant_with([1, 2], DType::I64)? + 1.5;
    assert_err(res, "InvalidArgumentError", "cannot compute AddV2 as input #1(zero-based) was expected to be a int64 tensor but is a float tensor [Op:AddV2]");
    Ok(())
}

/// int64 tensor + Python int -> int64
#[test]
fn dtype_int64_plus_pyint() -> Result<()> {
    let t = (&constant_with([1, 2], DType::I64)? + 1)?;
    assert_tensor(
        &t,
        &[2],
        DType::I64,
        &[2.0, 3.0],
        "<tf.Tensor: shape=(2,), dtype=int64, numpy=array([2, 3])>",
    );
    Ok(())
}

/// float64 tensor + Python float -> float64
#[test]
fn dtype_float64_plus_pyfloat() -> Result<()> {
    let t = (&constant_with([1.0, 2.0], DType::F64)? + 1.5)?;
    assert_tensor(
        &t,
        &[2],
        DType::F64,
        &[2.5, 3.5],
        "<tf.Tensor: shape=(2,), dtype=float64, numpy=array([2.5, 3.5])>",
    );
    Ok(())
}

/// Python float / int32 tensor (reflected operator) -> error
// The reflected operator casts the literal to the tensor's dtype, so the error is a TypeError.
#[test]
fn dtype_pyfloat_div_int_tensor() -> Result<()> {
    let res = 1.0 / &constant(2)?;
    assert_err(res, "TypeError", "Cannot convert 1.0 to EagerTensor of dtype int32");
    Ok(())
}

/// Tensor.reshape does not exist without numpy behaviour
// Python's `x.reshape` method is `np_reshape` here (`Tensor::reshape` is
// `tf.reshape`, which always works); the default engine has NumPy behaviour off.
#[test]
fn dtype_reshape_method_missing() -> Result<()> {
    let res = constant([1, 2, 3, 4])?.np_reshape([2, 2]);
    assert_err(
        res,
        "AttributeError",
        concat!(
            "EagerTensor object has no attribute 'reshape'. \n",
            "        If you are looking for numpy-related methods, please run the following:\n",
            "        tf.experimental.numpy.experimental_enable_numpy_behavior()",
        ),
    );
    Ok(())
}
