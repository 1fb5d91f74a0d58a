//! Golden TensorFlow 2.21 cases of the areas `matmul` and `numpy_behavior`,
//! one test per case named after the case id. NumPy-behaviour cases each use
//! their own engine, so the promotion mode never leaks into other tests.

mod common;

use common::{assert_err, assert_tensor, assert_values};
use gradtape::*;
/// int32 2x2 @ 2x2
#[test]
fn matmul_2x2_int() -> Result<()> {
    let t = matmul(&constant([[1, 2], [3, 4]])?, &constant([[5, 6], [7, 8]])?)?;
    assert_tensor(
        &t,
        &[2, 2],
        DType::I32,
        &[19.0, 22.0, 43.0, 50.0],
        concat!(
            "<tf.Tensor: shape=(2, 2), dtype=int32, numpy=\n",
            "array([[19, 22],\n",
            "       [43, 50]], dtype=int32)>",
        ),
    );
    Ok(())
}

/// Lecture: rank-1 @ rank-2 is an error in TF
#[test]
fn matmul_vector_matrix_error() -> Result<()> {
    let res = matmul(&constant([1.0, 2.0])?, &constant([[1.0, 2.0], [3.0, 4.0]])?);
    assert_err(
        res,
        "InvalidArgumentError",
        "In[0] and In[1] has different ndims: [2] vs. [2,2] [Op:MatMul]",
    );
    Ok(())
}

/// Same with int32 (stock kernel on every build)
#[test]
fn matmul_vector_matrix_error_int() -> Result<()> {
    let res = constant([1, 2])?.matmul(&constant([[1, 2], [3, 4]])?);
    assert_err(
        res,
        "InvalidArgumentError",
        "In[0] and In[1] has different ndims: [2] vs. [2,2] [Op:MatMul]",
    );
    Ok(())
}

/// Lecture: (2,1) @ (2,2)
#[test]
fn matmul_size_incompatible() -> Result<()> {
    let res = constant([[1.0], [2.0]])?.matmul(&constant([[1.0, 2.0], [3.0, 4.0]])?);
    assert_err(
        res,
        "InvalidArgumentError",
        "Matrix size-incompatible: In[0]: [2,1], In[1]: [2,2] [Op:MatMul]",
    );
    Ok(())
}

/// [3] @ [2,2]
#[test]
fn matmul_infix_mismatched_ndims() -> Result<()> {
    let res = constant([10.0, 20.0, 30.0])?.matmul(&constant([[40.0, 50.0], [60.0, 70.0]])?);
    assert_err(
        res,
        "InvalidArgumentError",
        "In[0] and In[1] has different ndims: [3] vs. [2,2] [Op:MatMul]",
    );
    Ok(())
}

/// [1,3] @ [2,2]
#[test]
fn matmul_infix_mismatched_dims() -> Result<()> {
    let res = constant([[10.0, 20.0, 30.0]])?.matmul(&constant([[40.0, 50.0], [60.0, 70.0]])?);
    assert_err(
        res,
        "InvalidArgumentError",
        "Matrix size-incompatible: In[0]: [1,3], In[1]: [2,2] [Op:MatMul]",
    );
    Ok(())
}

/// [2,2] @ [2] -> error in TF
#[test]
fn matmul_matrix_vector_error() -> Result<()> {
    let res = constant([[1, 2], [3, 4]])?.matmul(&constant([1, 2])?);
    assert_err(
        res,
        "InvalidArgumentError",
        "In[0] and In[1] has different ndims: [2,2] vs. [2] [Op:MatMul]",
    );
    Ok(())
}

/// [2] @ [2] -> error in TF
#[test]
fn matmul_vector_vector_error() -> Result<()> {
    let res = constant([1.0, 2.0])?.matmul(&constant([1.0, 2.0])?);
    assert_err(
        res,
        "InvalidArgumentError",
        "In[0] and In[1] ndims must be == 2: 1 [Op:MatMul]",
    );
    Ok(())
}

/// Explicit row vector (1,2) @ (2,2)
#[test]
fn matmul_row_vector_ok() -> Result<()> {
    let t = constant([[1, 2]])?.matmul(&constant([[1, 2], [3, 4]])?)?;
    assert_tensor(
        &t,
        &[1, 2],
        DType::I32,
        &[7.0, 10.0],
        "<tf.Tensor: shape=(1, 2), dtype=int32, numpy=array([[ 7, 10]], dtype=int32)>",
    );
    Ok(())
}

/// numpy promotes a 1-D left operand (reference for contrast)
// A pure NumPy reference: gradtape's counterpart is `@` under legacy NumPy
// behaviour, on int64 buffers like NumPy's default ints.
#[test]
fn numpy_vector_matrix() -> Result<()> {
    let e = Engine::cpu();
    e.enable_numpy_behavior(PromotionMode::Legacy);
    let t = e
        .from_slice::<i64>(&[1, 2], &[2])?
        .matmul(&e.from_slice::<i64>(&[1, 2, 3, 4], &[2, 2])?)?;
    assert_values(&t, &[2], DType::I64, &[7.0, 10.0]);
    Ok(())
}

/// numpy promotes a 1-D right operand (reference for contrast)
// A pure NumPy reference, under legacy NumPy behaviour as above.
#[test]
fn numpy_matrix_vector() -> Result<()> {
    let e = Engine::cpu();
    e.enable_numpy_behavior(PromotionMode::Legacy);
    let t = e
        .from_slice::<i64>(&[1, 2, 3, 4], &[2, 2])?
        .matmul(&e.from_slice::<i64>(&[1, 2], &[2])?)?;
    assert_values(&t, &[2], DType::I64, &[5.0, 11.0]);
    Ok(())
}

/// rank-3 @ rank-2 broadcasts the batch (BatchMatMulV2)
#[test]
fn matmul_batch_broadcast() -> Result<()> {
    let t = from_slice::<f64>(&[1.0; 8], &[2, 2, 2])?.matmul(&from_slice::<f64>(&[1.0; 4], &[2, 2])?)?;
    assert_tensor(
        &t,
        &[2, 2, 2],
        DType::F64,
        &[2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0],
        concat!(
            "<tf.Tensor: shape=(2, 2, 2), dtype=float64, numpy=\n",
            "array([[[2., 2.],\n",
            "        [2., 2.]],\n",
            "\n",
            "       [[2., 2.],\n",
            "        [2., 2.]]])>",
        ),
    );
    Ok(())
}

/// transpose_b=True
#[test]
fn matmul_transpose_b() -> Result<()> {
    let t = constant([[1.0, 2.0], [3.0, 4.0]])?.matmul_t(&constant([[1.0, 0.0], [1.0, 1.0]])?, false, true)?;
    assert_tensor(
        &t,
        &[2, 2],
        DType::F32,
        &[1.0, 3.0, 3.0, 7.0],
        concat!(
            "<tf.Tensor: shape=(2, 2), dtype=float32, numpy=\n",
            "array([[1., 3.],\n",
            "       [3., 7.]], dtype=float32)>",
        ),
    );
    Ok(())
}

/// legacy (default) mode: int32 + float32 -> float64 (lecture)
#[test]
fn npb_legacy_i32_f32() -> Result<()> {
    let e = Engine::cpu();
    e.enable_numpy_behavior(PromotionMode::Legacy);
    let t = (&e.constant_with([1, 2], DType::I32)? + &e.constant_with([3.0, 4.0], DType::F32)?)?;
    assert_tensor(
        &t,
        &[2],
        DType::F64,
        &[4.0, 6.0],
        "<tf.Tensor: shape=(2,), dtype=float64, numpy=array([4., 6.])>",
    );
    Ok(())
}

/// legacy: int32 + Python int -> int32
#[test]
fn npb_legacy_i32_pyint() -> Result<()> {
    let e = Engine::cpu();
    e.enable_numpy_behavior(PromotionMode::Legacy);
    let t = (&e.constant([1, 2])? + 1)?;
    assert_tensor(
        &t,
        &[2],
        DType::I32,
        &[2.0, 3.0],
        "<tf.Tensor: shape=(2,), dtype=int32, numpy=array([2, 3], dtype=int32)>",
    );
    Ok(())
}

/// legacy: Tensor.reshape and .T become available
// Python's `x.reshape(2, 2)` takes the dims as separate arguments; Rust passes one array.
#[test]
fn npb_legacy_reshape_method() -> Result<()> {
    let e = Engine::cpu();
    e.enable_numpy_behavior(PromotionMode::Legacy);
    let x = e.constant([1, 2, 3, 4])?;
    let ts = [
        x.np_reshape([2, 2])?,
        x.np_reshape([-1, 1])?,
        x.np_reshape([2, 2])?.np_t()?,
    ];
    assert_tensor(
        &ts[0],
        &[2, 2],
        DType::I32,
        &[1.0, 2.0, 3.0, 4.0],
        concat!(
            "<tf.Tensor: shape=(2, 2), dtype=int32, numpy=\n",
            "array([[1, 2],\n",
            "       [3, 4]], dtype=int32)>",
        ),
    );
    assert_tensor(
        &ts[1],
        &[4, 1],
        DType::I32,
        &[1.0, 2.0, 3.0, 4.0],
        concat!(
            "<tf.Tensor: shape=(4, 1), dtype=int32, numpy=\n",
            "array([[1],\n",
            "       [2],\n",
            "       [3],\n",
            "       [4]], dtype=int32)>",
        ),
    );
    assert_tensor(
        &ts[2],
        &[2, 2],
        DType::I32,
        &[1.0, 3.0, 2.0, 4.0],
        concat!(
            "<tf.Tensor: shape=(2, 2), dtype=int32, numpy=\n",
            "array([[1, 3],\n",
            "       [2, 4]], dtype=int32)>",
        ),
    );
    Ok(())
}

/// legacy: int32 Variable + float32 tensor -> float64
#[test]
fn npb_legacy_mul_mixed_var() -> Result<()> {
    let e = Engine::cpu();
    e.enable_numpy_behavior(PromotionMode::Legacy);
    let t = (&e.variable([1, 2])? + &e.constant([1.0, 2.0])?)?;
    assert_tensor(
        &t,
        &[2],
        DType::F64,
        &[2.0, 4.0],
        "<tf.Tensor: shape=(2,), dtype=float64, numpy=array([2., 4.])>",
    );
    Ok(())
}

/// 'all': int64 + float32 -> float32
#[test]
fn npb_all_i64_f32() -> Result<()> {
    let e = Engine::cpu();
    e.enable_numpy_behavior(PromotionMode::All);
    let t = (&e.constant_with([1, 2], DType::I64)? + &e.constant_with([3.0, 4.0], DType::F32)?)?;
    assert_tensor(
        &t,
        &[2],
        DType::F32,
        &[4.0, 6.0],
        "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([4., 6.], dtype=float32)>",
    );
    Ok(())
}

/// 'all': int64 + float64 -> float64
#[test]
fn npb_all_i64_f64() -> Result<()> {
    let e = Engine::cpu();
    e.enable_numpy_behavior(PromotionMode::All);
    let t = (&e.constant_with([1, 2], DType::I64)? + &e.constant_with([3.0, 4.0], DType::F64)?)?;
    assert_tensor(
        &t,
        &[2],
        DType::F64,
        &[4.0, 6.0],
        "<tf.Tensor: shape=(2,), dtype=float64, numpy=array([4., 6.])>",
    );
    Ok(())
}

/// 'all': int32 + int64 -> int64
#[test]
fn npb_all_i32_i64() -> Result<()> {
    let e = Engine::cpu();
    e.enable_numpy_behavior(PromotionMode::All);
    let t = (&e.constant_with([1, 2], DType::I32)? + &e.constant_with([3, 4], DType::I64)?)?;
    assert_tensor(
        &t,
        &[2],
        DType::I64,
        &[4.0, 6.0],
        "<tf.Tensor: shape=(2,), dtype=int64, numpy=array([4, 6])>",
    );
    Ok(())
}

/// 'all': 1-D @ 2-D still an error
// Only legacy mode promotes a 1-D operand of `@`.
#[test]
fn npb_all_vec_matmul_error() -> Result<()> {
    let e = Engine::cpu();
    e.enable_numpy_behavior(PromotionMode::All);
    let res = e.constant([1.0, 2.0])?.matmul(&e.constant([[1.0, 2.0], [3.0, 4.0]])?);
    assert_err(
        res,
        "InvalidArgumentError",
        "In[0] and In[1] has different ndims: [2] vs. [2,2] [Op:MatMul]",
    );
    Ok(())
}

/// 'safe': int32 + float64 -> float64
#[test]
fn npb_safe_i32_f64() -> Result<()> {
    let e = Engine::cpu();
    e.enable_numpy_behavior(PromotionMode::Safe);
    let t = (&e.constant_with([1, 2], DType::I32)? + &e.constant_with([3.0, 4.0], DType::F64)?)?;
    assert_tensor(
        &t,
        &[2],
        DType::F64,
        &[4.0, 6.0],
        "<tf.Tensor: shape=(2,), dtype=float64, numpy=array([4., 6.])>",
    );
    Ok(())
}

/// 'all': float32 + Python float stays float32
#[test]
fn npb_all_f32_pyfloat() -> Result<()> {
    let e = Engine::cpu();
    e.enable_numpy_behavior(PromotionMode::All);
    let t = (&e.constant_with([1.0, 2.0], DType::F32)? + 1.5)?;
    assert_tensor(
        &t,
        &[2],
        DType::F32,
        &[2.5, 3.5],
        "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([2.5, 3.5], dtype=float32)>",
    );
    Ok(())
}

/// `tf.concat` never promotes, even under NumPy behaviour.
#[test]
fn semantics_concat_mixed_dtypes_legacy() -> Result<()> {
    let e = Engine::cpu();
    e.enable_numpy_behavior(PromotionMode::Legacy);
    let res = concat(&[e.constant([1])?, e.constant([1.0])?], 0);
    assert_err(
        res,
        "InvalidArgumentError",
        "cannot compute ConcatV2 as input #1(zero-based) was expected to be a int32 tensor but is a float tensor [Op:ConcatV2]",
    );
    Ok(())
}

/// SEMANTICS.md section 5 item 7: legacy `@` is NumPy's matmul on floats too.
#[test]
fn semantics_legacy_float_vector_matrix() -> Result<()> {
    let e = Engine::cpu();
    e.enable_numpy_behavior(PromotionMode::Legacy);
    let t = e.constant([1.0, 2.0])?.matmul(&e.constant([[1, 2], [3, 4]])?)?;
    assert_values(&t, &[2], DType::F64, &[7.0, 10.0]);
    Ok(())
}

/// Safe mode refuses int32 + float32 tensors (of explicit dtypes: literal
/// lists are weak there, and weak int32 + weak float32 is weak float32).
#[test]
fn semantics_safe_i32_f32_error() -> Result<()> {
    let e = Engine::cpu();
    e.enable_numpy_behavior(PromotionMode::Safe);
    let res = &e.constant_with([1, 2], DType::I32)? + &e.constant_with([3.0, 4.0], DType::F32)?;
    assert_err(
        res,
        "TypeError",
        "In promotion mode PromoMode.SAFE, implicit dtype promotion between (<dtype: 'int32'>, weak=False) and (<dtype: 'float32'>, weak=False) is disallowed.",
    );
    Ok(())
}
