//! Golden TensorFlow 2.21 cases of the areas `reduce` and `reshape`, one
//! test per case named after the case id, plus the SEMANTICS.md rules no
//! golden case pins.

mod common;

use common::{assert_err, assert_tensor};
use gradtape::*;
/// Integer mean stays int32 and truncates (lecture: 2)
#[test]
fn reduce_mean_int_truncates() -> Result<()> {
    let t = constant([1, 2, 3, 4])?.reduce_mean()?;
    assert_tensor(
        &t,
        &[],
        DType::I32,
        &[2.0],
        "<tf.Tensor: shape=(), dtype=int32, numpy=2>",
    );
    Ok(())
}

/// Float mean
#[test]
fn reduce_mean_float() -> Result<()> {
    let t = constant([1.0, 2.0, 3.0, 4.0])?.reduce_mean()?;
    assert_tensor(
        &t,
        &[],
        DType::F32,
        &[2.5],
        "<tf.Tensor: shape=(), dtype=float32, numpy=2.5>",
    );
    Ok(())
}

/// Mean of numpy int64 array stays int64
#[test]
fn reduce_mean_numpy_int64() -> Result<()> {
    let t = from_slice::<i64>(&[1, 2], &[2])?.reduce_mean()?;
    assert_tensor(
        &t,
        &[],
        DType::I64,
        &[1.0],
        "<tf.Tensor: shape=(), dtype=int64, numpy=1>",
    );
    Ok(())
}

/// reduce_sum axis=0
#[test]
fn reduce_sum_axis0() -> Result<()> {
    let t = constant([[1, 2, 3], [4, 5, 6]])?.reduce_sum_axis(0)?;
    assert_tensor(
        &t,
        &[3],
        DType::I32,
        &[5.0, 7.0, 9.0],
        "<tf.Tensor: shape=(3,), dtype=int32, numpy=array([5, 7, 9], dtype=int32)>",
    );
    Ok(())
}

/// reduce_sum all axes with keepdims -> shape (1,1)
#[test]
fn reduce_sum_all_keepdims() -> Result<()> {
    let t = constant([[1, 2, 3], [4, 5, 6]])?.reduce_sum_with(Axes::All, true)?;
    assert_tensor(
        &t,
        &[1, 1],
        DType::I32,
        &[21.0],
        "<tf.Tensor: shape=(1, 1), dtype=int32, numpy=array([[21]], dtype=int32)>",
    );
    Ok(())
}

/// reduce_min axis=0
#[test]
fn reduce_min_axis0() -> Result<()> {
    let t = constant([[1, 5, 3], [4, 2, 6]])?.reduce_min_axis(0)?;
    assert_tensor(
        &t,
        &[3],
        DType::I32,
        &[1.0, 2.0, 3.0],
        "<tf.Tensor: shape=(3,), dtype=int32, numpy=array([1, 2, 3], dtype=int32)>",
    );
    Ok(())
}

/// reduce_min of all elements (float)
#[test]
fn reduce_min_all() -> Result<()> {
    let t = constant([[1.0, -5.0, 3.0], [4.0, 2.0, 6.0]])?.reduce_min()?;
    assert_tensor(
        &t,
        &[],
        DType::F32,
        &[-5.0],
        "<tf.Tensor: shape=(), dtype=float32, numpy=-5.0>",
    );
    Ok(())
}

/// Negative axes [-1, 0]
#[test]
fn reduce_sum_negative_axes() -> Result<()> {
    let x = from_slice::<i32>(&(0..8).collect::<Vec<i32>>(), &[2, 2, 2])?;
    let t = x.reduce_sum_axis([-1, 0])?;
    assert_tensor(
        &t,
        &[2],
        DType::I32,
        &[10.0, 18.0],
        "<tf.Tensor: shape=(2,), dtype=int32, numpy=array([10, 18], dtype=int32)>",
    );
    Ok(())
}

/// axis=[] reduces nothing
#[test]
fn reduce_sum_empty_axes() -> Result<()> {
    let t = constant([[1, 2], [3, 4]])?.reduce_sum_with(Vec::<i64>::new(), false)?;
    assert_tensor(
        &t,
        &[2, 2],
        DType::I32,
        &[1.0, 2.0, 3.0, 4.0],
        concat!(
            "<tf.Tensor: shape=(2, 2), dtype=int32, numpy=\n",
            "array([[1, 2],\n",
            "       [3, 4]], dtype=int32)>",
        ),
    );
    Ok(())
}

/// Duplicate axes -> InvalidArgumentError
// The axes come from a tensor, as in the Python case.
#[test]
fn reduce_sum_duplicate_axes() -> Result<()> {
    let axes = Axes::try_from(&constant([0, 0])?)?;
    let res = constant([1.0, 2.0])?.reduce_sum_axis(axes);
    assert_err(
        res,
        "InvalidArgumentError",
        "Invalid reduction arguments: Axes contains duplicate dimension: 0 [Op:Sum]",
    );
    Ok(())
}

/// reshape (1,6) float32 -> (2,3)
#[test]
fn reshape_basic() -> Result<()> {
    let x = from_slice::<f32>(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[1, 6])?;
    let t = x.reshape([2, 3])?;
    assert_tensor(
        &t,
        &[2, 3],
        DType::F32,
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        concat!(
            "<tf.Tensor: shape=(2, 3), dtype=float32, numpy=\n",
            "array([[1., 2., 3.],\n",
            "       [4., 5., 6.]], dtype=float32)>",
        ),
    );
    Ok(())
}

/// [-1, 2]
#[test]
fn reshape_minus1_begin() -> Result<()> {
    let x = from_slice::<f32>(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[6])?;
    let t = x.reshape([-1, 2])?;
    assert_tensor(
        &t,
        &[3, 2],
        DType::F32,
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        concat!(
            "<tf.Tensor: shape=(3, 2), dtype=float32, numpy=\n",
            "array([[1., 2.],\n",
            "       [3., 4.],\n",
            "       [5., 6.]], dtype=float32)>",
        ),
    );
    Ok(())
}

/// (1,27) -> (3,3,3)
#[test]
fn reshape_3d() -> Result<()> {
    let v: Vec<f32> = (1..28).map(|i| i as f32).collect();
    let t = from_slice(&v, &[1, 27])?.reshape([3, 3, 3])?;
    assert_tensor(
        &t,
        &[3, 3, 3],
        DType::F32,
        &[
            1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0,
            20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0,
        ],
        concat!(
            "<tf.Tensor: shape=(3, 3, 3), dtype=float32, numpy=\n",
            "array([[[ 1.,  2.,  3.],\n",
            "        [ 4.,  5.,  6.],\n",
            "        [ 7.,  8.,  9.]],\n",
            "\n",
            "       [[10., 11., 12.],\n",
            "        [13., 14., 15.],\n",
            "        [16., 17., 18.]],\n",
            "\n",
            "       [[19., 20., 21.],\n",
            "        [22., 23., 24.],\n",
            "        [25., 26., 27.]]], dtype=float32)>",
        ),
    );
    Ok(())
}

/// zeros (0,6) -> [0,-1,3] gives (0,2,3)
#[test]
fn reshape_zero_dim_minus1() -> Result<()> {
    let x = from_slice::<f32>(&[], &[0, 6])?;
    let t = x.reshape([0, -1, 3])?;
    assert_tensor(
        &t,
        &[0, 2, 3],
        DType::F32,
        &[],
        "<tf.Tensor: shape=(0, 2, 3), dtype=float32, numpy=array([], shape=(0, 2, 3), dtype=float32)>",
    );
    Ok(())
}

/// Reshape a 1-element tensor to shape []
#[test]
fn reshape_to_scalar() -> Result<()> {
    let t = constant([5])?.reshape(Vec::<i64>::new())?;
    assert_tensor(
        &t,
        &[],
        DType::I32,
        &[5.0],
        "<tf.Tensor: shape=(), dtype=int32, numpy=5>",
    );
    Ok(())
}

/// Two -1 entries -> error
#[test]
fn reshape_two_minus1() -> Result<()> {
    let res = range(6)?.reshape([-1, -1]);
    assert_err(
        res,
        "InvalidArgumentError",
        "Only one input size may be -1, not both 0 and 1 [Op:Reshape]",
    );
    Ok(())
}

/// [4, -1] with 6 values -> error
#[test]
fn reshape_not_divisible() -> Result<()> {
    let res = range(6)?.reshape([4, -1]);
    assert_err(
        res,
        "InvalidArgumentError",
        "Input to reshape is a tensor with 6 values, but the requested shape requires a multiple of 4 [Op:Reshape]",
    );
    Ok(())
}

/// Integer mean truncates toward zero (NumPy's `//` would give -2).
#[test]
fn semantics_reduce_mean_negative_int_truncates() -> Result<()> {
    let t = constant([-1, -2])?.reduce_mean()?;
    assert_tensor(
        &t,
        &[],
        DType::I32,
        &[-1.0],
        "<tf.Tensor: shape=(), dtype=int32, numpy=-1>",
    );
    Ok(())
}

/// The max of nothing is the identity of max.
#[test]
fn semantics_reduce_max_empty_is_neg_inf() -> Result<()> {
    let t = constant(Vec::<f64>::new())?.reduce_max()?;
    assert_tensor(
        &t,
        &[],
        DType::F32,
        &[f64::NEG_INFINITY],
        "<tf.Tensor: shape=(), dtype=float32, numpy=-inf>",
    );
    Ok(())
}

/// The mean over an empty axis is 0/0.
#[test]
fn semantics_reduce_mean_empty_axis_is_nan() -> Result<()> {
    let t = zeros(&[0, 3], DType::F32)?.reduce_mean_axis(0)?;
    assert_tensor(
        &t,
        &[3],
        DType::F32,
        &[f64::NAN; 3],
        "<tf.Tensor: shape=(3,), dtype=float32, numpy=array([nan, nan, nan], dtype=float32)>",
    );
    Ok(())
}

#[test]
fn semantics_reduce_axis_out_of_range() -> Result<()> {
    let res = constant([[1, 2], [3, 4]])?.reduce_sum_axis(2);
    assert_err(
        res,
        "InvalidArgumentError",
        "Invalid reduction dimension (2 for input with 2 dimension(s) [Op:Sum]",
    );
    Ok(())
}

#[test]
fn semantics_reshape_wrong_count() -> Result<()> {
    let res = range(6)?.reshape([4]);
    assert_err(
        res,
        "InvalidArgumentError",
        "Input to reshape is a tensor with 6 values, but the requested shape has 4 [Op:Reshape]",
    );
    Ok(())
}

/// TF's converter never turns a Python float into an int, even an integral
/// one: the same TypeError as `dtype_pyfloat_div_int_tensor`.
#[test]
fn semantics_integral_float_to_int_error() -> Result<()> {
    assert_err(
        constant_with(1.0, DType::I32),
        "TypeError",
        "Cannot convert 1.0 to EagerTensor of dtype int32",
    );
    assert_err(
        constant_with([1.0, 2.0], DType::I64),
        "TypeError",
        "Cannot convert [1.0, 2.0] to EagerTensor of dtype int64",
    );
    Ok(())
}

/// Nor a Python int into a bool; ints and floats do become floats.
#[test]
fn semantics_literal_conversions() -> Result<()> {
    assert_err(
        constant_with(1, DType::Bool),
        "TypeError",
        "Cannot convert 1 to EagerTensor of dtype bool",
    );
    let t = constant_with([1, 2], DType::F32)?;
    assert_tensor(
        &t,
        &[2],
        DType::F32,
        &[1.0, 2.0],
        "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([1., 2.], dtype=float32)>",
    );
    Ok(())
}

#[test]
#[should_panic(expected = "values of")]
fn helper_rejects_wrong_values() {
    let t = constant([1.0, 2.0]).unwrap();
    assert_tensor(&t, &[2], DType::F32, &[1.0, 3.0], "");
}

#[test]
#[should_panic(expected = "dtype of")]
fn helper_rejects_wrong_dtype() {
    let t = constant([1, 2]).unwrap();
    assert_tensor(&t, &[2], DType::I64, &[1.0, 2.0], "");
}

#[test]
#[should_panic(expected = "left == right")]
fn helper_rejects_wrong_repr() {
    let t = constant([1, 2]).unwrap();
    assert_tensor(
        &t,
        &[2],
        DType::I32,
        &[1.0, 2.0],
        "<tf.Tensor: shape=(2,), dtype=int32, numpy=array([1, 2])>",
    );
}

#[test]
#[should_panic(expected = "expected a ValueError")]
fn helper_rejects_wrong_error_class() {
    assert_err(constant_with(2.2, DType::I32), "ValueError", "Cannot convert 2.2");
}

#[test]
#[should_panic(expected = "does not contain")]
fn helper_rejects_wrong_error_text() {
    assert_err(constant_with(2.2, DType::I32), "TypeError", "Cannot convert 2.5");
}

#[test]
#[should_panic(expected = "got Ok")]
fn helper_rejects_success() {
    assert_err(constant(2.2), "TypeError", "Cannot convert 2.2");
}
