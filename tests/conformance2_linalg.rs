//! Golden TensorFlow 2.21 cases of the area `linalg` (tf_cases_2.json), one
//! test per case named after its id, and finite-difference checks of every
//! gradient (first and second order for the factorisations).

mod golden2;

use golden2::{check, Out, fd_check};
use gradtape::*;

#[test]
fn linalg_matvec() -> Result<()> {
    let a = constant([[1., 2.], [3., 4.]])?;
    let out = vec![
        linalg::matvec(&a, &constant([1., 1.])?, false)?,
        linalg::matvec(&a, &constant([1., 0.])?, true)?,
        linalg::matvec(&stack(&[a.clone(), a.mul(2.)?], 0)?, &constant([[1., 0.], [0., 1.]])?, false)?,
    ];
    check("linalg_matvec", out);
    Ok(())
}

#[test]
fn einsum_matmul_batch() -> Result<()> {
    let a = constant([[1., 2.], [3., 4.]])?;
    let b = constant([[5., 6.], [7., 8.]])?;
    let out = vec![
        einsum("ij,jk->ik", &[a.clone(), b.clone()])?,
        einsum("bij,bjk->bik", &[stack(&[a.clone(), b.clone()], 0)?, stack(&[b, a], 0)?])?,
    ];
    check("einsum_matmul_batch", out);
    Ok(())
}

#[test]
fn einsum_unary() -> Result<()> {
    let a = constant([[1., 2.], [3., 4.]])?;
    let out = vec![
        einsum("ii->", &[a.clone()])?,
        einsum("ij->ji", &[a.clone()])?,
        einsum("ij->j", &[a.clone()])?,
        einsum("ii->i", &[a])?,
    ];
    check("einsum_unary", out);
    Ok(())
}

#[test]
fn einsum_dots() -> Result<()> {
    let u = constant([1., 2., 3.])?;
    let v = constant([4., 5., 6.])?;
    let m = constant([[1., 2.], [3., 4.]])?;
    let out = vec![
        einsum("i,i->", &[u.clone(), v.clone()])?,
        einsum("bi,bi->b", &[m.clone(), m])?,
        einsum("i,j->ij", &[u.i(..2)?, v])?,
    ];
    check("einsum_dots", out);
    Ok(())
}

#[test]
fn einsum_dim_mismatch() -> Result<()> {
    check("einsum_dim_mismatch", einsum("ij,jk->ik", &[ones(&[2, 3], DType::F32)?, ones(&[2, 2], DType::F32)?]));
    Ok(())
}

#[test]
fn linalg_det_slogdet() -> Result<()> {
    let a = constant([[1., 2.], [3., 4.]])?;
    let b = constant([[2., 0., 1.], [1., 3., 2.], [1., 1., 1.]])?;
    let (s, l) = linalg::slogdet(&a)?;
    let out = Out::L(vec![
        linalg::det(&a)?.into(),
        linalg::det(&b)?.into(),
        linalg::det(&stack(&[a.clone(), a.mul(2.)?], 0)?)?.into(),
        vec![s, l].into(),
    ]);
    check("linalg_det_slogdet", out);
    Ok(())
}

#[test]
fn linalg_solve_shape_error() -> Result<()> {
    check("linalg_solve_shape_error", linalg::solve(&eye(2, None, &[], DType::F32)?, &ones(&[3, 1], DType::F32)?));
    Ok(())
}

#[test]
fn linalg_trace_diag_band() -> Result<()> {
    let a = range_from(1., 10., 1, None)?.reshape([3, 3])?;
    let out = vec![
        linalg::trace(&a)?,
        linalg::diag_part(&a)?,
        linalg::diag(&constant([1, 2])?)?,
        linalg::band_part(&a, 0, -1)?,
        linalg::band_part(&a, -1, 0)?,
        linalg::band_part(&a, 1, 0)?,
    ];
    check("linalg_trace_diag_band", out);
    Ok(())
}

#[test]
fn linalg_cholesky() -> Result<()> {
    check("linalg_cholesky", linalg::cholesky(&constant([[4., 2.], [2., 3.]])?));
    Ok(())
}

#[test]
fn linalg_grad_slogdet() -> Result<()> {
    let a = constant([[1., 2.], [3., 4.]])?;
    let tape = GradientTape::new();
    let y = tape.record(|t| {
        t.watch(&a)?;
        Ok(linalg::slogdet(&a)?.1)
    })?;
    check("linalg_grad_slogdet", tape.gradient(&y, &a)?);
    Ok(())
}

/// Values no case pins: inv and solve invert, singular inputs are TF's errors,
/// tensordot and implicit-output einsum.
#[test]
fn linalg_rules_beyond_the_cases() -> Result<()> {
    let a = constant_with([[4.0, 1.0], [2.0, 3.0]], DType::F64)?;
    let i = matmul(&a, &linalg::inv(&a)?)?.to_vec::<f64>()?;
    assert!(i.iter().zip([1.0, 0.0, 0.0, 1.0]).all(|(x, y)| (x - y).abs() < 1e-12), "{i:?}");
    let b = constant_with([[1.0], [2.0]], DType::F64)?;
    let x = linalg::solve(&a, &b)?;
    let back = matmul(&a, &x)?.to_vec::<f64>()?;
    assert!((back[0] - 1.0).abs() < 1e-12 && (back[1] - 2.0).abs() < 1e-12);
    let sing = constant([[1.0, 2.0], [2.0, 4.0]])?;
    assert!(linalg::inv(&sing).unwrap_err().to_string().contains("Input is not invertible. [Op:MatrixInverse]"));
    assert!(linalg::cholesky(&constant([[1.0, 2.0], [2.0, 1.0]])?).is_err());
    assert_eq!(linalg::det(&sing)?.scalar::<f32>()?, 0.0);
    let t = linalg::tensordot(&constant([[1., 2.], [3., 4.]])?, &constant([1., 1.])?, (&[1], &[0]))?;
    assert_eq!(t.to_vec::<f32>()?, vec![3., 7.]);
    assert_eq!(einsum("ij,jk", &[constant([[1., 2.]])?, constant([[3.], [4.]])?])?.to_vec::<f32>()?, vec![11.0]);
    assert_eq!(einsum("ij,jk,kl->il", &[eye(2, None, &[], DType::F32)?, constant([[1., 2.], [3., 4.]])?, eye(2, None, &[], DType::F32)?])?.to_vec::<f32>()?, vec![1., 2., 3., 4.]);
    Ok(())
}

fn grad_of(f: impl Fn(&Tensor) -> Result<Tensor>) -> impl Fn(&Tensor) -> Result<Tensor> {
    move |x: &Tensor| {
        let t = GradientTape::new();
        let y = t.record(|t| {
            t.watch(x)?;
            f(x)?.sum()
        })?;
        Ok(t.gradient(&y, x)?.unwrap())
    }
}

#[test]
fn gradients_match_finite_differences() -> Result<()> {
    let a = constant_with([[4.0, 1.0, 0.5], [2.0, 3.0, -1.0], [0.0, 1.0, 2.0]], DType::F64)?;
    let spd = matmul(&a, &a.t()?)?;
    let b = constant_with([[1.0, 0.0], [2.0, 1.0], [-1.0, 3.0]], DType::F64)?;
    fd_check("inv", linalg::inv, &a)?;
    fd_check("det", linalg::det, &a)?;
    fd_check("slogdet", |x| Ok(linalg::slogdet(x)?.1), &a)?;
    fd_check("solve A", |x| linalg::solve(x, &b), &a)?;
    fd_check("solve B", |y| linalg::solve(&a, y), &b)?;
    fd_check("cholesky", |x| linalg::cholesky(&x.add(&x.t()?)?.mul(0.5)?), &spd)?;
    fd_check("trace", linalg::trace, &a)?;
    fd_check("diag_part", linalg::diag_part, &b)?;
    fd_check("diag", |v| linalg::diag(v), &constant_with([1.0, 2.0], DType::F64)?)?;
    fd_check("band_part", |x| linalg::band_part(x, 1, 0), &a)?;
    fd_check("matvec", |x| linalg::matvec(x, &constant_with([1.0, -1.0, 2.0], DType::F64)?, true), &a)?;
    fd_check("einsum ij,jk", |x| einsum("ij,jk->ik", &[x.clone(), b.clone()]), &a)?;
    fd_check("einsum ii", |x| einsum("ii->i", &[x.clone()]), &a)?;
    fd_check("einsum bij", |x| einsum("ij,ik->jk", &[x.clone(), x.clone()]), &a)?;
    fd_check("tensordot", |x| linalg::tensordot(x, &b, (&[0], &[0])), &a)?;
    // Second order: the rules are differentiable.
    fd_check("d det", grad_of(linalg::det), &a)?;
    fd_check("d inv", grad_of(linalg::inv), &a)?;
    fd_check("d slogdet", grad_of(|x| Ok(linalg::slogdet(x)?.1)), &a)?;
    Ok(())
}
