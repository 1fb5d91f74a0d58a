//! Golden TensorFlow 2.21 cases of the area `nn` (tf_cases_2.json), one test
//! per case named after its id, and finite-difference checks of every
//! composite's gradient. Eigen's vectorised exp/log/tanh/erf may differ from
//! Rust's correctly rounded ones by an ulp or two (SEMANTICS_2.md).

mod golden2;

use golden2::{check, check_ulps, fd_check};
use gradtape::*;

const ULPS: u32 = 4;

fn grads_of(x: &[&Tensor], f: impl Fn() -> Result<Tensor>) -> Result<Vec<Option<Tensor>>> {
    let tape = GradientTape::new();
    let y = tape.record(|t| {
        t.watch_all(x)?;
        f()
    })?;
    let src: Vec<&dyn Differentiable> = x.iter().map(|t| *t as &dyn Differentiable).collect();
    tape.gradients(&[&y], &src)
}

#[test]
fn nn_softmax_basic() -> Result<()> {
    check_ulps("nn_softmax_basic", nn::softmax(&constant([1., 2., 3.])?, -1), ULPS);
    Ok(())
}

#[test]
fn nn_softmax_axis0() -> Result<()> {
    check_ulps("nn_softmax_axis0", nn::softmax(&constant([[1., 2.], [3., 5.]])?, 0), ULPS);
    Ok(())
}

#[test]
fn nn_softmax_large_logits() -> Result<()> {
    let out = vec![nn::softmax(&constant([1000., 1001.])?, -1)?, nn::softmax(&constant([f64::NEG_INFINITY, 0., 0.])?, -1)?];
    check_ulps("nn_softmax_large_logits", out, ULPS);
    Ok(())
}

#[test]
fn nn_log_softmax() -> Result<()> {
    let x = constant([[1., 2., 3.], [1., 1., 1.]])?;
    check_ulps("nn_log_softmax", vec![nn::log_softmax(&x, -1)?, nn::log_softmax(&x, 0)?], ULPS);
    Ok(())
}

#[test]
fn nn_softplus_softsign() -> Result<()> {
    let x = constant([-20., -1., 0., 1., 20., 100.])?;
    check_ulps("nn_softplus_softsign", vec![nn::softplus(&x)?, nn::softsign(&x)?], ULPS);
    Ok(())
}

#[test]
fn nn_gelu_exact_approx() -> Result<()> {
    if !golden2::on_cpu_kernels("nn_gelu_exact_approx") {
        return Ok(());
    }
    let x = constant([-3., -1., 0., 0.5, 2.])?;
    // 1 + erf(x) near erf = -1 turns erf's last-ulp difference (Eigen's
    // rational approximation vs libm) into ~16 ulps of gelu(-3).
    check_ulps("nn_gelu_exact_approx", vec![nn::gelu(&x, false)?, nn::gelu(&x, true)?], 24);
    Ok(())
}

#[test]
fn nn_leaky_relu_relu6() -> Result<()> {
    let x = constant([-10., -1., 0., 3., 7.])?;
    check("nn_leaky_relu_relu6", vec![nn::leaky_relu(&x, 0.2)?, nn::leaky_relu(&x, 0.1)?, nn::relu6(&x)?]);
    Ok(())
}

#[test]
fn nn_silu_swish_sigmoid() -> Result<()> {
    let x = constant([-100., -1., 0., 1., 100.])?;
    let out = vec![nn::silu(&x, 1.0)?, nn::silu(&x, 1.0)?, nn::silu(&x, 2.0)?, x.sigmoid()?];
    check_ulps("nn_silu_swish_sigmoid", out, ULPS);
    Ok(())
}

#[test]
fn nn_sigmoid_xent() -> Result<()> {
    let r = nn::sigmoid_cross_entropy_with_logits(&constant([0., 1., 0.5, 1.])?, &constant([-1., 2., 0., -100.])?);
    check_ulps("nn_sigmoid_xent", r, ULPS);
    Ok(())
}

#[test]
fn nn_sigmoid_xent_shape_error() -> Result<()> {
    let r = nn::sigmoid_cross_entropy_with_logits(&constant([0., 1.])?, &constant([1., 2., 3.])?);
    check("nn_sigmoid_xent_shape_error", r);
    Ok(())
}

#[test]
fn nn_softmax_xent() -> Result<()> {
    let labels = constant([[0., 1., 0.], [0.5, 0.5, 0.]])?;
    let logits = constant([[1., 2., 3.], [0., 0., 10.]])?;
    check_ulps("nn_softmax_xent", nn::softmax_cross_entropy_with_logits(&labels, &logits, -1), ULPS);
    Ok(())
}

#[test]
fn nn_moments() -> Result<()> {
    let x = constant([[1., 2.], [3., 6.], [5., 7.]])?;
    let (m0, v0) = nn::moments(&x, &[0], false)?;
    let (m1, v1) = nn::moments(&x, &[0, 1], true)?;
    check("nn_moments", golden2::Out::L(vec![vec![m0, v0].into(), vec![m1, v1].into()]));
    Ok(())
}

#[test]
fn nn_bias_add() -> Result<()> {
    check("nn_bias_add", nn::bias_add(&constant([[1., 2.], [3., 4.]])?, &constant([10., 20.])?));
    Ok(())
}

#[test]
fn nn_bias_add_bad_shape() -> Result<()> {
    check("nn_bias_add_bad_shape", nn::bias_add(&constant([[1., 2.], [3., 4.]])?, &constant([10., 20., 30.])?));
    Ok(())
}

#[test]
fn nn_stateless_dropout() -> Result<()> {
    check("nn_stateless_dropout", nn::stateless_dropout(&ones(&[10], DType::F32)?, 0.5, [1, 2]));
    Ok(())
}

#[test]
fn nn_grad_smooth_activations() -> Result<()> {
    if !golden2::on_cpu_kernels("nn_grad_smooth_activations") {
        return Ok(());
    }
    let x = constant([-2., -0.5, 0., 1.5])?;
    let fs: [fn(&Tensor) -> Result<Tensor>; 6] =
        [nn::softplus, nn::softsign, nn::elu, nn::selu, |x| x.sigmoid(), |x| x.tanh()];
    let mut out = Vec::new();
    for f in fs {
        out.push(grads_of(&[&x], || f(&x))?.remove(0));
    }
    // tanh' = 1 - y² turns one ulp of Eigen's tanh(1.5) into ~8 ulps.
    check_ulps("nn_grad_smooth_activations", out, 12);
    Ok(())
}

#[test]
fn nn_grad_piecewise_at_kinks() -> Result<()> {
    let x = constant([-1., 0., 3., 6., 7.])?;
    let fs: [fn(&Tensor) -> Result<Tensor>; 4] = [|x| x.relu(), nn::relu6, |x| nn::leaky_relu(x, 0.2), nn::elu];
    let mut out = Vec::new();
    for f in fs {
        out.push(grads_of(&[&x], || f(&x))?.remove(0));
    }
    check_ulps("nn_grad_piecewise_at_kinks", out, ULPS);
    Ok(())
}

#[test]
fn nn_grad_sigmoid_xent() -> Result<()> {
    let (logits, labels) = (constant([-1., 2., 0.])?, constant([0., 1., 0.5])?);
    let g = grads_of(&[&logits, &labels], || nn::sigmoid_cross_entropy_with_logits(&labels, &logits)?.sum())?;
    // Four contributions reach the logits; the sum's order (the engine's
    // backward pass, not TF's AddN order) moves the result by one ulp of 1.
    check_ulps("nn_grad_sigmoid_xent", g, 16);
    Ok(())
}

#[test]
fn nn_grad_softmax_xent() -> Result<()> {
    let labels = constant([[0., 1., 0.], [0.5, 0.5, 0.]])?;
    let logits = constant([[1., 2., 3.], [0., 0., 1.]])?;
    let g = grads_of(&[&logits, &labels], || nn::softmax_cross_entropy_with_logits(&labels, &logits, -1)?.sum())?;
    check_ulps("nn_grad_softmax_xent", g, ULPS);
    Ok(())
}

#[test]
fn nn_grad_l2_loss_moments() -> Result<()> {
    let x = constant([1., 2., 4.])?;
    let tape = GradientTape::persistent();
    let (l2, mv) = tape.record(|t| {
        t.watch(&x)?;
        let l2 = nn::l2_loss(&x)?;
        let (m, v) = nn::moments(&x, &[0], false)?;
        Ok((l2, m.add(&v)?))
    })?;
    check("nn_grad_l2_loss_moments", vec![tape.gradient(&l2, &x)?, tape.gradient(&mv, &x)?]);
    Ok(())
}

#[test]
fn nn_grad_bias_add() -> Result<()> {
    let v = constant([[1., 2.], [3., 4.], [5., 6.]])?;
    let b = constant([10., 20.])?;
    let w = constant([[1., 2.], [3., 4.], [5., 6.]])?;
    check("nn_grad_bias_add", grads_of(&[&v, &b], || nn::bias_add(&v, &b)?.mul(&w)?.sum())?);
    Ok(())
}

/// Rules no case pins: the softmax xent gradient is `softmax - labels` even
/// when the labels do not sum to 1; sparse xent equals the dense one on
/// one-hot labels; dropout rejects a rate of 1; softplus' large-x branch
/// keeps a finite gradient.
#[test]
fn nn_rules_beyond_the_cases() -> Result<()> {
    let logits = constant([[1., 2., 3.]])?;
    let labels = constant([[0., 2., 0.]])?;
    let g = grads_of(&[&logits], || nn::softmax_cross_entropy_with_logits(&labels, &logits, -1)?.sum())?;
    let s = nn::softmax(&logits, -1)?.sub(&labels)?;
    assert_eq!(g[0].as_ref().unwrap().to_vec::<f32>()?, s.to_vec::<f32>()?);
    let dense = nn::softmax_cross_entropy_with_logits(&one_hot(&constant([2, 0])?, 3, None, None, -1, None)?, &constant([[1., 2., 3.], [0., 5., 1.]])?, -1)?;
    let sparse = nn::sparse_softmax_cross_entropy_with_logits(&constant([2, 0])?, &constant([[1., 2., 3.], [0., 5., 1.]])?)?;
    let (d, s) = (dense.to_vec::<f32>()?, sparse.to_vec::<f32>()?);
    assert!(d.iter().zip(&s).all(|(a, b)| (a - b).abs() < 1e-6), "{d:?} {s:?}");
    let e = nn::sparse_softmax_cross_entropy_with_logits(&constant([3])?, &constant([[1., 2., 3.]])?).unwrap_err();
    assert!(e.to_string().contains("Received a label value of 3 which is outside the valid range of [0, 3)"), "{e}");
    assert!(matches!(nn::stateless_dropout(&constant([1.0])?, 1.0, [1, 2]), Err(Error::Value(_))));
    let big = constant([100.0, -100.0])?;
    let g = grads_of(&[&big], || nn::softplus(&big))?;
    assert_eq!(g[0].as_ref().unwrap().to_vec::<f32>()?[0], 1.0);
    random::set_seed(4);
    let a = nn::dropout(&ones(&[8], DType::F32)?, 0.25, Some(1))?.to_vec::<f32>()?;
    assert!(a.iter().all(|&v| v == 0.0 || v == 1.0 / 0.75));
    Ok(())
}

#[test]
fn gradients_match_finite_differences() -> Result<()> {
    let x = random::stateless_normal(&[3, 4], [8, 1], 0.0, 2.0, DType::F64)?;
    let z = random::stateless_uniform(&[3, 4], [8, 2], DType::F64)?;
    let zs = nn::softmax(&random::stateless_normal(&[3, 4], [8, 3], 0.0, 1.0, DType::F64)?, -1)?;
    fd_check("softmax", |x| nn::softmax(x, -1), &x)?;
    fd_check("softmax axis 0", |x| nn::softmax(x, 0), &x)?;
    fd_check("log_softmax", |x| nn::log_softmax(x, 1), &x)?;
    fd_check("softplus", nn::softplus, &x)?;
    fd_check("softsign", nn::softsign, &x)?;
    fd_check("elu", nn::elu, &x)?;
    fd_check("selu", nn::selu, &x)?;
    fd_check("gelu", |x| nn::gelu(x, false), &x)?;
    fd_check("gelu tanh", |x| nn::gelu(x, true), &x)?;
    fd_check("leaky_relu", |x| nn::leaky_relu(x, 0.3), &x)?;
    fd_check("relu6", |x| nn::relu6(&x.mul(4.0)?), &x)?;
    fd_check("silu", |x| nn::silu(x, 1.5), &x)?;
    fd_check("sigmoid xent logits", |x| nn::sigmoid_cross_entropy_with_logits(&z, x), &x)?;
    fd_check("sigmoid xent labels", |z| nn::sigmoid_cross_entropy_with_logits(z, &x), &z)?;
    fd_check("softmax xent logits", |x| nn::softmax_cross_entropy_with_logits(&zs, x, -1), &x)?;
    fd_check("softmax xent labels", |z| nn::softmax_cross_entropy_with_logits(z, &x, -1), &zs)?;
    let labels = constant([3, 0, 2])?;
    fd_check("sparse softmax xent", |x| nn::sparse_softmax_cross_entropy_with_logits(&labels, x), &x)?;
    fd_check("l2_loss", nn::l2_loss, &x)?;
    fd_check("moments mean", |x| Ok(nn::moments(x, &[0], false)?.0), &x)?;
    fd_check("bias_add", |b| nn::bias_add(&x, b), &constant_with([1.0, 2.0, 3.0, 4.0], DType::F64)?)?;
    fd_check("dropout", |x| nn::stateless_dropout(x, 0.3, [4, 4]), &x)?;
    Ok(())
}

/// Softmax's TF-style rule recomputes `s` with recorded ops: its second
/// derivative matches finite differences of the first.
#[test]
fn softmax_second_derivative() -> Result<()> {
    let w = constant_with([0.3, -1.0, 2.0], DType::F64)?;
    let grad = |x: &Tensor| -> Result<Tensor> {
        let t = GradientTape::new();
        let y = t.record(|t| {
            t.watch(x)?;
            nn::softmax(x, -1)?.mul(&w)?.sum()
        })?;
        Ok(t.gradient(&y, x)?.unwrap())
    };
    fd_check("softmax grad", |x| grad(x), &constant_with([0.5, -0.2, 1.0], DType::F64)?)
}
