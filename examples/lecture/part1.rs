//! Part 1: tensors. Constants and dtypes, repr, dtype errors, reductions,
//! reshape, stack, concat, matmul, and NumPy behaviour.

use gradtape::*;

use crate::{note, section};

pub fn tour() -> Result<()> {
    constants()?;
    repr()?;
    dtypes()?;
    reductions()?;
    shapes()?;
    matmuls()?;
    numpy_behavior()
}

fn constants() -> Result<()> {
    section("Constants and dtypes");
    cell!("tf.constant([1., 2., 3., 4.])", constant([1., 2., 3., 4.]));
    cell!("tf.constant([1, 2, 3, 4])", constant([1, 2, 3, 4]));
    cell!("tf.constant([[1, 2, 3], [4, 5, 6]])", constant([[1, 2, 3], [4, 5, 6]]));
    cell!("tf.constant([[1., 2.], [3., 4.]])", constant([[1., 2.], [3., 4.]]));
    cell!("tf.constant(3)", constant(3));
    cell!("tf.constant(3.0)", constant(3.0));
    // A Rust array holds one type, so a list mixing ints and floats is a Vec of literals.
    cell!("tf.constant([1, 2.5])", constant(vec![1.into_literal()?, 2.5.into_literal()?]));
    cell!("tf.constant(range(5))", constant(0..5));
    cell!("tf.constant([1, 2], dtype=tf.float64)", constant_with([1, 2], DType::F64));
    cell!("tf.constant([1, 2, 3, 4, 5, 6], shape=[2, 3])", constant_shaped([1, 2, 3, 4, 5, 6], &[2, 3]));
    cell!("tf.constant(2**31)", constant(1i64 << 31));
    // Nested Vecs may be ragged, as Python lists may.
    cell!("tf.constant([[1, 2], [3]])", constant(vec![vec![1, 2], vec![3]]));
    note("NumPy arrays keep their dtype: NumPy's defaults are int64 and float64, and a typed Rust slice plays the array.");
    cell!("tf.constant(np.array([1, 2, 3]))", from_slice(&[1i64, 2, 3], &[3]));
    cell!("tf.constant(np.array([1., 2., 3.]))", from_slice(&[1.0f64, 2., 3.], &[3]));
    cell!("tf.constant(np.array([1., 2.], dtype=np.float32))", from_slice(&[1.0f32, 2.], &[2]));
    cell!("tf.constant(np.array([1, 2], dtype=np.int32))", from_slice(&[1i32, 2], &[2]));
    Ok(())
}

fn repr() -> Result<()> {
    section("repr");
    cell!(let x = "x = tf.constant([[1., 2.], [3., 4.]])", constant([[1., 2.], [3., 4.]]));
    show!(x);
    cell!("x.shape", Ok(x.shape()));
    cell!("x.dtype", Ok(x.dtype()));
    cell!("x.numpy()", Ok(x.numpy_repr()));
    note("The numpy= part is NumPy's own repr, number formatting included.");
    cell!("tf.constant([0.1, 2.5, 100.])", constant([0.1, 2.5, 100.]));
    cell!("tf.constant([1e-5, 1e5])", constant([1e-5, 1e5]));
    cell!("tf.constant([[1., 10.5], [100., 0.25]], dtype=tf.float64)", constant_with([[1., 10.5], [100., 0.25]], DType::F64));
    Ok(())
}

fn dtypes() -> Result<()> {
    section("dtype errors and Python scalars");
    note("Mixed dtypes never promote: the kernel rejects its second input.");
    cell!("tf.constant([1, 2]) + tf.constant([1., 2.])", constant([1, 2])? + &constant([1., 2.])?);
    cell!("tf.constant([1, 2]) * tf.constant([1., 2.])", constant([1, 2])? * &constant([1., 2.])?);
    cell!("tf.constant([1, 2]) + tf.constant([1, 2], dtype=tf.int64)", constant([1, 2])? + &constant_with([1, 2], DType::I64)?);
    note("A Python int joins any tensor; a Python float does not join an int tensor.");
    cell!("tf.constant([1., 2.]) + 1", constant([1., 2.])? + 1);
    cell!("tf.constant([1, 2]) + 1", constant([1, 2])? + 1);
    cell!("tf.constant([1, 2], dtype=tf.int64) + 1", constant_with([1, 2], DType::I64)? + 1);
    cell!("tf.constant([1., 2.], dtype=tf.float64) + 1.5", constant_with([1., 2.], DType::F64)? + 1.5);
    cell!("tf.constant([1, 2]) + 2.5", constant([1, 2])? + 2.5);
    cell!("tf.constant([1, 2], dtype=tf.int64) + 1.5", constant_with([1, 2], DType::I64)? + 1.5);
    note("The reflected form converts the float to the tensor's dtype first, and fails there.");
    cell!("2.5 + tf.constant([1, 2])", 2.5 + &constant([1, 2])?);
    cell!("1.0 / tf.constant(2)", 1.0 / &constant(2)?);
    cell!("tf.constant([1, 2]) / tf.constant([2, 2])", constant([1, 2])? / &constant([2, 2])?);
    cell!("tf.constant([7, -7]) // tf.constant([2, 2])", constant([7, -7])?.floordiv(&constant([2, 2])?));
    cell!("tf.cast(tf.constant([1.7, -1.7]), tf.int32)", constant([1.7, -1.7])?.cast(DType::I32));
    cell!("tf.constant([1, 2, 3, 4]).reshape([2, 2])", constant([1, 2, 3, 4])?.np_reshape([2, 2]));
    Ok(())
}

fn reductions() -> Result<()> {
    section("Reductions");
    cell!(let x = "x = tf.constant([[1., 2., 3.], [4., 5., 6.]])", constant([[1., 2., 3.], [4., 5., 6.]]));
    cell!("tf.reduce_sum(x)", x.reduce_sum());
    cell!("tf.reduce_sum(x, axis=0)", x.reduce_sum_axis(0));
    cell!("tf.reduce_sum(x, axis=1, keepdims=True)", x.reduce_sum_with(1, true));
    cell!("tf.reduce_max(x, axis=-1)", x.reduce_max_axis(-1));
    cell!("tf.reduce_min(x, axis=[0, 1])", x.reduce_min_axis([0, 1]));
    cell!("tf.reduce_mean(x, axis=0)", x.reduce_mean_axis(0));
    cell!("tf.reduce_mean([1., 2., 3., 4.])", constant([1., 2., 3., 4.])?.reduce_mean());
    note("An integer mean stays integer: 10 / 4 truncates to 2.");
    cell!("tf.reduce_mean([1, 2, 3, 4])", constant([1, 2, 3, 4])?.reduce_mean());
    cell!("tf.reduce_mean([-1, -2])", constant([-1, -2])?.reduce_mean());
    cell!("tf.reduce_sum(x, axis=2)", x.reduce_sum_axis(2));
    Ok(())
}

fn shapes() -> Result<()> {
    section("reshape");
    cell!(let x = "x = tf.range(6)", range(6));
    cell!("tf.reshape(x, [2, 3])", x.reshape([2, 3]));
    cell!("tf.reshape(x, [-1, 2])", x.reshape([-1, 2]));
    cell!("tf.reshape(x, [4])", x.reshape([4]));
    cell!("tf.reshape(x, [4, -1])", x.reshape([4, -1]));
    cell!("tf.reshape(x, [-1, -1])", x.reshape([-1, -1]));

    section("stack");
    cell!(let (a, b) = "a = tf.constant([1, 2, 3])\nb = tf.constant([4, 5, 6])", Ok((constant([1, 2, 3])?, constant([4, 5, 6])?)));
    cell!("tf.stack([a, b])", stack(&[a.clone(), b.clone()], 0));
    cell!("tf.stack([a, b], axis=1)", stack(&[a.clone(), b.clone()], 1));
    cell!("tf.stack([a, b], axis=-1)", stack(&[a.clone(), b.clone()], -1));
    cell!("tf.stack([a, b], axis=2)", stack(&[a.clone(), b.clone()], 2));
    cell!("tf.stack([a, tf.constant([1., 2., 3.])])", stack(&[a.clone(), constant([1., 2., 3.])?], 0));

    section("concat");
    cell!(
        "tf.concat([tf.ones([2, 3, 4]), tf.zeros([4, 3, 4])], axis=0)",
        concat(&[ones(&[2, 3, 4], DType::F32)?, zeros(&[4, 3, 4], DType::F32)?], 0)
    );
    note("TF 2.21's text; the lecture's older TF said \"Dimensions of inputs should match: ...\".");
    cell!(
        "tf.concat([tf.ones([2, 3, 4]), tf.zeros([4, 3, 4])], axis=1)",
        concat(&[ones(&[2, 3, 4], DType::F32)?, zeros(&[4, 3, 4], DType::F32)?], 1)
    );
    cell!("tf.concat([a, b], axis=-1)", concat(&[a.clone(), b.clone()], -1));
    Ok(())
}

fn matmuls() -> Result<()> {
    section("matmul");
    cell!(
        "tf.matmul(tf.constant([[1, 2], [3, 4]]), tf.constant([[5, 6], [7, 8]]))",
        matmul(&constant([[1, 2], [3, 4]])?, &constant([[5, 6], [7, 8]])?)
    );
    cell!("tf.constant([[1, 2]]) @ tf.constant([[1, 2], [3, 4]])", constant([[1, 2]])?.matmul(&constant([[1, 2], [3, 4]])?));
    note("Without NumPy behaviour a 1-D operand is an error, not a promoted vector.");
    cell!(
        "tf.matmul(tf.constant([1., 2.]), tf.constant([[1., 2.], [3., 4.]]))",
        matmul(&constant([1., 2.])?, &constant([[1., 2.], [3., 4.]])?)
    );
    cell!("tf.constant([1, 2]) @ tf.constant([[1, 2], [3, 4]])", constant([1, 2])?.matmul(&constant([[1, 2], [3, 4]])?));
    cell!("tf.constant([[1, 2], [3, 4]]) @ tf.constant([1, 2])", constant([[1, 2], [3, 4]])?.matmul(&constant([1, 2])?));
    cell!("tf.constant([1., 2.]) @ tf.constant([1., 2.])", constant([1., 2.])?.matmul(&constant([1., 2.])?));
    cell!(
        "tf.constant([[1.], [2.]]) @ tf.constant([[1., 2.], [3., 4.]])",
        constant([[1.], [2.]])?.matmul(&constant([[1., 2.], [3., 4.]])?)
    );
    Ok(())
}

fn numpy_behavior() -> Result<()> {
    section("NumPy behaviour");
    // The switch is global in TF; here it belongs to an engine, so turning it
    // on cannot change what the rest of the tour prints.
    cell!(
        let np = "tf.experimental.numpy.experimental_enable_numpy_behavior()",
        {
            let np = engine_like_default()?;
            np.enable_numpy_behavior(PromotionMode::Legacy);
            Ok(np)
        }
    );
    note("'legacy' promotion is NumPy's result_type: int32 + float32 gives float64.");
    cell!(
        "tf.constant([1, 2], tf.int32) + tf.constant([3., 4.], tf.float32)",
        np.constant([1, 2])? + &np.constant([3., 4.])?
    );
    cell!("tf.constant([1, 2]) + 2.5", np.constant([1, 2])? + 2.5);
    cell!("tf.constant([1, 2]) + 1", np.constant([1, 2])? + 1);
    cell!("tf.constant([1., 2.]) @ tf.constant([[1, 2], [3, 4]])", np.constant([1., 2.])?.matmul(&np.constant([[1, 2], [3, 4]])?));
    cell!("tf.constant([[1, 2], [3, 4]]) @ tf.constant([1, 2])", np.constant([[1, 2], [3, 4]])?.matmul(&np.constant([1, 2])?));
    note("NumPy itself, for contrast: int64 arrays, 1-D operands promoted.");
    cell!("np.array([1, 2]) @ np.array([[1, 2], [3, 4]])", np.from_slice(&[1i64, 2], &[2])?.matmul(&np.from_slice(&[1i64, 2, 3, 4], &[2, 2])?));
    cell!("np.array([[1, 2], [3, 4]]) @ np.array([1, 2])", np.from_slice(&[1i64, 2, 3, 4], &[2, 2])?.matmul(&np.from_slice(&[1i64, 2], &[2])?));
    cell!("tf.constant([1, 2, 3, 4]).reshape([2, 2])", np.constant([1, 2, 3, 4])?.np_reshape([2, 2]));
    cell!("tf.constant([1, 2, 3, 4]).reshape(2, 2).T", np.constant([1, 2, 3, 4])?.np_reshape([2, 2])?.np_t());
    Ok(())
}

/// A new engine where the default engine is: on `GRADTAPE_DEVICE`, falling
/// back to the CPU when that device cannot be opened, as the default does.
fn engine_like_default() -> Result<Engine> {
    Engine::new(Device::from_env()?).or_else(|_| Engine::new(Device::Cpu))
}
