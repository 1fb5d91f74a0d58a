//! TF's indexing ops: `gather` (axis, batch_dims), `gather_nd`,
//! `scatter_nd`, `tensor_scatter_nd_*`, `boolean_mask`, one-argument `where`,
//! `slice`, `reverse`, `unstack`, `split`. Index tensors are read at the call
//! (TF's CPU kernels reject bad indices, and so does gradtape, with TF's
//! text); the data moves through the `Take`/`Put` primitives, so every path
//! is differentiable (gather's gradient is a scatter-add).

use std::sync::Arc;

use gradtape_core::{DType, Error, HostData, Result, Shape};

use crate::ops::index::Idx;
use crate::ops::take::Combine;
use crate::Tensor;

/// The integer elements of an index tensor, or TF's dtype error.
fn ints(t: &Tensor, op: &str) -> Result<Vec<i64>> {
    match &*t.try_data()? {
        HostData::I32(v) => Ok(v.iter().map(|&x| x as i64).collect()),
        HostData::I64(v) => Ok(v.clone()),
        _ => Err(Error::InvalidArgument(format!(
            "Value for attr 'Tindices' of {} is not in the list of allowed values: int16, int32, int64 [Op:{op}]",
            t.dtype()
        ))),
    }
}

/// `[1,0]`-style position of flat element `k` of a tensor shaped `dims`.
fn position(k: usize, dims: &[usize]) -> String {
    let mut rest = k;
    let mut out = vec![0; dims.len()];
    for (i, &d) in dims.iter().enumerate().rev() {
        out[i] = rest % d.max(1);
        rest /= d.max(1);
    }
    out.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(",")
}

fn norm_axis(axis: i64, rank: usize, op: &str) -> Result<usize> {
    let r = rank as i64;
    if axis < -r || axis >= r {
        return Err(Error::InvalidArgument(format!(
            "Expected axis in the range [{}, {r}), but got {axis} [Op:{op}]",
            -r
        )));
    }
    Ok(if axis < 0 { axis + r } else { axis } as usize)
}

/// `tf.gather(params, indices, axis, batch_dims)`.
///
/// ```
/// # use gradtape_engine::*;
/// let g = gather(&constant([10, 20, 30, 40])?, &constant([3, 0, 0])?, 0, 0)?;
/// assert_eq!(g.to_vec::<i32>()?, vec![40, 10, 10]);
/// assert!(gather(&constant([1, 2, 3])?, &constant([-1])?, 0, 0).is_err());
/// # Ok::<(), gradtape_core::Error>(())
/// ```
pub fn gather(params: &Tensor, indices: &Tensor, axis: i64, batch_dims: i64) -> Result<Tensor> {
    let idx = ints(indices, "GatherV2")?;
    let pr = params.rank();
    let b = if batch_dims < 0 { batch_dims + indices.rank() as i64 } else { batch_dims };
    if b < 0 || b as usize > indices.rank() {
        return Err(Error::InvalidArgument(format!(
            "Expected batch_dims in the range [{}, {}], but got {batch_dims} [Op:GatherV2]",
            -(indices.rank() as i64),
            indices.rank()
        )));
    }
    let b = b as usize;
    if pr == 0 {
        return Err(Error::InvalidArgument("params must be at least 1 dimensional [Op:GatherV2]".into()));
    }
    let a = norm_axis(axis, pr, "GatherV2")?;
    if b > a {
        return Err(Error::InvalidArgument(format!(
            "batch_dims ({b}) must be less than or equal to axis ({a}). [Op:GatherV2]"
        )));
    }
    if params.dims()[..b] != indices.dims()[..b] {
        return Err(Error::InvalidArgument(format!(
            "params.shape[:batch_dims] must equal indices.shape[:batch_dims]: {} vs {} [Op:GatherV2]",
            params.shape().bracketed(),
            indices.shape().bracketed()
        )));
    }
    let p = params.dims();
    let n = p[a];
    let nbatch: usize = p[..b].iter().product();
    let outer: usize = p[b..a].iter().product();
    let inner: usize = p[a + 1..].iter().product();
    let per: usize = indices.dims()[b..].iter().product();
    if let Some(k) = idx.iter().position(|&i| i < 0 || i as usize >= n) {
        return Err(Error::InvalidArgument(format!(
            "indices[{}] = {} is not in [0, {n}) [Op:GatherV2]",
            position(k, indices.dims()),
            idx[k]
        )));
    }
    let mut offsets = Vec::with_capacity(nbatch * outer * per * inner);
    for bi in 0..nbatch {
        for o in 0..outer {
            for j in 0..per {
                let base = ((bi * outer + o) * n + idx[bi * per + j] as usize) * inner;
                offsets.extend(base..base + inner);
            }
        }
    }
    let mut shape = p[..a].to_vec();
    shape.extend_from_slice(&indices.dims()[b..]);
    shape.extend_from_slice(&p[a + 1..]);
    params.take(Arc::from(offsets), Shape::new(&shape))
}

/// Flat offsets of the slices `params[index]` for an `[..., k]` index tensor.
fn nd_offsets(params: &Shape, indices: &Tensor, op: &str, what: &str) -> Result<(Vec<usize>, usize, Vec<usize>)> {
    let idx = ints(indices, op)?;
    if indices.rank() == 0 {
        return Err(Error::InvalidArgument(format!("indices must be at least a vector, got shape [] [Op:{op}]")));
    }
    let k = indices.dims()[indices.rank() - 1];
    if k > params.rank() {
        return Err(Error::InvalidArgument(format!(
            "index innermost dimension length must be <= params rank; saw: {k} vs. {} [Op:{op}]",
            params.rank()
        )));
    }
    let inner: usize = params.dims()[k..].iter().product();
    let strides: Vec<usize> = (0..k).map(|i| params.dims()[i + 1..].iter().product()).collect();
    // With k = 0 each (empty) index row addresses the whole tensor.
    let rows: usize = indices.dims()[..indices.rank() - 1].iter().product();
    let mut starts = Vec::with_capacity(rows);
    for r in 0..rows {
        let ix = &idx[r * k..(r + 1) * k];
        if ix.iter().zip(params.dims()).any(|(&i, &d)| i < 0 || i as usize >= d) {
            let shown: Vec<String> = ix.iter().map(|i| i.to_string()).collect();
            let pos = position(r, &indices.dims()[..indices.rank() - 1]);
            return Err(Error::InvalidArgument(format!(
                "indices[{pos}] = [{}] does not index into {what} {}{} [Op:{op}]",
                shown.join(", "),
                params.bracketed(),
                if op == "GatherNd" { ", node name: GatherNd" } else { "" }
            )));
        }
        starts.push(ix.iter().zip(&strides).map(|(&i, &s)| i as usize * s).sum());
    }
    let mut out = indices.dims()[..indices.rank() - 1].to_vec();
    out.extend_from_slice(&params.dims()[k..]);
    Ok((starts, inner, out))
}

fn expand(starts: &[usize], inner: usize) -> Arc<[usize]> {
    starts.iter().flat_map(|&s| s..s + inner).collect()
}

/// `tf.gather_nd(params, indices)`: the last index axis addresses the
/// leading params axes; a partial index returns a slice.
pub fn gather_nd(params: &Tensor, indices: &Tensor) -> Result<Tensor> {
    let (starts, inner, out) = nd_offsets(params.shape(), indices, "GatherNd", "param shape")?;
    params.take(expand(&starts, inner), Shape::new(&out))
}

fn check_updates(updates: &Tensor, want: &[usize], op: &str) -> Result<()> {
    if updates.dims() != want {
        return Err(Error::InvalidArgument(format!(
            "updates.shape {} must equal indices.shape[:-1] + shape[indices.shape[-1]:] {} [Op:{op}]",
            updates.shape().bracketed(),
            Shape::new(want).bracketed()
        )));
    }
    Ok(())
}

/// `tf.scatter_nd(indices, updates, shape)`: zeros with `updates` summed in
/// at the indexed positions (duplicates add up).
pub fn scatter_nd(indices: &Tensor, updates: &Tensor, shape: &[usize]) -> Result<Tensor> {
    let s = Shape::new(shape);
    let (starts, inner, want) = nd_offsets(&s, indices, "ScatterNd", "shape")?;
    check_updates(updates, &want, "ScatterNd")?;
    updates.put(expand(&starts, inner), s, Combine::Add)
}

/// How a `tensor_scatter_nd_*` combines the updates with the tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScatterMode {
    /// `tensor_scatter_nd_update`: the updates replace.
    Update,
    /// `tensor_scatter_nd_add`.
    Add,
    /// `tensor_scatter_nd_sub`.
    Sub,
    /// `tensor_scatter_nd_max`.
    Max,
    /// `tensor_scatter_nd_min`.
    Min,
}

/// `tf.tensor_scatter_nd_{update,add,sub,max,min}(tensor, indices, updates)`
/// on a copy of `tensor`.
pub fn tensor_scatter_nd(tensor: &Tensor, indices: &Tensor, updates: &Tensor, mode: ScatterMode) -> Result<Tensor> {
    let name = match mode {
        ScatterMode::Update => "TensorScatterUpdate",
        ScatterMode::Add => "TensorScatterAdd",
        ScatterMode::Sub => "TensorScatterSub",
        ScatterMode::Max => "TensorScatterMax",
        ScatterMode::Min => "TensorScatterMin",
    };
    if updates.dtype() != tensor.dtype() {
        return Err(Error::InvalidArgument(format!(
            "cannot compute {name} as input #2(zero-based) was expected to be a {} tensor but is a {} tensor [Op:{name}]",
            tensor.dtype().kernel_name(),
            updates.dtype().kernel_name()
        )));
    }
    let (starts, inner, want) = nd_offsets(tensor.shape(), indices, name, "shape")?;
    check_updates(updates, &want, name)?;
    let offs = expand(&starts, inner);
    let mut mask = vec![false; tensor.numel()];
    offs.iter().for_each(|&o| mask[o] = true);
    let mask = Tensor::from_data(tensor.engine(), HostData::Bool(mask), tensor.shape().clone());
    match mode {
        ScatterMode::Update => {
            // TF's kernels apply the updates in order, so of two that land
            // on one element the last one stays; a sum would be neither.
            let (keep, offs) = last_of_each(&offs, tensor.numel());
            let updates = match keep {
                Some(keep) => updates.take(keep.clone(), Shape::new(&[keep.len()]))?,
                None => updates.clone(),
            };
            mask.select(&updates.put(offs, tensor.shape().clone(), Combine::Add)?, tensor)
        }
        ScatterMode::Add => tensor.add(&updates.put(offs, tensor.shape().clone(), Combine::Add)?),
        ScatterMode::Sub => tensor.sub(&updates.put(offs, tensor.shape().clone(), Combine::Add)?),
        ScatterMode::Max => mask.select(&tensor.maximum(&updates.put(offs, tensor.shape().clone(), Combine::Max)?)?, tensor),
        ScatterMode::Min => mask.select(&tensor.minimum(&updates.put(offs, tensor.shape().clone(), Combine::Min)?)?, tensor),
    }
}

/// Where offsets (each below `n`) repeat: the positions of each offset's
/// last occurrence, in order, and their offsets; `None` (and the offsets as
/// they are) when every offset is distinct.
fn last_of_each(offs: &Arc<[usize]>, n: usize) -> (Option<Arc<[usize]>>, Arc<[usize]>) {
    let mut last = vec![usize::MAX; n];
    let mut repeats = false;
    for (i, &o) in offs.iter().enumerate() {
        repeats |= last[o] != usize::MAX;
        last[o] = i;
    }
    if !repeats {
        return (None, offs.clone());
    }
    let keep: Arc<[usize]> = offs.iter().enumerate().filter(|&(i, &o)| last[o] == i).map(|(i, _)| i).collect();
    let kept = keep.iter().map(|&i| offs[i]).collect();
    (Some(keep), kept)
}

/// `tf.boolean_mask(tensor, mask, axis)`: the entries where `mask` (whose
/// shape matches `tensor`'s from `axis` on) is true, those axes flattened.
///
/// ```
/// # use gradtape_engine::*;
/// let m = boolean_mask(&constant([[1, 2, 3], [4, 5, 6]])?, &constant([true, false, true])?, 1)?;
/// assert_eq!(m.to_vec::<i32>()?, vec![1, 3, 4, 6]);
/// # Ok::<(), gradtape_core::Error>(())
/// ```
pub fn boolean_mask(tensor: &Tensor, mask: &Tensor, axis: i64) -> Result<Tensor> {
    if mask.dtype() != DType::Bool {
        return Err(Error::Type(format!("mask must be a bool tensor, got {}", mask.dtype())));
    }
    let r = tensor.rank() as i64;
    let a = if axis < 0 { axis + r } else { axis };
    let m = mask.rank();
    if m == 0 {
        return Err(Error::Value("mask cannot be scalar.".into()));
    }
    if a < 0 || a as usize + m > tensor.rank() || tensor.dims()[a as usize..a as usize + m] != *mask.dims() {
        let (lo, hi) = (a.max(0) as usize, (a.max(0) as usize + m).min(tensor.rank()));
        return Err(Error::Value(format!(
            "Shapes {} and {} are incompatible",
            Shape::new(&tensor.dims()[lo..hi]).tuple(),
            mask.shape().tuple()
        )));
    }
    let a = a as usize;
    let HostData::Bool(mv) = &*mask.try_data()? else { unreachable!("internal: checked bool") };
    let keep: Vec<usize> = mv.iter().enumerate().filter(|(_, &b)| b).map(|(i, _)| i).collect();
    let outer: usize = tensor.dims()[..a].iter().product();
    let inner: usize = tensor.dims()[a + m..].iter().product();
    let span = mask.numel();
    let mut offsets = Vec::with_capacity(outer * keep.len() * inner);
    for o in 0..outer {
        for &k in &keep {
            let base = (o * span + k) * inner;
            offsets.extend(base..base + inner);
        }
    }
    let mut shape = tensor.dims()[..a].to_vec();
    shape.push(keep.len());
    shape.extend_from_slice(&tensor.dims()[a + m..]);
    tensor.take(Arc::from(offsets), Shape::new(&shape))
}

/// `tf.where(condition)` with one argument: the int64 coordinates
/// `[num_true, rank]` of the true (for numbers: nonzero) elements, row-major.
pub fn argwhere(condition: &Tensor) -> Result<Tensor> {
    let v = condition.try_data()?.to_f64_vec();
    let dims = condition.dims();
    let mut out = Vec::new();
    let mut count = 0;
    for (k, &x) in v.iter().enumerate() {
        if x != 0.0 {
            count += 1;
            let mut rest = k;
            let mut c = vec![0i64; dims.len()];
            for (i, &d) in dims.iter().enumerate().rev() {
                c[i] = (rest % d) as i64;
                rest /= d;
            }
            out.extend(c);
        }
    }
    Ok(Tensor::from_data(condition.engine(), HostData::I64(out), Shape::new(&[count, dims.len()])))
}

impl Tensor {
    /// `tf.slice(self, begin, size)`: `size[i] = -1` takes the rest of axis `i`.
    pub fn slice(&self, begin: &[i64], size: &[i64]) -> Result<Tensor> {
        let r = self.rank();
        if begin.len() != r || size.len() != r {
            return Err(Error::InvalidArgument(format!(
                "Expected begin and size arguments to be 1-D tensors of size {r}, but got shapes [{}] and [{}] instead. [Op:Slice]",
                begin.len(),
                size.len()
            )));
        }
        let mut items = Vec::with_capacity(r);
        for i in 0..r {
            let d = self.dims()[i] as i64;
            let b = begin[i];
            if b < 0 || b > d {
                return Err(Error::InvalidArgument(format!("Expected begin[{i}] in [0, {d}], but got {b} [Op:Slice]")));
            }
            let s = if size[i] == -1 { d - b } else { size[i] };
            if s < 0 || s > d - b {
                return Err(Error::InvalidArgument(format!(
                    "Expected size[{i}] in [0, {}], but got {} [Op:Slice]",
                    d - b,
                    size[i]
                )));
            }
            items.push(Idx::Range(Some(b), Some(b + s), 1));
        }
        self.index(&items)
    }

    /// `tf.reverse(self, axes)`.
    pub fn reverse(&self, axes: &[i64]) -> Result<Tensor> {
        let mut items = vec![Idx::FULL; self.rank()];
        for &a in axes {
            let a = norm_axis(a, self.rank(), "ReverseV2")?;
            if items[a] != Idx::FULL {
                return Err(Error::InvalidArgument(format!("axis {a} specified more than once [Op:ReverseV2]")));
            }
            items[a] = Idx::Range(None, None, -1);
        }
        self.index(&items)
    }

    /// `tf.unstack(self, axis)`: the slices along `axis`, that axis dropped.
    pub fn unstack(&self, axis: i64) -> Result<Vec<Tensor>> {
        let r = self.rank() as i64;
        if axis < -r || axis >= r {
            return Err(Error::Value(format!("axis = {axis} not in [{}, {r})", -r)));
        }
        let a = norm_axis(axis, self.rank(), "Unpack")?;
        (0..self.dims()[a])
            .map(|k| {
                let mut items = vec![Idx::FULL; self.rank()];
                items[a] = Idx::At(k as i64);
                self.index(&items)
            })
            .collect()
    }

    /// `tf.split(self, sizes, axis)`; one size may be -1 (the rest).
    pub fn split(&self, sizes: &[i64], axis: i64) -> Result<Vec<Tensor>> {
        let a = norm_axis(axis, self.rank(), "SplitV")?;
        let d = self.dims()[a] as i64;
        let unknown = sizes.iter().filter(|&&s| s == -1).count();
        let known: i64 = sizes.iter().filter(|&&s| s != -1).sum();
        if unknown > 1 {
            return Err(Error::InvalidArgument("There can only be one -1 in the input. [Op:SplitV]".into()));
        }
        if (unknown == 0 && known != d) || (unknown == 1 && known > d) || sizes.iter().any(|&s| s < -1) {
            return Err(Error::InvalidArgument(format!(
                "Determined shape must either match input shape along split_dim exactly if fully specified, or be less than the size of the input along split_dim if not fully specified.  Got: {known} [Op:SplitV]"
            )));
        }
        let mut start = 0;
        sizes
            .iter()
            .map(|&s| {
                let s = if s == -1 { d - known } else { s };
                let mut items = vec![Idx::FULL; self.rank()];
                items[a] = Idx::Range(Some(start), Some(start + s), 1);
                start += s;
                self.index(&items)
            })
            .collect()
    }

    /// `tf.split(self, num, axis)`: `num` equal parts.
    pub fn split_even(&self, num: usize, axis: i64) -> Result<Vec<Tensor>> {
        let a = norm_axis(axis, self.rank(), "Split")?;
        let d = self.dims()[a];
        if num == 0 || d % num != 0 {
            return Err(Error::InvalidArgument(format!(
                "Number of ways to split should evenly divide the split dimension, but got split_dim {a} (size = {d}) and num_split {num} [Op:Split]"
            )));
        }
        self.split(&vec![(d / num) as i64; num], axis)
    }
}

/// One position of an extended index expression (`x[..., tf.newaxis, 1:3]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ix {
    /// `x[i]`: one position, the axis dropped.
    At(i64),
    /// `x[start:stop:step]`.
    Range(Option<i64>, Option<i64>, i64),
    /// `tf.newaxis`: a new axis of size 1.
    NewAxis,
    /// `...`: as many full axes as the other positions leave.
    Ellipsis,
}

impl Tensor {
    /// `self[items]` with `tf.newaxis` and `...` as well as integers and
    /// slices, as TF's strided slice takes them.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// let x = constant([[1, 2, 3], [4, 5, 6]])?;
    /// assert_eq!(x.index_ext(&[Ix::Ellipsis, Ix::NewAxis])?.dims(), &[2, 3, 1]);
    /// let y = x.index_ext(&[Ix::NewAxis, Ix::Ellipsis, Ix::Range(None, None, -1)])?;
    /// assert_eq!((y.dims(), y.to_vec::<i32>()?), (&[1, 2, 3][..], vec![3, 2, 1, 6, 5, 4]));
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn index_ext(&self, items: &[Ix]) -> Result<Tensor> {
        if items.iter().filter(|i| **i == Ix::Ellipsis).count() > 1 {
            return Err(Error::InvalidArgument("Multiple ellipses in slice spec not allowed [Op:StridedSlice]".into()));
        }
        let used = items.iter().filter(|i| matches!(i, Ix::At(_) | Ix::Range(..))).count();
        let fill = self.rank().saturating_sub(used);
        let mut expanded: Vec<Ix> = Vec::with_capacity(items.len() + fill);
        for &it in items {
            if it == Ix::Ellipsis {
                expanded.extend(std::iter::repeat_n(Ix::Range(None, None, 1), fill));
            } else {
                expanded.push(it);
            }
        }
        if !items.contains(&Ix::Ellipsis) {
            expanded.extend(std::iter::repeat_n(Ix::Range(None, None, 1), fill));
        }
        let plain: Vec<Idx> = expanded
            .iter()
            .filter_map(|i| match *i {
                Ix::At(k) => Some(Idx::At(k)),
                Ix::Range(a, b, s) => Some(Idx::Range(a, b, s)),
                _ => None,
            })
            .collect();
        let y = self.index(&plain)?;
        if !expanded.contains(&Ix::NewAxis) {
            return Ok(y);
        }
        // y's dims in order, with a 1 wherever a new axis stood.
        let mut dims = Vec::with_capacity(expanded.len());
        let mut k = 0;
        for i in &expanded {
            match i {
                Ix::NewAxis => dims.push(1i64),
                Ix::Range(..) => {
                    dims.push(y.dims()[k] as i64);
                    k += 1;
                }
                _ => {}
            }
        }
        y.reshape(dims.as_slice())
    }
}
