//! Reductions whose numbers a user can trust (issue 13): means correctly
//! rounded as TF's `MeanReducer` computes them (the sum divided by the
//! count), and float sums that are accurate and give the same bits on every
//! run and any thread count.

use gradtape::*;

/// `[1.]*7 + [0.]*5` in every layout the kernels treat apart: all axes, a
/// row (suffix axes), a column (prefix axes) and a middle axis.
fn sevenths<T: Element + From<u8>>() -> Result<Vec<Tensor>> {
    let v: Vec<T> = (0..12).map(|i| T::from(u8::from(i < 7))).collect();
    let flat = from_slice(&v, &[12])?;
    // Column j of `[12, 2]` holds the same twelve values.
    let cols: Vec<T> = v.iter().flat_map(|&x| [x, x]).collect();
    let cols = from_slice(&cols, &[12, 2])?;
    Ok(vec![
        flat.reduce_mean(Axes::All, false)?,
        flat.reshape([1, 12])?.reduce_mean(-1, false)?,
        cols.reduce_mean(0, false)?,
        cols.reshape([1, 12, 2])?.reduce_mean(1, false)?,
    ])
}

/// TF's `reduce_mean([1.]*7 + [0.]*5)` is 0.5833333, the f32 nearest 7/12
/// (its scalar repr shows that f32 in full, as the golden cases do).
#[test]
fn reduce_mean_divides_f32() -> Result<()> {
    for m in sevenths::<f32>()? {
        for x in m.to_vec::<f32>()? {
            assert_eq!(x.to_bits(), (7.0f32 / 12.0).to_bits(), "{m}");
        }
    }
    let m = constant([1., 1., 1., 1., 1., 1., 1., 0., 0., 0., 0., 0.])?.reduce_mean(Axes::All, false)?;
    assert_eq!(m.to_string(), "<tf.Tensor: shape=(), dtype=float32, numpy=0.5833333134651184>");
    Ok(())
}

/// float64 means are the correctly rounded quotient too (7/12 = 0.5833333333333334).
#[test]
fn reduce_mean_divides_f64() -> Result<()> {
    for m in sevenths::<f64>()? {
        for x in m.to_vec::<f64>()? {
            assert_eq!(x.to_bits(), (7.0f64 / 12.0).to_bits(), "{m}");
        }
    }
    Ok(())
}
