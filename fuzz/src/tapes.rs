//! The program's tape steps (recording blocks, watch, gradient, jacobian),
//! its reads, and its mixed-engine step.

use std::rc::Rc;

use gradtape::*;

use super::{check_err, check_value, Src, State, MAX_DEPTH, MAX_NUMEL};

impl State<'_> {
    pub(super) fn read(&mut self) {
        let x = self.pick();
        match self.r.below(5) {
            0 => check_value(&x),
            1 => assert!(x.to_string().starts_with("<tf.Tensor: shape=")),
            2 => assert_eq!(x.item().is_ok(), x.numel() == 1),
            3 => {
                if let Some(v) = self.pick_var() {
                    assert!(v.to_string().starts_with("<tf.Variable '"));
                }
            }
            _ => {
                if let Some(t) = self.pick_tape() {
                    let vars = t.watched_variables();
                    let ids: std::collections::HashSet<_> = vars.iter().map(|v| v.id()).collect();
                    assert_eq!(ids.len(), vars.len(), "a variable watched twice");
                    t.entries();
                }
            }
        }
    }

    pub(super) fn tape_control(&mut self) {
        match self.r.below(6) {
            0 if self.tapes.len() < 3 => {
                let (p, w) = (self.r.bool(), self.r.bool());
                self.tapes.push(Rc::new(self.e.gradient_tape(p, w)));
            }
            1 | 2 => {
                if let Some(t) = self.pick_tape() {
                    self.attempt(true, |_| t.start());
                }
            }
            3 => {
                if let Some(t) = self.pick_tape() {
                    t.stop();
                }
            }
            4 => {
                if let Some(t) = self.pick_tape() {
                    self.attempt(true, |_| t.reset());
                }
            }
            _ => {
                if !self.tapes.is_empty() {
                    let i = self.r.below(self.tapes.len());
                    self.tapes.swap_remove(i);
                }
            }
        }
    }

    pub(super) fn watch(&mut self) {
        let Some(tape) = self.pick_tape() else { return };
        let x = self.pick();
        // Non-float watches print TF's warning: keep them rare so the fuzzer stays quiet.
        let form = self.r.below(16);
        let v = self.pick_var();
        self.attempt(true, |_| match (form, v) {
            (0, Some(v)) => tape.watch_variable(&v),
            _ if x.dtype().is_float() || form == 1 => tape.watch(&x),
            _ => Ok(()),
        });
    }

    pub(super) fn source(&mut self) -> Src {
        match self.pick_var() {
            Some(v) if self.r.below(3) == 0 => Src::V(v),
            _ => Src::T(self.pick()),
        }
    }

    pub(super) fn gradient(&mut self) {
        let Some(tape) = self.pick_tape() else { return };
        let target = self.source();
        let sources: Vec<Src> = (0..1 + self.r.below(3)).map(|_| self.source()).collect();
        let (form, unconnected) = (self.r.below(3), if self.r.bool() { Unconnected::Zero } else { Unconnected::None });
        let og = if self.r.bool() { Some(self.pick()) } else { None };
        let srcs: Vec<&dyn Differentiable> = sources.iter().map(Src::dynd).collect();
        let grads = self.attempt(true, |_| match form {
            0 => tape.gradient(target.dynd(), srcs[0]).map(|g| vec![g]),
            1 => tape.gradients(&[target.dynd()], &srcs),
            _ => tape.gradients_with(&[target.dynd()], &srcs, Some(&[og]), unconnected),
        });
        for g in grads.into_iter().flatten().flatten() {
            self.keep(g);
        }
    }

    pub(super) fn jacobian(&mut self) {
        let Some(tape) = self.pick_tape() else { return };
        let (target, source) = (self.source(), self.source());
        let (batch, pfor) = (self.r.bool(), self.r.bool());
        // Without pfor each target element is a backward walk of its own.
        if target.numel() * source.numel() > 4 * MAX_NUMEL || (!pfor && target.numel() > 16) {
            return;
        }
        let unconnected = if self.r.bool() { Unconnected::Zero } else { Unconnected::None };
        let res = self.attempt(true, |_| {
            if batch {
                tape.batch_jacobian(target.dynd(), source.dynd(), pfor).map(|j| vec![Some(j)])
            } else {
                tape.jacobians(target.dynd(), &[source.dynd()], unconnected, pfor)
            }
        });
        for j in res.into_iter().flatten().flatten() {
            self.keep(j);
        }
    }

    /// The next few steps inside a tape's `with` block, or inside its `stop_recording` block.
    pub(super) fn block(&mut self, depth: usize) {
        let (Some(tape), true) = (self.pick_tape(), depth < MAX_DEPTH) else { return };
        let n = self.r.below(6);
        if self.r.bool() {
            let res = tape.record(|_| {
                (0..n).for_each(|_| self.step(depth + 1));
                Ok(())
            });
            if let Err(err) = res {
                check_err(&err);
            }
        } else {
            match tape.stop_recording() {
                Ok(guard) => {
                    (0..n).for_each(|_| self.step(depth + 1));
                    drop(guard);
                }
                Err(err) => check_err(&err),
            }
        }
    }

    /// A handle of the other engine, used with this one's: always an Err.
    pub(super) fn mixed_engines(&mut self) {
        let x = self.pick();
        let y = self.make(&self.other.clone(), &[2], DType::F32).expect("small");
        // `ours` is on the main engine (tapes are), `theirs` on the other.
        let (ours, theirs) = if x.engine().id() == self.e.id() { (x, y) } else { (self.make(&self.e.clone(), &[2], DType::F32).expect("small"), x) };
        let (tape, v) = (self.pick_tape(), self.pick_var());
        let form = self.r.below(6);
        // Made first, and only borrowed by the op: a tape may record the
        // comparison, and the failing op must neither record nor free anything.
        let ours_cond = ours.greater(0.0).unwrap_or_else(|_| ours.clone());
        let theirs_cond = theirs.greater(0.0).unwrap_or_else(|_| theirs.clone());
        let res = self.attempt(true, |_| match form {
            0 => (&ours + &theirs).map(drop),
            1 => theirs.matmul_t(&ours, false, false).map(drop),
            2 => concat(&[ours.clone(), theirs.clone()], 0).map(drop),
            3 => gradtape::stack(&[ours.clone(), theirs.clone()], 0).map(drop),
            4 => match v {
                Some(v) => v.assign(if v.engine().id() == ours.engine().id() { &theirs } else { &ours }).map(drop),
                None => ours_cond.select(&ours, &theirs).map(drop),
            },
            _ => match tape {
                Some(t) => t.watch(&theirs),
                None => where_(&theirs_cond, &ours, &ours).map(drop),
            },
        });
        assert!(res.is_none(), "an op combined handles of two engines");
    }
}
