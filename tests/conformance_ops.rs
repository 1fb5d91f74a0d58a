//! Golden TensorFlow 2.21 cases of the areas `stack`, `concat`, `matmul` and
//! `numpy_behavior` (`../shared/conformance/tf_cases.json`), one test per
//! case, named after the case id. `x @ y` is `x.matmul(&y)`. NumPy-behaviour
//! cases each build their own engine, so that the mode they switch on does not
//! leak into tests running in parallel on the default engine.

mod common;

use common::{assert_err, assert_tensor, assert_values};
use gradtape::*;

/// stack two rank-1 tensors (axis 0 default)
#[test]
fn stack_axis0_default() -> Result<()> {
    let t = stack(&[constant([1, 2, 3])?, constant([4, 5, 6])?], 0)?;
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

/// stack two (2,2) tensors on axis=-1 -> (2,2,2)
#[test]
fn stack_2d_axis_neg1() -> Result<()> {
    let t = stack(
        &[constant([[1.0, 2.0], [3.0, 4.0]])?, constant([[5.0, 6.0], [7.0, 8.0]])?],
        -1,
    )?;
    assert_tensor(
        &t,
        &[2, 2, 2],
        DType::F32,
        &[1.0, 5.0, 2.0, 6.0, 3.0, 7.0, 4.0, 8.0],
        concat!(
            "<tf.Tensor: shape=(2, 2, 2), dtype=float32, numpy=\n",
            "array([[[1., 5.],\n",
            "        [2., 6.]],\n",
            "\n",
            "       [[3., 7.],\n",
            "        [4., 8.]]], dtype=float32)>",
        ),
    );
    Ok(())
}

/// stack two (2,2) tensors on axis=1
#[test]
fn stack_2d_axis1() -> Result<()> {
    let t = stack(
        &[constant([[1.0, 2.0], [3.0, 4.0]])?, constant([[5.0, 6.0], [7.0, 8.0]])?],
        1,
    )?;
    assert_tensor(
        &t,
        &[2, 2, 2],
        DType::F32,
        &[1.0, 2.0, 5.0, 6.0, 3.0, 4.0, 7.0, 8.0],
        concat!(
            "<tf.Tensor: shape=(2, 2, 2), dtype=float32, numpy=\n",
            "array([[[1., 2.],\n",
            "        [5., 6.]],\n",
            "\n",
            "       [[3., 4.],\n",
            "        [7., 8.]]], dtype=float32)>",
        ),
    );
    Ok(())
}

/// stack of Python floats
// `tf.stack([1., 2., 3.])`: each Python float becomes a float32 scalar first.
#[test]
fn stack_python_scalars() -> Result<()> {
    let t = stack(&[constant(1.0)?, constant(2.0)?, constant(3.0)?], 0)?;
    assert_tensor(
        &t,
        &[3],
        DType::F32,
        &[1.0, 2.0, 3.0],
        "<tf.Tensor: shape=(3,), dtype=float32, numpy=array([1., 2., 3.], dtype=float32)>",
    );
    Ok(())
}

/// Different shapes -> InvalidArgumentError
#[test]
fn stack_shape_mismatch() -> Result<()> {
    let res = stack(&[zeros(&[0, 3], DType::F32)?, zeros(&[1, 3], DType::F32)?], 0);
    assert_err(
        res,
        "InvalidArgumentError",
        "Shapes of all inputs must match: values[0].shape = [0,3] != values[1].shape = [1,3] [Op:Pack]",
    );
    Ok(())
}

/// int32 and float32 -> InvalidArgumentError
#[test]
fn stack_dtype_mismatch() -> Result<()> {
    let res = stack(&[constant([1])?, constant([1.0])?], 0);
    assert_err(
        res,
        "InvalidArgumentError",
        "cannot compute Pack as input #1(zero-based) was expected to be a int32 tensor but is a float tensor [Op:Pack]",
    );
    Ok(())
}

/// concat axis=-1 (== 1 for rank 2)
#[test]
fn concat_axis_neg1() -> Result<()> {
    let t = concat(
        &[constant([[1, 2, 3], [4, 5, 6]])?, constant([[7, 8, 9], [10, 11, 12]])?],
        -1,
    )?;
    assert_tensor(
        &t,
        &[2, 6],
        DType::I32,
        &[1.0, 2.0, 3.0, 7.0, 8.0, 9.0, 4.0, 5.0, 6.0, 10.0, 11.0, 12.0],
        concat!(
            "<tf.Tensor: shape=(2, 6), dtype=int32, numpy=\n",
            "array([[ 1,  2,  3,  7,  8,  9],\n",
            "       [ 4,  5,  6, 10, 11, 12]], dtype=int32)>",
        ),
    );
    Ok(())
}

/// Lecture tensors (2,3,4)+(4,3,4) concatenated on axis 0 -> (6,3,4)
#[test]
fn concat_lecture_ok_axis0() -> Result<()> {
    let t = concat(&[ones(&[2, 3, 4], DType::F32)?, zeros(&[4, 3, 4], DType::F32)?], 0)?;
    assert_tensor(
        &t,
        &[6, 3, 4],
        DType::F32,
        &[
            1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0,
            1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
            0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
            0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
        ],
        concat!(
            "<tf.Tensor: shape=(6, 3, 4), dtype=float32, numpy=\n",
            "array([[[1., 1., 1., 1.],\n",
            "        [1., 1., 1., 1.],\n",
            "        [1., 1., 1., 1.]],\n",
            "\n",
            "       [[1., 1., 1., 1.],\n",
            "        [1., 1., 1., 1.],\n",
            "        [1., 1., 1., 1.]],\n",
            "\n",
            "       [[0., 0., 0., 0.],\n",
            "        [0., 0., 0., 0.],\n",
            "        [0., 0., 0., 0.]],\n",
            "\n",
            "       [[0., 0., 0., 0.],\n",
            "        [0., 0., 0., 0.],\n",
            "        [0., 0., 0., 0.]],\n",
            "\n",
            "       [[0., 0., 0., 0.],\n",
            "        [0., 0., 0., 0.],\n",
            "        [0., 0., 0., 0.]],\n",
            "\n",
            "       [[0., 0., 0., 0.],\n",
            "        [0., 0., 0., 0.],\n",
            "        [0., 0., 0., 0.]]], dtype=float32)>",
        ),
    );
    Ok(())
}

/// Lecture error: (2,3,4)+(4,3,4) on axis 1
#[test]
fn concat_lecture_error() -> Result<()> {
    let res = concat(&[ones(&[2, 3, 4], DType::F32)?, zeros(&[4, 3, 4], DType::F32)?], 1);
    assert_err(
        res,
        "InvalidArgumentError",
        "ConcatOp : Dimension 0 in both shapes must be equal: shape[0] = [2,3,4] vs. shape[1] = [4,3,4] [Op:ConcatV2]",
    );
    Ok(())
}

/// axis=3 on rank-3 -> error
#[test]
fn concat_axis_out_of_range() -> Result<()> {
    let res = concat(
        &[constant_shaped(10.0, &[4, 4, 4])?, constant_shaped(20.0, &[4, 4, 4])?],
        3,
    );
    assert_err(
        res,
        "InvalidArgumentError",
        "ConcatOp : Expected concatenating dimensions in the range [-3, 3), but got 3 [Op:ConcatV2]",
    );
    Ok(())
}

/// Concatenating scalars -> error
#[test]
fn concat_scalars() -> Result<()> {
    let arr = constant([0.2, 0.3])?;
    let outs: Vec<Tensor> = (0..arr.dims()[0] as i64)
        .map(|i| arr.i(i)?.pow(2))
        .collect::<Result<_>>()?;
    let res = concat(&outs, 0);
    assert_err(
        res,
        "InvalidArgumentError",
        "ConcatOp : Can't concatenate scalars (use tf.stack instead) [Op:ConcatV2]",
    );
    Ok(())
}

/// Zero-size input contributes nothing
#[test]
fn concat_zero_size() -> Result<()> {
    let t = concat(&[zeros(&[0, 3], DType::F32)?, ones(&[2, 3], DType::F32)?], 0)?;
    assert_tensor(
        &t,
        &[2, 3],
        DType::F32,
        &[1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        concat!(
            "<tf.Tensor: shape=(2, 3), dtype=float32, numpy=\n",
            "array([[1., 1., 1.],\n",
            "       [1., 1., 1.]], dtype=float32)>",
        ),
    );
    Ok(())
}

/// concat of a one-element list returns the tensor
#[test]
fn concat_single() -> Result<()> {
    let t = concat(&[constant([[1, 2]])?], 0)?;
    assert_tensor(
        &t,
        &[1, 2],
        DType::I32,
        &[1.0, 2.0],
        "<tf.Tensor: shape=(1, 2), dtype=int32, numpy=array([[1, 2]], dtype=int32)>",
    );
    Ok(())
}

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

// Rules of SEMANTICS.md section 2 that no golden case of these areas pins.

#[test]
fn semantics_stack_axis_out_of_range() -> Result<()> {
    let res = stack(&[constant([1, 2])?, constant([3, 4])?], 2);
    assert_err(res, "ValueError", "Argument `axis` = 2 not in range [-2, 2)");
    Ok(())
}

#[test]
fn semantics_concat_rank_mismatch() -> Result<()> {
    let res = concat(
        &[constant_shaped(1.0, &[4, 4, 4, 4])?, constant_shaped(1.0, &[4, 4, 4])?],
        0,
    );
    assert_err(
        res,
        "InvalidArgumentError",
        "ConcatOp : Ranks of all input tensors should match: shape[0] = [4,4,4,4] vs. shape[1] = [4,4,4]",
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

/// Safe mode refuses int32 + float32 tensors.
#[test]
fn semantics_safe_i32_f32_error() -> Result<()> {
    let e = Engine::cpu();
    e.enable_numpy_behavior(PromotionMode::Safe);
    let res = &e.constant([1, 2])? + &e.constant([3.0, 4.0])?;
    assert_err(
        res,
        "TypeError",
        "In promotion mode PromoMode.SAFE, implicit dtype promotion between (<dtype: 'int32'>, weak=False) and (<dtype: 'float32'>, weak=False) is disallowed.",
    );
    Ok(())
}

/// `tf.concat` of one value is `tf.identity`: no rank or axis check, so even
/// a scalar or an out-of-range axis is fine.
#[test]
fn semantics_concat_single_value_is_identity() -> Result<()> {
    let t = concat(&[constant(5)?], 0)?;
    assert_tensor(
        &t,
        &[],
        DType::I32,
        &[5.0],
        "<tf.Tensor: shape=(), dtype=int32, numpy=5>",
    );
    let t = concat(&[constant([1, 2])?], 3)?;
    assert_tensor(
        &t,
        &[2],
        DType::I32,
        &[1.0, 2.0],
        "<tf.Tensor: shape=(2,), dtype=int32, numpy=array([1, 2], dtype=int32)>",
    );
    Ok(())
}
