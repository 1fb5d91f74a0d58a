//! The fuzzed program: an input is read (see `gen.rs`) as a sequence of ops,
//! tapes, variable updates and reads on small tensors of every dtype, with
//! deliberately wrong shapes, dtypes and axes, NaN and infinities, huge
//! shapes and handles of a second engine mixed in.
//!
//! What it checks: nothing panics or aborts; every `Err` names its class and
//! has a message; an op that validates before it acts leaves the world as it
//! was when it fails (entities, tape entries, variable values); a huge
//! non-empty creation is `ResourceExhausted`; handles of two engines never
//! combine; every value read has its tensor's length and dtype; and once the
//! program's handles are gone, both engines hold as many entities as before.
//!
//! Shared by the libFuzzer target (`fuzz_targets/program.rs`) and by
//! `tests/prop_fuzz_programs.rs`, which runs the corpus and random programs
//! under plain `cargo test`.

use std::rc::Rc;

use gradtape::*;

#[path = "gen.rs"]
mod gen;
#[path = "tapes.rs"]
mod tapes;
use gen::{Bytes, HUGE_DIMS};

/// Results larger than this are dropped at once: they cost time, not coverage.
const MAX_NUMEL: usize = 256;
const MAX_SLOTS: usize = 12;
const MAX_DEPTH: usize = 3;
/// Steps per program, so that one input stays well under a second.
const MAX_STEPS: usize = 512;

thread_local! {
    // Per thread, so that tests running programs on several threads do not
    // see each other's entities; a libFuzzer process has one thread.
    static ENGINES: (Engine, Engine) = (Engine::cpu(), Engine::cpu());
}

/// Runs `data` as a program; panics when an invariant breaks.
pub fn run(data: &[u8]) {
    let (e, other) = ENGINES.with(|p| p.clone());
    e.enable_numpy_behavior(PromotionMode::Off);
    let base = (e.entity_count(), other.entity_count());
    {
        let mut st = State { e: e.clone(), other: other.clone(), r: Bytes::new(data), ts: vec![], vars: vec![], tapes: vec![] };
        for _ in 0..MAX_STEPS {
            if st.r.done() {
                break;
            }
            st.step(0);
        }
        st.ts.iter().for_each(check_value);
    }
    e.enable_numpy_behavior(PromotionMode::Off);
    assert_eq!((e.entity_count(), other.entity_count()), base, "the program's entities outlived its handles");
}

fn check_err(err: &Error) {
    assert!(!err.message().is_empty(), "an error without a message: {err:?}");
    assert!(err.to_string().starts_with(err.kind()), "{err}");
}

/// Computes the value and checks it against the handle's shape and dtype.
fn check_value(t: &Tensor) {
    let d = t.data();
    assert_eq!((d.len(), d.dtype()), (t.numel(), t.dtype()), "value of a {:?} {} tensor", t.shape(), t.dtype());
}

/// A variable's value as bits, NaN-exact.
fn var_bits(v: &Variable) -> Vec<u64> {
    match v.dtype() {
        DType::Bool => v.to_vec::<bool>().unwrap().into_iter().map(|x| x as u64).collect(),
        DType::I32 => v.to_vec::<i32>().unwrap().into_iter().map(|x| x as u64).collect(),
        DType::I64 => v.to_vec::<i64>().unwrap().into_iter().map(|x| x as u64).collect(),
        DType::F32 => v.to_vec::<f32>().unwrap().into_iter().map(|x| x.to_bits() as u64).collect(),
        DType::F64 => v.to_vec::<f64>().unwrap().into_iter().map(f64::to_bits).collect(),
        // Exact: every narrow value is a float64.
        _ => v.to_f64_vec().into_iter().map(f64::to_bits).collect(),
    }
}

/// A target or source of differentiation.
enum Src {
    T(Tensor),
    V(Variable),
}

impl Src {
    fn dynd(&self) -> &dyn Differentiable {
        match self {
            Src::T(t) => t,
            Src::V(v) => v,
        }
    }
    fn numel(&self) -> usize {
        match self {
            Src::T(t) => t.numel(),
            Src::V(v) => v.shape().numel(),
        }
    }
}

type Snapshot = (Option<usize>, Vec<usize>, Vec<Vec<u64>>);

struct State<'a> {
    e: Engine,
    other: Engine,
    r: Bytes<'a>,
    ts: Vec<Tensor>,
    vars: Vec<Variable>,
    tapes: Vec<Rc<GradientTape>>,
}

impl State<'_> {
    fn step(&mut self, depth: usize) {
        let op = self.r.below(24);
        if std::env::var_os("GRADTAPE_FUZZ_TRACE").is_some() {
            eprintln!("{}op {op} (byte {})", "  ".repeat(depth), self.r.pos());
        }
        match op {
            0 | 1 => self.create(),
            2 => self.create_huge(),
            3 => self.create_literal(),
            4 | 5 => self.unary(),
            6 | 7 => self.binary(),
            8 => self.reduce(),
            9 => self.matmul(),
            10 => self.reshape(),
            11 => self.movement(),
            12 => self.join(),
            13 => self.index(),
            14 => self.cast_select(),
            15 => self.variable(),
            16 => self.assign(),
            17 => self.tape_control(),
            18 => self.watch(),
            19 => self.gradient(),
            20 => self.jacobian(),
            21 => self.block(depth),
            22 => self.read(),
            _ => self.misc(),
        }
    }

    fn snapshot(&self) -> Snapshot {
        let recording = self.tapes.iter().any(|t| t.is_recording());
        let count = (!recording).then(|| self.e.entity_count());
        (count, self.tapes.iter().map(|t| t.entries().len()).collect(), self.vars.iter().map(var_bits).collect())
    }

    /// Runs `f`. A strict op validates before it acts, so its `Err` must
    /// leave entities (when no tape records), tape entries and variables as
    /// they were. An op that reads a value (for its message) flushes, and a
    /// flush frees inputs only pending ops held: so the count is exact only
    /// after a flush first, and otherwise may only fall.
    fn attempt<T>(&mut self, strict: bool, f: impl FnOnce(&mut Self) -> Result<T>) -> Option<T> {
        let exact = strict && self.r.below(4) == 0;
        if exact {
            self.e.flush();
        }
        let before = strict.then(|| self.snapshot());
        match f(self) {
            Ok(v) => Some(v),
            Err(err) => {
                check_err(&err);
                if let Some((count, entries, vars)) = before {
                    let (count_now, entries_now, vars_now) = self.snapshot();
                    assert_eq!((entries_now, vars_now), (entries, vars), "a failed op changed a tape or a variable: {err}");
                    if let (Some(was), Some(now)) = (count, count_now) {
                        assert!(now == was || (!exact && now < was), "a failed op changed the entities: {was} -> {now}: {err}");
                    }
                }
                None
            }
        }
    }

    /// Ops that promote or reshape first (NumPy behaviour) may leave recorded casts behind, as in TF.
    fn plain_mode(&self) -> bool {
        self.e.numpy_mode() == PromotionMode::Off
    }

    fn keep(&mut self, t: Tensor) {
        if t.numel() > MAX_NUMEL {
            let e = t.engine().clone();
            drop(t);
            e.collect_garbage();
        } else if self.ts.len() >= MAX_SLOTS {
            let i = self.r.below(MAX_SLOTS);
            self.ts[i] = t;
        } else {
            self.ts.push(t);
        }
    }

    fn keep_res(&mut self, strict: bool, f: impl FnOnce(&mut Self) -> Result<Tensor>) {
        if let Some(t) = self.attempt(strict, f) {
            self.keep(t);
        }
    }

    fn pick(&mut self) -> Tensor {
        if self.ts.is_empty() {
            self.create();
        }
        if self.ts.is_empty() {
            let t = self.e.constant([1.0, -2.0]).unwrap();
            self.ts.push(t);
        }
        let i = self.r.below(self.ts.len());
        self.ts[i].clone()
    }

    fn pick_var(&mut self) -> Option<Variable> {
        (!self.vars.is_empty()).then(|| self.vars[self.r.below(self.vars.len())].clone())
    }

    fn pick_tape(&mut self) -> Option<Rc<GradientTape>> {
        (!self.tapes.is_empty()).then(|| self.tapes[self.r.below(self.tapes.len())].clone())
    }

    fn make(&mut self, engine: &Engine, dims: &[usize], dt: DType) -> Result<Tensor> {
        let n: usize = dims.iter().product();
        let r = &mut self.r;
        match dt {
            DType::F32 => engine.from_vec((0..n).map(|_| r.f64() as f32).collect::<Vec<_>>(), dims),
            DType::F64 => engine.from_vec((0..n).map(|_| r.f64()).collect::<Vec<_>>(), dims),
            DType::I32 => engine.from_vec((0..n).map(|_| r.i64() as i32).collect::<Vec<_>>(), dims),
            DType::I64 => engine.from_vec((0..n).map(|_| r.i64()).collect::<Vec<_>>(), dims),
            DType::Bool => engine.from_vec((0..n).map(|_| r.bool()).collect::<Vec<_>>(), dims),
            narrow => engine.from_vec((0..n).map(|_| r.i64() as i32).collect::<Vec<_>>(), dims)?.cast(narrow),
        }
    }

    fn create(&mut self) {
        let (dims, dt) = (self.r.dims(false), self.r.dtype());
        let engine = if self.r.below(16) == 0 { self.other.clone() } else { self.e.clone() };
        let t = self.make(&engine, &dims, dt).expect("small shapes always fit");
        self.keep(t);
    }

    /// Every way to ask for a shape: a non-empty one with a huge dim is refused
    /// with ResourceExhausted, never an abort.
    fn create_huge(&mut self) {
        let (dims, dt) = (self.r.dims(true), self.r.dtype());
        let refused = !dims.contains(&0) && dims.iter().any(|d| HUGE_DIMS.contains(d));
        let e = self.e.clone();
        let res = match self.r.below(7) {
            0 => e.zeros(&dims, dt),
            1 => e.ones(&dims, dt),
            2 => e.fill(&dims, self.r.f64()),
            3 => e.constant_shaped(self.r.i64(), &dims),
            4 => e.from_vec(Vec::<f32>::new(), &dims),
            5 => self.pick().broadcast_to(&dims),
            _ => {
                let shape: Vec<i64> = dims.iter().map(|&d| d.min(i64::MAX as usize) as i64).collect();
                self.pick().reshape(shape)
            }
        };
        match res {
            Ok(t) => {
                assert!(!refused, "a {dims:?} tensor was made");
                self.keep(t);
            }
            Err(err) => {
                check_err(&err);
                if refused && !matches!(err, Error::InvalidArgument(_)) {
                    assert!(matches!(err, Error::ResourceExhausted(_)), "{dims:?}: {err}");
                }
            }
        }
    }

    fn create_literal(&mut self) {
        let rows = self.r.below(4);
        let lit: Vec<Vec<f64>> = (0..rows).map(|_| (0..self.r.below(4)).map(|_| self.r.f64()).collect()).collect();
        let ints: Vec<i64> = (0..self.r.below(4)).map(|_| self.r.i64()).collect();
        let (e, dt) = (self.e.clone(), self.r.dtype());
        self.keep_res(true, |s| match s.r.below(6) {
            0 => e.constant(lit),
            1 => e.constant_with(lit, dt),
            2 => e.constant(ints),
            3 => e.constant_with(ints, dt),
            4 => e.range(s.r.below(40) as i32 - 5),
            _ => e.constant_shaped(lit, &[s.r.below(5), s.r.below(3)]),
        });
    }

    fn unary(&mut self) {
        let x = self.pick();
        let op = self.r.below(12);
        self.keep_res(true, |_| match op {
            0 => x.neg(),
            1 => x.abs(),
            2 => x.sign(),
            3 => x.exp(),
            4 => x.log(),
            5 => x.sqrt(),
            6 => x.square(),
            7 => x.sin(),
            8 => x.cos(),
            9 => x.tanh(),
            10 => x.sigmoid(),
            _ => x.relu(),
        });
    }

    fn binary(&mut self) {
        let a = self.pick();
        let (op, form) = (self.r.below(14), self.r.below(8));
        let b = self.pick();
        let (i, f) = (self.r.i64(), self.r.f64());
        let strict = self.plain_mode();
        macro_rules! call {
            ($rhs:expr) => {
                match op {
                    0 => a.add($rhs),
                    1 => a.sub($rhs),
                    2 => a.mul($rhs),
                    3 => a.div($rhs),
                    4 => a.floordiv($rhs),
                    5 => a.pow($rhs),
                    6 => a.maximum($rhs),
                    7 => a.minimum($rhs),
                    8 => a.equal($rhs),
                    9 => a.not_equal($rhs),
                    10 => a.less($rhs),
                    11 => a.less_equal($rhs),
                    12 => a.greater($rhs),
                    _ => a.greater_equal($rhs),
                }
            };
        }
        self.keep_res(strict, |_| match form {
            0..=3 => call!(&b),
            4 => call!(i),
            5 => call!(f),
            6 => f - &a,
            _ => (i as i32) * &a,
        });
    }

    fn reduce(&mut self) {
        let x = self.pick();
        let axes = match self.r.below(4) {
            0 => Axes::All,
            1 => match Axes::try_from(&self.pick()) {
                Ok(a) => a,
                Err(err) => return check_err(&err),
            },
            _ => Axes::from(self.r.axes()),
        };
        let (op, keep) = (self.r.below(5), self.r.bool());
        self.keep_res(true, |_| match op {
            0 => x.reduce_sum_with(axes, keep),
            1 => x.reduce_mean_with(axes, keep),
            2 => x.reduce_max_with(axes, keep),
            3 => x.reduce_min_with(axes, keep),
            _ => x.reduce_prod_with(axes, keep),
        });
    }

    fn matmul(&mut self) {
        let (a, b) = (self.pick(), self.pick());
        let (form, ta, tb) = (self.r.below(3), self.r.bool(), self.r.bool());
        let strict = form == 0 || self.plain_mode();
        self.keep_res(strict, |_| match form {
            0 => a.matmul_t(&b, ta, tb),
            1 => a.matmul(&b),
            _ => matmul(&a, &b),
        });
    }

    fn reshape(&mut self) {
        let x = self.pick();
        let (form, shape, axis, axes) = (self.r.below(4), self.r.shape_arg(), self.r.axis(), self.r.axes());
        self.keep_res(true, |_| match form {
            0 => x.reshape(shape),
            1 => x.np_reshape(shape),
            2 => x.expand_dims(axis),
            _ => x.squeeze(&axes),
        });
    }

    fn movement(&mut self) {
        let x = self.pick();
        let (form, perm, dims) = (self.r.below(4), self.r.axes(), self.r.dims(false));
        let perm: Vec<i64> = if self.r.bool() { (0..x.rank() as i64).rev().collect() } else { perm };
        self.keep_res(true, |_| match form {
            0 => x.t(),
            1 => x.transpose(&perm),
            2 => x.broadcast_to(&dims),
            _ => x.np_t(),
        });
    }

    fn join(&mut self) {
        let n = self.r.below(4);
        let parts: Vec<Tensor> = (0..n).map(|_| self.pick()).collect();
        let (axis, stack) = (self.r.axis(), self.r.bool());
        self.keep_res(true, |_| if stack { gradtape::stack(&parts, axis) } else { concat(&parts, axis) });
    }

    fn index(&mut self) {
        let x = self.pick();
        let items = self.r.idxs();
        self.keep_res(true, |_| x.index(&items));
    }

    fn cast_select(&mut self) {
        let (c, a, b) = (self.pick(), self.pick(), self.pick());
        let dt = self.r.dtype();
        let form = self.r.below(3);
        // The comparison that makes the condition is recorded before `where` checks shapes.
        self.keep_res(form != 2, |_| match form {
            0 => a.cast(dt),
            1 => c.select(&a, &b),
            _ => where_(&c.greater(c.zeros_like())?, &a, &b),
        });
    }

    fn variable(&mut self) {
        match self.r.below(4) {
            0 | 1 if self.vars.len() < 4 => {
                let (t, trainable) = (self.pick(), self.r.bool());
                if let Some(v) = self.attempt(true, |_| Variable::with_options(&t, trainable, "v")) {
                    assert_eq!((v.shape(), v.dtype()), (t.shape(), t.dtype()));
                    self.vars.push(v);
                }
            }
            2 => {
                if let Some(v) = self.pick_var() {
                    let t = if self.r.bool() { v.read() } else { (&v * 2).unwrap_or_else(|_| v.value()) };
                    self.keep(t);
                }
            }
            _ => {
                if !self.vars.is_empty() {
                    let i = self.r.below(self.vars.len());
                    self.vars.swap_remove(i);
                }
            }
        }
    }

    fn assign(&mut self) {
        let Some(v) = self.pick_var() else { return };
        let t = self.pick();
        let (form, items, f) = (self.r.below(5), self.r.idxs(), self.r.f64());
        let ok = self.attempt(true, |_| match form {
            0 => v.assign(&t).map(|_| ()),
            1 => v.assign_add(&t).map(|_| ()),
            2 => v.assign_sub(&t).map(|_| ()),
            3 => v.assign_slice(&items[..], &t).map(|_| ()),
            _ => v.assign(vec![f, f]).map(|_| ()),
        });
        if ok.is_some() {
            assert_eq!(var_bits(&v).len(), v.shape().numel());
        }
    }

    fn misc(&mut self) {
        match self.r.below(8) {
            0 => {
                let mode = [PromotionMode::Off, PromotionMode::Legacy, PromotionMode::All, PromotionMode::Safe][self.r.below(4)];
                self.e.enable_numpy_behavior(mode);
            }
            1 => self.e.flush(),
            2 => self.e.collect_garbage(),
            3 => {
                if !self.ts.is_empty() {
                    let i = self.r.below(self.ts.len());
                    self.ts.swap_remove(i);
                }
            }
            _ => self.mixed_engines(),
        }
    }

}
