//! Golden TensorFlow 2.21 cases of the areas `stack` and `concat`, one test
//! per case named after the case id, plus SEMANTICS.md rules no golden case pins.

mod common;

use common::{assert_err, assert_tensor};
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
