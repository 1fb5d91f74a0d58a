use gradtape::*;

#[test]
fn smoke() -> Result<()> {
    let a = constant([1.0, 2.0, 3.0, 4.0])?;
    assert_eq!(a.to_string(), "<tf.Tensor: shape=(4,), dtype=float32, numpy=array([1., 2., 3., 4.], dtype=float32)>");
    let b = (&a + &a)?;
    assert_eq!(b.to_vec::<f32>()?, vec![2.0, 4.0, 6.0, 8.0]);
    let x = constant(3.0)?;
    let tape = GradientTape::new();
    let y = tape.record(|t| {
        t.watch(&x)?;
        &x * &x
    })?;
    assert_eq!(tape.gradient(&y, &x)?.unwrap().scalar::<f32>()?, 6.0);
    let m = constant([[1, 2], [3, 4]])?;
    println!("{}", m.matmul(&m)?);
    println!("{}", m.reduce_sum_axis(0)?);
    println!("{}", m.i((.., 1))?);
    Ok(())
}
