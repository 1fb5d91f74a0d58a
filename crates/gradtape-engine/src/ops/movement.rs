//! Ops that move elements without arithmetic: reshape, transpose,
//! broadcast_to, concat (and stack, expand_dims, squeeze composed from
//! them), strided slices and their gradient: shape rules, gradients and
//! methods; the kernels are in `kernels/movement.rs`.

use gradtape_core::{DType, Error, Result, Shape};
use smallvec::{smallvec, SmallVec};

use crate::op::Movement;
pub use crate::op::SliceSpec;
use crate::{AsTensor, Tensor};

/// A shape argument: `[2, -1]` (TF's reshape form, `-1` inferred) or a `Shape`.
pub trait ShapeArg {
    /// The dimensions, `-1` for one to infer.
    fn dims_i64(&self) -> SmallVec<[i64; 4]>;
}
impl ShapeArg for &[i64] {
    fn dims_i64(&self) -> SmallVec<[i64; 4]> {
        self.iter().copied().collect()
    }
}
impl<const N: usize> ShapeArg for [i64; N] {
    fn dims_i64(&self) -> SmallVec<[i64; 4]> {
        self.iter().copied().collect()
    }
}
impl<const N: usize> ShapeArg for [i32; N] {
    fn dims_i64(&self) -> SmallVec<[i64; 4]> {
        self.iter().map(|&d| d as i64).collect()
    }
}
impl ShapeArg for Vec<i64> {
    fn dims_i64(&self) -> SmallVec<[i64; 4]> {
        self.iter().copied().collect()
    }
}
impl ShapeArg for &Shape {
    fn dims_i64(&self) -> SmallVec<[i64; 4]> {
        self.dims().iter().map(|&d| d as i64).collect()
    }
}
impl ShapeArg for &[usize] {
    fn dims_i64(&self) -> SmallVec<[i64; 4]> {
        self.iter().map(|&d| d as i64).collect()
    }
}

/// Resolves a reshape target with TF's `-1` rule and messages.
fn reshape_target(n: usize, input: &Shape, dims: &[i64]) -> Result<Shape> {
    // TF's ReshapeOp: `product` leaves out requested zero dims, and only when
    // some requested dim is 0 are the input's zero dims left out of the
    // count the `-1` is inferred from (so [0] reshaped to [-1] stays [0]).
    let mut unknown: Option<usize> = None;
    let mut product: usize = 1;
    let mut sizes_have_zero = false;
    for (i, &d) in dims.iter().enumerate() {
        if d == -1 {
            if let Some(u) = unknown {
                return Err(Error::InvalidArgument(format!(
                    "Only one input size may be -1, not both {u} and {i} [Op:Reshape]"
                )));
            }
            unknown = Some(i);
        } else if d < 0 {
            return Err(Error::InvalidArgument(format!("Size {i} must be non-negative, not {d} [Op:Reshape]")));
        } else if d == 0 {
            sizes_have_zero = true;
        } else {
            product = product.saturating_mul(d as usize);
        }
    }
    let mut out: Vec<usize> = dims.iter().map(|&d| d.max(0) as usize).collect();
    if let Some(u) = unknown {
        let counted = input.dims().iter().filter(|&&d| d > 0 || !sizes_have_zero);
        let input_has_zero = sizes_have_zero && input.dims().contains(&0);
        let have: usize = counted.product();
        let missing = have / product;
        if !input_has_zero && product.saturating_mul(missing) != have {
            return Err(Error::InvalidArgument(format!(
                "Input to reshape is a tensor with {have} values, but the requested shape requires a multiple of {product} [Op:Reshape]"
            )));
        }
        out[u] = missing;
    }
    let total = if out.contains(&0) { 0 } else { out.iter().fold(1usize, |a, &d| a.saturating_mul(d)) };
    if total != n {
        return Err(Error::InvalidArgument(format!(
            "Input to reshape is a tensor with {n} values, but the requested shape has {total} [Op:Reshape]"
        )));
    }
    Ok(Shape::from(out))
}

impl SliceSpec {
    fn with_batch(&self, batch_dims: &[usize]) -> SliceSpec {
        let mut begin: SmallVec<[usize; 4]> = smallvec![0; batch_dims.len()];
        begin.extend_from_slice(&self.begin);
        let mut step: SmallVec<[isize; 4]> = smallvec![1; batch_dims.len()];
        step.extend_from_slice(&self.step);
        SliceSpec { begin, step }
    }
}

pub(crate) fn transpose_grad(perm: &[usize], g: &Tensor, batch: usize) -> Result<SmallVec<[Option<Tensor>; 2]>> {
    let mut inv = vec![0usize; perm.len()];
    for (i, &p) in perm.iter().enumerate() {
        inv[p] = i;
    }
    let full: SmallVec<[usize; 4]> = (0..batch).chain(inv.iter().map(|&p| p + batch)).collect();
    Ok(smallvec![Some(g.transpose_perm(&full)?)])
}

pub(crate) fn concat_grad(axis: usize, inputs: &[Tensor], g: &Tensor, batch: usize, needs: &[bool]) -> Result<SmallVec<[Option<Tensor>; 2]>> {
    let mut start = 0;
    let mut out = SmallVec::new();
    for (t, &need) in inputs.iter().zip(needs) {
        let len = t.dims()[axis];
        if !need {
            out.push(None);
            start += len;
            continue;
        }
        let mut begin: SmallVec<[usize; 4]> = smallvec![0; g.rank()];
        begin[batch + axis] = start;
        let mut dims: Vec<usize> = g.dims().to_vec();
        dims[batch + axis] = len;
        out.push(Some(g.strided(SliceSpec { begin, step: smallvec![1; g.rank()] }, Shape::from(dims))?));
        start += len;
    }
    Ok(out)
}

pub(crate) fn slice_grad(spec: &SliceSpec, x: &Tensor, g: &Tensor, batch: usize) -> Result<SmallVec<[Option<Tensor>; 2]>> {
    let spec = spec.with_batch(&g.dims()[..batch]);
    let mut dims: Vec<usize> = g.dims()[..batch].to_vec();
    dims.extend_from_slice(x.dims());
    let out = Tensor::op(Movement::SliceGrad(spec).into(), &[g], Shape::from(dims), g.dtype())?;
    Ok(smallvec![Some(out)])
}

pub(crate) fn slice_grad_grad(spec: &SliceSpec, g: &Tensor, gg: &Tensor, batch: usize) -> Result<SmallVec<[Option<Tensor>; 2]>> {
    // SliceGrad scattered `g` into zeros; its own gradient gathers the same window back.
    let spec = spec.with_batch(&gg.dims()[..batch]);
    let mut dims: Vec<usize> = gg.dims()[..batch].to_vec();
    dims.extend_from_slice(g.dims());
    Ok(smallvec![Some(gg.strided(spec, Shape::from(dims))?)])
}

impl Tensor {
    /// `tf.reshape(self, shape)`; one `-1` is inferred.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// let x = constant([1, 2, 3, 4, 5, 6])?;
    /// assert_eq!(x.reshape([2, -1])?.dims(), &[2, 3]);
    /// assert!(x.reshape([4, -1]).is_err());
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn reshape(&self, shape: impl ShapeArg) -> Result<Tensor> {
        let target = reshape_target(self.numel(), self.shape(), &shape.dims_i64())?;
        if &target == self.shape() {
            return Ok(self.clone());
        }
        Tensor::op(Movement::Reshape.into(), &[self], target, self.dtype())
    }

    /// Reshapes to `self's first batch dims ++ shape`.
    pub(crate) fn reshape_batched(&self, shape: &Shape, batch: usize) -> Result<Tensor> {
        let mut dims: Vec<usize> = self.dims()[..batch].to_vec();
        dims.extend_from_slice(shape.dims());
        self.reshape(&Shape::from(dims))
    }

    /// `tf.transpose(self)`: reverses the axes.
    pub fn t(&self) -> Result<Tensor> {
        let perm: SmallVec<[usize; 4]> = (0..self.rank()).rev().collect();
        self.transpose_perm(&perm)
    }

    /// `tf.transpose(self, perm)`.
    pub fn transpose(&self, perm: &[i64]) -> Result<Tensor> {
        let r = self.rank();
        if perm.len() != r {
            return Err(Error::InvalidArgument(format!(
                "transpose expects a vector of size {r}. But input(1) is a vector of size {} [Op:Transpose]",
                perm.len()
            )));
        }
        // TF's TransposeOp: a negative entry counts from the end once; an
        // entry still outside [0, r) is reported as normalised, then the
        // first axis no entry names, with the normalised permutation.
        let mut p: SmallVec<[usize; 4]> = SmallVec::new();
        for &a in perm {
            let a2 = if a < 0 { a + r as i64 } else { a };
            if !(0..r as i64).contains(&a2) {
                return Err(Error::InvalidArgument(format!("{a2} is out of range [0 .. {r}) [Op:Transpose]")));
            }
            p.push(a2 as usize);
        }
        if let Some(missing) = (0..r).find(|i| !p.contains(i)) {
            let list: Vec<String> = p.iter().map(|d| d.to_string()).collect();
            return Err(Error::InvalidArgument(format!(
                "{missing} is missing from {{{}}}. [Op:Transpose]",
                list.join(",")
            )));
        }
        self.transpose_perm(&p)
    }

    pub(crate) fn transpose_perm(&self, perm: &[usize]) -> Result<Tensor> {
        if perm.iter().enumerate().all(|(i, &p)| i == p) {
            return Ok(self.clone());
        }
        let dims: Vec<usize> = perm.iter().map(|&p| self.dims()[p]).collect();
        Tensor::op(Movement::Transpose(perm.into()).into(), &[self], Shape::from(dims), self.dtype())
    }

    /// `tf.broadcast_to(self, shape)`.
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Tensor> {
        let target = Shape::new(shape);
        if &target == self.shape() {
            return Ok(self.clone());
        }
        // TF's BroadcastToOp checks in this order; an empty output is
        // returned before the shapes are compared at all.
        if self.rank() > target.rank() {
            return Err(Error::InvalidArgument(format!(
                "Rank of input ({}) must be no greater than rank of output shape ({}). [Op:BroadcastTo]",
                self.rank(),
                target.rank()
            )));
        }
        if !target.dims().contains(&0) {
            match gradtape_core::broadcast_shapes(self.shape(), &target) {
                None => {
                    return Err(Error::InvalidArgument(format!(
                        "Incompatible shapes: {} vs. {} [Op:BroadcastTo]",
                        self.shape().bracketed(),
                        target.bracketed()
                    )))
                }
                Some(s) if s != target => {
                    return Err(Error::InvalidArgument(format!(
                        "Unable to broadcast tensor of shape {} to tensor of shape {} [Op:BroadcastTo]",
                        self.shape().bracketed(),
                        target.bracketed()
                    )))
                }
                Some(_) => {}
            }
        }
        Tensor::op(Movement::BroadcastTo.into(), &[self], target, self.dtype())
    }

    /// `tf.expand_dims(self, axis)`.
    pub fn expand_dims(&self, axis: i64) -> Result<Tensor> {
        let r = self.rank() as i64;
        if axis < -r - 1 || axis > r {
            return Err(Error::InvalidArgument(format!(
                "Tried to expand dim index {axis} for tensor with {r} dimensions. [Op:ExpandDims]"
            )));
        }
        let a = if axis < 0 { axis + r + 1 } else { axis } as usize;
        let mut dims = self.dims().to_vec();
        dims.insert(a, 1);
        self.reshape(&Shape::from(dims))
    }

    /// `tf.squeeze(self, axis)`; an empty list squeezes every size-1 axis.
    pub fn squeeze(&self, axes: &[i64]) -> Result<Tensor> {
        let r = self.rank() as i64;
        let mut drop: SmallVec<[usize; 4]> = SmallVec::new();
        for &a in axes {
            if a < -r || a >= r {
                return Err(Error::InvalidArgument(format!(
                    "Tried to squeeze dim index {a} for tensor with {r} dimensions. [Op:Squeeze]"
                )));
            }
            let a = if a < 0 { a + r } else { a } as usize;
            if self.dims()[a] != 1 {
                return Err(Error::InvalidArgument(format!(
                    "Can not squeeze dim[{a}], expected a dimension of 1, got {} [Op:Squeeze]",
                    self.dims()[a]
                )));
            }
            drop.push(a);
        }
        let dims: Vec<usize> = self
            .dims()
            .iter()
            .enumerate()
            .filter(|&(i, &d)| if axes.is_empty() { d != 1 } else { !drop.contains(&i) })
            .map(|(_, &d)| d)
            .collect();
        self.reshape(&Shape::from(dims))
    }

    /// A strided window of `self` (validated by the caller).
    pub(crate) fn strided(&self, spec: SliceSpec, out: Shape) -> Result<Tensor> {
        if &out == self.shape() && spec.begin.iter().all(|&b| b == 0) && spec.step.iter().all(|&k| k == 1) {
            return Ok(self.clone());
        }
        Tensor::op(Movement::Slice(spec).into(), &[self], out, self.dtype())
    }
}

fn dtype_mismatch(op: &str, first: DType, i: usize, other: DType) -> Error {
    Error::InvalidArgument(format!(
        "cannot compute {op} as input #{i}(zero-based) was expected to be a {} tensor but is a {} tensor [Op:{op}]",
        first.kernel_name(),
        other.kernel_name()
    ))
}

/// `tf.concat(values, axis)`.
///
/// ```
/// # use gradtape_engine::*;
/// let a = constant([[1, 2]])?;
/// let b = constant([[3, 4]])?;
/// assert_eq!(concat(&[a.clone(), b.clone()], 0)?.dims(), &[2, 2]);
/// assert_eq!(concat(&[a, b], -1)?.to_vec::<i32>()?, vec![1, 2, 3, 4]);
/// # Ok::<(), gradtape_core::Error>(())
/// ```
pub fn concat<T: AsTensor>(values: &[T], axis: i64) -> Result<Tensor> {
    let values: SmallVec<[Tensor; 4]> = values.iter().map(|v| v.as_tensor().into_owned()).collect();
    let first = values
        .first()
        .ok_or_else(|| Error::Value("List argument 'values' to 'ConcatV2' Op with length 0 shorter than minimum length 2.".into()))?;
    // TF's `tf.concat` returns a lone value as it is, checking neither its rank nor the axis.
    if values.len() == 1 {
        return Ok(first.clone());
    }
    for (i, t) in values.iter().enumerate().skip(1) {
        if t.dtype() != first.dtype() {
            return Err(dtype_mismatch("ConcatV2", first.dtype(), i, t.dtype()));
        }
    }
    let r = first.rank() as i64;
    if r == 0 {
        return Err(Error::InvalidArgument("ConcatOp : Can't concatenate scalars (use tf.stack instead) [Op:ConcatV2]".into()));
    }
    if axis < -r || axis >= r {
        return Err(Error::InvalidArgument(format!(
            "ConcatOp : Expected concatenating dimensions in the range [{}, {r}), but got {axis} [Op:ConcatV2]",
            -r
        )));
    }
    let a = if axis < 0 { axis + r } else { axis } as usize;
    let mut dims = first.dims().to_vec();
    dims[a] = 0;
    for (i, t) in values.iter().enumerate() {
        if t.rank() != first.rank() {
            return Err(Error::InvalidArgument(format!(
                "ConcatOp : Ranks of all input tensors should match: shape[0] = {} vs. shape[{i}] = {} [Op:ConcatV2]",
                first.shape().bracketed(),
                t.shape().bracketed()
            )));
        }
        for d in 0..first.rank() {
            if d != a && t.dims()[d] != first.dims()[d] {
                return Err(Error::InvalidArgument(format!(
                    "ConcatOp : Dimension {d} in both shapes must be equal: shape[0] = {} vs. shape[{i}] = {} [Op:ConcatV2]",
                    first.shape().bracketed(),
                    t.shape().bracketed()
                )));
            }
        }
        // Zero-size inputs may have huge dims; the sum is then rejected by `checked_numel`, not an overflow.
        dims[a] = dims[a].saturating_add(t.dims()[a]);
    }
    let refs: SmallVec<[&Tensor; 4]> = values.iter().collect();
    Tensor::op(Movement::Concat { axis: a }.into(), &refs, Shape::from(dims), first.dtype())
}

/// `tf.stack(values, axis)`: expand_dims then concat.
///
/// ```
/// # use gradtape_engine::*;
/// let xs = [constant([1, 2])?, constant([3, 4])?];
/// assert_eq!(stack(&xs, 0)?.dims(), &[2, 2]);
/// assert_eq!(stack(&xs, 1)?.to_vec::<i32>()?, vec![1, 3, 2, 4]);
/// # Ok::<(), gradtape_core::Error>(())
/// ```
pub fn stack<T: AsTensor>(values: &[T], axis: i64) -> Result<Tensor> {
    let values: SmallVec<[Tensor; 4]> = values.iter().map(|v| v.as_tensor().into_owned()).collect();
    let first = values
        .first()
        .ok_or_else(|| Error::Value("List argument 'values' to 'Pack' Op with length 0 shorter than minimum length 1.".into()))?;
    let r = first.rank() as i64 + 1;
    if axis < -r || axis >= r {
        return Err(Error::Value(format!("Argument `axis` = {axis} not in range [{}, {r})", -r)));
    }
    for (i, t) in values.iter().enumerate().skip(1) {
        // Checked before any expand_dims runs, so that a failed stack records nothing on a tape.
        if !t.engine().same(first.engine()) {
            return Err(Error::InvalidArgument("cannot compute Pack as its inputs belong to different engines".into()));
        }
        if t.dtype() != first.dtype() {
            return Err(dtype_mismatch("Pack", first.dtype(), i, t.dtype()));
        }
        if t.shape() != first.shape() {
            return Err(Error::InvalidArgument(format!(
                "Shapes of all inputs must match: values[0].shape = {} != values[{i}].shape = {} [Op:Pack]",
                first.shape().bracketed(),
                t.shape().bracketed()
            )));
        }
    }
    let expanded: Vec<Tensor> = values.iter().map(|t| t.expand_dims(axis)).collect::<Result<_>>()?;
    if expanded.len() == 1 {
        return Ok(expanded.into_iter().next().expect("internal: one element"));
    }
    concat(&expanded, axis)
}

#[cfg(test)]
mod tests {
    use super::reshape_target;
    use gradtape_core::Shape;

    /// TF's `-1` inference, including the zero-size case where it divides
    /// the non-zero input dims by the non-zero requested dims.
    #[test]
    fn reshape_infers_minus_one() {
        let s = |d: &[usize]| Shape::new(d);
        assert_eq!(reshape_target(6, &s(&[6]), &[-1, 2]).ok(), Some(s(&[3, 2])));
        assert_eq!(reshape_target(6, &s(&[2, 3]), &[-1]).ok(), Some(s(&[6])));
        assert_eq!(reshape_target(1, &s(&[1]), &[]).ok(), Some(s(&[])));
        assert_eq!(reshape_target(0, &s(&[0, 6]), &[0, -1, 3]).ok(), Some(s(&[0, 2, 3])));
        assert_eq!(reshape_target(0, &s(&[0]), &[0, 5]).ok(), Some(s(&[0, 5])));
        // No requested zero dim: the input's zeros count, so -1 is 0.
        assert_eq!(reshape_target(0, &s(&[0]), &[-1]).ok(), Some(s(&[0])));
        assert_eq!(reshape_target(0, &s(&[2, 0]), &[-1, 2]).ok(), Some(s(&[0, 2])));
        // A requested zero dim with a non-empty input fails on the count, as in TF.
        let e = reshape_target(6, &s(&[6]), &[0, -1]).unwrap_err();
        assert!(e.to_string().contains("tensor with 6 values, but the requested shape has 0"), "{e}");
        assert!(reshape_target(6, &s(&[6]), &[-1, -1]).is_err());
        assert!(reshape_target(6, &s(&[6]), &[4, -1]).is_err());
        assert!(reshape_target(6, &s(&[6]), &[4]).is_err());
        assert!(reshape_target(6, &s(&[6]), &[-2, 3]).is_err());
    }
}
