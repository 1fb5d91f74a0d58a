//! The user-facing binary operators: Python-literal operands, TF's operand
//! conversion rules, NumPy-behaviour promotion, and `std::ops` impls that
//! return `Result` (as candle's do).
//!
//! ```
//! # use gradtape_engine::*;
//! let x = constant([1.0, 2.0])?;
//! // A literal takes the tensor's dtype, on either side.
//! assert_eq!((2 * &x)?.to_vec::<f32>()?, vec![2.0, 4.0]);
//! assert_eq!(((&x + 0.5)? / &x)?.to_vec::<f32>()?, vec![1.5, 1.25]);
//! // Broadcasting follows NumPy: [2, 1] with [2] gives [2, 2].
//! assert_eq!((&constant([[10.0], [20.0]])? - &x)?.dims(), &[2, 2]);
//! // Tensors of different dtypes do not mix, with TF's message.
//! let e = (&constant([1, 2])? + &x).unwrap_err();
//! assert!(e.to_string().starts_with("InvalidArgumentError: cannot compute AddV2"));
//! # Ok::<(), gradtape_core::Error>(())
//! ```

use std::borrow::Cow;

use gradtape_core::{DType, Error, Result};

use super::binary::{binary, BinaryOp};
use crate::numpy::{promote, PromotionMode};
use crate::{Tensor, Variable};

/// One side of a binary operator.
pub enum Operand<'a> {
    /// A tensor (a variable's current value included).
    Tensor(Cow<'a, Tensor>),
    /// A Python int literal.
    Int(i64),
    /// A Python float literal.
    Float(f64),
}

/// What may stand on either side of an operator.
pub trait IntoOperand<'a> {
    /// The operand.
    fn into_operand(self) -> Operand<'a>;
}

impl<'a> IntoOperand<'a> for &'a Tensor {
    fn into_operand(self) -> Operand<'a> {
        Operand::Tensor(Cow::Borrowed(self))
    }
}
impl<'a> IntoOperand<'a> for Tensor {
    fn into_operand(self) -> Operand<'a> {
        Operand::Tensor(Cow::Owned(self))
    }
}
impl<'a> IntoOperand<'a> for &Variable {
    fn into_operand(self) -> Operand<'a> {
        Operand::Tensor(Cow::Owned(self.read()))
    }
}
macro_rules! lit_operand {
    ($($t:ty => $v:ident as $as:ty),*) => {$(
        impl<'a> IntoOperand<'a> for $t {
            fn into_operand(self) -> Operand<'a> {
                Operand::$v(self as $as)
            }
        }
    )*};
}
lit_operand!(i32 => Int as i64, i64 => Int as i64, f32 => Float as f64, f64 => Float as f64);

fn py_float(f: f64) -> String {
    format!("{f:?}")
}

/// Turns a literal into a tensor beside `t`, as TF's operator overloads do.
/// `literal_first` is Python's reflected form (`2.5 + t`).
fn literal_tensor(t: &Tensor, lit: &Operand, literal_first: bool) -> Result<Tensor> {
    let e = t.engine();
    let mode = e.numpy_mode();
    let dt = t.dtype();
    match *lit {
        Operand::Int(i) => e.constant_with(i, if dt == DType::Bool { DType::I32 } else { dt }),
        Operand::Float(f) if dt.is_float() => e.constant_with(f, dt),
        Operand::Float(f) => match mode {
            PromotionMode::Off if literal_first => Err(Error::Type(format!(
                "Cannot convert {} to EagerTensor of dtype {}",
                py_float(f),
                dt
            ))),
            // `t + 2.5`: the literal becomes a float32 tensor and the kernel
            // then rejects the mix.
            PromotionMode::Off => e.constant(f),
            // NumPy's Python float is float64; `prefer_float32` makes it float32.
            PromotionMode::Legacy if e.numpy_prefers_float32() => e.constant_with(f, DType::F32),
            PromotionMode::Legacy => e.constant_with(f, DType::F64),
            PromotionMode::All | PromotionMode::Safe => unreachable!("internal: apply_flexible handles these modes"),
        },
        Operand::Tensor(_) => unreachable!("internal: called with a literal"),
    }
}

/// `lhs op rhs` under 'all' and 'safe': `flexible_dtypes.result_type` of the
/// operands (a Python int is weak int32, a Python float weak float32, a
/// tensor weak if [`Tensor::is_weak`]), both converted to its dtype, and the
/// result weak when the lattice says so (comparisons give plain bool).
fn apply_flexible(op: BinaryOp, lhs: Operand, rhs: Operand, mode: PromotionMode) -> Result<Tensor> {
    let e = match (&lhs, &rhs) {
        (Operand::Tensor(t), _) | (_, Operand::Tensor(t)) => t.engine().clone(),
        _ => return Err(Error::Type("a binary operator needs at least one tensor".into())),
    };
    let kind = |o: &Operand| match o {
        Operand::Tensor(t) => (t.dtype(), t.is_weak()),
        Operand::Int(i) => (if i32::try_from(*i).is_ok() { DType::I32 } else { DType::I64 }, true),
        Operand::Float(_) => (DType::F32, true),
    };
    let (dt, weak) = crate::numpy::promote_flexible(mode, kind(&lhs), kind(&rhs))?;
    let make = |o: Operand| match o {
        Operand::Tensor(t) if t.dtype() == dt => Ok(t.into_owned()),
        Operand::Tensor(t) => t.cast(dt),
        Operand::Int(i) => e.constant_with(i, dt),
        Operand::Float(f) => e.constant_with(f, dt),
    };
    let (mut a, mut b) = (make(lhs)?, make(rhs)?);
    if op == BinaryOp::Div && dt == DType::Bool {
        return Err(Error::Type("Invalid dtype <dtype: 'bool'> in __truediv__".into()));
    }
    if op == BinaryOp::Div && !dt.is_float() {
        a = a.cast(DType::F64)?;
        b = b.cast(DType::F64)?;
    }
    Ok(binary(op, &a, &b)?.with_weak(weak && !op.is_comparison()))
}

/// `lhs op rhs` with TF's operator semantics.
pub fn apply<'a, 'b>(op: BinaryOp, lhs: Operand<'a>, rhs: Operand<'b>) -> Result<Tensor> {
    let mode = match (&lhs, &rhs) {
        (Operand::Tensor(t), _) | (_, Operand::Tensor(t)) => t.engine().numpy_mode(),
        _ => PromotionMode::Off,
    };
    if matches!(mode, PromotionMode::All | PromotionMode::Safe) {
        return apply_flexible(op, lhs, rhs, mode);
    }
    // The common case, two tensors of one dtype: no literal to make and
    // nothing to cast, so no handle is cloned (integer `/` is cast below).
    if let (Operand::Tensor(a), Operand::Tensor(b)) = (&lhs, &rhs) {
        if a.dtype() == b.dtype() && (op != BinaryOp::Div || a.dtype().is_float()) {
            return binary(op, a, b);
        }
    }
    let (a, b) = match (&lhs, &rhs) {
        (Operand::Tensor(a), Operand::Tensor(b)) => (a.clone().into_owned(), b.clone().into_owned()),
        (Operand::Tensor(a), lit) => {
            let b = literal_tensor(a, lit, false)?;
            (a.clone().into_owned(), b)
        }
        (lit, Operand::Tensor(b)) => {
            let a = literal_tensor(b, lit, true)?;
            (a, b.clone().into_owned())
        }
        _ => return Err(Error::Type("a binary operator needs at least one tensor".into())),
    };
    let (mut a, mut b) = (a, b);
    if a.dtype() != b.dtype() {
        if let Some(dt) = promote(a.engine().numpy_mode(), a.dtype(), b.dtype())? {
            a = a.cast(dt)?;
            b = b.cast(dt)?;
        }
    }
    // TF's `_TRUEDIV_TABLE` has no entry for bool.
    if op == BinaryOp::Div && a.dtype() == DType::Bool && b.dtype() == DType::Bool {
        return Err(Error::Type("Invalid dtype <dtype: 'bool'> in __truediv__".into()));
    }
    // Python's `/` on integers is true division in float64.
    if op == BinaryOp::Div && a.dtype() == b.dtype() && !a.dtype().is_float() {
        a = a.cast(DType::F64)?;
        b = b.cast(DType::F64)?;
    }
    binary(op, &a, &b)
}

macro_rules! methods {
    ($($name:ident => $op:ident, $doc:literal;)*) => {
        impl Tensor {
            $(
                #[doc = $doc]
                pub fn $name<'b>(&self, rhs: impl IntoOperand<'b>) -> Result<Tensor> {
                    apply(BinaryOp::$op, Operand::Tensor(Cow::Borrowed(self)), rhs.into_operand())
                }
            )*
        }
    };
}

methods! {
    add => Add, "`self + rhs`";
    sub => Sub, "`self - rhs`";
    mul => Mul, "`self * rhs`";
    div => Div, "`self / rhs` (true division: integers give float64)";
    floordiv => FloorDiv, "`self // rhs` (floors)";
    pow => Pow, "`self ** rhs`";
    maximum => Maximum, "`tf.maximum`";
    minimum => Minimum, "`tf.minimum`";
    equal => Equal, "`tf.equal`";
    not_equal => NotEqual, "`tf.not_equal`";
    less => Less, "`self < rhs`";
    less_equal => LessEqual, "`self <= rhs`";
    greater => Greater, "`self > rhs`";
    greater_equal => GreaterEqual, "`self >= rhs`";
}

macro_rules! std_ops {
    ($($trait:ident $method:ident => $op:ident),*) => {$(
        impl<'a, R: IntoOperand<'a>> std::ops::$trait<R> for &Tensor {
            type Output = Result<Tensor>;
            fn $method(self, rhs: R) -> Result<Tensor> {
                apply(BinaryOp::$op, Operand::Tensor(Cow::Borrowed(self)), rhs.into_operand())
            }
        }
        impl<'a, R: IntoOperand<'a>> std::ops::$trait<R> for Tensor {
            type Output = Result<Tensor>;
            fn $method(self, rhs: R) -> Result<Tensor> {
                apply(BinaryOp::$op, Operand::Tensor(Cow::Owned(self)), rhs.into_operand())
            }
        }
        impl<'a, R: IntoOperand<'a>> std::ops::$trait<R> for &Variable {
            type Output = Result<Tensor>;
            fn $method(self, rhs: R) -> Result<Tensor> {
                apply(BinaryOp::$op, Operand::Tensor(Cow::Owned(self.read())), rhs.into_operand())
            }
        }
        // Only i32 and f64 so that a bare literal (`2 * &t`, `2.0 * &t`) infers its type.
        std_ops!(@reflected $trait $method $op: i32, f64);
    )*};
    (@reflected $trait:ident $method:ident $op:ident: $($lit:ty),*) => {$(
        impl std::ops::$trait<&Tensor> for $lit {
            type Output = Result<Tensor>;
            fn $method(self, rhs: &Tensor) -> Result<Tensor> {
                apply(BinaryOp::$op, self.into_operand(), Operand::Tensor(Cow::Borrowed(rhs)))
            }
        }
        impl std::ops::$trait<&Variable> for $lit {
            type Output = Result<Tensor>;
            fn $method(self, rhs: &Variable) -> Result<Tensor> {
                apply(BinaryOp::$op, self.into_operand(), Operand::Tensor(Cow::Owned(rhs.read())))
            }
        }
    )*};
}

std_ops!(Add add => Add, Sub sub => Sub, Mul mul => Mul, Div div => Div);

impl std::ops::Neg for &Tensor {
    type Output = Result<Tensor>;
    fn neg(self) -> Result<Tensor> {
        Tensor::neg(self)
    }
}
