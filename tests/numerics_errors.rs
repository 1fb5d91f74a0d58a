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
