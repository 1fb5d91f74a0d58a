//! The tape's calls as TF writes them: `watch` of a tensor, a variable or a
//! list; `gradient` and `jacobian` of one source or a list of them; TF's
//! keyword arguments as named options with TF's defaults.
//!
//! | TensorFlow | gradtape |
//! |---|---|
//! | `tf.GradientTape()` | `GradientTape::new()` |
//! | `tf.GradientTape(persistent=True)` | `GradientTape::persistent()` |
//! | `tf.GradientTape(watch_accessed_variables=False)` | `GradientTape::new().watch_accessed_variables(false)` |
//! | `tape.watch(x)` / `tape.watch(v)` | `tape.watch(&x)?` / `tape.watch(&v)?` |
//! | `tape.watch([x, y])` | `tape.watch(&[&x, &y])?` (one kind), `tape.watch((&x, &v))?` (mixed) |
//! | `tape.gradient(loss, w)` | `tape.gradient(&loss, &w)?` : `Option<Tensor>` |
//! | `tape.gradient(loss, [w, b])` | `tape.gradient(&loss, &[&w, &b])?` : `Vec<Option<Tensor>>` |
//! | `tape.gradient(loss, [x, v])` | `tape.gradient(&loss, &(&x, &v))?` : `Vec<Option<Tensor>>` |
//! | `tape.gradient(y, x, output_gradients=g)` | `tape.gradient_with(&y, &x, GradientOptions::new().output_gradients(g))?` |
//! | `tape.gradient(y, x, unconnected_gradients='zero')` | `tape.gradient_with(&y, &x, GradientOptions::new().unconnected_gradients(Unconnected::Zero))?` |
//! | `tape.jacobian(y, x)` | `tape.jacobian(&y, &x)?` : `Option<Tensor>` |
//! | `tape.jacobian(y, x, experimental_use_pfor=False)` | `tape.jacobian_with(&y, &x, JacobianOptions::new().experimental_use_pfor(false))?` |
//!
//! A Rust array holds one type, so a list mixing tensors and variables is a
//! tuple (`(&x, &v)`), or a slice of `&dyn Watchable` references.
//!
//! ```
//! # use gradtape_engine::*;
//! let w = Variable::new([[1.0], [2.0]])?;
//! let b = Variable::new(0.5)?;
//! let x = constant([[3.0, 4.0]])?;
//! // with tf.GradientTape() as tape:
//! //     loss = tf.reduce_sum(x @ w + b)
//! let tape = GradientTape::new();
//! let loss = tape.record(|_| (x.matmul(&w)? + &b)?.reduce_sum())?;
//! // dw, db = tape.gradient(loss, [w, b])
//! let grads = tape.gradient(&loss, &[&w, &b])?;
//! assert_eq!(grads[0].as_ref().unwrap().to_vec::<f32>()?, vec![3.0, 4.0]);
//! assert_eq!(grads[1].as_ref().unwrap().scalar::<f32>()?, 1.0);
//!
//! // with tf.GradientTape(persistent=True) as g:
//! //     g.watch([x, b]); y = x * x * b
//! let g = GradientTape::persistent();
//! let y = g.record(|t| { t.watch((&x, &b))?; &(&x * &x)? * &b })?;
//! // g.jacobian(y, x)
//! let j = g.jacobian(&y, &x)?.expect("y depends on x");
//! assert_eq!(j.dims(), &[1, 2, 1, 2]);
//! // g.gradient(y, [x, b]): a tensor and a variable, as a tuple
//! let both = g.gradient(&y, &(&x, &b))?;
//! assert_eq!(both[1].as_ref().unwrap().scalar::<f32>()?, 25.0);
//! # Ok::<(), gradtape_core::Error>(())
//! ```

use gradtape_core::Result;

use crate::backward::{Differentiable, Unconnected};
use crate::components::Tape;
use crate::node::Node;
use crate::{Engine, GradientTape, Tensor, Variable};

impl<T: Differentiable + ?Sized> Differentiable for &T {
    fn node(&self) -> &Node {
        (**self).node()
    }
    fn engine(&self) -> &Engine {
        (**self).engine()
    }
}

/// What `tape.watch` takes: a tensor, a variable (watched whether it is
/// trainable or not), or a list or tuple of them.
pub trait Watchable {
    /// Puts `self` on `tape`.
    fn watch_on(&self, tape: &GradientTape) -> Result<()>;
}

impl Watchable for Tensor {
    fn watch_on(&self, tape: &GradientTape) -> Result<()> {
        if self.node.tok.variable {
            // `&*v` in a mixed list: the variable itself.
            return tape.watch_variable(&self.variable_handle());
        }
        tape.watch_tensor(self)
    }
}

impl Watchable for Variable {
    fn watch_on(&self, tape: &GradientTape) -> Result<()> {
        tape.watch_variable(self)
    }
}

impl<T: Watchable + ?Sized> Watchable for &T {
    fn watch_on(&self, tape: &GradientTape) -> Result<()> {
        (**self).watch_on(tape)
    }
}

impl<T: Watchable> Watchable for [T] {
    fn watch_on(&self, tape: &GradientTape) -> Result<()> {
        self.iter().try_for_each(|x| x.watch_on(tape))
    }
}

impl<T: Watchable, const N: usize> Watchable for [T; N] {
    fn watch_on(&self, tape: &GradientTape) -> Result<()> {
        self.as_slice().watch_on(tape)
    }
}

impl<T: Watchable> Watchable for Vec<T> {
    fn watch_on(&self, tape: &GradientTape) -> Result<()> {
        self.as_slice().watch_on(tape)
    }
}

/// What `gradient` and `jacobian` differentiate with respect to: one
/// tensor or variable (the result is an `Option<Tensor>`) or a list or
/// tuple of them (a `Vec<Option<Tensor>>`, in the same order).
pub trait Sources {
    /// `Option<Tensor>` for one source, `Vec<Option<Tensor>>` for a list.
    type Grads;
    /// Appends the sources, in order.
    fn sources<'a>(&'a self, out: &mut Vec<&'a dyn Differentiable>);
    /// Shapes the per-source results (one per source, in order).
    fn pack(grads: Vec<Option<Tensor>>) -> Self::Grads;
}

macro_rules! one_source {
    ($($t:ty),*) => {$(
        impl Sources for $t {
            type Grads = Option<Tensor>;
            fn sources<'a>(&'a self, out: &mut Vec<&'a dyn Differentiable>) {
                out.push(self);
            }
            fn pack(mut grads: Vec<Option<Tensor>>) -> Option<Tensor> {
                grads.pop().flatten()
            }
        }
    )*};
}
one_source!(Tensor, Variable);

impl<'d> Sources for dyn Differentiable + 'd {
    type Grads = Option<Tensor>;
    fn sources<'a>(&'a self, out: &mut Vec<&'a dyn Differentiable>) {
        out.push(self);
    }
    fn pack(mut grads: Vec<Option<Tensor>>) -> Option<Tensor> {
        grads.pop().flatten()
    }
}

impl<T: Differentiable> Sources for [T] {
    type Grads = Vec<Option<Tensor>>;
    fn sources<'a>(&'a self, out: &mut Vec<&'a dyn Differentiable>) {
        out.extend(self.iter().map(|x| x as &dyn Differentiable));
    }
    fn pack(grads: Vec<Option<Tensor>>) -> Vec<Option<Tensor>> {
        grads
    }
}

impl<T: Differentiable, const N: usize> Sources for [T; N] {
    type Grads = Vec<Option<Tensor>>;
    fn sources<'a>(&'a self, out: &mut Vec<&'a dyn Differentiable>) {
        self.as_slice().sources(out)
    }
    fn pack(grads: Vec<Option<Tensor>>) -> Vec<Option<Tensor>> {
        grads
    }
}

impl<T: Differentiable> Sources for Vec<T> {
    type Grads = Vec<Option<Tensor>>;
    fn sources<'a>(&'a self, out: &mut Vec<&'a dyn Differentiable>) {
        self.as_slice().sources(out)
    }
    fn pack(grads: Vec<Option<Tensor>>) -> Vec<Option<Tensor>> {
        grads
    }
}

macro_rules! tuples {
    ($(($($n:ident . $i:tt),*);)*) => {$(
        impl<$($n: Watchable),*> Watchable for ($($n,)*) {
            fn watch_on(&self, tape: &GradientTape) -> Result<()> {
                $(self.$i.watch_on(tape)?;)*
                Ok(())
            }
        }
        impl<$($n: Differentiable),*> Sources for ($($n,)*) {
            type Grads = Vec<Option<Tensor>>;
            fn sources<'a>(&'a self, out: &mut Vec<&'a dyn Differentiable>) {
                $(out.push(&self.$i);)*
            }
            fn pack(grads: Vec<Option<Tensor>>) -> Vec<Option<Tensor>> {
                grads
            }
        }
    )*};
}
tuples! {
    (A.0, B.1);
    (A.0, B.1, C.2);
    (A.0, B.1, C.2, D.3);
    (A.0, B.1, C.2, D.3, E.4);
    (A.0, B.1, C.2, D.3, E.4, F.5);
}

/// `tf.GradientTape(persistent=..., watch_accessed_variables=...)` by name,
/// with TF's defaults (`false`, `true`).
///
/// ```
/// # use gradtape_engine::*;
/// // tf.GradientTape(persistent=True, watch_accessed_variables=False)
/// let tape = TapeOptions::new().persistent(true).watch_accessed_variables(false).build();
/// assert!(tape.is_persistent());
/// # Ok::<(), gradtape_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TapeOptions {
    /// Whether gradients may be asked for more than once (TF: `False`).
    pub persistent: bool,
    /// Whether reading a trainable variable watches it (TF: `True`).
    pub watch_accessed_variables: bool,
}

impl Default for TapeOptions {
    fn default() -> Self {
        TapeOptions { persistent: false, watch_accessed_variables: true }
    }
}

impl TapeOptions {
    /// TF's defaults.
    pub fn new() -> TapeOptions {
        TapeOptions::default()
    }
    /// `persistent=...`.
    pub fn persistent(self, persistent: bool) -> TapeOptions {
        TapeOptions { persistent, ..self }
    }
    /// `watch_accessed_variables=...`.
    pub fn watch_accessed_variables(self, watch: bool) -> TapeOptions {
        TapeOptions { watch_accessed_variables: watch, ..self }
    }
    /// The tape, on the default engine.
    pub fn build(self) -> GradientTape {
        self.on(Engine::default_engine())
    }
    /// The tape, on `engine`.
    pub fn on(self, engine: &Engine) -> GradientTape {
        engine.gradient_tape(self.persistent, self.watch_accessed_variables)
    }
}

/// `tape.gradient`'s keyword arguments, with TF's defaults: no
/// `output_gradients` (ones), `unconnected_gradients='none'`.
#[derive(Clone, Default)]
pub struct GradientOptions {
    /// The target's upstream gradient, of its shape and dtype (TF: ones).
    pub output_gradients: Option<Tensor>,
    /// What an unconnected source gets (TF: `None`).
    pub unconnected_gradients: Unconnected,
}

impl GradientOptions {
    /// TF's defaults.
    pub fn new() -> GradientOptions {
        GradientOptions::default()
    }
    /// `output_gradients=g`.
    pub fn output_gradients(self, g: Tensor) -> GradientOptions {
        GradientOptions { output_gradients: Some(g), ..self }
    }
    /// `unconnected_gradients=...`.
    pub fn unconnected_gradients(self, u: Unconnected) -> GradientOptions {
        GradientOptions { unconnected_gradients: u, ..self }
    }
}

/// `tape.jacobian`'s keyword arguments, with TF's defaults:
/// `unconnected_gradients='none'`, `experimental_use_pfor=True`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JacobianOptions {
    /// What an unconnected source gets (TF: `None`).
    pub unconnected_gradients: Unconnected,
    /// One vectorised walk (TF: `True`), or one gradient per row, which
    /// needs a persistent tape.
    pub experimental_use_pfor: bool,
}

impl Default for JacobianOptions {
    fn default() -> Self {
        JacobianOptions { unconnected_gradients: Unconnected::None, experimental_use_pfor: true }
    }
}

impl JacobianOptions {
    /// TF's defaults.
    pub fn new() -> JacobianOptions {
        JacobianOptions::default()
    }
    /// `unconnected_gradients=...`.
    pub fn unconnected_gradients(self, u: Unconnected) -> JacobianOptions {
        JacobianOptions { unconnected_gradients: u, ..self }
    }
    /// `experimental_use_pfor=...`.
    pub fn experimental_use_pfor(self, pfor: bool) -> JacobianOptions {
        JacobianOptions { experimental_use_pfor: pfor, ..self }
    }
}

impl GradientTape {
    /// A tape with `options` on the default engine.
    pub fn with_options(options: TapeOptions) -> GradientTape {
        options.build()
    }

    /// `watch_accessed_variables=...` on this tape, from now on.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// let v = Variable::new(2.0)?;
    /// // with tf.GradientTape(watch_accessed_variables=False) as tape:
    /// let tape = GradientTape::new().watch_accessed_variables(false);
    /// let y = tape.record(|_| &v * &v)?;
    /// assert!(tape.gradient(&y, &v)?.is_none()); // v was not watched
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn watch_accessed_variables(self, watch: bool) -> GradientTape {
        if let Some(mut t) = self.engine.lock().get_mut::<Tape>(self.entity()) {
            t.watch_accessed_variables = watch;
        }
        self
    }

    /// `tape.watch(x)`: a tensor, a variable (trainable or not), or a list
    /// (`&[&x, &y]`, a `Vec`) or tuple (`(&x, &v)`) of them.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// let x = constant(3.0)?;
    /// let v = Variable::with_options(&constant(2.0)?, false, "v")?; // not trainable
    /// let tape = GradientTape::new();
    /// // tape.watch([x, v])
    /// let y = tape.record(|t| { t.watch((&x, &v))?; &x * &v })?;
    /// let g = tape.gradient(&y, &(&x, &v))?;
    /// assert_eq!((g[0].as_ref().unwrap().scalar::<f32>()?, g[1].as_ref().unwrap().scalar::<f32>()?), (2.0, 3.0));
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn watch(&self, x: impl Watchable) -> Result<()> {
        x.watch_on(self)
    }

    /// Watches a list (`tape.watch_all(&[&x, &y])`), the same as
    /// `tape.watch(&[&x, &y])`. A list mixing tensors and variables is a
    /// tuple for `watch`, or names its element type here:
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// let (x, v) = (constant(1.0)?, Variable::new(2.0)?);
    /// let tape = GradientTape::new();
    /// tape.record(|t| t.watch_all(&[&x as &dyn Watchable, &v]))?;
    /// assert_eq!(tape.watched_variables().len(), 1);
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn watch_all<W: Watchable>(&self, xs: &[W]) -> Result<()> {
        xs.iter().try_for_each(|x| x.watch_on(self))
    }

    /// `tape.gradient(target, sources)`: d sum(target) / d source, `None`
    /// where no recorded path connects them. One source gives an
    /// `Option<Tensor>`; a list or tuple a `Vec<Option<Tensor>>` in order.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// let x = constant([1.0, 2.0])?;
    /// let tape = GradientTape::new();
    /// // y = sum(x²), so dy/dx = 2x
    /// let y = tape.record(|t| {
    ///     t.watch(&x)?;
    ///     x.square()?.reduce_sum()
    /// })?;
    /// let dy_dx = tape.gradient(&y, &x)?.expect("y depends on x");
    /// assert_eq!(dy_dx.to_vec::<f32>()?, vec![2.0, 4.0]);
    /// // A non-persistent tape answers once, as in TF.
    /// assert!(tape.gradient(&y, &x).is_err());
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn gradient<S: Sources + ?Sized>(&self, target: &dyn Differentiable, sources: &S) -> Result<S::Grads> {
        self.gradient_with(target, sources, GradientOptions::default())
    }

    /// `tape.gradient(target, sources, output_gradients=..., unconnected_gradients=...)`.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// let x = constant([1.0, 2.0])?;
    /// let u = constant(5.0)?;
    /// let tape = GradientTape::new();
    /// let y = tape.record(|t| { t.watch((&x, &u))?; &x * 3.0 })?;
    /// // tape.gradient(y, [x, u], output_gradients=[1., 10.], unconnected_gradients='zero')
    /// let opts = GradientOptions::new()
    ///     .output_gradients(constant([1.0, 10.0])?)
    ///     .unconnected_gradients(Unconnected::Zero);
    /// let g = tape.gradient_with(&y, &[&x, &u], opts)?;
    /// assert_eq!(g[0].as_ref().unwrap().to_vec::<f32>()?, vec![3.0, 30.0]);
    /// assert_eq!(g[1].as_ref().unwrap().scalar::<f32>()?, 0.0);
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn gradient_with<S: Sources + ?Sized>(
        &self,
        target: &dyn Differentiable,
        sources: &S,
        options: GradientOptions,
    ) -> Result<S::Grads> {
        let mut src = Vec::new();
        sources.sources(&mut src);
        let og = options.output_gradients.map(|g| [Some(g)]);
        let grads = self.gradients_with(&[target], &src, og.as_ref().map(|g| &g[..]), options.unconnected_gradients)?;
        Ok(S::pack(grads))
    }

    /// `tape.jacobian(target, sources)`: per source, shape
    /// `target.shape ++ source.shape`, by one vectorised backward walk. One
    /// source gives an `Option<Tensor>`, a list a `Vec<Option<Tensor>>`.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// let x = constant([1.0, 2.0, 3.0])?;
    /// let tape = GradientTape::new();
    /// // y = x², so dy_i/dx_j = 2·x_i where i = j, else 0
    /// let y = tape.record(|t| { t.watch(&x)?; x.square() })?;
    /// // tape.jacobian(y, x)
    /// let j = tape.jacobian(&y, &x)?.expect("y depends on x");
    /// assert_eq!(j.dims(), &[3, 3]);
    /// assert_eq!(j.to_vec::<f32>()?, vec![2., 0., 0., 0., 4., 0., 0., 0., 6.]);
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn jacobian<S: Sources + ?Sized>(&self, target: &dyn Differentiable, sources: &S) -> Result<S::Grads> {
        self.jacobian_with(target, sources, JacobianOptions::default())
    }

    /// `tape.jacobian(target, sources, unconnected_gradients=..., experimental_use_pfor=...)`.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// let x = constant([1.0, 2.0])?;
    /// let tape = GradientTape::new();
    /// let y = tape.record(|t| { t.watch(&x)?; &x * 2.0 })?;
    /// // experimental_use_pfor=False needs persistent=True, as in TF
    /// let e = tape.jacobian_with(&y, &x, JacobianOptions::new().experimental_use_pfor(false)).unwrap_err();
    /// assert!(e.to_string().contains("must be created with persistent=True"));
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn jacobian_with<S: Sources + ?Sized>(
        &self,
        target: &dyn Differentiable,
        sources: &S,
        options: JacobianOptions,
    ) -> Result<S::Grads> {
        let mut src = Vec::new();
        sources.sources(&mut src);
        let j = self.jacobians(target, &src, options.unconnected_gradients, options.experimental_use_pfor)?;
        Ok(S::pack(j))
    }
}

impl Engine {
    /// A tape on this engine with `options`.
    pub fn tape(&self, options: TapeOptions) -> GradientTape {
        options.on(self)
    }
}
