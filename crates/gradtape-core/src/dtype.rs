//! gradtape's dtypes, with TensorFlow's names.

use std::fmt;

/// A tensor's element type, as TensorFlow names it.
///
/// The narrow types (`uint8`, `int8`, `int16`, `float16`, `bfloat16`) are
/// stored at their own width; elementwise math on them computes in their
/// compute type ([`DType::compute`]: int32 or float32) and rounds each
/// result back, as TF's CPU kernels do (Eigen's `half` and `bfloat16`
/// convert to float for every operation; C++ integer arithmetic on narrow
/// types happens in `int` and is truncated on the store).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// `tf.bool`
    Bool,
    /// `tf.int32`
    I32,
    /// `tf.int64`
    I64,
    /// `tf.float32`
    F32,
    /// `tf.float64`
    F64,
    /// `tf.uint8`
    U8,
    /// `tf.int8`
    I8,
    /// `tf.int16`
    I16,
    /// `tf.float16` (IEEE half, the `half` crate's `f16`)
    F16,
    /// `tf.bfloat16` (the `half` crate's `bf16`)
    BF16,
}

impl DType {
    /// Every dtype, for tests that iterate them.
    pub const ALL: &'static [DType] = &[
        DType::Bool,
        DType::I32,
        DType::I64,
        DType::F32,
        DType::F64,
        DType::U8,
        DType::I8,
        DType::I16,
        DType::F16,
        DType::BF16,
    ];

    /// The name TF prints in reprs: `float32`, `int64`, ...
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::U8 => "uint8",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
        }
    }

    /// The name TF's C++ kernels use in messages (`float`, `double`, ...).
    pub fn kernel_name(self) -> &'static str {
        match self {
            DType::F32 => "float",
            DType::F64 => "double",
            DType::F16 => "half",
            other => other.name(),
        }
    }

    /// A floating-point dtype (`float16`, `bfloat16`, `float32`, `float64`).
    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64 | DType::F16 | DType::BF16)
    }

    /// An integer dtype (`uint8`, `int8`, `int16`, `int32`, `int64`).
    pub fn is_int(self) -> bool {
        matches!(self, DType::I32 | DType::I64 | DType::U8 | DType::I8 | DType::I16)
    }

    /// One of the narrow dtypes, computed in [`DType::compute`].
    pub fn is_narrow(self) -> bool {
        matches!(self, DType::U8 | DType::I8 | DType::I16 | DType::F16 | DType::BF16)
    }

    /// The dtype kernels compute a value of this dtype in: int32 for the
    /// narrow integers, float32 for the half floats, itself otherwise.
    pub fn compute(self) -> DType {
        match self {
            DType::U8 | DType::I8 | DType::I16 => DType::I32,
            DType::F16 | DType::BF16 => DType::F32,
            other => other,
        }
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::Bool | DType::U8 | DType::I8 => 1,
            DType::I16 | DType::F16 | DType::BF16 => 2,
            DType::I32 | DType::F32 => 4,
            DType::I64 | DType::F64 => 8,
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
