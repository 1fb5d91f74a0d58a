//! `Tensor`: a cheap, `Send + Sync` handle to a tensor entity.

use std::fmt;
use std::sync::Arc;

use bevy_ecs::prelude::*;
use gradtape_core::{format, DType, Element, Error, HostData, Result, Shape};
use smallvec::SmallVec;

use crate::components::{DeviceFault, Storage};
use crate::engine::Engine;
use crate::node::{Node, Token};
use crate::op::OpKind;
use crate::queue::Record;
use crate::tape;

/// An immutable tensor: an entity of an [`Engine`]'s world plus its shape and
/// dtype. Cloning it is cheap and shares the entity; the entity is despawned
/// once every handle (and every tape entry using it) is gone.
#[derive(Clone)]
pub struct Tensor {
    pub(crate) node: Node,
    pub(crate) engine: Engine,
    /// TF's weak type (`EagerWeakTensor`): set on Python-literal values under
    /// NumPy behaviour's 'all'/'safe' modes and carried by the promotion
    /// lattice (numpy.rs); a property of this handle, not of the entity.
    pub(crate) weak: bool,
}

impl Tensor {
    /// The shape (`tensor.shape`).
    pub fn shape(&self) -> &Shape {
        &self.node.shape
    }

    /// The dimensions as a slice.
    pub fn dims(&self) -> &[usize] {
        self.node.shape.dims()
    }

    /// The number of dimensions (`tf.rank`).
    pub fn rank(&self) -> usize {
        self.node.shape.rank()
    }

    /// The number of elements (`tf.size`).
    pub fn numel(&self) -> usize {
        self.node.shape.numel()
    }

    /// The element type (`tensor.dtype`).
    pub fn dtype(&self) -> DType {
        self.node.dtype
    }

    /// Whether TF would make this an `EagerWeakTensor` (see [`crate::numpy`]).
    ///
    /// ```
    /// # use gradtape_engine::{Engine, PromotionMode};
    /// let e = Engine::cpu();
    /// e.enable_numpy_behavior(PromotionMode::All);
    /// let x = e.constant(1.5)?;
    /// assert!(x.is_weak());
    /// assert_eq!(x.to_string(), "<tf.Tensor: shape=(), dtype=float32, numpy=1.5, weak=True>");
    /// assert!(!e.constant_with(1.5, gradtape_core::DType::F32)?.is_weak());
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn is_weak(&self) -> bool {
        self.weak
    }

    /// This handle with TF's weak flag set to `weak`.
    pub(crate) fn with_weak(mut self, weak: bool) -> Tensor {
        self.weak = weak;
        self
    }

    /// The engine whose world holds it.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The entity in the engine's world; stable for the tensor's life, like
    /// Python's `id()`.
    pub fn id(&self) -> Entity {
        self.node.entity()
    }

    /// A computed tensor, queued to be spawned at the next flush.
    pub(crate) fn from_data(engine: &Engine, data: HostData, shape: Shape) -> Tensor {
        Tensor::from_arc(engine, Arc::new(data), shape, SmallVec::new(), SmallVec::new())
    }

    /// A tensor of a shared host value, on the tapes in `watched`, queued
    /// with the tape `entries` that made it.
    pub(crate) fn from_arc(
        engine: &Engine,
        data: Arc<HostData>,
        shape: Shape,
        watched: SmallVec<[Entity; 1]>,
        entries: SmallVec<[Record; 1]>,
    ) -> Tensor {
        debug_assert_eq!(data.len(), shape.numel());
        let e = engine.alloc();
        let out = Tensor::wrap(engine, e, shape.clone(), data.dtype());
        engine.enqueue(Record::Value { e, data, shape, watched }, entries);
        out
    }

    pub(crate) fn wrap(engine: &Engine, e: Entity, shape: Shape, dtype: DType) -> Tensor {
        let tok = Token::new(e, engine.id(), engine.0.drops.clone());
        Tensor { node: Node { tok, shape, dtype }, engine: engine.clone(), weak: false }
    }

    /// The variable this handle is the `Deref` of (its token is a variable's).
    pub(crate) fn variable_handle(&self) -> crate::Variable {
        crate::Variable::from_node(self.node.clone(), self.engine.clone())
    }

    pub(crate) fn from_node(engine: &Engine, node: Node) -> Tensor {
        Tensor { node, engine: engine.clone(), weak: false }
    }

    /// Queues `kind` on `inputs` (already validated) with the given output
    /// shape and dtype, and offers it to the thread's recording tapes.
    pub(crate) fn op(kind: OpKind, inputs: &[&Tensor], shape: Shape, dtype: DType) -> Result<Tensor> {
        let engine = &inputs[0].engine;
        for t in &inputs[1..] {
            if !t.engine.same(engine) {
                return Err(Error::InvalidArgument(format!(
                    "cannot compute {} as its inputs belong to different engines",
                    kind.name()
                )));
            }
        }
        shape.checked_numel(dtype.size())?;
        // A variable taken as a tensor (`&*v`) is read now, as TF's ops read
        // a resource variable: an assign before the flush must not reach it.
        let mut nodes: SmallVec<[Node; 2]> = SmallVec::new();
        for t in inputs {
            nodes.push(if t.node.tok.variable { t.variable_handle().read().node } else { t.node.clone() });
        }
        // The World is not touched: the entity id comes from the concurrent
        // allocator, and the op (and any tape's entry) goes on the queue.
        let e = engine.alloc();
        let out = Tensor::wrap(engine, e, shape.clone(), dtype);
        // Off every tape, no record buffers: building and moving an empty
        // `entries` into the queue cost ~100 instructions per op (callgrind).
        if !tape::any_active(engine.id()) {
            engine.enqueue(Record::Op { e, kind, inputs: nodes, shape, dtype, watched: SmallVec::new() }, []);
            return Ok(out);
        }
        let (mut watched, mut entries) = (SmallVec::new(), SmallVec::<[Record; 1]>::new());
        tape::record(engine.id(), &kind, &nodes, &out.node, &mut watched, &mut entries);
        engine.enqueue(Record::Op { e, kind, inputs: nodes, shape, dtype, watched }, entries);
        Ok(out)
    }

    /// The value on the host, computing what is pending first. Panics if
    /// the value was lost with a failed device; [`Tensor::try_data`] is the
    /// fallible twin.
    pub fn data(&self) -> Arc<HostData> {
        self.try_data().unwrap_or_else(|e| panic!("gradtape: {e}"))
    }

    /// The value on the host, or the device failure that lost it.
    pub fn try_data(&self) -> Result<Arc<HostData>> {
        let mut w = self.engine.lock();
        // Not spawned yet (still queued) reads as no value.
        if w.get::<Storage>(self.id()).and_then(|s| s.host()).is_none() {
            self.engine.flush_locked(&mut w);
            crate::vulkan::ensure_host(&mut w, self.id());
        }
        match w.get::<Storage>(self.id()) {
            Some(Storage::Failed(e)) => Err(e.clone()),
            Some(s) if s.host().is_some() => Ok(s.host().expect("internal: checked").clone()),
            _ => Err(w
                .get_resource::<DeviceFault>()
                .and_then(|f| f.0.clone())
                .unwrap_or_else(|| Error::Device("internal: a flushed tensor has no value".into()))),
        }
    }

    /// The elements, row-major, as `T`; an `Err` if `T` is not the dtype.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        let d = self.try_data()?;
        T::unwrap_ref(&d).map(|s| s.to_vec()).ok_or_else(|| {
            Error::Type(format!("cannot read a {} tensor as {}", self.dtype(), T::DTYPE))
        })
    }

    /// The elements converted to f64 (bool as 0/1).
    pub fn to_f64_vec(&self) -> Vec<f64> {
        self.data().to_f64_vec()
    }

    /// The one element of a one-element tensor, as `T`.
    pub fn scalar<T: Element>(&self) -> Result<T> {
        let v = self.to_vec::<T>()?;
        match v.as_slice() {
            [x] => Ok(*x),
            _ => Err(Error::Value(format!(
                "can only convert a tensor of one element to a scalar, not shape {}",
                self.shape()
            ))),
        }
    }

    /// Like [`Tensor::scalar`] for any dtype, converting to f64.
    pub fn item(&self) -> Result<f64> {
        match self.try_data()?.to_f64_vec().as_slice() {
            [x] => Ok(*x),
            _ => Err(Error::Value(format!(
                "can only convert a tensor of one element to a scalar, not shape {}",
                self.shape()
            ))),
        }
    }

    /// NumPy's repr of the value, as TF prints after `numpy=`.
    pub fn numpy_repr(&self) -> String {
        format::numpy_repr(&self.data(), self.shape())
    }
}

impl fmt::Display for Tensor {
    /// TF's repr; with `{:#}`, TF's `str` (what `print(t)` shows).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            return f.write_str(&self.str());
        }
        match self.try_data() {
            Ok(d) if self.weak => f.write_str(&format::weak_tensor_repr(&d, self.shape())),
            Ok(d) => f.write_str(&format::tensor_repr(&d, self.shape())),
            // Display cannot fail with our error; it shows it instead of a value.
            Err(e) => write!(f, "<tf.Tensor: shape={}, dtype={}, unavailable: {e}>", self.shape().tuple(), self.dtype()),
        }
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
