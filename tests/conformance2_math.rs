//! Golden TensorFlow 2.21 cases of the area `math` (tf_cases_2.json), one
//! test per case named after its id, and finite-difference checks of the
//! composites' and added primitives' gradients.

mod golden2;

use golden2::{check, check_ulps, fd_check};
use gradtape::*;

#[test]
fn argmax_axis0_int64() -> Result<()> {
    check("argmax_axis0_int64", constant([[1, 5, 3], [4, 2, 6]])?.argmax(Some(0)));
    Ok(())
}

#[test]
fn argmax_default_axis() -> Result<()> {
    check("argmax_default_axis", constant([[1., 9.], [5., 2.], [3., 4.]])?.argmax(None));
    Ok(())
}

#[test]
fn reduce_logsumexp_stable() -> Result<()> {
    check_ulps("reduce_logsumexp_stable", constant([1000., 1000.])?.reduce_logsumexp(Axes::All, false), 2);
    Ok(())
}

#[test]
fn reduce_logsumexp_all_neg_inf() -> Result<()> {
    let x = constant([f64::NEG_INFINITY, f64::NEG_INFINITY])?;
    check("reduce_logsumexp_all_neg_inf", x.reduce_logsumexp(Axes::All, false));
    Ok(())
}

#[test]
fn reduce_std_variance() -> Result<()> {
    let x = constant([[1., 2.], [3., 5.]])?;
    let out = vec![
        x.reduce_variance(Axes::All, false)?,
        x.reduce_std(Axes::All, false)?,
        x.reduce_variance(0, false)?,
        x.reduce_std(1, true)?,
    ];
    check("reduce_std_variance", out);
    Ok(())
}

#[test]
fn reduce_variance_int_error() -> Result<()> {
    check("reduce_variance_int_error", constant([1, 2, 3])?.reduce_variance(Axes::All, false));
    Ok(())
}

#[test]
fn reduce_any_all() -> Result<()> {
    let x = constant([[true, false], [false, false]])?;
    let out = vec![
        x.reduce_any(Axes::All, false)?,
        x.reduce_all(Axes::All, false)?,
        x.reduce_any(1, false)?,
        x.logical_not()?.reduce_all(0, false)?,
    ];
    check("reduce_any_all", out);
    Ok(())
}

#[test]
fn reduce_all_non_bool_error() -> Result<()> {
    check("reduce_all_non_bool_error", constant([1, 0])?.reduce_all(Axes::All, false));
    Ok(())
}

#[test]
fn clip_by_value_int_tensor_bounds() -> Result<()> {
    check("clip_by_value_int_tensor_bounds", constant([[1, 5], [9, -3]])?.clip_by_value(&constant([0, 2])?, 4));
    Ok(())
}

#[test]
fn clip_by_value_nan() -> Result<()> {
    check("clip_by_value_nan", constant([f64::NAN, 5.])?.clip_by_value(0., 1.));
    Ok(())
}

#[test]
fn clip_by_norm_basic() -> Result<()> {
    let out = vec![
        constant([3., 4.])?.clip_by_norm(1., Axes::All)?,
        constant([0.3, 0.4])?.clip_by_norm(1., Axes::All)?,
        constant([0., 0.])?.clip_by_norm(1., Axes::All)?,
    ];
    check("clip_by_norm_basic", out);
    Ok(())
}

#[test]
fn clip_by_norm_axes() -> Result<()> {
    check("clip_by_norm_axes", constant([[3., 4.], [0.6, 0.8]])?.clip_by_norm(2., [1]));
    Ok(())
}

#[test]
fn norm_ord_axis() -> Result<()> {
    let x = constant([[1., -2., 3.], [-4., 5., -6.]])?;
    let out = vec![
        x.norm(NormOrd::One, Some(&[1]), false)?,
        x.norm(NormOrd::Inf, Some(&[1]), false)?,
        x.norm(NormOrd::P(2.0), Some(&[0]), false)?,
    ];
    check("norm_ord_axis", out);
    Ok(())
}

#[test]
fn norm_matrix_fro_1_inf() -> Result<()> {
    let x = constant([[1., -2.], [3., 4.]])?;
    let out = vec![
        x.norm(NormOrd::Euclidean, Some(&[0, 1]), false)?,
        x.norm(NormOrd::One, Some(&[0, 1]), false)?,
        x.norm(NormOrd::Inf, Some(&[0, 1]), false)?,
    ];
    check("norm_matrix_fro_1_inf", out);
    Ok(())
}

#[test]
fn unary_square_rsqrt_log1p_expm1() -> Result<()> {
    let x = constant([0., 1e-8, 0.5, 4.])?;
    check_ulps("unary_square_rsqrt_log1p_expm1", vec![x.square()?, x.rsqrt()?, x.log1p()?, x.expm1()?], 2);
    Ok(())
}

#[test]
fn unary_domain_edges() -> Result<()> {
    let x = constant([0., -1.])?;
    let out = vec![x.rsqrt()?, x.sqrt()?, x.log()?, constant([-1., -2.])?.log1p()?];
    check("unary_domain_edges", out);
    Ok(())
}

#[test]
fn round_half_to_even() -> Result<()> {
    let x = constant([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49999997])?;
    check("round_half_to_even", x.round());
    Ok(())
}

#[test]
fn maximum_minimum_nan() -> Result<()> {
    let a = constant([1., f64::NAN, f64::NAN])?;
    let b = constant([f64::NAN, 2., f64::NAN])?;
    check("maximum_minimum_nan", vec![a.maximum(&b)?, a.minimum(&b)?]);
    Ok(())
}

#[test]
fn reduce_max_min_nan() -> Result<()> {
    let x = constant([1., f64::NAN, 3.])?;
    let out = vec![
        x.reduce_max()?,
        x.reduce_min()?,
        constant([[1., 2.], [f64::NAN, 0.]])?.reduce_max_axis(1)?,
    ];
    check("reduce_max_min_nan", out);
    Ok(())
}

#[test]
fn cumsum_variants() -> Result<()> {
    let x = constant([1, 2, 3, 4])?;
    let out = vec![x.cumsum(0, false, false)?, x.cumsum(0, true, false)?, x.cumsum(0, false, true)?, x.cumsum(0, true, true)?];
    check("cumsum_variants", out);
    Ok(())
}

#[test]
fn cumprod_variants() -> Result<()> {
    let x = constant([1., 2., 3., 4.])?;
    check("cumprod_variants", vec![x.cumprod(0, false, false)?, x.cumprod(0, true, false)?, x.cumprod(0, false, true)?]);
    Ok(())
}

#[test]
fn top_k_basic() -> Result<()> {
    let (v, i) = constant([1., 3., 2., 3., 0.])?.top_k(3)?;
    check("top_k_basic", vec![v, i]);
    Ok(())
}

#[test]
fn top_k_2d() -> Result<()> {
    let (v, i) = constant([[1, 4, 2], [9, 7, 8]])?.top_k(2)?;
    check("top_k_2d", vec![v, i]);
    Ok(())
}

#[test]
fn top_k_k_too_large() -> Result<()> {
    check("top_k_k_too_large", constant([1., 2.])?.top_k(3).map(|(v, _)| v));
    Ok(())
}

#[test]
fn int_truncatediv_truncatemod() -> Result<()> {
    let (a, b) = (constant([7, -7, 7, -7])?, constant([2, 2, -2, -2])?);
    check("int_truncatediv_truncatemod", vec![a.truncatediv(&b)?, a.truncatemod(&b)?]);
    Ok(())
}

#[test]
fn float_floordiv_floormod() -> Result<()> {
    let (a, b) = (constant([7.5, -7.5, 7.5, -7.5])?, constant([2., 2., -2., -2.])?);
    check("float_floordiv_floormod", vec![a.floordiv(&b)?, a.floormod(&b)?]);
    Ok(())
}

#[test]
fn int_truncatediv_by_zero() -> Result<()> {
    check("int_truncatediv_by_zero", constant([5])?.truncatediv(&constant([0])?));
    Ok(())
}

#[test]
fn int_truediv_by_zero() -> Result<()> {
    check("int_truediv_by_zero", constant([1, -1, 0])?.div(&constant([0, 0, 0])?));
    Ok(())
}

#[test]
fn float_div_by_zero() -> Result<()> {
    let x = constant([1., -1., 0.])?;
    check("float_div_by_zero", vec![x.div(0.)?, x.div_no_nan(0.)?]);
    Ok(())
}

/// The rules beyond the cases: argmin, cumsum along an inner axis,
/// floormod of ints, the bool-only and float-only errors.
#[test]
fn math_rules_beyond_the_cases() -> Result<()> {
    let x = constant([[3., 1., 1.], [0., 2., 0.]])?;
    assert_eq!(x.argmin(Some(1))?.to_vec::<i64>()?, vec![1, 0]);
    assert_eq!(x.argmax_as(Some(-1), DType::I32)?.to_vec::<i32>()?, vec![0, 1]);
    assert_eq!(x.cumsum(1, false, false)?.to_vec::<f32>()?, vec![3., 4., 5., 0., 2., 2.]);
    let (a, b) = (constant([7, -7, 7, -7])?, constant([2, 2, -2, -2])?);
    assert_eq!(a.floormod(&b)?.to_vec::<i32>()?, vec![1, 1, -1, -1]);
    assert!(constant([1])?.floormod(&constant([0])?).unwrap_err().to_string().contains("Integer division by zero"));
    let e = constant([1, 0])?.reduce_any(Axes::All, false).unwrap_err();
    assert!(e.to_string().contains("cannot compute Any as input #0(zero-based) was expected to be a bool tensor but is a int32 tensor [Op:Any]"));
    let empty = constant_with(Vec::<bool>::new(), DType::Bool)?;
    assert_eq!(empty.reduce_any(Axes::All, false)?.scalar::<bool>()?, false);
    assert_eq!(empty.reduce_all(Axes::All, false)?.scalar::<bool>()?, true);
    let f = constant([1.0, f64::INFINITY, f64::NAN, f64::NEG_INFINITY])?;
    assert_eq!(f.is_nan()?.to_vec::<bool>()?, vec![false, false, true, false]);
    assert_eq!(f.is_inf()?.to_vec::<bool>()?, vec![false, true, false, true]);
    assert_eq!(f.is_finite()?.to_vec::<bool>()?, vec![true, false, false, false]);
    assert!(constant([1])?.is_nan().is_err());
    assert_eq!(constant([2.5, -3.7])?.floor()?.to_vec::<f32>()?, vec![2.0, -4.0]);
    assert_eq!(constant([2.5, -3.7])?.ceil()?.to_vec::<f32>()?, vec![3.0, -3.0]);
    let lse = constant([[0.0, f64::NEG_INFINITY], [1.0, 2.0]])?.reduce_logsumexp(1, false)?;
    assert_eq!(lse.dims(), &[2]);
    Ok(())
}

#[test]
fn gradients_match_finite_differences() -> Result<()> {
    let x = random::stateless_uniform_in(&[2, 3], [1, 1], 0.2, 2.0, DType::F64)?;
    let s = random::stateless_normal(&[2, 3], [2, 2], 0.0, 1.0, DType::F64)?;
    fd_check("log1p", |x| x.log1p(), &x)?;
    fd_check("expm1", |x| x.expm1(), &s)?;
    fd_check("erf", |x| x.erf(), &s)?;
    fd_check("rsqrt", |x| x.rsqrt(), &x)?;
    fd_check("logsumexp", |x| x.reduce_logsumexp(1, false), &s)?;
    fd_check("logsumexp all", |x| x.reduce_logsumexp(Axes::All, true), &s)?;
    fd_check("variance", |x| x.reduce_variance(0, false), &s)?;
    fd_check("std", |x| x.reduce_std(Axes::All, false), &s)?;
    fd_check("clip_by_value", |x| x.clip_by_value(-0.5, 0.5), &s)?;
    fd_check("clip_by_norm", |x| x.clip_by_norm(0.5, [1]), &s)?;
    fd_check("norm 2", |x| x.norm(NormOrd::Euclidean, Some(&[1]), false), &s)?;
    fd_check("norm 3", |x| x.norm(NormOrd::P(3.0), None, false), &s)?;
    fd_check("norm fro", |x| x.norm(NormOrd::Euclidean, Some(&[0, 1]), true), &s)?;
    fd_check("norm 1 matrix", |x| x.norm(NormOrd::One, Some(&[0, 1]), false), &s)?;
    fd_check("cumsum", |x| x.cumsum(1, false, false), &s)?;
    fd_check("cumsum excl rev", |x| x.cumsum(0, true, true), &s)?;
    fd_check("cumprod", |x| x.cumprod(1, false, false), &x)?;
    fd_check("cumprod excl rev", |x| x.cumprod(1, true, true), &x)?;
    fd_check("top_k values", |x| Ok(x.top_k(2)?.0), &s)?;
    let y = random::stateless_uniform_in(&[2, 3], [3, 3], 0.5, 1.5, DType::F64)?;
    fd_check("floormod x", |x| x.floormod(&y), &s)?;
    fd_check("floormod y", |y| s.mul(3.0)?.floormod(y), &y)?;
    fd_check("div_no_nan x", |x| x.div_no_nan(&y), &s)?;
    fd_check("div_no_nan y", |y| s.div_no_nan(y), &y)?;
    Ok(())
}

/// Second derivatives through the added primitives (nested tapes).
#[test]
fn second_order_through_cumsum_and_top_k() -> Result<()> {
    let x = constant_with([1.0, 3.0, 2.0], DType::F64)?;
    let outer = GradientTape::new();
    let (g, gsum) = outer.record(|o| {
        o.watch(&x)?;
        let inner = GradientTape::new();
        let y = inner.record(|t| {
            t.watch(&x)?;
            x.square()?.cumsum(0, false, false)?.top_k(2)?.0.sum()
        })?;
        let g = inner.gradient(&y, &x)?.unwrap();
        let gsum = g.sum()?;
        Ok((g, gsum))
    })?;
    // y = top2 of [x0², x0²+x1², x0²+x1²+x2²] = 2x0² + 2x1² + x2²
    assert_eq!(g.to_vec::<f64>()?, vec![4.0, 12.0, 4.0]);
    let h = outer.gradient(&gsum, &x)?.unwrap();
    assert_eq!(h.to_vec::<f64>()?, vec![4.0, 4.0, 2.0]);
    Ok(())
}

// The math cases that pin the existing kernels (integer overflow, powers)
// follow.

#[test]
fn cast_to_uint8_and_bool() -> Result<()> {
    let out = vec![
        constant([-1., 255.9, 256., 300.])?.cast(DType::U8),
        constant([0., 0.5, -1.])?.cast(DType::Bool),
        constant([true, false])?.cast(DType::F32),
    ];
    check("cast_to_uint8_and_bool", out.into_iter().collect::<Result<Vec<_>>>()?);
    Ok(())
}

#[test]
fn int_pow_ok() -> Result<()> {
    check("int_pow_ok", constant([2, 3, 0, -2])?.pow(&constant([3, 2, 0, 3])?));
    Ok(())
}

#[test]
fn float_pow_special() -> Result<()> {
    let r = constant([0., -8., 0., f64::INFINITY])?.pow(&constant([-1., 1. / 3., 0., 0.])?);
    check("float_pow_special", r);
    Ok(())
}

#[test]
fn int32_overflow_wraps() -> Result<()> {
    let out = vec![(constant([2147483647])? + 1)?, constant([-2147483648])?.abs()?, (-&constant([-2147483648])?)?];
    check("int32_overflow_wraps", out);
    Ok(())
}
