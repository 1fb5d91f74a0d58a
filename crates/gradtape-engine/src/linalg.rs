//! `tf.linalg`: matvec, einsum, tensordot, trace, diag_part, diag,
//! band_part (composites), and inv, det, slogdet, solve, cholesky, whose
//! values come from LU / Cholesky factorisations on the host in float64 and
//! whose gradients are TF's rules written with these same ops (so they
//! differentiate again).

use std::sync::Arc;

use gradtape_core::{Error, HostData, Result, Shape};

use crate::autodiff::{custom_gradient, GradFn};
use crate::{matmul, Tensor};

fn batch_square(a: &Tensor, op: &str) -> Result<(usize, usize)> {
    if a.rank() < 2 {
        return Err(Error::InvalidArgument(format!("Input tensor 0 must have rank >= 2, got {} [Op:{op}]", a.rank())));
    }
    let n = a.dims()[a.rank() - 1];
    if a.dims()[a.rank() - 2] != n {
        return Err(Error::InvalidArgument(format!("Input matrix must be square. [Op:{op}]")));
    }
    if !a.dtype().is_float() {
        return Err(Error::InvalidArgument(format!(
            "Value for attr 'T' of {} is not in the list of allowed values: double, float, half, complex64, complex128 [Op:{op}]",
            a.dtype()
        )));
    }
    Ok((a.numel() / (n * n).max(1), n))
}

/// `A^T` over the last two axes.
fn mt(a: &Tensor) -> Result<Tensor> {
    let r = a.rank() as i64;
    let mut perm: Vec<i64> = (0..r).collect();
    perm.swap(r as usize - 1, r as usize - 2);
    a.transpose(&perm)
}

/// LU with partial pivoting of one `n x n` matrix, in place: `(sign, singular)`.
fn lu(m: &mut [f64], piv: &mut [usize], n: usize) -> (f64, bool) {
    let mut sign = 1.0;
    let mut singular = false;
    for k in 0..n {
        let p = (k..n).max_by(|&i, &j| m[i * n + k].abs().total_cmp(&m[j * n + k].abs())).unwrap_or(k);
        piv[k] = p;
        if p != k {
            for c in 0..n {
                m.swap(k * n + c, p * n + c);
            }
            sign = -sign;
        }
        let d = m[k * n + k];
        if d == 0.0 {
            singular = true;
            continue;
        }
        for i in k + 1..n {
            let l = m[i * n + k] / d;
            m[i * n + k] = l;
            for c in k + 1..n {
                m[i * n + c] -= l * m[k * n + c];
            }
        }
    }
    (sign, singular)
}

/// Solves `A X = B` for one matrix from its LU factors (`B` is `n x k`, overwritten).
fn lu_solve(m: &[f64], piv: &[usize], n: usize, b: &mut [f64], k: usize) {
    for (r, &p) in piv.iter().enumerate().take(n) {
        if p != r {
            for c in 0..k {
                b.swap(r * k + c, p * k + c);
            }
        }
    }
    for r in 0..n {
        for i in 0..r {
            let l = m[r * n + i];
            for c in 0..k {
                b[r * k + c] -= l * b[i * k + c];
            }
        }
    }
    for r in (0..n).rev() {
        for i in r + 1..n {
            let u = m[r * n + i];
            for c in 0..k {
                b[r * k + c] -= u * b[i * k + c];
            }
        }
        let d = m[r * n + r];
        for c in 0..k {
            b[r * k + c] /= d;
        }
    }
}

fn host(like: &Tensor, v: Vec<f64>, dims: &[usize]) -> Tensor {
    Tensor::from_data(like.engine(), HostData::F64(v).cast(like.dtype()), Shape::new(dims))
}

fn values(a: &Tensor) -> Result<Vec<f64>> {
    Ok(a.try_data()?.to_f64_vec())
}

/// `(sign, log|det|)` of each matrix, on the host.
fn slogdet_host(a: &Tensor) -> Result<(Vec<f64>, Vec<f64>)> {
    let (batch, n) = batch_square(a, "LogMatrixDeterminant")?;
    let v = values(a)?;
    let (mut signs, mut logs) = (Vec::with_capacity(batch), Vec::with_capacity(batch));
    for b in 0..batch {
        let mut m = v[b * n * n..(b + 1) * n * n].to_vec();
        let mut piv = vec![0; n];
        let (mut s, singular) = lu(&mut m, &mut piv, n);
        if singular {
            signs.push(0.0);
            logs.push(f64::NEG_INFINITY);
            continue;
        }
        let mut l = 0.0;
        for i in 0..n {
            let d = m[i * n + i];
            if d < 0.0 {
                s = -s;
            }
            l += d.abs().ln();
        }
        signs.push(s);
        logs.push(l);
    }
    Ok((signs, logs))
}

fn batch_dims(a: &Tensor) -> Vec<usize> {
    a.dims()[..a.rank() - 2].to_vec()
}

/// `tf.linalg.inv`: the inverse of each matrix (LU with partial pivoting).
pub fn inv(a: &Tensor) -> Result<Tensor> {
    let (batch, n) = batch_square(a, "MatrixInverse")?;
    let x = a.clone();
    custom_gradient(&[a.clone()], move |xs| {
        let v = values(&xs[0])?;
        let mut out = Vec::with_capacity(v.len());
        for b in 0..batch {
            let mut m = v[b * n * n..(b + 1) * n * n].to_vec();
            let mut piv = vec![0; n];
            if lu(&mut m, &mut piv, n).1 {
                return Err(Error::InvalidArgument("Input is not invertible. [Op:MatrixInverse]".into()));
            }
            let mut e: Vec<f64> = (0..n * n).map(|k| if k / n == k % n { 1.0 } else { 0.0 }).collect();
            lu_solve(&m, &piv, n, &mut e, n);
            out.extend(e);
        }
        let y = host(&xs[0], out, xs[0].dims());
        // d inv = -inv^T g inv^T
        let rule: GradFn = Box::new(move |g| {
            let yi = inv(&x)?;
            Ok(vec![Some(matmul(&matmul(&mt(&yi)?, g)?, &mt(&yi)?)?.neg()?)])
        });
        Ok((y, rule))
    })
}

/// `tf.linalg.det`; its gradient is `g · det · inv(A)^T`.
pub fn det(a: &Tensor) -> Result<Tensor> {
    batch_square(a, "MatrixDeterminant")?;
    let x = a.clone();
    custom_gradient(&[a.clone()], move |xs| {
        let (s, l) = slogdet_host(&xs[0])?;
        let d: Vec<f64> = s.iter().zip(&l).map(|(s, l)| s * l.exp()).collect();
        let y = host(&xs[0], d, &batch_dims(&xs[0]));
        let rule: GradFn = Box::new(move |g| {
            let k = det(&x)?.mul(g)?.expand_dims(-1)?.expand_dims(-1)?;
            Ok(vec![Some(k.mul(&mt(&inv(&x)?)?)?)])
        });
        Ok((y, rule))
    })
}

/// `tf.linalg.slogdet`: `(sign, log|det|)`; `d log|det A| / dA = inv(A)^T`.
///
/// ```
/// # use gradtape_engine::*;
/// let (s, l) = linalg::slogdet(&constant([[1.0, 2.0], [3.0, 4.0]])?)?;
/// assert_eq!((s.scalar::<f32>()?, l.scalar::<f32>()?), (-1.0, 2f32.ln()));
/// # Ok::<(), gradtape_core::Error>(())
/// ```
pub fn slogdet(a: &Tensor) -> Result<(Tensor, Tensor)> {
    batch_square(a, "LogMatrixDeterminant")?;
    let (s, _) = slogdet_host(a)?;
    let sign = host(a, s, &batch_dims(a));
    let x = a.clone();
    let log = custom_gradient(&[a.clone()], move |xs| {
        let (_, l) = slogdet_host(&xs[0])?;
        let y = host(&xs[0], l, &batch_dims(&xs[0]));
        let rule: GradFn = Box::new(move |g| Ok(vec![Some(g.expand_dims(-1)?.expand_dims(-1)?.mul(&mt(&inv(&x)?)?)?)]));
        Ok((y, rule))
    })?;
    Ok((sign, log))
}

/// `tf.linalg.solve(A, B)`: `X` with `A X = B` (LU); gradients `solve(A^T, g)`
/// for `B` and `-solve(A^T, g) X^T` for `A`.
pub fn solve(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (batch, n) = batch_square(a, "MatrixSolve")?;
    if b.rank() != a.rank() || b.dims()[..b.rank() - 2] != a.dims()[..a.rank() - 2] || b.dims()[b.rank() - 2] != n {
        return Err(Error::InvalidArgument("Input matrix and rhs are incompatible. [Op:MatrixSolve]".into()));
    }
    if b.dtype() != a.dtype() {
        return Err(Error::InvalidArgument(format!(
            "cannot compute MatrixSolve as input #1(zero-based) was expected to be a {} tensor but is a {} tensor [Op:MatrixSolve]",
            a.dtype().kernel_name(),
            b.dtype().kernel_name()
        )));
    }
    let k = b.dims()[b.rank() - 1];
    let (xa, xb) = (a.clone(), b.clone());
    custom_gradient(&[a.clone(), b.clone()], move |xs| {
        let (va, vb) = (values(&xs[0])?, values(&xs[1])?);
        let mut out = Vec::with_capacity(vb.len());
        for bi in 0..batch {
            let mut m = va[bi * n * n..(bi + 1) * n * n].to_vec();
            let mut piv = vec![0; n];
            if lu(&mut m, &mut piv, n).1 {
                return Err(Error::InvalidArgument("Input matrix is not invertible. [Op:MatrixSolve]".into()));
            }
            let mut r = vb[bi * n * k..(bi + 1) * n * k].to_vec();
            lu_solve(&m, &piv, n, &mut r, k);
            out.extend(r);
        }
        let y = host(&xs[1], out, xs[1].dims());
        let rule: GradFn = Box::new(move |g| {
            let gb = solve(&mt(&xa)?, g)?;
            let x = solve(&xa, &xb)?;
            Ok(vec![Some(matmul(&gb, &mt(&x)?)?.neg()?), Some(gb)])
        });
        Ok((y, rule))
    })
}

/// `tf.linalg.cholesky`: the lower factor `L` with `L L^T = A`, and TF's gradient.
pub fn cholesky(a: &Tensor) -> Result<Tensor> {
    let (batch, n) = batch_square(a, "Cholesky")?;
    let x = a.clone();
    custom_gradient(&[a.clone()], move |xs| {
        let v = values(&xs[0])?;
        let mut out = vec![0.0; v.len()];
        for b in 0..batch {
            let (m, l) = (&v[b * n * n..(b + 1) * n * n], &mut out[b * n * n..(b + 1) * n * n]);
            for j in 0..n {
                let mut d = m[j * n + j];
                for p in 0..j {
                    d -= l[j * n + p] * l[j * n + p];
                }
                if d.is_nan() || d <= 0.0 {
                    return Err(Error::InvalidArgument(
                        "Cholesky decomposition was not successful. The input might not be valid. [Op:Cholesky]".into(),
                    ));
                }
                let d = d.sqrt();
                l[j * n + j] = d;
                for i in j + 1..n {
                    let mut s = m[i * n + j];
                    for p in 0..j {
                        s -= l[i * n + p] * l[j * n + p];
                    }
                    l[i * n + j] = s / d;
                }
            }
        }
        let y = host(&xs[0], out, xs[0].dims());
        let rule: GradFn = Box::new(move |g| {
            let l = cholesky(&x)?;
            let li = inv(&l)?;
            let middle = matmul(&mt(&l)?, g)?;
            let middle = middle.sub(&diag(&diag_part(&middle)?.mul(0.5)?)?)?;
            let middle = band_part(&middle, -1, 0)?;
            let ga = matmul(&matmul(&mt(&li)?, &middle)?, &li)?;
            Ok(vec![Some(ga.add(&mt(&ga)?)?.mul(0.5)?)])
        });
        Ok((y, rule))
    })
}

/// `tf.linalg.diag_part`: the main diagonal of each matrix (`min(m, n)` long).
pub fn diag_part(a: &Tensor) -> Result<Tensor> {
    if a.rank() < 2 {
        return Err(Error::InvalidArgument(format!(
            "input must be at least 2-dim, received shape: {} [Op:MatrixDiagPartV3]",
            a.shape().bracketed()
        )));
    }
    let (m, n) = (a.dims()[a.rank() - 2], a.dims()[a.rank() - 1]);
    let k = m.min(n);
    let batch = a.numel() / (m * n).max(1);
    let offsets: Arc<[usize]> = (0..batch).flat_map(|b| (0..k).map(move |i| b * m * n + i * n + i)).collect();
    let mut dims = batch_dims(a);
    dims.push(k);
    a.take(offsets, Shape::new(&dims))
}

/// `tf.linalg.diag`: square matrices with `v`'s last axis on the diagonal.
pub fn diag(v: &Tensor) -> Result<Tensor> {
    if v.rank() < 1 {
        return Err(Error::InvalidArgument("input must be at least 1-dim, received shape: [] [Op:MatrixDiagV3]".into()));
    }
    let n = v.dims()[v.rank() - 1];
    let batch = v.numel() / n.max(1);
    let offsets: Arc<[usize]> = (0..batch).flat_map(|b| (0..n).map(move |i| b * n * n + i * n + i)).collect();
    let mut dims = v.dims().to_vec();
    dims.push(n);
    v.put(offsets, Shape::new(&dims), crate::ops::take::Combine::Add)
}

/// `tf.linalg.trace`: the sum of each matrix's diagonal.
pub fn trace(a: &Tensor) -> Result<Tensor> {
    diag_part(a)?.reduce_sum_with(-1, false)
}

/// `tf.linalg.band_part(a, num_lower, num_upper)`: keeps `num_lower`
/// subdiagonals and `num_upper` superdiagonals (-1 keeps all).
pub fn band_part(a: &Tensor, num_lower: i64, num_upper: i64) -> Result<Tensor> {
    if a.rank() < 2 {
        return Err(Error::InvalidArgument(format!(
            "input must be at least 2-dim, received shape: {} [Op:MatrixBandPart]",
            a.shape().bracketed()
        )));
    }
    let (m, n) = (a.dims()[a.rank() - 2], a.dims()[a.rank() - 1]);
    if num_lower > m as i64 || num_upper > n as i64 {
        return Err(Error::InvalidArgument(format!(
            "num_lower must be negative or less or equal to number of rows ({m}) got: {num_lower} [Op:MatrixBandPart]"
        )));
    }
    let keep: Vec<bool> = (0..m * n)
        .map(|k| {
            let (i, j) = ((k / n) as i64, (k % n) as i64);
            (num_lower < 0 || i - j <= num_lower) && (num_upper < 0 || j - i <= num_upper)
        })
        .collect();
    let mask = Tensor::from_data(a.engine(), HostData::Bool(keep), Shape::new(&[m, n]));
    mask.select(a, &a.zeros_like())
}

/// `tf.linalg.matvec(a, x, transpose_a)`, batched.
pub fn matvec(a: &Tensor, x: &Tensor, transpose_a: bool) -> Result<Tensor> {
    a.matmul_t(&x.expand_dims(-1)?, transpose_a, false)?.squeeze(&[-1])
}

/// `tf.tensordot(a, b, axes)`: contracts `a`'s `axes.0` with `b`'s `axes.1`.
pub fn tensordot(a: &Tensor, b: &Tensor, axes: (&[i64], &[i64])) -> Result<Tensor> {
    let norm = |t: &Tensor, ax: &[i64]| -> Vec<usize> {
        ax.iter().map(|&x| if x < 0 { (x + t.rank() as i64) as usize } else { x as usize }).collect()
    };
    let (ca, cb) = (norm(a, axes.0), norm(b, axes.1));
    if ca.len() != cb.len() || ca.iter().zip(&cb).any(|(&i, &j)| i >= a.rank() || j >= b.rank() || a.dims()[i] != b.dims()[j]) {
        return Err(Error::InvalidArgument(format!(
            "Dimension mismatch in tensordot: {} and {} along {:?} and {:?}",
            a.shape().bracketed(),
            b.shape().bracketed(),
            axes.0,
            axes.1
        )));
    }
    let fa: Vec<usize> = (0..a.rank()).filter(|i| !ca.contains(i)).collect();
    let fb: Vec<usize> = (0..b.rank()).filter(|i| !cb.contains(i)).collect();
    let pa: Vec<i64> = fa.iter().chain(&ca).map(|&i| i as i64).collect();
    let pb: Vec<i64> = cb.iter().chain(&fb).map(|&i| i as i64).collect();
    let k: usize = ca.iter().map(|&i| a.dims()[i]).product();
    let (m, n) = (a.numel() / k.max(1), b.numel() / k.max(1));
    let am = a.transpose(&pa)?.reshape([m as i64, k as i64])?;
    let bm = b.transpose(&pb)?.reshape([k as i64, n as i64])?;
    let out: Vec<i64> = fa.iter().map(|&i| a.dims()[i] as i64).chain(fb.iter().map(|&i| b.dims()[i] as i64)).collect();
    matmul(&am, &bm)?.reshape(out.as_slice())
}

pub use crate::einsum::einsum;
