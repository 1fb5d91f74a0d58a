//! One error enum. Each variant is a TensorFlow exception class, and its text
//! is TensorFlow 2.21's message (without the `{{function_node ...}}` prefix).

/// A user mistake, reported with TensorFlow's exception class and message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// `tf.errors.InvalidArgumentError`: shapes, axes and dtypes an op kernel rejects.
    #[error("InvalidArgumentError: {0}")]
    InvalidArgument(String),
    /// Python's `ValueError`.
    #[error("ValueError: {0}")]
    Value(String),
    /// Python's `TypeError`.
    #[error("TypeError: {0}")]
    Type(String),
    /// Python's `RuntimeError`.
    #[error("RuntimeError: {0}")]
    Runtime(String),
    /// Python's `AttributeError` (a NumPy method used without NumPy behaviour).
    #[error("AttributeError: {0}")]
    Attribute(String),
    /// `tf.errors.ResourceExhaustedError`: a buffer too large to allocate.
    #[error("ResourceExhaustedError: {0}")]
    ResourceExhausted(String),
    /// A device could not be opened or failed.
    #[error("DeviceError: {0}")]
    Device(String),
    /// `tf.errors.InternalError`: what TF's kernels raise for integer `TruncateDiv` by zero.
    #[error("InternalError: {0}")]
    Internal(String),
    /// `tf.errors.NotFoundError`: no kernel for the op and dtype (`assign_add` on a bool variable).
    #[error("NotFoundError: {0}")]
    NotFound(String),
}

impl Error {
    /// The message alone, without the exception class.
    pub fn message(&self) -> &str {
        match self {
            Error::InvalidArgument(m)
            | Error::Value(m)
            | Error::Type(m)
            | Error::Runtime(m)
            | Error::Attribute(m)
            | Error::ResourceExhausted(m)
            | Error::Device(m)
            | Error::Internal(m)
            | Error::NotFound(m) => m,
        }
    }

    /// TF's exception class name (`InvalidArgumentError`, `ValueError`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::InvalidArgument(_) => "InvalidArgumentError",
            Error::Value(_) => "ValueError",
            Error::Type(_) => "TypeError",
            Error::Runtime(_) => "RuntimeError",
            Error::Attribute(_) => "AttributeError",
            Error::ResourceExhausted(_) => "ResourceExhaustedError",
            Error::Device(_) => "DeviceError",
            Error::Internal(_) => "InternalError",
            Error::NotFound(_) => "NotFoundError",
        }
    }
}

/// `std::result::Result` with gradtape's [`Error`] by default.
pub type Result<T, E = Error> = std::result::Result<T, E>;
