//! Numerical differentiation by central differences: the lecture's
//! `d(f, x)`, and a full gradient used by the tests to check every rule.

use gradtape_core::{DType, Error, HostData, Result};

use crate::Tensor;

/// The lecture's `d(f, x) = (f(x + h) - f(x - h)) / 2h`, applied to the
/// whole tensor at once: the derivative of an elementwise `f` at each element.
///
/// ```
/// # use gradtape_engine::*;
/// # use gradtape_core::DType;
/// let x = constant_with([0.0, 1.0], DType::F64)?;
/// // d sin(x) / dx = cos(x)
/// let slope = d(|x| x.sin(), &x, 1e-5)?.to_vec::<f64>()?;
/// assert!((slope[0] - 1.0).abs() < 1e-8 && (slope[1] - 1f64.cos()).abs() < 1e-8);
/// # Ok::<(), gradtape_core::Error>(())
/// ```
pub fn d(f: impl Fn(&Tensor) -> Result<Tensor>, x: &Tensor, h: f64) -> Result<Tensor> {
    let plus = f(&x.add(h)?)?;
    let minus = f(&x.sub(h)?)?;
    plus.sub(&minus)?.div(2.0 * h)
}

/// `d sum(f(xs)) / d xs[k]` for every `k`, one central difference per element,
/// computed in float64 whatever the inputs' dtypes.
///
/// ```
/// # use gradtape_engine::*;
/// let x = constant([1.0, 2.0])?;
/// // d sum(x³) / dx = 3x²
/// let g = numeric_gradient(|xs| xs[0].pow(3), &[x], 1e-4)?;
/// let g = g[0].to_vec::<f64>()?;
/// assert!((g[0] - 3.0).abs() < 1e-6 && (g[1] - 12.0).abs() < 1e-6);
/// # Ok::<(), gradtape_core::Error>(())
/// ```
pub fn numeric_gradient(f: impl Fn(&[Tensor]) -> Result<Tensor>, xs: &[Tensor], h: f64) -> Result<Vec<Tensor>> {
    let base: Vec<Tensor> = xs.iter().map(|x| x.cast(DType::F64)).collect::<Result<_>>()?;
    let eval = |args: &[Tensor]| -> Result<f64> { f(args)?.cast(DType::F64)?.sum()?.scalar::<f64>() };
    let mut out = Vec::with_capacity(xs.len());
    for k in 0..xs.len() {
        let v = base[k].to_vec::<f64>()?;
        let mut g = vec![0.0; v.len()];
        for i in 0..v.len() {
            let mut args = base.clone();
            let mut p = v.clone();
            p[i] += h;
            args[k] = Tensor::from_data(xs[k].engine(), HostData::F64(p), xs[k].shape().clone());
            let fp = eval(&args)?;
            let mut m = v.clone();
            m[i] -= h;
            args[k] = Tensor::from_data(xs[k].engine(), HostData::F64(m), xs[k].shape().clone());
            let fm = eval(&args)?;
            g[i] = (fp - fm) / (2.0 * h);
        }
        if !g.iter().all(|x| x.is_finite()) && v.iter().all(|x| x.is_finite()) {
            return Err(Error::Value("numeric_gradient: f is not finite near x".into()));
        }
        out.push(Tensor::from_data(xs[k].engine(), HostData::F64(g), xs[k].shape().clone()));
    }
    Ok(out)
}
