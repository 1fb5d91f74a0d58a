//! What a registry gradient rule may do with tensors, so that the rules are
//! declared beside their ops here (no engine in sight) yet stay tensor ops:
//! the engine's `Tensor` implements [`GradOps`], each call is an op it
//! records, and an outer tape differentiates the backward pass (second
//! derivatives, jacobians) as it does any other code.

use super::{BinaryOp, UnaryOp};
use crate::Result;

/// The tensor operations a gradient rule is written with. The required
/// methods are the engine's ops; the provided ones are spelled with them,
/// each exactly as the public method of the same name calls it.
pub trait GradOps: Sized {
    /// The elementwise primitive `op` (`x.unary(UnaryOp::Cos)`), with its dtype rule.
    fn unary(&self, op: UnaryOp) -> Result<Self>;
    /// `self op other` with broadcasting, as the operators (`a * b`) apply it.
    fn binary(&self, op: BinaryOp, other: &Self) -> Result<Self>;
    /// `self + v`, `v` a Python-style number in `self`'s dtype.
    fn add_scalar(&self, v: f64) -> Result<Self>;
    /// `self * v`, `v` a Python-style number in `self`'s dtype.
    fn mul_scalar(&self, v: f64) -> Result<Self>;
    /// A scalar `v` of `self`'s dtype (and engine).
    fn scalar_like(&self, v: f64) -> Self;
    /// Zeros of `self`'s shape and dtype.
    fn zeros_like(&self) -> Self;
    /// `where(self, yes, no)`: `self` is a bool condition.
    fn select(&self, yes: &Self, no: &Self) -> Result<Self>;

    /// `self + o`
    fn add(&self, o: &Self) -> Result<Self> {
        self.binary(BinaryOp::Add, o)
    }
    /// `self - o`
    fn sub(&self, o: &Self) -> Result<Self> {
        self.binary(BinaryOp::Sub, o)
    }
    /// `self * o`
    fn mul(&self, o: &Self) -> Result<Self> {
        self.binary(BinaryOp::Mul, o)
    }
    /// `self / o`
    fn div(&self, o: &Self) -> Result<Self> {
        self.binary(BinaryOp::Div, o)
    }
    /// `self == o`, bool.
    fn equal(&self, o: &Self) -> Result<Self> {
        self.binary(BinaryOp::Equal, o)
    }
    /// `self > o`, bool.
    fn greater(&self, o: &Self) -> Result<Self> {
        self.binary(BinaryOp::Greater, o)
    }
    /// `1 / self` (TF's `reciprocal`).
    fn reciprocal(&self) -> Result<Self> {
        self.scalar_like(1.0).div(self)
    }
    /// `-self`
    fn neg(&self) -> Result<Self> {
        self.unary(UnaryOp::Neg)
    }
    /// `self * self`
    fn square(&self) -> Result<Self> {
        self.unary(UnaryOp::Square)
    }
    /// -1, 0 or 1.
    fn sign(&self) -> Result<Self> {
        self.unary(UnaryOp::Sign)
    }
}
