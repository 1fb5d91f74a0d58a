//! User mistakes the kernels used to hide (issue 13) are `Err` values with
//! TensorFlow 2.21's text, returned by the op call itself, with no state
//! changed: integer division by zero, integer negative powers, indexes that
//! do not fit, and TF's words for several shape and dtype mistakes.

mod common;
mod golden2;

use common::assert_err;
use golden2::check;
use gradtape::*;

/// `tf.constant([1, 2]) // tf.constant([0, 1])`: TF 2.21 raises
/// `InvalidArgumentError: Integer division by zero [Op:FloorDiv]` (where the
/// kernels used to give `[0, 2]`); int64 and a literal divisor too.
#[test]
fn int_floordiv_by_zero() -> Result<()> {
    let e = Engine::cpu();
    let (a, b) = (e.constant([1, 2])?, e.constant([0, 1])?);
    let before = e.entity_count();
    assert_err(a.floordiv(&b), "InvalidArgumentError", "Integer division by zero [Op:FloorDiv]");
    assert_eq!(e.entity_count(), before, "nothing was spawned");
    let (a64, b64) = (e.from_slice::<i64>(&[5, 6], &[2])?, e.from_slice::<i64>(&[1, 0], &[2])?);
    assert_err(a64.floordiv(&b64), "InvalidArgumentError", "Integer division by zero [Op:FloorDiv]");
    assert_err(a.floordiv(0), "InvalidArgumentError", "Integer division by zero [Op:FloorDiv]");
    // A divisor still pending is computed first, then refused.
    let pending = (&b * 1)?;
    assert_err(a.floordiv(&pending), "InvalidArgumentError", "Integer division by zero [Op:FloorDiv]");
    assert_eq!(a.floordiv(&e.constant([2, -3])?)?.to_vec::<i32>()?, vec![0, -1]);
    // Float floor division by zero is IEEE's, as in TF.
    assert_eq!(e.constant([1.0])?.floordiv(0.0)?.to_vec::<f32>()?, vec![f32::INFINITY]);
    Ok(())
}

/// FloorMod by zero, as the golden SEMANTICS_2 note says (FloorDiv/FloorMod
/// raise InvalidArgumentError; TruncateDiv an InternalError).
#[test]
fn int_floormod_by_zero() -> Result<()> {
    assert_err(constant([1, 2])?.floormod(&constant([1, 0])?), "InvalidArgumentError", "Integer division by zero [Op:FloorMod]");
    Ok(())
}

/// `tf.pow(tf.constant([2, 3]), tf.constant([-1, 2]))`.
#[test]
fn int_pow_negative_exponent() -> Result<()> {
    check("int_pow_negative_exponent", constant([2, 3])?.pow(&constant([-1, 2])?));
    assert_err(constant([2])?.pow(-1), "InvalidArgumentError", "Integers to negative integer powers are not allowed [Op:Pow]");
    assert_eq!(constant([2, 0])?.pow(&constant([3, 0])?)?.to_vec::<i32>()?, vec![8, 1]);
    assert_eq!(constant([2.0])?.pow(-1)?.to_vec::<f32>()?, vec![0.5]);
    Ok(())
}

/// A refused op leaves a recording tape as it was: nothing is recorded, and
/// the gradient of what was recorded is unchanged.
#[test]
fn refused_int_op_records_nothing() -> Result<()> {
    let x = constant([1.0, 2.0])?;
    let tape = GradientTape::persistent();
    let y = tape.record(|t| {
        t.watch(&x)?;
        let y = x.mul(&x)?;
        assert!(constant([4])?.floordiv(&constant([0])?).is_err());
        assert!(constant([4])?.pow(&constant([-2])?).is_err());
        Ok(y)
    })?;
    let n = tape.entries().len();
    assert_eq!(tape.gradient(&y, &x)?.expect("x").to_vec::<f32>()?, vec![2.0, 4.0]);
    assert_eq!(tape.entries().len(), n);
    Ok(())
}

/// `t.i(usize::MAX)` used to wrap to -1 (the last element); an index that
/// does not fit is out of bounds, with TF's StridedSlice text.
#[test]
fn index_does_not_wrap() -> Result<()> {
    let t = constant([[1, 2, 3], [4, 5, 6]])?;
    let oob = |d: usize| format!("slice index {} of dimension {d} out of bounds. [Op:StridedSlice]", i64::MAX);
    assert_err(t.i(usize::MAX), "InvalidArgumentError", &oob(0));
    assert_err(t.i((0usize, usize::MAX)), "InvalidArgumentError", &oob(1));
    assert_err(t.i(u32::MAX as usize), "InvalidArgumentError", "slice index 4294967295 of dimension 0 out of bounds. [Op:StridedSlice]");
    // As slice bounds they clamp, as Python's do: t[:huge] is all of t.
    assert_eq!(t.i(..usize::MAX)?.dims(), &[2, 3]);
    assert_eq!(t.i(usize::MAX..)?.dims(), &[0, 3]);
    assert_eq!(t.i((1usize, 1usize..usize::MAX))?.to_vec::<i32>()?, vec![5, 6]);
    assert_eq!(t.i(-1)?.to_vec::<i32>()?, vec![4, 5, 6]);
    Ok(())
}

/// TF 2.21's TransposeOp texts (tensorflow/core/kernels/transpose_op.cc): a
/// negative entry counts from the end once, an entry still out of range is
/// reported as normalised, then the first axis no entry names.
#[test]
fn transpose_bad_permutation() -> Result<()> {
    let x = constant([[[1.0]]])?;
    assert_err(x.transpose(&[0, 1, 1]), "InvalidArgumentError", "2 is missing from {0,1,1}. [Op:Transpose]");
    assert_err(x.transpose(&[0, -1, -1]), "InvalidArgumentError", "1 is missing from {0,2,2}. [Op:Transpose]");
    assert_err(x.transpose(&[0, 1, 3]), "InvalidArgumentError", "3 is out of range [0 .. 3) [Op:Transpose]");
    assert_err(x.transpose(&[0, 1, -4]), "InvalidArgumentError", "-1 is out of range [0 .. 3) [Op:Transpose]");
    assert_err(x.transpose(&[1, 0]), "InvalidArgumentError", "transpose expects a vector of size 3. But input(1) is a vector of size 2 [Op:Transpose]");
    assert_eq!(x.transpose(&[2, -3, 1])?.dims(), &[1, 1, 1]);
    Ok(())
}

/// TF 2.21's BroadcastToOp (tensorflow/core/kernels/broadcast_to_op.cc), in
/// its order: rank, then (for a non-empty output) BCast validity, then the
/// broadcast shape against the requested one.
#[test]
fn broadcast_to_incompatible_shapes() -> Result<()> {
    let x = constant([1.0, 2.0, 3.0])?;
    assert_err(x.broadcast_to(&[2, 4]), "InvalidArgumentError", "Incompatible shapes: [3] vs. [2,4] [Op:BroadcastTo]");
    assert_err(x.broadcast_to(&[]), "InvalidArgumentError", "Rank of input (1) must be no greater than rank of output shape (0). [Op:BroadcastTo]");
    let col = constant([[1.0], [2.0]])?;
    assert_err(col.broadcast_to(&[1, 3]), "InvalidArgumentError", "Unable to broadcast tensor of shape [2,1] to tensor of shape [1,3] [Op:BroadcastTo]");
    // An empty output is returned before the shapes are compared.
    assert_eq!(x.broadcast_to(&[0])?.dims(), &[0]);
    assert_eq!(col.broadcast_to(&[2, 3])?.dims(), &[2, 3]);
    Ok(())
}

/// `v.assign_add(...)` on a bool variable: TF has no kernel, a NotFoundError
/// whose first line is this (TF then lists the kernels its build registered).
#[test]
fn assign_add_bool_variable() -> Result<()> {
    let v = Variable::new([true, false])?;
    for (r, name) in [(v.assign_add(&constant([true, true])?).map(drop), "AssignAddVariableOp"), (v.assign_sub(&constant([true, true])?).map(drop), "AssignSubVariableOp")] {
        let e = r.unwrap_err();
        assert_eq!(e.kind(), "NotFoundError", "{e}");
        assert!(e.to_string().starts_with(&format!("NotFoundError: Could not find device for node: {{{{node {name}}}}} = {name}[dtype=DT_BOOL]")), "{e}");
        assert!(e.to_string().ends_with(&format!("[Op:{name}]")), "{e}");
    }
    assert_eq!(v.to_vec::<bool>()?, vec![true, false]);
    Ok(())
}

/// TF checks no output gradient against its target: the backward ops meet
/// it. `y = x * x` seeded with a [3] gradient fails in Mul's gradient with
/// Mul's text, and the tape is left as it was; a broadcastable one is used.
#[test]
fn output_gradients_of_the_wrong_shape() -> Result<()> {
    let x = constant([1.0, 2.0])?;
    let tape = GradientTape::new();
    let y = tape.record(|t| {
        t.watch(&x)?;
        x.mul(&x)
    })?;
    let n = tape.entries().len();
    let bad = tape.gradients_with(&[&y], &[&x], Some(&[Some(constant([1.0, 1.0, 1.0])?)]), Unconnected::None);
    assert_err(bad, "InvalidArgumentError", "Incompatible shapes: [3] vs. [2] [Op:Mul]");
    assert_eq!(tape.entries().len(), n, "the failed call consumed nothing");
    let wrong_dtype = tape.gradients_with(&[&y], &[&x], Some(&[Some(constant_with([1.0, 1.0], DType::F64)?)]), Unconnected::None);
    assert_err(wrong_dtype, "InvalidArgumentError", "cannot compute Mul as input #1(zero-based) was expected to be a double tensor but is a float tensor [Op:Mul]");
    // A [1] output gradient broadcasts in Mul's gradient, as in TF.
    let g = tape.gradients_with(&[&y], &[&x], Some(&[Some(constant([3.0])?)]), Unconnected::None)?;
    assert_eq!(g[0].as_ref().expect("x").to_vec::<f32>()?, vec![6.0, 12.0]);
    Ok(())
}
