//! A two-layer perceptron (tanh hidden layer, sigmoid output) learns XOR,
//! the classic function no linear model can fit, with Adam written in tensor
//! ops.
//!
//! `cargo run --release --example xor_mlp [ITERS]` (else `GRADTAPE_ITERS`,
//! else 300 steps). Prints the loss and accuracy; exits with an error unless
//! all four points are classified right and the loss is below 0.05.

use std::error::Error as StdError;

use gradtape::*;

const HIDDEN: usize = 8;
const LEARNING_RATE: f64 = 0.05;
const LOSS_THRESHOLD: f64 = 0.05;

/// A 64-bit linear congruential generator (Knuth's MMIX constants), so the
/// initial weights are the same on every run.
struct Lcg(u64);

impl Lcg {
    fn uniform(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    /// A `[rows, cols]` tensor uniform in ±sqrt(6 / (rows + cols)) (Glorot).
    fn glorot(&mut self, rows: usize, cols: usize) -> Result<Tensor> {
        let limit = (6.0 / (rows + cols) as f32).sqrt();
        let v: Vec<f32> = (0..rows * cols).map(|_| limit * self.uniform()).collect();
        from_slice(&v, &[rows, cols])
    }
}

/// `x @ w1 + b1 -> tanh -> @ w2 + b2`: the logits, `[batch, 1]`.
pub struct Mlp {
    params: [Variable; 4],
}

impl Mlp {
    /// Glorot-initialised weights, zero biases.
    pub fn new(seed: u64) -> Result<Mlp> {
        let mut rng = Lcg(seed);
        let w1 = Variable::from_tensor(&rng.glorot(2, HIDDEN)?)?;
        let b1 = Variable::from_tensor(&zeros(&[HIDDEN], DType::F32)?)?;
        let w2 = Variable::from_tensor(&rng.glorot(HIDDEN, 1)?)?;
        let b2 = Variable::from_tensor(&zeros(&[1], DType::F32)?)?;
        Ok(Mlp { params: [w1, b1, w2, b2] })
    }

    /// The logits; `sigmoid` of them is the probability of class 1.
    pub fn logits(&self, x: &Tensor) -> Result<Tensor> {
        let [w1, b1, w2, b2] = &self.params;
        let h = (x.matmul(&w1)? + b1)?.tanh()?;
        h.matmul(&w2)? + b2
    }
}

/// Binary cross-entropy from logits, in the stable form
/// `mean(relu(z) - z·y + log(1 + exp(-|z|)))`: `exp` never overflows.
pub fn bce_with_logits(z: &Tensor, y: &Tensor) -> Result<Tensor> {
    let softplus_tail = (z.abs()?.neg()?.exp()? + 1.0)?.log()?;
    ((z.relu()? - &(z * y)?)? + &softplus_tail)?.reduce_mean()
}

/// Adam (Kingma & Ba) with its moment estimates held as tensors.
pub struct Adam {
    lr: f64,
    t: i32,
    m: Vec<Tensor>,
    v: Vec<Tensor>,
}

impl Adam {
    const BETA1: f64 = 0.9;
    const BETA2: f64 = 0.999;
    const EPS: f64 = 1e-7;

    /// Zero moments for `params`.
    pub fn new(lr: f64, params: &[Variable]) -> Result<Adam> {
        let z = |p: &Variable| zeros(p.shape().dims(), p.dtype());
        Ok(Adam {
            lr,
            t: 0,
            m: params.iter().map(z).collect::<Result<_>>()?,
            v: params.iter().map(z).collect::<Result<_>>()?,
        })
    }

    /// One update of every parameter from its gradient.
    pub fn step(&mut self, params: &[Variable], grads: Vec<Option<Tensor>>) -> Result<()> {
        self.t += 1;
        let c1 = 1.0 - Self::BETA1.powi(self.t);
        let c2 = 1.0 - Self::BETA2.powi(self.t);
        for (k, (p, g)) in params.iter().zip(grads).enumerate() {
            let g = g.ok_or_else(|| Error::Value(format!("no gradient for parameter {k}")))?;
            self.m[k] = ((&self.m[k] * Self::BETA1)? + &(&g * (1.0 - Self::BETA1))?)?;
            self.v[k] = ((&self.v[k] * Self::BETA2)? + &(g.square()? * (1.0 - Self::BETA2))?)?;
            let denom = ((&self.v[k] / c2)?.sqrt()? + Self::EPS)?;
            let update = ((&self.m[k] / c1)? / &denom)?;
            p.assign_sub(&(update * self.lr)?)?;
        }
        Ok(())
    }
}

/// The training outcome.
pub struct Report {
    /// Steps taken.
    pub steps: usize,
    /// The loss before the first and after the last step.
    pub first_loss: f64,
    /// See `first_loss`.
    pub last_loss: f64,
    /// The fraction of the four points classified right.
    pub accuracy: f64,
}

impl Report {
    /// The one-line summary, or why training failed.
    pub fn check(&self) -> std::result::Result<String, String> {
        let line = format!(
            "{} steps, loss {:.4} -> {:.4}, accuracy {:.0}%",
            self.steps,
            self.first_loss,
            self.last_loss,
            100.0 * self.accuracy
        );
        if self.accuracy == 1.0 && self.last_loss < LOSS_THRESHOLD {
            Ok(format!("PASS xor_mlp: {line}"))
        } else {
            Err(format!("FAIL xor_mlp: wanted 100% accuracy and loss < {LOSS_THRESHOLD}: {line}"))
        }
    }
}

fn accuracy(z: &Tensor, y: &Tensor) -> Result<f64> {
    let right = z.greater(0.0)?.cast(DType::F32)?.equal(y)?.cast(DType::F32)?;
    right.reduce_mean()?.item()
}

/// `steps` Adam steps on the four XOR points.
pub fn run(steps: usize) -> Result<Report> {
    let x = constant([[0., 0.], [0., 1.], [1., 0.], [1., 1.]])?;
    let y = constant([[0.], [1.], [1.], [0.]])?;
    let mlp = Mlp::new(7)?;
    let mut adam = Adam::new(LEARNING_RATE, &mlp.params)?;
    let first_loss = bce_with_logits(&mlp.logits(&x)?, &y)?.item()?;
    for step in 0..steps {
        let tape = GradientTape::new();
        let (z, loss) = tape.record(|_| {
            let z = mlp.logits(&x)?;
            let loss = bce_with_logits(&z, &y)?;
            Ok((z, loss))
        })?;
        let grads = tape.gradient(&loss, &mlp.params)?; // tape.gradient(loss, params)
        adam.step(&mlp.params, grads)?;
        if step % 25 == 0 || step + 1 == steps {
            println!("step {step:4}  loss {:.5}  accuracy {:.0}%", loss.item()?, 100.0 * accuracy(&z, &y)?);
        }
    }
    let z = mlp.logits(&x)?;
    Ok(Report { steps, first_loss, last_loss: bce_with_logits(&z, &y)?.item()?, accuracy: accuracy(&z, &y)? })
}

fn iters() -> usize {
    let arg = std::env::args().nth(1).or_else(|| std::env::var("GRADTAPE_ITERS").ok());
    arg.and_then(|s| s.parse().ok()).unwrap_or(300)
}

fn main() -> std::result::Result<(), Box<dyn StdError>> {
    let line = run(iters())?.check()?;
    println!("{line}");
    Ok(())
}
