//! Rust values as Python literals: what `tf.constant` accepts.
//!
//! A Rust `f64` or `f32` plays a Python float (float32 by default), an
//! integer plays a Python int (int32, or int64 outside int32's range), and
//! nested arrays, slices and `Vec`s play nested lists. Typed buffers that keep
//! their dtype (NumPy arrays in the lecture) go through `Tensor::from_slice`.

use gradtape_core::{DType, Error, HostData, Result, Shape};

use crate::Tensor;

/// TF's error for a list holding tensor `t` packed as `to`.
pub(crate) fn list_dtype_error(t: &Tensor, to: DType) -> Error {
    Error::Type(format!(
        "Cannot convert a list containing a tensor of dtype <dtype: '{}'> to <dtype: '{to}'> (Tensor is: {t})",
        t.dtype()
    ))
}

/// One element of a literal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    /// Python's `True`/`False`.
    Bool(bool),
    /// A Python int.
    Int(i64),
    /// A Python float.
    Float(f64),
}

/// A rectangular nested literal, flattened.
#[derive(Clone, Debug)]
pub struct Literal {
    /// The nesting's shape (`()` for a scalar).
    pub shape: Shape,
    /// The elements, row-major.
    pub values: Vec<Scalar>,
    /// A tensor inside the list (TF packs such lists): its dtype decides the
    /// list's, and a conflict's message shows it (formatted only then).
    pub(crate) tensor: Option<Tensor>,
}

/// Anything `constant` accepts.
pub trait IntoLiteral {
    /// The literal; an `Err` for ragged nesting, as TF raises.
    fn into_literal(self) -> Result<Literal>;
}

impl Literal {
    fn scalar(s: Scalar) -> Literal {
        Literal { shape: Shape::scalar(), values: vec![s], tensor: None }
    }

    /// Packs equal-shaped parts along a new leading axis.
    pub fn pack(parts: Vec<Literal>) -> Result<Literal> {
        let inner = parts.first().map(|p| p.shape.clone()).unwrap_or_default();
        let mut tensor: Option<Tensor> = None;
        let mut values = Vec::new();
        for p in parts.iter() {
            if p.shape != inner {
                return Err(Error::Value("Can't convert non-rectangular Python sequence to Tensor.".into()));
            }
            if let Some(t) = &p.tensor {
                match &tensor {
                    None => tensor = Some(t.clone()),
                    Some(first) if first.dtype() != t.dtype() => return Err(list_dtype_error(t, first.dtype())),
                    Some(_) => {}
                }
            }
            values.extend_from_slice(&p.values);
        }
        let mut dims = vec![parts.len()];
        dims.extend_from_slice(inner.dims());
        Ok(Literal { shape: Shape::from(dims), values, tensor })
    }

    /// TF's inferred dtype: a tensor's inside the list, else float32 if any
    /// float, else int32 (int64 when a value does not fit), else bool.
    pub fn inferred_dtype(&self) -> DType {
        if let Some(t) = &self.tensor {
            return t.dtype();
        }
        let mut dt = DType::Bool;
        for v in &self.values {
            match v {
                Scalar::Float(_) => return DType::F32,
                Scalar::Int(i) if i32::try_from(*i).is_err() => dt = DType::I64,
                Scalar::Int(_) if dt == DType::Bool => dt = DType::I32,
                _ => {}
            }
        }
        if self.values.is_empty() {
            DType::F32
        } else {
            dt
        }
    }

    /// Python's repr of the literal, for TF's conversion messages.
    pub fn python_repr(&self) -> String {
        fn go(vals: &[Scalar], dims: &[usize]) -> String {
            match dims.split_first() {
                None => match vals[0] {
                    Scalar::Bool(b) => if b { "True".into() } else { "False".into() },
                    Scalar::Int(i) => i.to_string(),
                    Scalar::Float(f) => format!("{f:?}"),
                },
                Some((&n, rest)) => {
                    let step: usize = rest.iter().product();
                    let parts: Vec<String> =
                        (0..n).map(|i| go(&vals[i * step..(i + 1) * step], rest)).collect();
                    format!("[{}]", parts.join(", "))
                }
            }
        }
        go(&self.values, self.shape.dims())
    }

    /// Converts to a buffer of `dtype`, with TF's TypeError where TF's
    /// converter refuses: a Python float never becomes an integer or a bool,
    /// not even `1.0` (`tf.constant(1.0, dtype=tf.int32)` fails), and an int
    /// never becomes a bool.
    pub fn to_data(&self, dtype: DType) -> Result<HostData> {
        let lossy = self.values.iter().any(|v| match v {
            Scalar::Float(_) => !dtype.is_float(),
            Scalar::Int(_) => dtype == DType::Bool,
            Scalar::Bool(_) => false,
        });
        // An int that the dtype cannot hold is TF's TypeError too (NumPy's
        // conversion overflows), as `tf.constant(300, tf.uint8)` shows.
        let fits = |i: i64| match dtype {
            DType::I32 => i32::try_from(i).is_ok(),
            DType::U8 => u8::try_from(i).is_ok(),
            DType::I8 => i8::try_from(i).is_ok(),
            DType::I16 => i16::try_from(i).is_ok(),
            _ => true,
        };
        if lossy || self.values.iter().any(|v| matches!(v, Scalar::Int(i) if !fits(*i))) {
            return Err(Error::Type(format!(
                "Cannot convert {} to EagerTensor of dtype {}",
                self.python_repr(),
                dtype
            )));
        }
        let f = |v: &Scalar| match *v {
            Scalar::Bool(b) => b as u8 as f64,
            Scalar::Int(i) => i as f64,
            Scalar::Float(x) => x,
        };
        Ok(match dtype {
            DType::Bool => HostData::Bool(self.values.iter().map(|v| f(v) != 0.0).collect()),
            DType::I32 => HostData::I32(self.values.iter().map(|v| match v { Scalar::Int(i) => *i as i32, o => f(o) as i32 }).collect()),
            DType::I64 => HostData::I64(self.values.iter().map(|v| match v { Scalar::Int(i) => *i, o => f(o) as i64 }).collect()),
            DType::F32 => HostData::F32(self.values.iter().map(|v| f(v) as f32).collect()),
            DType::F64 => HostData::F64(self.values.iter().map(f).collect()),
            // Python floats become half floats directly (NumPy rounds the
            // double once); ints were range-checked above.
            DType::F16 => HostData::F16(self.values.iter().map(|v| half::f16::from_f64(f(v))).collect()),
            DType::BF16 => HostData::BF16(self.values.iter().map(|v| half::bf16::from_f64(f(v))).collect()),
            narrow => HostData::I64(self.values.iter().map(|v| match v { Scalar::Int(i) => *i, o => f(o) as i64 }).collect()).cast(narrow),
        })
    }
}

impl IntoLiteral for Literal {
    fn into_literal(self) -> Result<Literal> {
        Ok(self)
    }
}

macro_rules! lit_scalar {
    ($($t:ty => $v:ident as $as:ty),*) => {$(
        impl IntoLiteral for $t {
            fn into_literal(self) -> Result<Literal> {
                Ok(Literal::scalar(Scalar::$v(self as $as)))
            }
        }
    )*};
}
lit_scalar!(f64 => Float as f64, f32 => Float as f64, i32 => Int as i64, i64 => Int as i64,
            u32 => Int as i64, usize => Int as i64, u8 => Int as i64, i8 => Int as i64, i16 => Int as i64);

impl IntoLiteral for bool {
    fn into_literal(self) -> Result<Literal> {
        Ok(Literal::scalar(Scalar::Bool(self)))
    }
}

impl<T: IntoLiteral, const N: usize> IntoLiteral for [T; N] {
    fn into_literal(self) -> Result<Literal> {
        Literal::pack(self.into_iter().map(|x| x.into_literal()).collect::<Result<_>>()?)
    }
}

impl<T: IntoLiteral> IntoLiteral for Vec<T> {
    fn into_literal(self) -> Result<Literal> {
        Literal::pack(self.into_iter().map(|x| x.into_literal()).collect::<Result<_>>()?)
    }
}

impl<T: IntoLiteral + Clone> IntoLiteral for &[T] {
    fn into_literal(self) -> Result<Literal> {
        Literal::pack(self.iter().cloned().map(|x| x.into_literal()).collect::<Result<_>>()?)
    }
}

impl IntoLiteral for std::ops::Range<i32> {
    fn into_literal(self) -> Result<Literal> {
        self.collect::<Vec<i32>>().into_literal()
    }
}

impl IntoLiteral for std::ops::Range<i64> {
    fn into_literal(self) -> Result<Literal> {
        let v: Vec<Scalar> = self.map(Scalar::Int).collect();
        Ok(Literal { shape: Shape::new(&[v.len()]), values: v, tensor: None })
    }
}

/// A tensor inside a list is packed with the rest, as `tf.convert_to_tensor`
/// does; its dtype then decides the list's.
impl IntoLiteral for &Tensor {
    fn into_literal(self) -> Result<Literal> {
        let data = self.data();
        let values = match &*data {
            HostData::Bool(v) => v.iter().map(|&b| Scalar::Bool(b)).collect(),
            HostData::I32(v) => v.iter().map(|&i| Scalar::Int(i as i64)).collect(),
            HostData::I64(v) => v.iter().map(|&i| Scalar::Int(i)).collect(),
            HostData::F32(v) => v.iter().map(|&x| Scalar::Float(x as f64)).collect(),
            HostData::F64(v) => v.iter().map(|&x| Scalar::Float(x)).collect(),
            HostData::F16(v) => v.iter().map(|&x| Scalar::Float(x.to_f64())).collect(),
            HostData::BF16(v) => v.iter().map(|&x| Scalar::Float(x.to_f64())).collect(),
            HostData::U8(v) => v.iter().map(|&i| Scalar::Int(i64::from(i))).collect(),
            HostData::I8(v) => v.iter().map(|&i| Scalar::Int(i64::from(i))).collect(),
            HostData::I16(v) => v.iter().map(|&i| Scalar::Int(i64::from(i))).collect(),
        };
        Ok(Literal { shape: self.shape().clone(), values, tensor: Some(self.clone()) })
    }
}

impl IntoLiteral for Tensor {
    fn into_literal(self) -> Result<Literal> {
        (&self).into_literal()
    }
}
