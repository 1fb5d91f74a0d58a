//! TF's everyday creation ops beyond `constant`/`zeros`: `range` with a
//! start and step, `linspace`, `eye`, `one_hot`, `tile`, `pad`, `meshgrid`,
//! `identity`, `stop_gradient`. Values that depend on no tensor are computed
//! on the host; the rest are composites of primitives, so they have
//! gradients and run on every device.

use gradtape_core::{DType, Element, Error, HostData, Result, Shape};

use crate::ops::index::Idx;
use crate::{concat, Engine, Scalar, Tensor};

macro_rules! scalar_from {
    ($($t:ty => $v:ident as $as:ty),*) => {$(
        impl From<$t> for Scalar {
            fn from(x: $t) -> Scalar {
                Scalar::$v(x as $as)
            }
        }
    )*};
}
scalar_from!(i32 => Int as i64, i64 => Int as i64, f32 => Float as f64, f64 => Float as f64);
impl From<bool> for Scalar {
    fn from(b: bool) -> Scalar {
        Scalar::Bool(b)
    }
}

impl Scalar {
    /// The value as f64 (`True` is 1).
    pub fn as_f64(self) -> f64 {
        match self {
            Scalar::Int(i) => i as f64,
            Scalar::Float(f) => f,
            Scalar::Bool(b) => b as u8 as f64,
        }
    }

    /// The dtype `tf.constant` gives this Python value.
    pub fn dtype(self) -> DType {
        match self {
            Scalar::Int(i) if i32::try_from(i).is_err() => DType::I64,
            Scalar::Int(_) => DType::I32,
            Scalar::Float(_) => DType::F32,
            Scalar::Bool(_) => DType::Bool,
        }
    }

    /// `convert_to_tensor(value, dtype_hint=hint)`: the hint when the value
    /// converts to it losslessly in Python's sense, else its own dtype.
    pub(crate) fn dtype_with_hint(self, hint: Option<DType>) -> DType {
        match (self, hint) {
            (Scalar::Int(_), Some(h)) if h.is_float() || h.is_int() => h,
            (Scalar::Float(_), Some(h)) if h.is_float() => h,
            (Scalar::Bool(_), Some(DType::Bool)) => DType::Bool,
            (s, _) => s.dtype(),
        }
    }
}

/// TF's `<dtype: 'float32'>`.
pub(crate) fn dtype_repr(d: DType) -> String {
    format!("<dtype: '{d}'>")
}

/// A number as TF's kernels print it in messages (`5`, `0.5`).
fn kernel_num(x: f64, dt: DType) -> String {
    if dt.is_int() {
        format!("{}", x as i64)
    } else if dt == DType::F32 {
        format!("{}", x as f32)
    } else {
        format!("{x}")
    }
}

fn host(data: HostData, shape: &[usize]) -> Tensor {
    Tensor::from_data(Engine::default_engine(), data, Shape::new(shape))
}

/// `tf.range(start, limit, delta, dtype)`: `start + i * delta` while short
/// of `limit`; int arguments give int32, any float float32, unless `dtype`.
///
/// ```
/// # use gradtape_engine::*;
/// assert_eq!(range_from(3, 18, 3, None)?.to_vec::<i32>()?, vec![3, 6, 9, 12, 15]);
/// assert_eq!(range_from(0.0, 1.0, 0.1, None)?.numel(), 10);
/// let e = range_from(5, 1, 1, None).unwrap_err();
/// assert!(e.to_string().contains("Requires start <= limit when delta > 0: 5/1 [Op:Range]"));
/// # Ok::<(), gradtape_core::Error>(())
/// ```
pub fn range_from(
    start: impl Into<Scalar>,
    limit: impl Into<Scalar>,
    delta: impl Into<Scalar>,
    dtype: Option<DType>,
) -> Result<Tensor> {
    let (s, l, d) = (start.into(), limit.into(), delta.into());
    let rank = |t: DType| [DType::I32, DType::I64, DType::F32, DType::F64].iter().position(|&x| x == t).unwrap_or(0);
    let inferred = [s.dtype(), l.dtype(), d.dtype()].into_iter().max_by_key(|&t| rank(t)).unwrap_or(DType::I32);
    let dt = dtype.unwrap_or(inferred);
    if !(dt.is_int() || dt.is_float()) {
        return Err(Error::InvalidArgument(format!(
            "Value for attr 'Tidx' of {dt} is not in the list of allowed values: bfloat16, half, float, double, int8, int16, int32, int64, uint16, uint32 [Op:Range]"
        )));
    }
    macro_rules! run {
        ($t:ty, $int:expr) => {{
            let (s, l, d) = (<$t>::from_f64_lossy(s.as_f64()), <$t>::from_f64_lossy(l.as_f64()), <$t>::from_f64_lossy(d.as_f64()));
            let show = |x: $t| kernel_num(x.to_f64_lossy(), dt);
            if d == <$t>::from_f64_lossy(0.0) {
                return Err(Error::InvalidArgument(format!("Requires delta != 0: {} [Op:Range]", show(d))));
            }
            let zero = <$t>::from_f64_lossy(0.0);
            if d > zero && s > l {
                return Err(Error::InvalidArgument(format!(
                    "Requires start <= limit when delta > 0: {}/{} [Op:Range]", show(s), show(l))));
            }
            if d < zero && s < l {
                return Err(Error::InvalidArgument(format!(
                    "Requires start >= limit when delta < 0: {}/{} [Op:Range]", show(s), show(l))));
            }
            let n: usize = if $int {
                let (span, step) = ((l as i128 - s as i128).abs(), (d as i128).abs());
                ((span + step - 1) / step) as usize
            } else {
                let q = ((l - s) / d).to_f64_lossy().abs().ceil();
                if !q.is_finite() || q > i64::MAX as f64 {
                    return Err(Error::InvalidArgument("Requires ((limit - start) / delta) <= 9223372036854775807 [Op:Range]".into()));
                }
                q as usize
            };
            Shape::new(&[n]).checked_numel(dt.size())?;
            let v: Vec<$t> = (0..n).map(|i| s + <$t>::from_f64_lossy(i as f64) * d).collect();
            HostData::from_vec(v)
        }};
    }
    let data = match dt {
        DType::I32 => run!(i32, true),
        DType::I64 => run!(i64, true),
        DType::F32 => run!(f32, false),
        // The narrow dtypes count in their compute type, then round once.
        DType::U8 | DType::I8 | DType::I16 => run!(i32, true).cast(dt),
        DType::F16 | DType::BF16 => run!(f32, false).cast(dt),
        _ => run!(f64, false),
    };
    let n = data.len();
    Ok(host(data, &[n]))
}

/// `tf.linspace(start, stop, num)`: `num` evenly spaced values, both ends
/// exact; float endpoints give float32, Python ints float64.
pub fn linspace(start: impl Into<Scalar>, stop: impl Into<Scalar>, num: usize) -> Result<Tensor> {
    let (a, b) = (start.into(), stop.into());
    let float = matches!(a, Scalar::Float(_)) || matches!(b, Scalar::Float(_));
    let dt = if float { DType::F32 } else { DType::F64 };
    macro_rules! run {
        ($t:ty) => {{
            let (a, b) = (a.as_f64() as $t, b.as_f64() as $t);
            let step = (b - a) / (num.max(2) - 1) as $t;
            let v: Vec<$t> = (0..num)
                .map(|i| if i == 0 { a } else if i == num - 1 { b } else { a + i as $t * step })
                .collect();
            HostData::from_vec(v)
        }};
    }
    let data = if dt == DType::F32 { run!(f32) } else { run!(f64) };
    Ok(host(data, &[num]))
}

/// `tf.eye(num_rows, num_columns, batch_shape, dtype)`.
pub fn eye(num_rows: usize, num_columns: Option<usize>, batch_shape: &[usize], dtype: DType) -> Result<Tensor> {
    let cols = num_columns.unwrap_or(num_rows);
    let mut shape = batch_shape.to_vec();
    shape.extend([num_rows, cols]);
    let n = Shape::new(&shape).checked_numel(dtype.size())?;
    let v: Vec<f64> = (0..n).map(|k| if (k % (num_rows * cols)) / cols == k % cols { 1.0 } else { 0.0 }).collect();
    Ok(host(HostData::F64(v).cast(dtype), &shape))
}

/// `tf.one_hot(indices, depth, on_value, off_value, axis, dtype)`: the
/// depth axis is inserted at `axis` (-1: last); an index outside
/// `[0, depth)` gives an all-off row. `on_value`/`off_value` default to 1/0.
///
/// ```
/// # use gradtape_engine::*;
/// let h = one_hot(&constant([0, 2, -1])?, 3, None, None, -1, None)?;
/// assert_eq!(h.to_vec::<f32>()?, vec![1., 0., 0., 0., 0., 1., 0., 0., 0.]);
/// # Ok::<(), gradtape_core::Error>(())
/// ```
pub fn one_hot(
    indices: &Tensor,
    depth: i64,
    on_value: Option<Scalar>,
    off_value: Option<Scalar>,
    axis: i64,
    dtype: Option<DType>,
) -> Result<Tensor> {
    let on_dt = on_value.map(|v| v.dtype_with_hint(dtype));
    let off_dt = off_value.map(|v| v.dtype_with_hint(dtype));
    if let Some(d) = dtype {
        for (which, got) in [("on_value", on_dt), ("off_value", off_dt)] {
            if let Some(g) = got.filter(|&g| g != d) {
                return Err(Error::Type(format!(
                    "dtype {} of {which} does not match dtype parameter {}",
                    dtype_repr(g),
                    dtype_repr(d)
                )));
            }
        }
    }
    if let (Some(a), Some(b)) = (on_dt, off_dt) {
        if a != b {
            return Err(Error::Type(format!(
                "dtype {} of on_value does not match dtype {} of off_value",
                dtype_repr(a),
                dtype_repr(b)
            )));
        }
    }
    let dt = dtype.or(on_dt).or(off_dt).unwrap_or(DType::F32);
    if !indices.dtype().is_int() {
        return Err(Error::InvalidArgument(format!(
            "Value for attr 'TI' of {} is not in the list of allowed values: uint8, int8, int32, int64 [Op:OneHot]",
            indices.dtype()
        )));
    }
    let r = indices.rank() as i64;
    if axis < -1 || axis > r {
        return Err(Error::InvalidArgument(format!(
            "Expected axis to be -1 or between [0, {}).  But received: {axis} [Op:OneHot]",
            r + 1
        )));
    }
    if depth < 0 {
        return Err(Error::InvalidArgument(format!("depth must be non-negative, got: {depth} [Op:OneHot]")));
    }
    let axis = if axis == -1 { r as usize } else { axis as usize };
    let depth_u = depth as usize;
    let mut shape = indices.dims().to_vec();
    shape.insert(axis, depth_u);
    let n = Shape::new(&shape).checked_numel(dt.size())?;
    let idx: Vec<i64> = indices.try_data()?.to_f64_vec().into_iter().map(|x| x as i64).collect();
    let (on, off) = (on_value.map_or(1.0, Scalar::as_f64), off_value.map_or(0.0, Scalar::as_f64));
    // Output position = (outer, d, inner) with outer/inner the index's axes before/after `axis`.
    let inner: usize = indices.dims()[axis..].iter().product();
    let mut v = vec![off; n];
    for (k, &i) in idx.iter().enumerate() {
        if (0..depth).contains(&i) {
            let (o, p) = (k / inner.max(1), k % inner.max(1));
            v[(o * depth_u + i as usize) * inner + p] = on;
        }
    }
    Ok(Tensor::from_data(indices.engine(), HostData::F64(v).cast(dt), Shape::new(&shape)))
}

/// How [`Tensor::pad`] fills the border.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PadMode {
    /// `'CONSTANT'` with `constant_values`.
    Constant(Scalar),
    /// `'REFLECT'`: mirrored without the edge.
    Reflect,
    /// `'SYMMETRIC'`: mirrored with the edge.
    Symmetric,
}

/// `tf.meshgrid(*xs, indexing)`: with `xy` (`cartesian == true`, TF's
/// default) the first two output axes are swapped.
pub fn meshgrid(xs: &[Tensor], cartesian: bool) -> Result<Vec<Tensor>> {
    let mut dims: Vec<usize> = xs.iter().map(|x| x.numel()).collect();
    if cartesian && dims.len() >= 2 {
        dims.swap(0, 1);
    }
    xs.iter()
        .enumerate()
        .map(|(k, x)| {
            let pos = if cartesian && xs.len() >= 2 && k < 2 { 1 - k } else { k };
            let mut s = vec![1i64; xs.len()];
            s[pos] = x.numel() as i64;
            x.reshape(s.as_slice())?.broadcast_to(&dims)
        })
        .collect()
}

/// `tf.identity(x)`.
pub fn identity(x: &Tensor) -> Result<Tensor> {
    x.identity()
}

/// `tf.stop_gradient(x)`.
pub fn stop_gradient(x: &Tensor) -> Result<Tensor> {
    x.stop_gradient()
}

impl Tensor {
    /// `tf.identity`: a new tensor with the same value, recorded on tapes.
    pub fn identity(&self) -> Result<Tensor> {
        Tensor::op(crate::op::OpKind::Identity, &[self], self.shape().clone(), self.dtype())
    }

    /// `tf.stop_gradient`: the same value, recorded nowhere, so no gradient
    /// flows through it.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// let x = constant(3.0)?;
    /// let tape = GradientTape::new();
    /// let y = tape.record(|t| { t.watch(&x)?; x.mul(&x.stop_gradient()?) })?;
    /// assert_eq!(tape.gradient(&y, &x)?.unwrap().scalar::<f32>()?, 3.0);
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn stop_gradient(&self) -> Result<Tensor> {
        crate::tape::unrecorded(self.engine().id(), || self.identity())
    }

    /// `tf.tile(self, multiples)`, as a reshape, broadcast and reshape.
    pub fn tile(&self, multiples: &[i64]) -> Result<Tensor> {
        if multiples.len() != self.rank() {
            return Err(Error::InvalidArgument(format!(
                "Expected multiples argument to be a vector of length {} but got length {} [Op:Tile]",
                self.rank(),
                multiples.len()
            )));
        }
        if let Some((i, m)) = multiples.iter().enumerate().find(|(_, &m)| m < 0) {
            return Err(Error::InvalidArgument(format!("Expected multiples[{i}] >= 0, but got {m} [Op:Tile]")));
        }
        let mut split = Vec::new();
        let mut big = Vec::new();
        let mut out = Vec::new();
        for (&d, &m) in self.dims().iter().zip(multiples) {
            split.extend([1i64, d as i64]);
            big.extend([m as usize, d]);
            out.push((m as usize * d) as i64);
        }
        self.reshape(split.as_slice())?.broadcast_to(&big)?.reshape(out.as_slice())
    }

    /// `tf.pad(self, paddings, mode, constant_values)`: `paddings[i] = [before, after]`.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// let x = constant([1, 2, 3])?;
    /// assert_eq!(x.pad(&[[2, 1]], PadMode::Reflect)?.to_vec::<i32>()?, vec![3, 2, 1, 2, 3, 2]);
    /// assert_eq!(x.pad(&[[1, 1]], PadMode::Constant(9.into()))?.to_vec::<i32>()?, vec![9, 1, 2, 3, 9]);
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn pad(&self, paddings: &[[i64; 2]], mode: PadMode) -> Result<Tensor> {
        let op = if matches!(mode, PadMode::Constant(_)) { "Pad" } else { "MirrorPad" };
        if paddings.len() != self.rank() {
            return Err(Error::InvalidArgument(format!(
                "The first dimension of paddings must be the rank of inputs[{},2] {} [Op:{op}]",
                paddings.len(),
                self.shape().bracketed()
            )));
        }
        for (a, p) in paddings.iter().enumerate() {
            let n = self.dims()[a] as i64;
            if p[0] < 0 || p[1] < 0 {
                return Err(Error::InvalidArgument(format!("Paddings must be non-negative: {} {} [Op:{op}]", p[0], p[1])));
            }
            let bad = match mode {
                PadMode::Reflect => (p[0] >= n || p[1] >= n).then_some("must be less than the dimension size"),
                PadMode::Symmetric => (p[0] > n || p[1] > n).then_some("must be no greater than the dimension size"),
                PadMode::Constant(_) => None,
            };
            if let Some(what) = bad {
                let rel = if mode == PadMode::Reflect { "not less than" } else { "greater than" };
                return Err(Error::InvalidArgument(format!(
                    "paddings {what}: {}, {} {rel} {n} [Op:MirrorPad]",
                    p[0], p[1]
                )));
            }
        }
        let mut x = self.clone();
        for (axis, p) in paddings.iter().enumerate() {
            if p == &[0, 0] {
                continue;
            }
            let n = x.dims()[axis] as i64;
            let part = |r: Idx| -> Result<Tensor> {
                let mut items = vec![Idx::FULL; x.rank()];
                items[axis] = r;
                x.index(&items)
            };
            // A mirrored run counting down from `from`, `len` long (stop -1 means "to the start").
            let down = |from: i64, len: i64| {
                let stop = from - len;
                part(Idx::Range(Some(from), if stop < 0 { None } else { Some(stop) }, -1))
            };
            let (before, after) = match mode {
                PadMode::Constant(c) => {
                    let block = |w: i64| -> Result<Tensor> {
                        let mut d = x.dims().to_vec();
                        d[axis] = w as usize;
                        let nn = Shape::new(&d).checked_numel(x.dtype().size())?;
                        let data = HostData::F64(vec![c.as_f64(); nn]).cast(x.dtype());
                        Ok(Tensor::from_data(x.engine(), data, Shape::new(&d)))
                    };
                    (block(p[0])?, block(p[1])?)
                }
                PadMode::Reflect => (down(p[0], p[0])?, down(n - 2, p[1])?),
                PadMode::Symmetric => (down(p[0] - 1, p[0])?, down(n - 1, p[1])?),
            };
            x = concat(&[before, x.clone(), after], axis as i64)?;
        }
        if x.id() == self.id() {
            return self.identity();
        }
        Ok(x)
    }
}

