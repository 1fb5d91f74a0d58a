//! `Variable`: a tensor entity whose value `assign*` replaces in place. Reads
//! snapshot the current buffer into a new tensor entity (TF's
//! `ReadVariableOp`), so later assignments never change earlier results.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bevy_ecs::prelude::*;
use gradtape_core::{format, DType, Error, HostData, Result, Shape};

use crate::components::{self, Storage, Trainable, VariableTag};
use crate::literal::IntoLiteral;
use crate::node::Node;
use crate::kernels::binary;
use crate::ops::binary::BinaryOp;
use crate::ops::index::IndexArg;
use crate::backend::FlushState;
use crate::variable_ops::UnreadVariable;
use crate::{tape, Engine, Tensor};

static NEXT_VARIABLE: AtomicU64 = AtomicU64::new(0);

/// A mutable, watchable tensor, like `tf.Variable`. Clones are aliases of
/// the same variable (Python's `b = a`).
///
/// ```
/// # use gradtape_engine::*;
/// let v = Variable::new([1.0, 2.0])?;
/// let id = v.id();
/// v.assign_add([1.0, 1.0])?;
/// assert_eq!((v.id(), v.to_vec::<f32>()?), (id, vec![2.0, 3.0]));
/// # Ok::<(), gradtape_core::Error>(())
/// ```
///
/// TF raises at run time for `v[0] = 5.` and `v += 1`; in Rust neither compiles
/// (use [`Variable::assign_slice`] and [`Variable::assign_add`]):
///
/// ```compile_fail
/// # use gradtape_engine::*;
/// let v = Variable::new([1.0, 2.0]).unwrap();
/// v[0] = 5.0;
/// ```
///
/// ```compile_fail
/// # use gradtape_engine::*;
/// let mut v = Variable::new([1.0, 2.0]).unwrap();
/// v += 1;
/// ```
#[derive(Clone)]
pub struct Variable {
    pub(crate) node: Node,
    pub(crate) engine: Engine,
    /// The variable as a `Tensor` handle, for `Deref`.
    view: Tensor,
}

/// A Variable can be used wherever a `&Tensor` is taken, as candle's `Var`
/// derefs to its `Tensor`: in every op (`x.matmul(&v)`, `matmul(&t, &v)`,
/// `v.reduce_sum()`), and in lists that mix the two
/// (`tape.watch(&[&x, &v])`, `tape.gradient(&loss, &[&x, &v])`). An op
/// that takes it reads the variable then (TF's `ReadVariableOp`, watched by
/// recording tapes), so a later `assign` never changes an earlier result;
/// `watch` and `gradient` treat it as the variable.
///
/// ```
/// # use gradtape_engine::*;
/// let x = constant([1.0, 2.0])?;
/// let v = Variable::new([3.0, 4.0])?;
/// let tape = GradientTape::new();
/// tape.watch(&[&x, &v])?; // TF: tape.watch([x, v])
/// let y = tape.record(|_| (&x * &v)?.reduce_sum())?;
/// let g = tape.gradient(&y, &[&x, &v])?;
/// assert_eq!(g[0].as_ref().unwrap().to_vec::<f32>()?, vec![3.0, 4.0]);
/// assert_eq!(g[1].as_ref().unwrap().to_vec::<f32>()?, vec![1.0, 2.0]);
/// # Ok::<(), gradtape_core::Error>(())
/// ```
impl std::ops::Deref for Variable {
    type Target = Tensor;
    fn deref(&self) -> &Tensor {
        &self.view
    }
}

/// What `assign` accepts: a literal (converted to the variable's dtype, as
/// TF converts Python values) or a tensor.
pub trait AssignValue {
    /// A tensor of `dtype` on `engine`, or TF's `TypeError`.
    fn to_tensor_like(self, engine: &Engine, dtype: DType) -> Result<Tensor>;
}

macro_rules! assign_literal {
    ($($t:ty),*) => {$(
        impl AssignValue for $t {
            fn to_tensor_like(self, engine: &Engine, dtype: DType) -> Result<Tensor> {
                engine.constant_with(self, dtype)
            }
        }
    )*};
}
assign_literal!(f32, f64, i32, i64, bool, crate::Literal);

impl<T: IntoLiteral, const N: usize> AssignValue for [T; N] {
    fn to_tensor_like(self, engine: &Engine, dtype: DType) -> Result<Tensor> {
        engine.constant_with(self, dtype)
    }
}

impl<T: IntoLiteral> AssignValue for Vec<T> {
    fn to_tensor_like(self, engine: &Engine, dtype: DType) -> Result<Tensor> {
        engine.constant_with(self, dtype)
    }
}

impl AssignValue for &Tensor {
    fn to_tensor_like(self, _: &Engine, dtype: DType) -> Result<Tensor> {
        if self.dtype() != dtype {
            return Err(Error::Type(format!(
                "Cannot convert {} to EagerTensor of dtype {}",
                self.numpy_repr(),
                dtype
            )));
        }
        Ok(self.clone())
    }
}

impl Engine {
    /// `tf.Variable(value)` on this engine, trainable.
    pub fn variable(&self, value: impl IntoLiteral) -> Result<Variable> {
        Variable::from_tensor(&self.constant(value)?)
    }
}

impl Variable {
    /// `tf.Variable(value)` on the default engine (dtype inferred as for `constant`).
    pub fn new(value: impl IntoLiteral) -> Result<Variable> {
        Engine::default_engine().variable(value)
    }

    /// `tf.Variable(tensor)`: keeps the tensor's dtype (a typed buffer's too).
    pub fn from_tensor(t: &Tensor) -> Result<Variable> {
        Variable::with_options(t, true, "Variable")
    }

    /// `tf.Variable(tensor, trainable=..., name=...)`.
    pub fn with_options(t: &Tensor, trainable: bool, name: &str) -> Result<Variable> {
        let data = t.data();
        let engine = t.engine.clone();
        let mut w = engine.lock();
        let tag = VariableTag { name: format!("{name}:0"), seq: NEXT_VARIABLE.fetch_add(1, Ordering::Relaxed) };
        let mut ent = w.spawn((components::Shape(t.shape().clone()), components::DType(t.dtype()), Storage::Host(data), tag));
        if trainable {
            ent.insert(Trainable);
        }
        let e = ent.id();
        drop(w);
        let tok = crate::node::Token::new_variable(e, engine.id(), engine.0.drops.clone());
        Ok(Variable::from_node(Node { tok, shape: t.shape().clone(), dtype: t.dtype() }, engine))
    }

    /// The handle of a variable's node (its token made by `Token::new_variable`).
    pub(crate) fn from_node(node: Node, engine: Engine) -> Variable {
        let view = Tensor::from_node(&engine, node.clone());
        Variable { node, engine, view }
    }

    /// The shape, fixed at creation.
    pub fn shape(&self) -> &Shape {
        &self.node.shape
    }

    /// The dtype, fixed at creation.
    pub fn dtype(&self) -> DType {
        self.node.dtype
    }

    /// The engine whose world holds it.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The variable's entity: unchanged by assignments, like Python's `id(v)`.
    pub fn id(&self) -> Entity {
        self.node.entity()
    }

    /// TF's name, `Variable:0` unless given.
    pub fn name(&self) -> String {
        self.engine.lock().get::<VariableTag>(self.id()).map_or_else(String::new, |t| t.name.clone())
    }

    /// Whether tapes watch it when it is read.
    pub fn trainable(&self) -> bool {
        self.engine.lock().get::<Trainable>(self.id()).is_some()
    }

    pub(crate) fn storage(&self) -> Arc<HostData> {
        self.engine.lock().get::<Storage>(self.id()).and_then(Storage::host).expect("internal: a variable always has a value").clone()
    }

    /// Reads the current value into a tensor; active tapes watch the read.
    pub fn read(&self) -> Tensor {
        let mut w = self.engine.lock();
        let data = w.get::<Storage>(self.id()).and_then(Storage::host).expect("internal: a variable always has a value").clone();
        let e = self.engine.alloc();
        let out = Tensor::wrap(&self.engine, e, self.shape().clone(), self.dtype());
        let (mut watched, mut entries) = (smallvec::SmallVec::new(), smallvec::SmallVec::new());
        tape::on_variable_read(&mut w, self.engine.id(), &self.node, &out.node, &mut watched, &mut entries);
        drop(w);
        self.engine.enqueue(crate::queue::Record::Value { e, data, shape: self.shape().clone(), watched }, entries);
        out
    }

    /// Same as [`Variable::read`].
    pub fn value(&self) -> Tensor {
        self.read()
    }

    /// `v[index]`: a tensor.
    pub fn i(&self, index: impl IndexArg) -> Result<Tensor> {
        self.read().i(index)
    }

    fn set(&self, data: Arc<HostData>) {
        let mut w = self.engine.lock();
        *w.get_mut::<Storage>(self.id()).expect("internal: a variable always has a value") = Storage::Host(data);
    }

    fn checked_value(&self, value: impl AssignValue) -> Result<Tensor> {
        let t = value.to_tensor_like(&self.engine, self.dtype())?;
        if !t.engine.same(&self.engine) {
            return Err(Error::InvalidArgument("the value and the variable belong to different engines".into()));
        }
        if t.shape() != self.shape() {
            return Err(Error::Value(format!(
                "Cannot assign value to variable ' {}': Shape mismatch.The variable shape {}, and the assigned value shape {} are incompatible.",
                self.name(),
                self.shape().tuple(),
                t.shape().tuple()
            )));
        }
        Ok(t)
    }

    /// `v.assign(value)`: replaces the value in place; the entity stays.
    pub fn assign(&self, value: impl AssignValue) -> Result<UnreadVariable<'_>> {
        let t = self.checked_value(value)?;
        self.set(t.data());
        Ok(UnreadVariable(self))
    }

    fn update(&self, op: BinaryOp, value: impl AssignValue) -> Result<UnreadVariable<'_>> {
        let t = self.checked_value(value)?;
        if self.dtype() == DType::Bool {
            // TF has no bool kernel for these: its NotFoundError, whose first
            // line this is (TF goes on to list the kernels its build registered).
            let name = if op == BinaryOp::Add { "AssignAddVariableOp" } else { "AssignSubVariableOp" };
            return Err(Error::NotFound(format!(
                "Could not find device for node: {{{{node {name}}}}} = {name}[dtype=DT_BOOL] [Op:{name}]"
            )));
        }
        let s = self.shape();
        let value = t.data();
        // Computed on the host, outside every tape: an update is not a
        // differentiable op. The new buffer comes from the engine's pool and
        // the old one goes back to it when nothing else holds it, so a
        // training loop neither zero-fills nor faults in a fresh buffer per
        // step (a 256x256 update was 20 µs, most of it that).
        let mut w = self.engine.lock();
        let old = w.get::<Storage>(self.id()).and_then(Storage::host).expect("internal: a variable always has a value").clone();
        let new = binary::cpu(op, &old, s, &value, s, s, &mut w.resource_mut::<FlushState>().pool);
        *w.get_mut::<Storage>(self.id()).expect("internal: a variable always has a value") = Storage::Host(Arc::new(new));
        if let Ok(d) = Arc::try_unwrap(old) {
            w.resource_mut::<FlushState>().pool.give(d);
        }
        Ok(UnreadVariable(self))
    }

    /// `v.assign_add(value)`.
    pub fn assign_add(&self, value: impl AssignValue) -> Result<UnreadVariable<'_>> {
        self.update(BinaryOp::Add, value)
    }

    /// `v.assign_sub(value)`.
    pub fn assign_sub(&self, value: impl AssignValue) -> Result<UnreadVariable<'_>> {
        self.update(BinaryOp::Sub, value)
    }

    /// `v[index].assign(value)`: replaces the selected elements in place.
    pub fn assign_slice(&self, index: impl IndexArg, value: impl AssignValue) -> Result<UnreadVariable<'_>> {
        let (spec, window, kept) = crate::ops::index::resolve(self.shape(), &index.items())?;
        let t = value.to_tensor_like(&self.engine, self.dtype())?;
        if !t.engine.same(&self.engine) {
            return Err(Error::InvalidArgument("the value and the variable belong to different engines".into()));
        }
        if t.shape() != &kept {
            return Err(Error::Value(format!(
                "Cannot assign value to variable ' {}': Shape mismatch.The variable shape {}, and the assigned value shape {} are incompatible.",
                self.name(),
                kept.tuple(),
                t.shape().tuple()
            )));
        }
        let mut data = (*self.storage()).clone();
        crate::kernels::movement::scatter_window(&mut data, self.shape(), &spec, &t.data(), &window);
        self.set(Arc::new(data));
        Ok(UnreadVariable(self))
    }

    /// The value's elements as `T`.
    pub fn to_vec<T: gradtape_core::Element>(&self) -> Result<Vec<T>> {
        // Straight from the buffer: a host read is no op, so no tape sees it.
        let data = self.storage();
        T::unwrap_ref(&data).map(<[T]>::to_vec).ok_or_else(|| {
            Error::Type(format!("cannot read a {} variable as {}", self.dtype(), T::DTYPE))
        })
    }
}

impl fmt::Display for Variable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format::variable_repr(&self.name(), &self.storage(), self.shape()))
    }
}

impl fmt::Debug for Variable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
