//! The five dtypes of the lecture subset, with TensorFlow's names.

use std::fmt;

/// A tensor's element type, as TensorFlow names it.
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
}

impl DType {
    /// The name TF prints in reprs: `float32`, `int64`, ...
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }

    /// The name TF's C++ kernels use in messages (`float`, `double`, ...).
    pub fn kernel_name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::F32 => "float",
            DType::F64 => "double",
        }
    }

    /// `float32` or `float64`.
    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }

    /// `int32` or `int64`.
    pub fn is_int(self) -> bool {
        matches!(self, DType::I32 | DType::I64)
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::Bool => 1,
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
