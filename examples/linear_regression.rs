//! Fits `y = w·x + b` to noisy synthetic data with two [`Variable`]s and a
//! [`GradientTape`]: the smallest training loop, written as in TensorFlow.
//!
//! `cargo run --release --example linear_regression [ITERS]` (else
//! `GRADTAPE_ITERS`, else 200 steps). Prints the loss curve and the fitted
//! `w` and `b`; exits with an error unless they are within 0.05 of the truth.

use std::error::Error as StdError;

use gradtape::*;

const TRUE_W: f32 = 2.5;
const TRUE_B: f32 = -0.7;
const NOISE: f32 = 0.05;
const SAMPLES: usize = 64;
const LEARNING_RATE: f64 = 0.5;
/// How close `w` and `b` must get, and how low the loss: the noise's variance
/// is the floor the mean squared error cannot go below.
const PARAM_TOLERANCE: f32 = 0.05;
const LOSS_THRESHOLD: f64 = 0.01;

/// A 64-bit linear congruential generator (Knuth's MMIX constants): the same
/// data on every run and platform, with no dependency.
pub struct Lcg(u64);

impl Lcg {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Lcg {
        Lcg(seed)
    }

    /// Uniform in `[-1, 1)`.
    pub fn uniform(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        // The top 24 bits make an exact f32 in [0, 1).
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
}

/// `SAMPLES` points of `y = TRUE_W·x + TRUE_B + noise`, as `[SAMPLES]` tensors.
pub fn data() -> Result<(Tensor, Tensor)> {
    let mut rng = Lcg::new(42);
    let xs: Vec<f32> = (0..SAMPLES).map(|_| rng.uniform()).collect();
    let ys: Vec<f32> = xs.iter().map(|&x| TRUE_W * x + TRUE_B + NOISE * rng.uniform()).collect();
    Ok((from_slice(&xs, &[SAMPLES])?, from_slice(&ys, &[SAMPLES])?))
}

/// The fit after training.
pub struct Report {
    /// Steps taken.
    pub steps: usize,
    /// Mean squared error before the first and after the last step.
    pub first_loss: f64,
    /// See `first_loss`.
    pub last_loss: f64,
    /// The fitted slope.
    pub w: f32,
    /// The fitted intercept.
    pub b: f32,
}

impl Report {
    /// The one-line summary, or why the fit failed.
    pub fn check(&self) -> std::result::Result<String, String> {
        let line = format!(
            "{} steps, loss {:.4} -> {:.6}, w = {:.4} (true {TRUE_W}), b = {:.4} (true {TRUE_B})",
            self.steps, self.first_loss, self.last_loss, self.w, self.b
        );
        let close = (self.w - TRUE_W).abs() < PARAM_TOLERANCE && (self.b - TRUE_B).abs() < PARAM_TOLERANCE;
        if close && self.last_loss < LOSS_THRESHOLD {
            Ok(format!("PASS linear_regression: {line}"))
        } else {
            Err(format!(
                "FAIL linear_regression: wanted loss < {LOSS_THRESHOLD} and w, b within {PARAM_TOLERANCE}: {line}"
            ))
        }
    }
}

/// `steps` steps of gradient descent on the mean squared error.
pub fn run(steps: usize) -> Result<Report> {
    let (x, y) = data()?;
    let w = Variable::new(0.0)?;
    let b = Variable::new(0.0)?;
    let mse = || -> Result<Tensor> {
        let pred = ((&w * &x)? + &b)?;
        (&pred - &y)?.square()?.reduce_mean()
    };
    let first_loss = mse()?.item()?;
    for step in 0..steps {
        let tape = GradientTape::new();
        // Reading `w` and `b` inside the block puts them on the tape.
        let loss = tape.record(|_| mse())?;
        let grads = tape.gradient(&loss, &[&w, &b])?;
        for (v, g) in [&w, &b].into_iter().zip(grads) {
            let g = g.ok_or_else(|| Error::Value("the loss does not depend on a parameter".into()))?;
            v.assign_sub(&(&g * LEARNING_RATE)?)?;
        }
        if step % 10 == 0 || step + 1 == steps {
            println!("step {step:4}  loss {:.6}", loss.item()?);
        }
    }
    Ok(Report { steps, first_loss, last_loss: mse()?.item()?, w: w.to_vec::<f32>()?[0], b: b.to_vec::<f32>()?[0] })
}

fn iters() -> usize {
    let arg = std::env::args().nth(1).or_else(|| std::env::var("GRADTAPE_ITERS").ok());
    arg.and_then(|s| s.parse().ok()).unwrap_or(200)
}

fn main() -> std::result::Result<(), Box<dyn StdError>> {
    let line = run(iters())?.check()?;
    println!("{line}");
    Ok(())
}
