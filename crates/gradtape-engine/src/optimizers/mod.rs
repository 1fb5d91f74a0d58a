//! Keras 3 optimizers with `apply_gradients(zip(grads, vars))` semantics:
//! SGD (momentum, Nesterov), Adam (AMSGrad), RMSprop (momentum, centered)
//! and Adagrad, with `iterations`, `weight_decay`, `clipnorm`,
//! `global_clipnorm` and `clipvalue`. Every step is computed op by op in the
//! variable's dtype as Keras writes it, so the numbers are Keras's.
//!
//! ```
//! # use gradtape_engine::*;
//! use gradtape_engine::optimizers::Optimizer;
//! let v = Variable::new([1.0, -2.0])?;
//! let mut opt = optimizers::Sgd::new(0.1).momentum(0.9).build();
//! opt.apply_gradients(&[(Some(constant([0.5, -1.0])?), &v)])?;
//! assert_eq!(v.to_vec::<f32>()?, vec![0.95, -1.9]);
//! assert_eq!(opt.iterations(), 1);
//! # Ok::<(), gradtape_core::Error>(())
//! ```

mod update;

use std::collections::HashMap;

use bevy_ecs::entity::Entity;
use gradtape_core::{DType, Error, Result};

use crate::{Tensor, Variable};

/// Which algorithm, with its hyperparameters (Keras's names and defaults).
#[derive(Clone, Debug, PartialEq)]
pub enum Algorithm {
    /// `keras.optimizers.SGD`.
    Sgd {
        /// `momentum` (0 = plain SGD).
        momentum: f64,
        /// `nesterov`.
        nesterov: bool,
    },
    /// `keras.optimizers.Adam`.
    Adam {
        /// `beta_1` (0.9).
        beta_1: f64,
        /// `beta_2` (0.999).
        beta_2: f64,
        /// `epsilon` (1e-7).
        epsilon: f64,
        /// `amsgrad`.
        amsgrad: bool,
    },
    /// `keras.optimizers.RMSprop`.
    RmsProp {
        /// `rho` (0.9).
        rho: f64,
        /// `momentum` (0).
        momentum: f64,
        /// `epsilon` (1e-7).
        epsilon: f64,
        /// `centered`.
        centered: bool,
    },
    /// `keras.optimizers.Adagrad`.
    Adagrad {
        /// `initial_accumulator_value` (0.1).
        initial_accumulator_value: f64,
        /// `epsilon` (1e-7).
        epsilon: f64,
    },
}

/// The options every Keras optimizer takes.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Common {
    /// `weight_decay`: `v -= v * wd * lr` before each update.
    pub weight_decay: Option<f64>,
    /// `clipnorm`: each gradient scaled to an L2 norm of at most this.
    pub clipnorm: Option<f64>,
    /// `global_clipnorm`: all gradients scaled together.
    pub global_clipnorm: Option<f64>,
    /// `clipvalue`: each element clipped to `[-c, c]`.
    pub clipvalue: Option<f64>,
}

/// What every optimizer does: Keras's `apply_gradients`.
pub trait Optimizer {
    /// `optimizer.apply_gradients(zip(grads, vars))`: `None` gradients are
    /// dropped (their variables untouched); all `None` is Keras's ValueError.
    /// Then clipping, weight decay, the update, and `iterations += 1`.
    fn apply_gradients(&mut self, grads_and_vars: &[(Option<Tensor>, &Variable)]) -> Result<()>;
    /// `optimizer.iterations`: the number of `apply_gradients` calls.
    fn iterations(&self) -> i64;
    /// `optimizer.learning_rate`, a float32 as Keras stores it.
    fn learning_rate(&self) -> f32;
}

/// A Keras optimizer: an algorithm, its options and its per-variable slots.
#[derive(Debug)]
pub struct Keras {
    algorithm: Algorithm,
    common: Common,
    learning_rate: f32,
    iterations: i64,
    slots: HashMap<Entity, Vec<Tensor>>,
    built: bool,
}

impl Keras {
    /// An optimizer with this algorithm, learning rate and options.
    pub fn new(algorithm: Algorithm, learning_rate: f64, common: Common) -> Keras {
        Keras { algorithm, common, learning_rate: learning_rate as f32, iterations: 0, slots: HashMap::new(), built: false }
    }

    /// `optimizer.iterations` as Keras's int64 scalar.
    pub fn iterations_tensor(&self) -> Result<Tensor> {
        crate::Engine::default_engine().constant_with(self.iterations, DType::I64)
    }

    /// Sets `optimizer.learning_rate` (stored as float32).
    pub fn set_learning_rate(&mut self, lr: f64) {
        self.learning_rate = lr as f32;
    }

    /// The slot variables of `v` (momentums, velocities...), in Keras's order.
    pub fn slots(&self, v: &Variable) -> Option<&[Tensor]> {
        self.slots.get(&v.id()).map(|s| s.as_slice())
    }

    fn build(&mut self, vars: &[&Variable]) -> Result<()> {
        for v in vars {
            let zeros = v.read().zeros_like();
            let slots = match &self.algorithm {
                Algorithm::Sgd { momentum, .. } => if *momentum != 0.0 { vec![zeros] } else { vec![] },
                Algorithm::Adam { amsgrad, .. } => {
                    if *amsgrad { vec![zeros.clone(), zeros.clone(), zeros] } else { vec![zeros.clone(), zeros] }
                }
                Algorithm::RmsProp { momentum, centered, .. } => {
                    let mut s = vec![zeros.clone()];
                    if *momentum > 0.0 {
                        s.push(zeros.clone());
                    }
                    if *centered {
                        s.push(zeros);
                    }
                    s
                }
                Algorithm::Adagrad { initial_accumulator_value, .. } => {
                    vec![v.engine().constant_with(*initial_accumulator_value, v.dtype())?.broadcast_to(v.shape().dims())?]
                }
            };
            self.slots.insert(v.id(), slots);
        }
        self.built = true;
        Ok(())
    }

    fn clip(&self, grads: Vec<Tensor>) -> Result<Vec<Tensor>> {
        let mut grads = grads;
        if let Some(c) = self.common.clipnorm {
            grads = grads.iter().map(|g| g.clip_by_norm(c, crate::Axes::All)).collect::<Result<_>>()?;
        }
        if let Some(c) = self.common.global_clipnorm {
            let mut total: Option<Tensor> = None;
            for g in &grads {
                let s = g.square()?.sum()?.cast(DType::F32)?;
                total = Some(match total {
                    None => s,
                    Some(t) => t.add(&s)?,
                });
            }
            if let Some(t) = total {
                let norm = t.sqrt()?;
                // scale = c / max(norm, c), as tf.clip_by_global_norm.
                let cn = norm.engine().constant_with(c, DType::F32)?;
                let scale = cn.div(&norm.maximum(&cn)?)?;
                grads = grads.iter().map(|g| g.mul(&scale.cast(g.dtype())?)).collect::<Result<_>>()?;
            }
        }
        if let Some(c) = self.common.clipvalue {
            grads = grads.iter().map(|g| g.clip_by_value(-c, c)).collect::<Result<_>>()?;
        }
        Ok(grads)
    }
}

impl Optimizer for Keras {
    fn apply_gradients(&mut self, grads_and_vars: &[(Option<Tensor>, &Variable)]) -> Result<()> {
        if grads_and_vars.is_empty() {
            return Ok(());
        }
        let vars: Vec<&Variable> = grads_and_vars.iter().map(|(_, v)| *v).collect();
        if !self.built {
            self.build(&vars)?;
        } else if let Some(v) = vars.iter().find(|v| !self.slots.contains_key(&v.id())) {
            return Err(Error::Value(format!(
                "Unknown variable: {}. This optimizer can only be called for the variables it was originally built with. When working with a new set of variables, you should recreate a new optimizer instance.",
                v.name()
            )));
        }
        let kept: Vec<(Tensor, &Variable)> =
            grads_and_vars.iter().filter_map(|(g, v)| g.as_ref().map(|g| (g.clone(), *v))).collect();
        if kept.is_empty() {
            return Err(Error::Value("No gradients provided for any variable.".into()));
        }
        for (g, v) in &kept {
            if g.shape() != v.shape() {
                return Err(Error::Value(format!(
                    "Gradient shape {} does not match variable shape {}",
                    g.shape().tuple(),
                    v.shape().tuple()
                )));
            }
        }
        let (grads, vars): (Vec<Tensor>, Vec<&Variable>) = kept.into_iter().unzip();
        let grads = self.clip(grads)?;
        let lr = self.learning_rate as f64;
        if let Some(wd) = self.common.weight_decay {
            for v in &vars {
                let x = v.read();
                v.assign(&x.sub(&x.mul(wd)?.mul(lr)?)?)?;
            }
        }
        for (g, v) in grads.iter().zip(&vars) {
            let g = g.cast(v.dtype())?;
            let slots = self.slots.get_mut(&v.id()).expect("internal: built for every variable");
            update::step(&self.algorithm, v, &g, slots, lr, self.iterations)?;
        }
        self.iterations += 1;
        Ok(())
    }

    fn iterations(&self) -> i64 {
        self.iterations
    }

    fn learning_rate(&self) -> f32 {
        self.learning_rate
    }
}

/// Keras's keyword arguments as builder methods, each named and documented
/// as its keyword.
macro_rules! setters {
    ($($field:ident: $t:ty),*) => {
        $(
            #[doc = concat!("`", stringify!($field), "`.")]
            pub fn $field(mut self, value: $t) -> Self {
                self.$field = value;
                self
            }
        )*
    };
}

macro_rules! common_options {
    () => {
        /// `weight_decay`.
        pub fn weight_decay(mut self, wd: f64) -> Self {
            self.common.weight_decay = Some(wd);
            self
        }
        /// `clipnorm`.
        pub fn clipnorm(mut self, c: f64) -> Self {
            self.common.clipnorm = Some(c);
            self
        }
        /// `global_clipnorm`.
        pub fn global_clipnorm(mut self, c: f64) -> Self {
            self.common.global_clipnorm = Some(c);
            self
        }
        /// `clipvalue`.
        pub fn clipvalue(mut self, c: f64) -> Self {
            self.common.clipvalue = Some(c);
            self
        }
    };
}

/// Builds `keras.optimizers.SGD(learning_rate, momentum, nesterov, ...)`.
#[derive(Clone, Debug)]
pub struct Sgd {
    lr: f64,
    momentum: f64,
    nesterov: bool,
    common: Common,
}

impl Sgd {
    /// `SGD(learning_rate)`.
    pub fn new(learning_rate: f64) -> Sgd {
        Sgd { lr: learning_rate, momentum: 0.0, nesterov: false, common: Common::default() }
    }
    setters!(momentum: f64, nesterov: bool);
    common_options!();
    /// The optimizer.
    pub fn build(self) -> Keras {
        Keras::new(Algorithm::Sgd { momentum: self.momentum, nesterov: self.nesterov }, self.lr, self.common)
    }
}

/// Builds `keras.optimizers.Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False)`.
#[derive(Clone, Debug)]
pub struct Adam {
    lr: f64,
    beta_1: f64,
    beta_2: f64,
    epsilon: f64,
    amsgrad: bool,
    common: Common,
}

impl Default for Adam {
    fn default() -> Adam {
        Adam { lr: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false, common: Common::default() }
    }
}

impl Adam {
    /// `Adam(learning_rate)` with Keras's other defaults.
    pub fn new(learning_rate: f64) -> Adam {
        Adam { lr: learning_rate, ..Adam::default() }
    }
    setters!(beta_1: f64, beta_2: f64, epsilon: f64, amsgrad: bool);
    common_options!();
    /// The optimizer.
    pub fn build(self) -> Keras {
        let alg = Algorithm::Adam { beta_1: self.beta_1, beta_2: self.beta_2, epsilon: self.epsilon, amsgrad: self.amsgrad };
        Keras::new(alg, self.lr, self.common)
    }
}

/// Builds `keras.optimizers.RMSprop(learning_rate=0.001, rho=0.9, momentum=0, epsilon=1e-7, centered=False)`.
#[derive(Clone, Debug)]
pub struct RmsProp {
    lr: f64,
    rho: f64,
    momentum: f64,
    epsilon: f64,
    centered: bool,
    common: Common,
}

impl Default for RmsProp {
    fn default() -> RmsProp {
        RmsProp { lr: 0.001, rho: 0.9, momentum: 0.0, epsilon: 1e-7, centered: false, common: Common::default() }
    }
}

impl RmsProp {
    /// `RMSprop(learning_rate)` with Keras's other defaults.
    pub fn new(learning_rate: f64) -> RmsProp {
        RmsProp { lr: learning_rate, ..RmsProp::default() }
    }
    setters!(rho: f64, momentum: f64, epsilon: f64, centered: bool);
    common_options!();
    /// The optimizer.
    pub fn build(self) -> Keras {
        let alg = Algorithm::RmsProp { rho: self.rho, momentum: self.momentum, epsilon: self.epsilon, centered: self.centered };
        Keras::new(alg, self.lr, self.common)
    }
}

/// Builds `keras.optimizers.Adagrad(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7)`.
#[derive(Clone, Debug)]
pub struct Adagrad {
    lr: f64,
    initial_accumulator_value: f64,
    epsilon: f64,
    common: Common,
}

impl Default for Adagrad {
    fn default() -> Adagrad {
        Adagrad { lr: 0.001, initial_accumulator_value: 0.1, epsilon: 1e-7, common: Common::default() }
    }
}

impl Adagrad {
    /// `Adagrad(learning_rate)` with Keras's other defaults.
    pub fn new(learning_rate: f64) -> Adagrad {
        Adagrad { lr: learning_rate, ..Adagrad::default() }
    }
    setters!(initial_accumulator_value: f64, epsilon: f64);
    common_options!();
    /// The optimizer.
    pub fn build(self) -> Keras {
        let alg = Algorithm::Adagrad { initial_accumulator_value: self.initial_accumulator_value, epsilon: self.epsilon };
        Keras::new(alg, self.lr, self.common)
    }
}
