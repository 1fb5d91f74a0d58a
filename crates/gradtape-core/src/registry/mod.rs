//! The primitive ops, declared once: each family's enum with fixed
//! discriminants (the op codes the Vulkan shaders switch on), TF's op name,
//! an `ALL` list, and what the tests need to cover a primitive without
//! being edited: the dtypes it takes, whether it is exact, whether it has
//! a gradient, where it is smooth, and a float64 reference.
//!
//! The engine (`gradtape-engine`, kernels and gradient rules) and the
//! Vulkan device (`gradtape-vulkan`, which turns a discriminant into a
//! shader's specialisation constant) both use these enums, so no op crosses
//! a crate boundary as a bare number. The unary family goes further: its
//! per-element functions and gradient rules ([`GradOps`]) are declared here
//! too, and the engine generates its kernels and methods from that table
//! ([`for_each_unary!`](crate::for_each_unary)). `shaders/*.glsl`'s `case` labels are
//! checked against `ALL` by `tests/shader_cases.rs`.

mod binary;
mod grad;
mod reduce;
mod unary;

pub use binary::BinaryOp;
pub use grad::GradOps;
pub use reduce::ReduceOp;
pub use unary::{UnaryElem, UnaryKernel, UnaryOp};

use crate::DType;

/// Declares a family's enum with explicit discriminants, `ALL`, `name()`,
/// `code()` and `from_name()`: one line per primitive.
macro_rules! family {
    ($(#[$m:meta])* pub enum $ty:ident { $($(#[$vm:meta])* $var:ident = $code:literal => $tf:literal,)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u32)]
        pub enum $ty {
            $($(#[$vm])* $var = $code,)*
        }

        impl $ty {
            /// Every op of the family, in discriminant order.
            pub const ALL: &'static [$ty] = &[$($ty::$var,)*];

            /// TF's op name, as in `[Op:AddV2]` and tape listings.
            pub fn name(self) -> &'static str {
                match self {
                    $($ty::$var => $tf,)*
                }
            }

            /// The fixed op code: the shaders' `case` label and specialisation constant.
            pub fn code(self) -> u32 {
                self as u32
            }

            /// The op of TF's name `name`, if the family has it.
            pub fn from_name(name: &str) -> Option<$ty> {
                $ty::ALL.iter().copied().find(|op| op.name() == name)
            }
        }
    };
}
pub(crate) use family;

/// `x` rounded to `dtype`'s precision (float32 rounds; float64 and the
/// integers, whose test values are exact, are unchanged).
pub(crate) fn round_to(dtype: DType, x: f64) -> f64 {
    if dtype == DType::F32 {
        x as f32 as f64
    } else {
        x
    }
}
