//! Elementwise functions beyond `UnaryOp`'s: log1p, expm1, floor, ceil,
//! round (half to even) and erf, each exact where a composite would lose
//! digits (`log(1 + 1e-8)` is 0 in float32, `log1p` is 1e-8).

use gradtape_core::{Error, HostData, Result};
use smallvec::{smallvec, SmallVec};

use super::ext::{op, ExtOp};
use crate::Tensor;

/// An added elementwise function of one tensor, by TF's kernel name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unary2 {
    /// `log(1 + x)`, accurate near 0.
    Log1p,
    /// `exp(x) - 1`, accurate near 0.
    Expm1,
    /// Rounds toward -inf.
    Floor,
    /// Rounds toward +inf.
    Ceil,
    /// Rounds half to even (banker's).
    Round,
    /// The error function.
    Erf,
}

impl Unary2 {
    /// TF's op name.
    pub fn name(self) -> &'static str {
        match self {
            Unary2::Log1p => "Log1p",
            Unary2::Expm1 => "Expm1",
            Unary2::Floor => "Floor",
            Unary2::Ceil => "Ceil",
            Unary2::Round => "Round",
            Unary2::Erf => "Erf",
        }
    }
}

pub(crate) fn cpu(u: Unary2, x: &HostData) -> HostData {
    macro_rules! go {
        ($v:expr, $variant:ident, $erf:path) => {
            HostData::$variant(match u {
                Unary2::Log1p => $v.iter().map(|x| x.ln_1p()).collect(),
                Unary2::Expm1 => $v.iter().map(|x| x.exp_m1()).collect(),
                Unary2::Floor => $v.iter().map(|x| x.floor()).collect(),
                Unary2::Ceil => $v.iter().map(|x| x.ceil()).collect(),
                Unary2::Round => $v.iter().map(|x| x.round_ties_even()).collect(),
                Unary2::Erf => $v.iter().map(|&x| $erf(x)).collect(),
            })
        };
    }
    match x {
        HostData::F32(v) => go!(v, F32, libm::erff),
        HostData::F64(v) => go!(v, F64, libm::erf),
        // Round of an integer is itself (the only integer kernel here).
        other => other.clone(),
    }
}

pub(crate) fn grad(u: Unary2, x: &Tensor, y: &Tensor, g: &Tensor) -> Result<SmallVec<[Option<Tensor>; 2]>> {
    let dx = match u {
        Unary2::Log1p => Some(g.div(&x.add(1.0)?)?),
        Unary2::Expm1 => Some(g.mul(&y.add(1.0)?)?),
        // TF registers no gradient path through rounding: None.
        Unary2::Floor | Unary2::Ceil | Unary2::Round => None,
        // d erf = 2/sqrt(pi) exp(-x^2)
        Unary2::Erf => Some(g.mul(&x.square()?.neg()?.exp()?.mul(std::f64::consts::FRAC_2_SQRT_PI)?)?),
    };
    Ok(smallvec![dx])
}

impl Tensor {
    fn unary2(&self, u: Unary2) -> Result<Tensor> {
        let dt = self.dtype();
        let ok = dt.is_float() || (u == Unary2::Round && dt.is_int());
        if !ok {
            return Err(Error::InvalidArgument(format!(
                "Value for attr 'T' of {dt} is not in the list of allowed values: bfloat16, half, float, double [Op:{}]",
                u.name()
            )));
        }
        op(ExtOp::Unary(u), &[self], self.shape().clone(), dt)
    }

    /// `tf.math.log1p`: `log(1 + x)`, exact near 0.
    pub fn log1p(&self) -> Result<Tensor> {
        self.unary2(Unary2::Log1p)
    }
    /// `tf.math.expm1`: `exp(x) - 1`, exact near 0.
    pub fn expm1(&self) -> Result<Tensor> {
        self.unary2(Unary2::Expm1)
    }
    /// `tf.floor` (no gradient, as in TF).
    pub fn floor(&self) -> Result<Tensor> {
        self.unary2(Unary2::Floor)
    }
    /// `tf.math.ceil` (no gradient, as in TF).
    pub fn ceil(&self) -> Result<Tensor> {
        self.unary2(Unary2::Ceil)
    }
    /// `tf.round`: half to even (`2.5 -> 2`, `-0.5 -> -0`); integers unchanged.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// assert_eq!(constant([0.5, 1.5, 2.5])?.round()?.to_vec::<f32>()?, vec![0.0, 2.0, 2.0]);
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn round(&self) -> Result<Tensor> {
        if self.dtype().is_int() {
            return self.identity();
        }
        self.unary2(Unary2::Round)
    }
    /// `tf.math.erf`.
    pub fn erf(&self) -> Result<Tensor> {
        self.unary2(Unary2::Erf)
    }
}
