//! `tf.nn`: activations, softmax, cross-entropies, moments, bias_add and
//! dropout, as composites of primitives written the way TF's kernels compute
//! them, with TF's gradients (kinks included: `relu6'(6) = 0`,
//! `leaky_relu'(0) = alpha`, `elu'(0) = 1`).
//!
//! ```
//! # use gradtape_engine::*;
//! let p = nn::softmax(&constant([1.0, 2.0, 3.0])?, -1)?;
//! assert!((p.sum()?.scalar::<f32>()? - 1.0).abs() < 1e-6);
//! # Ok::<(), gradtape_core::Error>(())
//! ```

use gradtape_core::{DType, Error, Result, Shape};

use crate::random::{self, IntoSeed};
use crate::{Axes, Tensor};

fn float_only(x: &Tensor, op: &str) -> Result<()> {
    if x.dtype().is_float() {
        return Ok(());
    }
    Err(Error::InvalidArgument(format!(
        "Value for attr 'T' of {} is not in the list of allowed values: half, bfloat16, float, double [Op:{op}]",
        x.dtype()
    )))
}

fn axis_of(x: &Tensor, axis: i64, op: &str) -> Result<i64> {
    let r = x.rank() as i64;
    if r == 0 || axis < -r || axis >= r {
        return Err(Error::InvalidArgument(format!(
            "`axis` must be in the range [{}, {r}) where {r} is the number of dimensions in the input. Received: axis={axis} [Op:{op}]",
            -r
        )));
    }
    Ok(if axis < 0 { axis + r } else { axis })
}

/// `tf.nn.softmax(logits, axis)`: `exp(x - max) * (1 / sum)`, as TF's kernel,
/// with TF's gradient `(g - Σ g·s) · s` (so `sum(softmax)` has exactly zero
/// gradient). The rule recomputes `s` from the logits with recorded ops, so
/// higher derivatives are right too.
pub fn softmax(logits: &Tensor, axis: i64) -> Result<Tensor> {
    float_only(logits, "Softmax")?;
    let a = axis_of(logits, axis, "Softmax")?;
    let x = logits.clone();
    crate::autodiff::custom_gradient(&[logits.clone()], move |xs| {
        let y = softmax_raw(&xs[0], a)?;
        let rule: crate::autodiff::GradFn = Box::new(move |g| {
            let s = softmax_raw(&x, a)?;
            // `g` may carry a jacobian's leading batch dims: reduce along the same axis from the end.
            let ax = a - x.rank() as i64;
            Ok(vec![Some(g.sub(&g.mul(&s)?.reduce_sum_with(ax, true)?)?.mul(&s)?)])
        });
        Ok((y, rule))
    })
}

fn softmax_raw(logits: &Tensor, a: i64) -> Result<Tensor> {
    let m = logits.reduce_max_with(a, true)?.stop_gradient()?;
    let e = logits.sub(&m)?.exp()?;
    e.mul(&e.reduce_sum_with(a, true)?.ones_like().div(&e.reduce_sum_with(a, true)?)?)
}

/// `tf.nn.log_softmax(logits, axis)`: `x - max - log(sum(exp(x - max)))`.
pub fn log_softmax(logits: &Tensor, axis: i64) -> Result<Tensor> {
    float_only(logits, "LogSoftmax")?;
    let a = axis_of(logits, axis, "LogSoftmax")?;
    let m = logits.reduce_max_with(a, true)?.stop_gradient()?;
    let sh = logits.sub(&m)?;
    sh.sub(&sh.exp()?.reduce_sum_with(a, true)?.log()?)
}

/// `tf.nn.softplus`: `log(1 + e^x)`, `x` above 13.94 and `e^x` below -13.94 (float32 thresholds).
pub fn softplus(x: &Tensor) -> Result<Tensor> {
    float_only(x, "Softplus")?;
    let eps = if x.dtype() == DType::F32 { f32::EPSILON as f64 } else { f64::EPSILON };
    let threshold = eps.ln() + 2.0;
    // The unused branches see a clamped input, so their gradients stay finite.
    let xc = x.minimum(-threshold)?;
    let e = xc.exp()?;
    let inner = x.less(threshold)?.select(&e, &e.log1p()?)?;
    x.greater(-threshold)?.select(x, &inner)
}

/// `tf.nn.softsign`: `x / (1 + |x|)`.
pub fn softsign(x: &Tensor) -> Result<Tensor> {
    float_only(x, "Softsign")?;
    x.div(&x.abs()?.add(1.0)?)
}

/// `tf.nn.elu`: `x` above 0, `e^x - 1` below.
pub fn elu(x: &Tensor) -> Result<Tensor> {
    float_only(x, "Elu")?;
    x.less(0.0)?.select(&x.minimum(0.0)?.expm1()?, x)
}

/// `tf.nn.selu`: `scale * x` above 0, `scale * alpha * (e^x - 1)` below.
pub fn selu(x: &Tensor) -> Result<Tensor> {
    float_only(x, "Selu")?;
    const SCALE: f64 = 1.050_700_987_355_480_5;
    const SCALE_ALPHA: f64 = 1.758_099_340_847_376_9;
    // TF's kernel tests `x < 0`, so selu'(0) is `scale`.
    x.less(0.0)?.select(&x.minimum(0.0)?.expm1()?.mul(SCALE_ALPHA)?, &x.mul(SCALE)?)
}

/// `tf.nn.gelu(x, approximate)`: `0.5x(1 + erf(x/√2))`, or with
/// `approximate` `0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))`.
pub fn gelu(x: &Tensor, approximate: bool) -> Result<Tensor> {
    float_only(x, "Gelu")?;
    let half = x.mul(0.5)?;
    if approximate {
        let inner = x.add(&x.pow(3.0)?.mul(0.044715)?)?.mul(0.797_884_560_802_865_4)?;
        half.mul(&inner.tanh()?.add(1.0)?)
    } else {
        half.mul(&x.div(std::f64::consts::SQRT_2)?.erf()?.add(1.0)?)
    }
}

/// `tf.nn.leaky_relu(x, alpha)` (TF's default alpha is 0.2); the gradient at 0 is `alpha`.
pub fn leaky_relu(x: &Tensor, alpha: f64) -> Result<Tensor> {
    float_only(x, "LeakyRelu")?;
    x.greater(0.0)?.select(x, &x.mul(alpha)?)
}

/// `tf.nn.relu6`: `min(max(x, 0), 6)`, gradient 0 at both kinks.
pub fn relu6(x: &Tensor) -> Result<Tensor> {
    float_only(x, "Relu6")?;
    let six = x.engine().constant_with(6.0, x.dtype())?;
    x.less(6.0)?.select(&x.relu()?, &six)
}

/// `tf.nn.silu(x, beta)` = `tf.nn.swish`: `x * sigmoid(beta * x)`.
pub fn silu(x: &Tensor, beta: f64) -> Result<Tensor> {
    float_only(x, "Sigmoid")?;
    x.mul(&x.mul(beta)?.sigmoid()?)
}

fn same_shape(labels: &Tensor, logits: &Tensor) -> Result<()> {
    if labels.shape() != logits.shape() {
        return Err(Error::Value(format!(
            "`logits` and `labels` must have the same shape, received ({} vs {}).",
            logits.shape().tuple(),
            labels.shape().tuple()
        )));
    }
    if labels.dtype() != logits.dtype() {
        return Err(Error::InvalidArgument(format!(
            "cannot compute Mul as input #1(zero-based) was expected to be a {} tensor but is a {} tensor [Op:Mul]",
            logits.dtype().kernel_name(),
            labels.dtype().kernel_name()
        )));
    }
    Ok(())
}

/// `tf.nn.sigmoid_cross_entropy_with_logits(labels, logits)`:
/// `max(x, 0) - x z + log1p(exp(-|x|))`.
pub fn sigmoid_cross_entropy_with_logits(labels: &Tensor, logits: &Tensor) -> Result<Tensor> {
    same_shape(labels, logits)?;
    float_only(logits, "Mul")?;
    let pos = logits.greater_equal(0.0)?;
    let zeros = logits.zeros_like();
    let relu_logits = pos.select(logits, &zeros)?;
    let neg_abs = pos.select(&logits.neg()?, logits)?;
    relu_logits.sub(&logits.mul(labels)?)?.add(&neg_abs.exp()?.log1p()?)
}

/// `tf.nn.softmax_cross_entropy_with_logits(labels, logits, axis)`:
/// `-Σ labels · log_softmax(logits)`; the logits' gradient is
/// `softmax - labels` (labels need not sum to 1), the labels' `-log_softmax`.
pub fn softmax_cross_entropy_with_logits(labels: &Tensor, logits: &Tensor, axis: i64) -> Result<Tensor> {
    if labels.shape() != logits.shape() {
        return Err(Error::InvalidArgument(format!(
            "logits and labels must be broadcastable: logits_size={} labels_size={} [Op:SoftmaxCrossEntropyWithLogits]",
            logits.shape().bracketed(),
            labels.shape().bracketed()
        )));
    }
    same_shape(labels, logits)?;
    float_only(logits, "SoftmaxCrossEntropyWithLogits")?;
    let a = axis_of(logits, axis, "SoftmaxCrossEntropyWithLogits")?;
    let m = logits.reduce_max_with(a, true)?.stop_gradient()?;
    let sh = logits.sub(&m)?;
    let lse = sh.exp()?.reduce_sum_with(a, true)?.log()?;
    let fixed = lse.stop_gradient()?;
    // `lse - fixed` is exactly 0; it carries softmax's gradient once per row,
    // whatever the labels sum to, as TF's kernel does.
    let loss = labels.mul(&fixed.sub(&sh)?)?.reduce_sum_with(a, true)?.add(&lse.sub(&fixed)?)?;
    loss.squeeze(&[a])
}

/// `tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)`:
/// integer class labels over the last axis: `logsumexp(x) - x[label]`.
pub fn sparse_softmax_cross_entropy_with_logits(labels: &Tensor, logits: &Tensor) -> Result<Tensor> {
    float_only(logits, "SparseSoftmaxCrossEntropyWithLogits")?;
    let r = logits.rank();
    if r == 0 || labels.rank() + 1 != r || labels.dims() != &logits.dims()[..r - 1] {
        return Err(Error::InvalidArgument(format!(
            "labels must be 1-D, but got shape {} [Op:SparseSoftmaxCrossEntropyWithLogits]",
            labels.shape().bracketed()
        )));
    }
    if !labels.dtype().is_int() {
        return Err(Error::InvalidArgument(format!(
            "Value for attr 'Tlabels' of {} is not in the list of allowed values: int32, int64 [Op:SparseSoftmaxCrossEntropyWithLogits]",
            labels.dtype()
        )));
    }
    let n = logits.dims()[r - 1] as f64;
    let vals = labels.try_data()?.to_f64_vec();
    if let Some(bad) = vals.iter().find(|&&l| l < 0.0 || l >= n) {
        let all: Vec<String> = vals.iter().map(|v| format!("{}", *v as i64)).collect();
        return Err(Error::InvalidArgument(format!(
            "Received a label value of {} which is outside the valid range of [0, {}).  Label values: {} [Op:SparseSoftmaxCrossEntropyWithLogits]",
            *bad as i64,
            n as i64,
            all.join(" ")
        )));
    }
    let m = logits.reduce_max_with(-1, true)?.stop_gradient()?;
    let sh = logits.sub(&m)?;
    let lse = sh.exp()?.reduce_sum_with(-1, true)?.log()?;
    // The labels were checked above.
    let picked = sh.gather_last_unchecked(&labels.expand_dims(-1)?)?;
    lse.sub(&picked)?.squeeze(&[-1])
}

/// `tf.nn.l2_loss`: `sum(x²) / 2`.
pub fn l2_loss(x: &Tensor) -> Result<Tensor> {
    float_only(x, "L2Loss")?;
    x.square()?.mul(0.5)?.sum()
}

/// `tf.nn.moments(x, axes, keepdims)`: `(mean, population variance)`; the
/// variance's gradient treats the mean as a constant, as TF's does.
pub fn moments(x: &Tensor, axes: &[i64], keepdims: bool) -> Result<(Tensor, Tensor)> {
    let ax = Axes::from(axes);
    let mean = mean_by_division(x, ax.clone())?;
    let var = mean_by_division(&x.sub(&mean.stop_gradient()?)?.square()?, ax)?;
    if keepdims {
        return Ok((mean, var));
    }
    let dims = x.reduce_sum_with(Axes::from(axes), false)?.dims().to_vec();
    Ok((mean.reshape(&Shape::new(&dims))?, var.reshape(&Shape::new(&dims))?))
}

/// `reduce_mean(keepdims=True)` as TF computes it: the sum divided by the count.
pub(crate) fn mean_by_division(x: &Tensor, axes: Axes) -> Result<Tensor> {
    let s = x.reduce_sum_with(axes, true)?;
    let count = (x.numel() / s.numel().max(1)) as f64;
    s.div(count)
}

/// `tf.nn.bias_add(value, bias)`: adds a 1-D bias along the last axis; the
/// bias's gradient is the sum over the other axes.
pub fn bias_add(value: &Tensor, bias: &Tensor) -> Result<Tensor> {
    if value.rank() < 2 {
        return Err(Error::InvalidArgument(format!(
            "Input tensor must be at least 2D: {} [Op:BiasAdd]",
            value.shape().bracketed()
        )));
    }
    if bias.rank() != 1 {
        return Err(Error::InvalidArgument(format!(
            "Biases must be 1D: {} [Op:BiasAdd]",
            bias.shape().bracketed()
        )));
    }
    if bias.dims()[0] != value.dims()[value.rank() - 1] {
        return Err(Error::InvalidArgument(format!(
            "Must provide as many biases as the last dimension of the input tensor: {} vs. {} [Op:BiasAdd]",
            bias.shape().bracketed(),
            value.shape().bracketed()
        )));
    }
    value.add(bias)
}

fn check_rate(rate: f64) -> Result<()> {
    if !(0.0..1.0).contains(&rate) {
        return Err(Error::Value(format!(
            "`rate` must be a scalar tensor or a float in the range [0, 1). Received: rate={rate}"
        )));
    }
    Ok(())
}

fn apply_mask(x: &Tensor, u: &Tensor, rate: f64) -> Result<Tensor> {
    let scaled = x.mul(1.0 / (1.0 - rate))?;
    u.greater_equal(rate)?.select(&scaled, &scaled.zeros_like())
}

/// `tf.nn.experimental.stateless_dropout(x, rate, seed)`: keeps `x / (1 - rate)`
/// where `stateless_uniform(x.shape, seed) >= rate`, else 0.
///
/// ```
/// # use gradtape_engine::*;
/// # use gradtape_core::DType;
/// let y = nn::stateless_dropout(&ones(&[10], DType::F32)?, 0.5, [1, 2])?;
/// assert_eq!(y.to_vec::<f32>()?, vec![2., 0., 2., 0., 0., 2., 0., 0., 0., 0.]);
/// # Ok::<(), gradtape_core::Error>(())
/// ```
pub fn stateless_dropout(x: &Tensor, rate: f64, seed: impl IntoSeed) -> Result<Tensor> {
    float_only(x, "Mul")?;
    check_rate(rate)?;
    let u = random::stateless_uniform(x.dims(), seed, x.dtype())?;
    apply_mask(x, &u, rate)
}

/// `tf.nn.dropout(x, rate, seed)`: like [`stateless_dropout`] with the
/// uniforms of `tf.random.uniform` under TF's global and op seeds.
pub fn dropout(x: &Tensor, rate: f64, seed: Option<i64>) -> Result<Tensor> {
    float_only(x, "Mul")?;
    check_rate(rate)?;
    let u = random::uniform(x.dims(), x.dtype(), seed)?;
    apply_mask(x, &u, rate)
}
