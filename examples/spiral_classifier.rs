//! The TF guides' small classifier: a two-layer MLP with a softmax
//! cross-entropy loss, Keras's Adam, weights drawn from a seeded
//! `tf.random.Generator`, and accuracy by `argmax`, on a three-armed spiral
//! the example makes itself (seeded, so every run is the same).
//!
//! `cargo run --release --example spiral_classifier [STEPS]` (else
//! `GRADTAPE_ITERS`, else 400). Prints the loss curve; exits with an error
//! unless the accuracy reaches 95% and the loss fell below a quarter of its
//! start.

use std::error::Error as StdError;

use gradtape::optimizers::{self, Optimizer};
use gradtape::*;

const CLASSES: usize = 3;
const PER_CLASS: usize = 60;
const HIDDEN: usize = 48;

/// `PER_CLASS` points on each of three spiral arms, with seeded noise:
/// `(x [N, 2], labels [N] int32)`.
pub fn spiral(seed: i64) -> Result<(Tensor, Tensor)> {
    let n = CLASSES * PER_CLASS;
    let noise = random::stateless_normal(&[n], [seed, 1], 0.0, 0.15, DType::F32)?.to_vec::<f32>()?;
    let mut xy = Vec::with_capacity(2 * n);
    let mut labels = Vec::with_capacity(n);
    for c in 0..CLASSES {
        for i in 0..PER_CLASS {
            let r = i as f32 / PER_CLASS as f32;
            let t = c as f32 * 4.0 + 4.0 * r + noise[c * PER_CLASS + i];
            xy.extend([r * t.sin(), r * t.cos()]);
            labels.push(c as i32);
        }
    }
    Ok((from_slice(&xy, &[n, 2])?, from_slice(&labels, &[n])?))
}

/// `relu(x @ w1 + b1) @ w2 + b2`.
pub struct Mlp {
    /// `[w1, b1, w2, b2]`.
    pub params: [Variable; 4],
}

impl Mlp {
    /// Glorot-uniform weights from `tf.random.Generator.from_seed(seed)`, zero biases.
    pub fn new(seed: u128) -> Result<Mlp> {
        let g = random::Generator::from_seed(seed);
        let glorot = |fan_in: usize, fan_out: usize| -> Result<Variable> {
            let limit = (6.0 / (fan_in + fan_out) as f64).sqrt();
            Variable::from_tensor(&g.uniform_in(&[fan_in, fan_out], -limit, limit, DType::F32)?)
        };
        let w1 = glorot(2, HIDDEN)?;
        let b1 = Variable::from_tensor(&zeros(&[HIDDEN], DType::F32)?)?;
        let w2 = glorot(HIDDEN, CLASSES)?;
        let b2 = Variable::from_tensor(&zeros(&[CLASSES], DType::F32)?)?;
        Ok(Mlp { params: [w1, b1, w2, b2] })
    }

    /// The class logits, `[N, 3]`.
    pub fn logits(&self, x: &Tensor) -> Result<Tensor> {
        let [w1, b1, w2, b2] = &self.params;
        let h = nn::bias_add(&x.matmul(&w1.read())?, &b1.read())?.relu()?;
        nn::bias_add(&h.matmul(&w2.read())?, &b2.read())
    }
}

/// The training outcome.
pub struct Report {
    /// Steps taken.
    pub steps: usize,
    /// The loss before the first step.
    pub first_loss: f64,
    /// The loss after the last step.
    pub last_loss: f64,
    /// The fraction of points whose argmax logit is their class.
    pub accuracy: f64,
}

impl Report {
    /// The one-line summary, or why training failed.
    pub fn check(&self) -> std::result::Result<String, String> {
        let line = format!(
            "{} steps, loss {:.4} -> {:.4}, accuracy {:.1}%",
            self.steps,
            self.first_loss,
            self.last_loss,
            100.0 * self.accuracy
        );
        if self.accuracy >= 0.95 && self.last_loss < self.first_loss / 4.0 {
            Ok(format!("PASS spiral_classifier: {line}"))
        } else {
            Err(format!("FAIL spiral_classifier: wanted 95% accuracy and a 4x lower loss: {line}"))
        }
    }
}

fn loss(mlp: &Mlp, x: &Tensor, y: &Tensor) -> Result<Tensor> {
    nn::sparse_softmax_cross_entropy_with_logits(y, &mlp.logits(x)?)?.reduce_mean()
}

fn accuracy(mlp: &Mlp, x: &Tensor, y: &Tensor) -> Result<f64> {
    let pred = mlp.logits(x)?.argmax_as(Some(1), DType::I32)?;
    pred.equal(y)?.cast(DType::F32)?.reduce_mean()?.item()
}

/// `steps` full-batch Adam steps on the spiral.
pub fn run(steps: usize) -> Result<Report> {
    let (x, y) = spiral(7)?;
    let mlp = Mlp::new(42)?;
    let mut adam = optimizers::Adam::new(0.02).build();
    let first_loss = loss(&mlp, &x, &y)?.item()?;
    let sources: Vec<&dyn Differentiable> = mlp.params.iter().map(|p| p as &dyn Differentiable).collect();
    for step in 0..steps {
        let tape = GradientTape::new();
        let l = tape.record(|_| loss(&mlp, &x, &y))?;
        let grads = tape.gradients(&[&l], &sources)?;
        let pairs: Vec<(Option<Tensor>, &Variable)> = grads.into_iter().zip(mlp.params.iter()).collect();
        adam.apply_gradients(&pairs)?;
        if step % 50 == 0 || step + 1 == steps {
            println!("step {step:4}  loss {:.5}  accuracy {:.1}%", l.item()?, 100.0 * accuracy(&mlp, &x, &y)?);
        }
    }
    Ok(Report { steps, first_loss, last_loss: loss(&mlp, &x, &y)?.item()?, accuracy: accuracy(&mlp, &x, &y)? })
}

fn iters() -> usize {
    let arg = std::env::args().nth(1).or_else(|| std::env::var("GRADTAPE_ITERS").ok());
    arg.and_then(|s| s.parse().ok()).unwrap_or(400)
}

fn main() -> std::result::Result<(), Box<dyn StdError>> {
    let line = run(iters())?.check()?;
    println!("{line}");
    Ok(())
}
