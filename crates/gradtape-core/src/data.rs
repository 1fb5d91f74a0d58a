//! Host buffers: one flat, row-major `Vec` per dtype.

use crate::DType;

/// A flat row-major host buffer of one dtype.
#[derive(Clone, Debug, PartialEq)]
pub enum HostData {
    /// `bool` elements.
    Bool(Vec<bool>),
    /// `int32` elements.
    I32(Vec<i32>),
    /// `int64` elements.
    I64(Vec<i64>),
    /// `float32` elements.
    F32(Vec<f32>),
    /// `float64` elements.
    F64(Vec<f64>),
    /// `uint8` elements.
    U8(Vec<u8>),
    /// `int8` elements.
    I8(Vec<i8>),
    /// `int16` elements.
    I16(Vec<i16>),
    /// `float16` elements.
    F16(Vec<half::f16>),
    /// `bfloat16` elements.
    BF16(Vec<half::bf16>),
}

/// Runs `$body` with `$v` bound to the inner `Vec` of whatever dtype `$data` holds.
#[macro_export]
macro_rules! with_data {
    ($data:expr, $v:ident => $body:expr) => {
        match $data {
            $crate::HostData::Bool($v) => $body,
            $crate::HostData::I32($v) => $body,
            $crate::HostData::I64($v) => $body,
            $crate::HostData::F32($v) => $body,
            $crate::HostData::F64($v) => $body,
            $crate::HostData::U8($v) => $body,
            $crate::HostData::I8($v) => $body,
            $crate::HostData::I16($v) => $body,
            $crate::HostData::F16($v) => $body,
            $crate::HostData::BF16($v) => $body,
        }
    };
}

impl HostData {
    /// The dtype of the elements.
    pub fn dtype(&self) -> DType {
        match self {
            HostData::Bool(_) => DType::Bool,
            HostData::I32(_) => DType::I32,
            HostData::I64(_) => DType::I64,
            HostData::F32(_) => DType::F32,
            HostData::F64(_) => DType::F64,
            HostData::U8(_) => DType::U8,
            HostData::I8(_) => DType::I8,
            HostData::I16(_) => DType::I16,
            HostData::F16(_) => DType::F16,
            HostData::BF16(_) => DType::BF16,
        }
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        with_data!(self, v => v.len())
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A buffer of `n` zeros (false for bool).
    pub fn zeros(dtype: DType, n: usize) -> HostData {
        match dtype {
            DType::Bool => HostData::Bool(vec![false; n]),
            DType::I32 => HostData::I32(vec![0; n]),
            DType::I64 => HostData::I64(vec![0; n]),
            DType::F32 => HostData::F32(vec![0.0; n]),
            DType::F64 => HostData::F64(vec![0.0; n]),
            DType::U8 => HostData::U8(vec![0; n]),
            DType::I8 => HostData::I8(vec![0; n]),
            DType::I16 => HostData::I16(vec![0; n]),
            DType::F16 => HostData::F16(vec![half::f16::ZERO; n]),
            DType::BF16 => HostData::BF16(vec![half::bf16::ZERO; n]),
        }
    }

    /// Wraps a typed `Vec`.
    pub fn from_vec<T: Element>(v: Vec<T>) -> HostData {
        T::wrap(v)
    }

    /// `n` copies of `value` converted to `dtype`.
    pub fn filled(dtype: DType, n: usize, value: f64) -> HostData {
        match dtype {
            DType::Bool => HostData::Bool(vec![value != 0.0; n]),
            DType::I32 => HostData::I32(vec![value as i32; n]),
            DType::I64 => HostData::I64(vec![value as i64; n]),
            DType::F32 => HostData::F32(vec![value as f32; n]),
            DType::F64 => HostData::F64(vec![value; n]),
            narrow => HostData::F64(vec![value; 1]).cast(narrow).repeat_first(n),
        }
    }

    /// Every element as f64 (bool as 0/1); for tests and formatting.
    pub fn to_f64_vec(&self) -> Vec<f64> {
        match self {
            HostData::Bool(v) => v.iter().map(|&b| b as u8 as f64).collect(),
            HostData::I32(v) => v.iter().map(|&x| x as f64).collect(),
            HostData::I64(v) => v.iter().map(|&x| x as f64).collect(),
            HostData::F32(v) => v.iter().map(|&x| x as f64).collect(),
            HostData::F64(v) => v.clone(),
            other => with_data!(other, v => v.iter().map(|x| x.to_f64_lossy()).collect()),
        }
    }

    /// `n` copies of the first element (none when there is none).
    fn repeat_first(&self, n: usize) -> HostData {
        with_data!(self, v => HostData::from_vec(v.first().map_or(Vec::new(), |&x| vec![x; n])))
    }

    /// The buffer in its dtype's compute type ([`DType::compute`]): a copy
    /// for the narrow dtypes, `None` for the others (already computable).
    pub fn widened(&self) -> Option<HostData> {
        self.dtype().is_narrow().then(|| self.cast(self.dtype().compute()))
    }

    /// Converts to `to` as TF's CPU kernels do (C++ `static_cast` on x86:
    /// float to int truncates, and NaN, infinities and out-of-range values
    /// become the integer minimum, as `cvttss2si` gives).
    pub fn cast(&self, to: DType) -> HostData {
        fn conv<S: Element, T: Element>(v: &[S]) -> Vec<T> {
            v.iter().map(|&x| T::from_f64_lossy(x.to_f64_lossy())).collect()
        }
        macro_rules! into {
            ($v:expr) => {
                match to {
                    DType::Bool => HostData::Bool($v.iter().map(|x| x.to_f64_lossy() != 0.0).collect()),
                    DType::I32 => match self {
                        // C++'s static_cast keeps the low 32 bits; through f64 it would saturate.
                        HostData::I64(v) => HostData::I32(v.iter().map(|&x| x as i32).collect()),
                        HostData::F32(v) => HostData::I32(v.iter().map(|&x| x86_trunc_i32(f64::from(x))).collect()),
                        HostData::F64(v) => HostData::I32(v.iter().map(|&x| x86_trunc_i32(x)).collect()),
                        _ => HostData::I32(conv($v)),
                    },
                    DType::I64 => match self {
                        // i64 -> i64 through f64 would lose precision above 2^53.
                        HostData::I64(v) => HostData::I64(v.clone()),
                        HostData::I32(v) => HostData::I64(v.iter().map(|&x| x as i64).collect()),
                        HostData::F32(v) => HostData::I64(v.iter().map(|&x| x86_trunc_i64(f64::from(x))).collect()),
                        HostData::F64(v) => HostData::I64(v.iter().map(|&x| x86_trunc_i64(x)).collect()),
                        _ => HostData::I64(conv($v)),
                    },
                    DType::F32 => match self {
                        // One rounding, as C++ does; i64 -> f64 -> f32 rounds twice.
                        HostData::I64(v) => HostData::F32(v.iter().map(|&x| x as f32).collect()),
                        _ => HostData::F32(conv($v)),
                    },
                    DType::F64 => HostData::F64(conv($v)),
                    DType::U8 | DType::I8 | DType::I16 => self.cast_int_narrow(to),
                    // Eigen's half(x) and bfloat16(x) go through float for
                    // every source type (one rounding from a float).
                    DType::F16 => {
                        let HostData::F32(f) = self.cast(DType::F32) else { unreachable!("internal: cast to float32") };
                        HostData::F16(f.iter().map(|&x| half::f16::from_f32(x)).collect())
                    }
                    DType::BF16 => {
                        let HostData::F32(f) = self.cast(DType::F32) else { unreachable!("internal: cast to float32") };
                        HostData::BF16(f.iter().map(|&x| half::bf16::from_f32(x)).collect())
                    }
                }
            };
        }
        match self {
            // A half float is a float first (exactly), then what a float becomes.
            HostData::F16(v) if to != DType::F16 => HostData::F32(v.iter().map(|x| x.to_f32()).collect()).cast(to),
            HostData::BF16(v) if to != DType::BF16 => HostData::F32(v.iter().map(|x| x.to_f32()).collect()).cast(to),
            _ => with_data!(self, v => into!(v)),
        }
    }

    /// A cast to `uint8`, `int8` or `int16`: C++'s `static_cast`, which on
    /// x86 converts a float to int32 (`cvttss2si`) and keeps the low bits,
    /// as it keeps an integer's low bits (TF: `-1. -> 255`, `300. -> 44`).
    fn cast_int_narrow(&self, to: DType) -> HostData {
        let wide: Vec<i64> = match self {
            HostData::Bool(v) => v.iter().map(|&b| b as i64).collect(),
            HostData::I64(v) => v.clone(),
            HostData::F32(v) => v.iter().map(|&x| x86_trunc_i32(f64::from(x)) as i64).collect(),
            HostData::F64(v) => v.iter().map(|&x| x86_trunc_i32(x) as i64).collect(),
            HostData::F16(v) => v.iter().map(|&x| x86_trunc_i32(f64::from(x.to_f32())) as i64).collect(),
            HostData::BF16(v) => v.iter().map(|&x| x86_trunc_i32(f64::from(x.to_f32())) as i64).collect(),
            other => with_data!(other, v => v.iter().map(|x| x.to_f64_lossy() as i64).collect()),
        };
        match to {
            DType::U8 => HostData::U8(wide.iter().map(|&x| x as u8).collect()),
            DType::I8 => HostData::I8(wide.iter().map(|&x| x as i8).collect()),
            _ => HostData::I16(wide.iter().map(|&x| x as i16).collect()),
        }
    }
}

/// A Rust element type that maps onto a gradtape dtype.
pub trait Element: Copy + Send + Sync + PartialOrd + std::fmt::Debug + 'static {
    /// The dtype of `Self`'s elements.
    const DTYPE: DType;
    /// Wraps a `Vec` as a buffer of this dtype.
    fn wrap(v: Vec<Self>) -> HostData;
    /// The elements, when the buffer's dtype is `Self`'s.
    fn unwrap_ref(d: &HostData) -> Option<&[Self]>;
    /// The inner `Vec`, when the dtype is `Self`'s.
    fn into_vec(d: HostData) -> Option<Vec<Self>>;
    /// The value as f64 (bool as 0 or 1).
    fn to_f64_lossy(self) -> f64;
    /// `x` as `Self`, as Rust's `as` converts it (nonzero is `true` for bool).
    fn from_f64_lossy(x: f64) -> Self;
}

/// x86's `cvttsd2si` for int32: truncation, or `i32::MIN` when the value
/// has no int32 (NaN, infinities, out of range), where Rust's `as` saturates.
fn x86_trunc_i32(x: f64) -> i32 {
    if x > -2147483649.0 && x < 2147483648.0 { x as i32 } else { i32::MIN }
}

/// [`x86_trunc_i32`] for int64.
fn x86_trunc_i64(x: f64) -> i64 {
    if x >= -9223372036854775808.0 && x < 9223372036854775808.0 { x as i64 } else { i64::MIN }
}

macro_rules! element {
    ($t:ty, $variant:ident, $to:expr, $from:expr) => {
        impl Element for $t {
            const DTYPE: DType = DType::$variant;
            fn wrap(v: Vec<Self>) -> HostData {
                HostData::$variant(v)
            }
            fn unwrap_ref(d: &HostData) -> Option<&[Self]> {
                match d {
                    HostData::$variant(v) => Some(v),
                    _ => None,
                }
            }
            fn into_vec(d: HostData) -> Option<Vec<Self>> {
                match d {
                    HostData::$variant(v) => Some(v),
                    _ => None,
                }
            }
            fn to_f64_lossy(self) -> f64 {
                $to(self)
            }
            fn from_f64_lossy(x: f64) -> Self {
                $from(x)
            }
        }
    };
}

element!(bool, Bool, |b: bool| b as u8 as f64, |x: f64| x != 0.0);
element!(i32, I32, |x: i32| x as f64, |x: f64| x as i32);
element!(i64, I64, |x: i64| x as f64, |x: f64| x as i64);
element!(f32, F32, |x: f32| x as f64, |x: f64| x as f32);
element!(f64, F64, |x: f64| x, |x: f64| x);
element!(u8, U8, |x: u8| x as f64, |x: f64| x as u8);
element!(i8, I8, |x: i8| x as f64, |x: f64| x as i8);
element!(i16, I16, |x: i16| x as f64, |x: f64| x as i16);
element!(half::f16, F16, |x: half::f16| x.to_f64(), |x: f64| half::f16::from_f32(x as f32));
element!(half::bf16, BF16, |x: half::bf16| x.to_f64(), |x: f64| half::bf16::from_f32(x as f32));
