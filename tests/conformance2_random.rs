//! Golden TensorFlow 2.21 cases of the area `random` (tf_cases_2.json),
//! one test per case named after its id: Philox streams, seeds, generators.

mod golden2;

use golden2::{check, Out};
use gradtape::*;

#[test]
fn rand_stateless_uniform_f64() {
    check("rand_stateless_uniform_f64", random::stateless_uniform(&[5], [1, 2], DType::F64));
}

#[test]
fn rand_stateless_uniform_minmax() {
    check("rand_stateless_uniform_minmax", random::stateless_uniform_in(&[6], [7, 11], -2.0, 3.0, DType::F32));
}

#[test]
fn rand_stateless_uniform_int32() {
    check("rand_stateless_uniform_int32", random::stateless_uniform_in(&[8], [1, 2], -5, 7, DType::I32));
}

#[test]
fn rand_stateless_uniform_full_int32() {
    check("rand_stateless_uniform_full_int32", random::stateless_uniform(&[5], [1, 2], DType::I32));
}

#[test]
fn rand_stateless_uniform_int_bad_range() {
    check("rand_stateless_uniform_int_bad_range", random::stateless_uniform_in(&[3], [1, 2], 5, 5, DType::I32));
}

#[test]
fn rand_stateless_large_seed() -> Result<()> {
    let seed = from_slice::<i64>(&[(1 << 33) + 5, -1], &[2])?;
    check("rand_stateless_large_seed", random::stateless_uniform(&[4], &seed, DType::F32));
    Ok(())
}

#[test]
fn rand_stateless_bad_seed_shape() {
    check("rand_stateless_bad_seed_shape", random::stateless_uniform(&[2], &[1i64, 2, 3][..], DType::F32));
    // A seed tensor of the wrong shape says the same.
    let seed = constant([1, 2, 3]).unwrap();
    check("rand_stateless_bad_seed_shape", random::stateless_uniform(&[2], &seed, DType::F32));
}

#[test]
fn rand_stateless_normal_f32() {
    check("rand_stateless_normal_f32", random::stateless_normal(&[3, 3], [1, 2], 0.0, 1.0, DType::F32));
}

#[test]
fn rand_stateless_normal_f64() {
    check("rand_stateless_normal_f64", random::stateless_normal(&[6], [5, 6], 0.0, 1.0, DType::F64));
}

#[test]
fn rand_stateless_truncated_normal_f32() {
    check(
        "rand_stateless_truncated_normal_f32",
        random::stateless_truncated_normal(&[10], [1, 2], 0.0, 1.0, DType::F32),
    );
}

#[test]
fn rand_stateless_truncated_normal_f64() {
    check(
        "rand_stateless_truncated_normal_f64",
        random::stateless_truncated_normal(&[5], [9, 9], 0.0, 1.0, DType::F64),
    );
}

#[test]
fn rand_generator_uniform() -> Result<()> {
    let g = random::Generator::from_seed(7);
    let out = vec![g.uniform(&[6], DType::F32)?, g.uniform_in(&[3], -1.0, 1.0, DType::F32)?, g.state()?];
    check("rand_generator_uniform", out);
    Ok(())
}

#[test]
fn rand_generator_uniform_int() {
    let g = random::Generator::from_seed(1234);
    check("rand_generator_uniform_int", g.uniform_in(&[8], 0, 10, DType::I32));
}

#[test]
fn rand_generator_state_layout() -> Result<()> {
    let out = vec![random::create_rng_state(1234)?, random::Generator::from_seed((1u128 << 64) + 3).state()?];
    check("rand_generator_state_layout", out);
    Ok(())
}

#[test]
fn rand_global_seed_only() -> Result<()> {
    random::set_seed(1234);
    let out = vec![random::normal(&[3], 0.0, 1.0, DType::F32, None)?, random::normal(&[3], 0.0, 1.0, DType::F32, None)?];
    check("rand_global_seed_only", out);
    Ok(())
}

#[test]
fn rand_op_seed_only() {
    check("rand_op_seed_only", random::normal(&[4], 0.0, 1.0, DType::F32, Some(7)));
}

#[test]
fn rand_uniform_int_global() {
    random::set_seed(2);
    check("rand_uniform_int_global", random::uniform_in(&[6], 0, 10, DType::I32, Some(1)));
}

#[test]
fn rand_uniform_int_no_maxval() {
    check("rand_uniform_int_no_maxval", random::uniform(&[2], DType::I32, None));
}

#[test]
fn rand_shuffle_seeded() -> Result<()> {
    random::set_seed(5);
    check("rand_shuffle_seeded", random::shuffle(&range(10)?, Some(3)));
    Ok(())
}

#[test]
fn rand_shuffle_rows() -> Result<()> {
    random::set_seed(1);
    check("rand_shuffle_rows", random::shuffle(&range(8)?.reshape([4, 2])?, Some(2)));
    Ok(())
}

/// SEMANTICS_2.md: an identical call with an explicit op seed continues the
/// cached kernel's stream; `set_seed` starts it again.
#[test]
fn op_seeded_calls_continue_their_stream() -> Result<()> {
    random::set_seed(3);
    let a = random::normal(&[4], 0.0, 1.0, DType::F32, Some(9))?.to_vec::<f32>()?;
    let b = random::normal(&[4], 0.0, 1.0, DType::F32, Some(9))?.to_vec::<f32>()?;
    assert_ne!(a, b);
    random::set_seed(3);
    assert_eq!(random::normal(&[4], 0.0, 1.0, DType::F32, Some(9))?.to_vec::<f32>()?, a);
    Ok(())
}

/// Truncated normals never reach ±2 before scaling, and the first group
/// equals `normal` when nothing is rejected (SEMANTICS_2.md).
#[test]
fn truncated_normal_rejects_beyond_two() -> Result<()> {
    let t = random::stateless_truncated_normal(&[1000], [3, 4], 0.0, 1.0, DType::F32)?.to_vec::<f32>()?;
    assert!(t.iter().all(|x| x.abs() < 2.0));
    let t = random::stateless_truncated_normal(&[1000], [3, 4], 1.0, 0.5, DType::F64)?.to_vec::<f64>()?;
    assert!(t.iter().all(|x| (x - 1.0).abs() < 1.0));
    Ok(())
}

/// Stateless categorical: a class of probability ~1 always wins, rows of
/// `-inf` but one class pick that class, and the draw is reproducible.
#[test]
fn stateless_categorical_draws_from_the_logits() -> Result<()> {
    let logits = constant([[0.0, 50.0, 0.0], [f32::NEG_INFINITY as f64, f32::NEG_INFINITY as f64, 0.0]])?;
    let s = random::stateless_categorical(&logits, 5, [1, 2], DType::I64)?;
    assert_eq!(s.dims(), &[2, 5]);
    assert_eq!(s.to_vec::<i64>()?, vec![1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
    let even = constant([[0.0, 0.0]])?;
    let a = random::stateless_categorical(&even, 400, [7, 7], DType::I32)?.to_vec::<i32>()?;
    assert_eq!(a, random::stateless_categorical(&even, 400, [7, 7], DType::I32)?.to_vec::<i32>()?);
    let ones = a.iter().filter(|&&c| c == 1).count();
    assert!((150..250).contains(&ones), "{ones} of 400");
    assert!(matches!(random::stateless_categorical(&constant([1.0])?, 1, [1, 2], DType::I64), Err(Error::InvalidArgument(_))));
    let _ = Out::None;
    Ok(())
}

/// `tf.random.categorical` under seeds: reproducible after `set_seed`, a
/// repeated call continues the stream, and a dominant class always wins.
#[test]
fn categorical_follows_the_seeds() -> Result<()> {
    let logits = constant([[0.0, 0.0, 0.0], [-50.0, 50.0, -50.0]])?;
    random::set_seed(11);
    let a = random::categorical(&logits, 6, DType::I64, Some(2))?.to_vec::<i64>()?;
    let b = random::categorical(&logits, 6, DType::I64, Some(2))?.to_vec::<i64>()?;
    random::set_seed(11);
    assert_eq!(random::categorical(&logits, 6, DType::I64, Some(2))?.to_vec::<i64>()?, a);
    assert_ne!(a[..6], b[..6]);
    assert!(a[6..].iter().all(|&c| c == 1));
    assert!(a.iter().all(|&c| (0..3).contains(&c)));
    Ok(())
}
