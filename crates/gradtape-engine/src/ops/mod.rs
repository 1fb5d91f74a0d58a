//! Op families: each file holds its op enum, shape and dtype rules, CPU
//! kernel, gradient rule and `Tensor` methods.

pub mod binary;
pub mod cast;
pub mod ext;
pub mod index;
pub mod matmul;
pub mod movement;
pub mod operators;
pub mod reduce;
pub mod scan;
pub mod take;
pub mod topk;
pub mod unary;
