//! `GradientTape`: TF's tape object on the ECS. A tape is an entity with a
//! `Tape` component; each recorded op is a `TapeEntry` entity; tensors on a
//! tape carry `Watched`. Each thread has its own stack of active tapes, as in
//! TF, and every op is offered to every active tape of its engine.

use std::cell::RefCell;
use std::sync::Arc;

use bevy_ecs::prelude::*;
use gradtape_core::{DType, Error, Result, Shape};
use smallvec::SmallVec;

use crate::components::{Tape, TapeEntry, TapeMarks, Trainable, VariableTag, Watched};
use crate::node::{Node, Token};
use crate::op::OpKind;
use crate::queue::Record;
use crate::systems::release_tape;
use crate::{Engine, Tensor, Variable};

/// A recording tape on this thread's stack.
struct Active {
    engine: u64,
    tape: Entity,
    marks: Arc<TapeMarks>,
}

thread_local! {
    /// This thread's recording tapes, innermost last.
    static ACTIVE: RefCell<Vec<Active>> = const { RefCell::new(Vec::new()) };
}

fn push_active(engine: u64, tape: Entity, marks: &Arc<TapeMarks>) {
    ACTIVE.with(|a| a.borrow_mut().push(Active { engine, tape, marks: marks.clone() }));
}

fn remove_active(engine: u64, tape: Entity) {
    // `try_with`: a tape dropped while the thread's locals are torn down.
    let _ = ACTIVE.try_with(|a| a.borrow_mut().retain(|x| (x.engine, x.tape) != (engine, tape)));
}

/// Whether this thread has any recording tape of engine `engine`.
pub(crate) fn any_active(engine: u64) -> bool {
    ACTIVE.with(|a| a.borrow().iter().any(|x| x.engine == engine))
}

/// Mirrors a new mark as the entity's `Watched` component.
fn mirror_mark(w: &mut World, e: Entity, tape: Entity) {
    let Ok(mut ent) = w.get_entity_mut(e) else { return };
    match ent.get_mut::<Watched>() {
        Some(mut wt) => {
            if !wt.0.contains(&tape) {
                wt.0.push(tape);
            }
        }
        None => {
            ent.insert(Watched(smallvec::smallvec![tape]));
        }
    }
}

/// Offers an op to this thread's recording tapes, without the World: a tape
/// records it when an input is on the tape and has a float dtype (TF's
/// `ShouldRecord`). The output goes on each recording tape (pushed to
/// `watched`), and each tape's entry is pushed to `entries`, to be queued
/// right after the op.
pub(crate) fn record(
    engine: u64,
    kind: &OpKind,
    inputs: &[Node],
    out: &Node,
    watched: &mut SmallVec<[Entity; 1]>,
    entries: &mut SmallVec<[Record; 1]>,
) {
    ACTIVE.with(|a| {
        for act in a.borrow().iter().filter(|x| x.engine == engine) {
            let mut marks = act.marks.lock();
            if !inputs.iter().any(|n| n.dtype.is_float() && marks.contains(&n.entity())) {
                continue;
            }
            marks.insert(out.entity());
            watched.push(act.tape);
            entries.push(Record::Entry {
                tape: act.tape,
                kind: kind.clone(),
                inputs: inputs.iter().cloned().collect(),
                output: out.clone(),
            });
        }
    });
}

/// Puts a (spawned) variable on `tape`: marks it and lists it in `watched_variables`.
fn watch_variable_in(w: &mut World, tape: Entity, var: &Node) {
    let seq = w.get::<VariableTag>(var.entity()).map_or(0, |v| v.seq);
    let Some(marks) = w.get::<Tape>(tape).map(|t| t.marks.clone()) else { return };
    if !marks.lock().insert(var.entity()) {
        return;
    }
    mirror_mark(w, var.entity(), tape);
    if let Some(mut t) = w.get_mut::<Tape>(tape) {
        if !t.variables.iter().any(|(_, n)| n.entity() == var.entity()) {
            t.variables.push((seq, var.clone()));
        }
    }
}

/// A variable was read into `read` (not yet queued): tapes watching accessed
/// variables watch it (when trainable), then the read is recorded like any op.
pub(crate) fn on_variable_read(
    w: &mut World,
    engine: u64,
    var: &Node,
    read: &Node,
    watched: &mut SmallVec<[Entity; 1]>,
    entries: &mut SmallVec<[Record; 1]>,
) {
    let tapes: SmallVec<[Entity; 2]> =
        ACTIVE.with(|a| a.borrow().iter().filter(|x| x.engine == engine).map(|x| x.tape).collect());
    if tapes.is_empty() {
        return;
    }
    let trainable = w.get::<Trainable>(var.entity()).is_some();
    for &tape in &tapes {
        if trainable && w.get::<Tape>(tape).is_some_and(|t| t.watch_accessed_variables) {
            watch_variable_in(w, tape, var);
        }
    }
    record(engine, &OpKind::Identity, std::slice::from_ref(var), read, watched, entries);
}

/// One recorded op, as a user may list it.
#[derive(Clone, Debug, PartialEq)]
pub struct EntryInfo {
    /// TF's op name (`MatMul`, `AddV2`, ...).
    pub op: &'static str,
    /// Each input's shape and dtype.
    pub inputs: Vec<(Shape, DType)>,
    /// The output's shape and dtype.
    pub output: (Shape, DType),
}

impl TapeEntry {
    /// What a user lists of it: op name, input and output shapes and dtypes.
    pub fn info(&self) -> EntryInfo {
        EntryInfo {
            op: self.kind.name(),
            inputs: self.inputs.iter().map(|n| (n.shape.clone(), n.dtype)).collect(),
            output: (self.output.shape.clone(), self.output.dtype),
        }
    }
}

/// Records operations for automatic differentiation, like `tf.GradientTape`.
///
/// ```
/// # use gradtape_engine::*;
/// let x = constant(3.0)?;
/// let tape = GradientTape::new();
/// let y = tape.record(|t| { t.watch(&x)?; &x * &x })?;
/// assert_eq!(tape.gradient(&y, &x)?.unwrap().scalar::<f32>()?, 6.0);
/// # Ok::<(), gradtape_core::Error>(())
/// ```
///
/// What TF rejects at run time with `ValueError`/`TypeError` for a Python
/// value that is not a tensor (`tape.watch(3.0)`, `tape.gradient(None, x)`)
/// does not compile in Rust:
///
/// ```compile_fail
/// # use gradtape_engine::*;
/// let tape = GradientTape::new();
/// tape.watch(3.0);
/// ```
///
/// ```compile_fail
/// # use gradtape_engine::*;
/// let x = constant(1.0).unwrap();
/// let tape = GradientTape::new();
/// tape.gradient(None, &x);
/// ```
pub struct GradientTape {
    pub(crate) tok: Arc<Token>,
    pub(crate) engine: Engine,
    pub(crate) persistent: bool,
    marks: Arc<TapeMarks>,
}

/// Stops a tape's recording when dropped: the `with` block's end.
pub struct TapeGuard<'a> {
    tape: &'a GradientTape,
}

impl Drop for TapeGuard<'_> {
    fn drop(&mut self) {
        self.tape.stop();
    }
}

/// Resumes a tape's recording when dropped (see [`GradientTape::stop_recording`]).
pub struct StopRecordingGuard<'a> {
    tape: &'a GradientTape,
}

impl Drop for StopRecordingGuard<'_> {
    fn drop(&mut self) {
        let tape = self.tape;
        let mut w = tape.engine.lock();
        if let Some(mut t) = w.get_mut::<Tape>(tape.entity()) {
            if t.paused {
                t.paused = false;
                push_active(tape.engine.id(), tape.entity(), &tape.marks);
            }
        }
    }
}

impl GradientTape {
    /// A non-persistent tape on the default engine that watches accessed variables.
    pub fn new() -> GradientTape {
        Engine::default_engine().gradient_tape(false, true)
    }

    /// A persistent tape on the default engine.
    pub fn persistent() -> GradientTape {
        Engine::default_engine().gradient_tape(true, true)
    }

    /// The tape's entity in the engine's world.
    pub fn entity(&self) -> Entity {
        self.tok.entity
    }

    /// Whether it was created persistent.
    pub fn is_persistent(&self) -> bool {
        self.persistent
    }

    fn with_tape<R>(&self, f: impl FnOnce(&mut Tape) -> R) -> R {
        let mut w = self.engine.lock();
        let mut t = w.get_mut::<Tape>(self.entity()).expect("internal: a live handle's tape exists");
        f(&mut t)
    }

    /// Starts recording (Python's `__enter__`).
    pub fn start(&self) -> Result<()> {
        let mut w = self.engine.lock();
        let mut t = w.get_mut::<Tape>(self.entity()).expect("internal: a live handle's tape exists");
        if t.recording {
            return Err(Error::Value(
                "Tape is still recording, This can happen if you try to re-enter an already-active tape.".into(),
            ));
        }
        t.recording = true;
        t.entered = true;
        t.paused = false;
        push_active(self.engine.id(), self.entity(), &self.marks);
        Ok(())
    }

    /// Stops recording (Python's `__exit__`); a no-op when not recording.
    pub fn stop(&self) {
        self.with_tape(|t| {
            t.recording = false;
            t.paused = false;
        });
        remove_active(self.engine.id(), self.entity());
    }

    /// Starts recording until the returned guard drops: `let _g = tape.scope()?;`.
    pub fn scope(&self) -> Result<TapeGuard<'_>> {
        self.start()?;
        Ok(TapeGuard { tape: self })
    }

    /// The `with` block: records while `f` runs, then stops, even on error.
    pub fn record<R>(&self, f: impl FnOnce(&GradientTape) -> Result<R>) -> Result<R> {
        let _g = self.scope()?;
        f(self)
    }

    /// Whether the tape is recording now.
    pub fn is_recording(&self) -> bool {
        self.with_tape(|t| t.recording && !t.paused)
    }

    /// Puts a tensor on the tape (`tape.watch(x)`; see `watch` for lists and variables).
    pub fn watch_tensor(&self, x: &Tensor) -> Result<()> {
        self.check_engine(&x.engine)?;
        if !x.dtype().is_float() {
            log::warn!("The dtype of the watched tensor must be floating (e.g. tf.float32), got tf.{}", x.dtype());
        }
        if self.marks.lock().insert(x.id()) {
            // The mirror needs `x` spawned: its record may still be queued.
            let mut w = self.engine.lock();
            self.engine.materialize_locked(&mut w);
            mirror_mark(&mut w, x.id(), self.entity());
        }
        Ok(())
    }

    /// Puts a variable on the tape, trainable or not.
    pub fn watch_variable(&self, v: &Variable) -> Result<()> {
        self.check_engine(&v.engine)?;
        let mut w = self.engine.lock();
        watch_variable_in(&mut w, self.entity(), &v.node);
        Ok(())
    }

    fn check_engine(&self, e: &Engine) -> Result<()> {
        if self.engine.same(e) {
            Ok(())
        } else {
            Err(Error::InvalidArgument("the tensor and the tape belong to different engines".into()))
        }
    }

    /// Pauses this tape only, until the guard drops (`with tape.stop_recording():`).
    pub fn stop_recording(&self) -> Result<StopRecordingGuard<'_>> {
        self.with_tape(|t| {
            if !t.recording || t.paused {
                return Err(if !t.entered || t.consumed {
                    Error::Runtime("Trying to stop recording a tape which is not recording.".into())
                } else {
                    Error::Value("Tape is not recording.".into())
                });
            }
            t.paused = true;
            Ok(())
        })?;
        remove_active(self.engine.id(), self.entity());
        Ok(StopRecordingGuard { tape: self })
    }

    /// Forgets everything recorded so far; only while recording.
    pub fn reset(&self) -> Result<()> {
        let mut w = self.engine.lock();
        // Entries still queued are released with the others.
        self.engine.materialize_locked(&mut w);
        let e = self.entity();
        let mut t = w.get_mut::<Tape>(e).expect("internal: tape exists");
        if !t.recording || t.paused {
            return Err(Error::Value("Tape is not recording.".into()));
        }
        // A walk in progress (this reset runs inside a custom gradient of
        // this tape's) reads the entries where they are.
        if t.walks > 0 {
            return Err(Error::Value("Cannot reset a tape while its gradient is being computed.".into()));
        }
        let entries = std::mem::take(&mut t.entries);
        t.variables.clear();
        t.consumed = false;
        release_tape(&mut w, e, entries, &self.marks);
        Ok(())
    }

    /// The variables this tape watches, in creation order.
    pub fn watched_variables(&self) -> Vec<Variable> {
        let mut vars = self.with_tape(|t| t.variables.clone());
        vars.sort_by_key(|(seq, _)| *seq);
        vars.into_iter().map(|(_, node)| Variable::from_node(node, self.engine.clone())).collect()
    }

    /// The recorded ops, in order: op name, input and output shapes and dtypes.
    pub fn entries(&self) -> Vec<EntryInfo> {
        let mut w = self.engine.lock();
        self.engine.materialize_locked(&mut w);
        let Some(t) = w.get::<Tape>(self.entity()) else { return Vec::new() };
        t.entries.iter().filter_map(|&e| w.get::<TapeEntry>(e)).map(TapeEntry::info).collect()
    }

    /// Starts a gradient walk of this tape (see [`crate::walk`]): a
    /// consumed tape is the error `message`; with `consume`, a
    /// non-persistent tape stops recording and is consumed now, so the
    /// walk's own ops are not recorded on it. Its entries stay until
    /// [`GradientTape::end_walk`], which every started walk must reach.
    pub(crate) fn begin_walk(&self, w: &mut World, message: &str, consume: bool) -> Result<()> {
        let e = self.entity();
        let mut t = w.get_mut::<Tape>(e).expect("internal: tape exists");
        if t.consumed {
            return Err(Error::Runtime(message.into()));
        }
        t.walks += 1;
        if consume && !self.persistent {
            t.consumed = true;
            t.recording = false;
            t.paused = false;
            remove_active(self.engine.id(), e);
        }
        Ok(())
    }

    /// Ends a walk; a consumed tape's entries and marks go with its last one.
    pub(crate) fn end_walk(&self, w: &mut World) {
        let e = self.entity();
        let Some(mut t) = w.get_mut::<Tape>(e) else { return };
        t.walks -= 1;
        if t.consumed && t.walks == 0 {
            let entries = std::mem::take(&mut t.entries);
            release_tape(w, e, entries, &self.marks);
        }
    }

    pub(crate) fn is_consumed(&self) -> bool {
        self.with_tape(|t| t.consumed)
    }
}

impl Default for GradientTape {
    fn default() -> Self {
        GradientTape::new()
    }
}

impl Drop for GradientTape {
    fn drop(&mut self) {
        // A tape dropped inside its block stops recording with it.
        remove_active(self.engine.id(), self.entity());
    }
}

impl Engine {
    /// A tape on this engine (`tf.GradientTape(persistent, watch_accessed_variables)`).
    pub fn gradient_tape(&self, persistent: bool, watch_accessed_variables: bool) -> GradientTape {
        let marks = Arc::new(TapeMarks::default());
        let mut w = self.lock();
        let e = w
            .spawn(Tape {
                persistent,
                watch_accessed_variables,
                recording: false,
                paused: false,
                consumed: false,
                entered: false,
                entries: Vec::new(),
                marks: marks.clone(),
                variables: Vec::new(),
                walks: 0,
            })
            .id();
        drop(w);
        GradientTape { tok: Token::new(e, self.id(), self.0.drops.clone()), engine: self.clone(), persistent, marks }
    }
}

/// Runs `f` with this thread's tapes on `engine` paused, so nothing it
/// computes is recorded (`tf.stop_gradient`).
pub(crate) fn unrecorded<R>(engine: u64, f: impl FnOnce() -> R) -> R {
    let paused: Vec<Active> = ACTIVE.with(|a| {
        let mut a = a.borrow_mut();
        let (others, mine): (Vec<_>, Vec<_>) = a.drain(..).partition(|x| x.engine != engine);
        *a = others;
        mine
    });
    let r = f();
    ACTIVE.with(|a| a.borrow_mut().extend(paused));
    r
}
