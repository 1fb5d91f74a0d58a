//! A differentiable simulation embedded in your own `bevy_ecs` world: aim
//! four projectiles, each with its own linear and quadratic drag, so that
//! after two seconds of flight each one sits on its target.
//!
//! `cargo run --release --example projectile [ITERS] [SVG]`: at most ITERS
//! gradient steps (else `GRADTAPE_ITERS`, else 60); the trajectories before
//! and after are drawn to SVG (default `target/projectile.svg`). It exits
//! with an error unless every particle ends within 5 cm of its target.
//!
//! # The embedding pattern
//!
//! * **Tensor handles are components.** [`Tensor`] and [`Variable`] are
//!   `Send + Sync` handles (an entity of the gradtape engine plus a reference
//!   to it), so they satisfy `Component` and `Resource`: `struct
//!   Position(Tensor)` lives in *your* `World`, next to plain data such as
//!   [`Drag`]. The engine keeps its own world behind its handles; the two
//!   never need to know about each other.
//! * **Systems are ordinary systems.** `apply_forces` and `integrate` query
//!   components and replace each handle with the result of tensor ops. An op
//!   returns `Result`, a system returns nothing here, so each system parks the
//!   first error in a [`Fault`] resource that the caller turns back into an
//!   `Err` after `schedule.run`.
//! * **Record the whole rollout on one tape.** The launch system reads each
//!   particle's initial-velocity [`Variable`] inside `tape.record(..)`, which
//!   puts it on the tape; every op of every step after that is recorded, and
//!   `tape.gradient(&loss, &sources)` is d(loss)/d(initial velocities)
//!   through the whole simulation.
//! * **Run the schedule single-threaded while recording.** Like TensorFlow's,
//!   a `GradientTape` is thread-local: it records the ops issued on the thread
//!   that started it. bevy's default executor (feature `multi_threaded`) runs
//!   systems on a task pool, so ops issued there would go unrecorded and the
//!   gradient would silently miss those paths (`None`, or too small).
//!   `schedule.set_executor(SingleThreadedExecutor::new())` runs every system
//!   on the calling thread, in the schedule's order.
//! * **Derives find `bevy_ecs` through the re-export.** `use gradtape::bevy_ecs;`
//!   lets `#[derive(Component)]` work with only `gradtape` in your
//!   `Cargo.toml`, and guarantees the same `bevy_ecs` version as the engine's.

use std::error::Error as StdError;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use gradtape::bevy_ecs;
use gradtape::bevy_ecs::prelude::{Component, IntoScheduleConfigs, Query, Res, ResMut, Resource, Schedule, World};
use gradtape::bevy_ecs::schedule::SingleThreadedExecutor;
use gradtape::bevy_ecs::system::RunSystemOnce;
use gradtape::*;

/// Seconds per step and steps per flight: the particles are scored at T = 2 s.
const DT: f64 = 0.02;
const STEPS: usize = 100;
/// A hit: every particle within this many metres of its target.
const TOLERANCE: f64 = 0.05;
/// Gradient-descent step. Without drag, d p(T) / d v0 = T·I, so the gradient
/// of |p(T) - target|² is 2T·(p(T) - target) and a step of 1 / (2T²) would
/// land in one move; drag shrinks the Jacobian, and this stays below that.
const LEARNING_RATE: f64 = 0.1;

/// Where a particle is, as a `[2]` float32 tensor (x right, y up, metres).
#[derive(Component)]
pub struct Position(pub Tensor);

/// How fast it moves, `[2]`, m/s.
#[derive(Component)]
pub struct Velocity(pub Tensor);

/// The launch: a fixed start and the initial velocity being optimised.
#[derive(Component)]
pub struct Launch {
    /// Where the particle starts.
    pub from: [f32; 2],
    /// The trainable initial velocity.
    pub v0: Variable,
}

/// Drag acceleration `-(linear + quadratic·|v|)·v`.
#[derive(Component, Clone, Copy)]
pub struct Drag {
    /// Per second.
    pub linear: f64,
    /// Per metre.
    pub quadratic: f64,
}

/// Where the particle should be at the end of the flight.
#[derive(Component, Clone, Copy)]
pub struct Target(pub [f32; 2]);

/// The positions of the current flight, one handle per step, for the plot.
#[derive(Component, Default)]
pub struct Trail(pub Vec<Tensor>);

/// Constants every system reads.
#[derive(Resource)]
pub struct Physics {
    /// `[0, -9.81]`, m/s².
    pub gravity: Tensor,
    /// The step, s.
    pub dt: f64,
}

/// The first error a system met during a `schedule.run`.
#[derive(Resource, Default)]
pub struct Fault(pub Option<Error>);

impl Fault {
    fn keep(&mut self, r: Result<()>) {
        if let (None, Err(e)) = (&self.0, r) {
            self.0 = Some(e);
        }
    }

    fn take(world: &mut World) -> Result<()> {
        world.resource_mut::<Fault>().0.take().map_or(Ok(()), Err)
    }
}

/// Puts every particle at its start with its current initial velocity. Run
/// inside the tape: reading `v0` is what puts the variable on it.
fn launch(mut q: Query<(&Launch, &mut Position, &mut Velocity, &mut Trail)>, mut fault: ResMut<Fault>) {
    for (l, mut p, mut v, mut trail) in &mut q {
        fault.keep((|| {
            p.0 = constant(l.from)?;
            v.0 = l.v0.read();
            trail.0 = vec![p.0.clone()];
            Ok(())
        })());
    }
}

/// v += (g - (linear + quadratic·|v|)·v)·dt
fn apply_forces(physics: Res<Physics>, mut q: Query<(&mut Velocity, &Drag)>, mut fault: ResMut<Fault>) {
    for (mut v, drag) in &mut q {
        fault.keep((|| {
            let speed = v.0.square()?.sum()?.sqrt()?;
            let k = ((&speed * drag.quadratic)? + drag.linear)?;
            let accel = (&physics.gravity - &(&v.0 * &k)?)?;
            v.0 = (&v.0 + &(&accel * physics.dt)?)?;
            Ok(())
        })());
    }
}

/// p += v·dt (semi-implicit Euler: the velocity just updated).
fn integrate(physics: Res<Physics>, mut q: Query<(&mut Position, &Velocity, &mut Trail)>, mut fault: ResMut<Fault>) {
    for (mut p, v, mut trail) in &mut q {
        fault.keep((|| {
            p.0 = (&p.0 + &(&v.0 * physics.dt)?)?;
            trail.0.push(p.0.clone());
            Ok(())
        })());
    }
}

/// The user's simulation: its world and its step schedule.
pub struct Simulation {
    world: World,
    step: Schedule,
}

impl Simulation {
    /// Four particles with different drag and targets, all launched at 5 m/s
    /// up and right: every one of them misses at first.
    pub fn new() -> Result<Simulation> {
        let mut world = World::new();
        world.insert_resource(Physics { gravity: constant([0.0, -9.81])?, dt: DT });
        world.init_resource::<Fault>();
        let particles = [
            ([0.0, 0.0], Drag { linear: 0.05, quadratic: 0.0 }, [8.0, 0.0]),
            ([0.0, 0.0], Drag { linear: 0.1, quadratic: 0.01 }, [12.0, 2.0]),
            ([0.0, 1.0], Drag { linear: 0.0, quadratic: 0.03 }, [15.0, 4.0]),
            ([0.0, 2.0], Drag { linear: 0.2, quadratic: 0.02 }, [5.0, -1.0]),
        ];
        for (from, drag, target) in particles {
            world.spawn((
                Launch { from, v0: Variable::new([5.0, 5.0])? },
                Position(constant(from)?),
                Velocity(constant([0.0, 0.0])?),
                drag,
                Target(target),
                Trail::default(),
            ));
        }
        let mut step = Schedule::default();
        // The tape is thread-local: see the module docs.
        step.set_executor(SingleThreadedExecutor::new());
        step.add_systems((apply_forces, integrate).chain());
        Ok(Simulation { world, step })
    }

    /// Launches and flies every particle for `STEPS` steps. Inside a tape's
    /// `record`, the whole rollout is recorded.
    pub fn rollout(&mut self) -> Result<()> {
        self.world
            .run_system_once(launch)
            .map_err(|e| Error::Runtime(format!("the launch system did not run: {e}")))?;
        Fault::take(&mut self.world)?;
        for _ in 0..STEPS {
            self.step.run(&mut self.world);
            Fault::take(&mut self.world)?;
        }
        Ok(())
    }

    /// Σ |p(T) - target|² over the particles, a scalar tensor.
    pub fn loss(&mut self) -> Result<Tensor> {
        let mut total: Option<Tensor> = None;
        for (p, target) in self.world.query::<(&Position, &Target)>().iter(&self.world) {
            let miss = (&p.0 - &constant(target.0)?)?.square()?.sum()?;
            total = Some(match total {
                Some(t) => (&t + &miss)?,
                None => miss,
            });
        }
        total.ok_or_else(|| Error::Value("the simulation has no particles".into()))
    }

    /// Each particle's distance to its target, in metres (no tape needed).
    pub fn misses(&mut self) -> Result<Vec<f64>> {
        let mut out = Vec::new();
        for (p, target) in self.world.query::<(&Position, &Target)>().iter(&self.world) {
            let d = (&p.0 - &constant(target.0)?)?.square()?.sum()?.sqrt()?;
            out.push(d.item()?);
        }
        Ok(out)
    }

    /// The trainable initial velocities, in spawn order.
    pub fn launch_velocities(&mut self) -> Vec<Variable> {
        self.world.query::<&Launch>().iter(&self.world).map(|l| l.v0.clone()).collect()
    }

    /// Each particle's trail as `(x, y)` points, and its target.
    pub fn flights(&mut self) -> Result<Vec<Flight>> {
        let mut out = Vec::new();
        for (trail, target) in self.world.query::<(&Trail, &Target)>().iter(&self.world) {
            let pts = trail.0.iter().map(|p| p.to_f64_vec()).map(|v| (v[0], v[1])).collect();
            out.push(Flight { points: pts, target: target.0 });
        }
        Ok(out)
    }
}

/// What an optimisation run achieved.
pub struct Report {
    /// Gradient steps taken.
    pub steps: usize,
    /// The loss of the first and last flights.
    pub first_loss: f64,
    /// See `first_loss`.
    pub last_loss: f64,
    /// The worst distance to a target on the last flight, m.
    pub worst_miss: f64,
    /// Where the SVG was written.
    pub svg: PathBuf,
}

impl Report {
    /// The one-line summary, or why the run failed.
    pub fn check(&self) -> std::result::Result<String, String> {
        let line = format!(
            "{} steps, loss {:.4} -> {:.6}, worst miss {:.4} m (tolerance {TOLERANCE} m), plot {}",
            self.steps,
            self.first_loss,
            self.last_loss,
            self.worst_miss,
            self.svg.display()
        );
        if self.worst_miss <= TOLERANCE {
            Ok(format!("PASS projectile: {line}"))
        } else {
            Err(format!("FAIL projectile: a particle missed its target: {line}"))
        }
    }
}

/// Gradient descent on the initial velocities, at most `max_steps` steps,
/// stopping once every particle is within tolerance; then writes the plot.
pub fn run(max_steps: usize, svg: &Path) -> std::result::Result<Report, Box<dyn StdError>> {
    let mut sim = Simulation::new()?;
    let sources = sim.launch_velocities();
    let mut before = None;
    let mut first = None;
    let mut steps = 0;
    loop {
        let tape = GradientTape::new();
        let loss = tape.record(|_| {
            sim.rollout()?;
            sim.loss()
        })?;
        let value = loss.item()?;
        let worst = sim.misses()?.into_iter().fold(0.0, f64::max);
        println!("step {steps:3}  loss {value:12.6}  worst miss {worst:8.4} m");
        let first_loss = *first.get_or_insert(value);
        if before.is_none() {
            before = Some(sim.flights()?);
        }
        if worst <= TOLERANCE || steps == max_steps {
            let report = Report { steps, first_loss, last_loss: value, worst_miss: worst, svg: svg.to_path_buf() };
            write_svg(svg, before.as_deref().unwrap_or(&[]), &sim.flights()?)?;
            return Ok(report);
        }
        let grads = tape.gradient(&loss, &sources)?;
        for (v, g) in sources.iter().zip(grads) {
            let g = g.ok_or("the loss does not depend on an initial velocity: was the tape on another thread?")?;
            v.assign_sub(&(&g * LEARNING_RATE)?)?;
        }
        steps += 1;
    }
}

/// One particle's path, for the plot.
pub struct Flight {
    /// `(x, y)` at each step, m.
    pub points: Vec<(f64, f64)>,
    /// Where it should have ended.
    pub target: [f32; 2],
}

/// Writes the plot, creating its folder.
fn write_svg(path: &Path, before: &[Flight], after: &[Flight]) -> std::result::Result<(), Box<dyn StdError>> {
    let svg = render_svg(before, after)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, svg)?;
    Ok(())
}

/// A hand-written SVG: dashed trails before, solid after, crosses on targets.
fn render_svg(before: &[Flight], after: &[Flight]) -> std::result::Result<String, std::fmt::Error> {
    const COLOURS: [&str; 6] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"];
    let (w, h, pad) = (800.0, 500.0, 40.0);
    let targets = after.iter().map(|f| (f.target[0] as f64, f.target[1] as f64));
    let all = before.iter().chain(after).flat_map(|f| f.points.iter().copied()).chain(targets);
    let (mut x0, mut x1, mut y0, mut y1) = (0.0f64, 1.0f64, 0.0f64, 1.0f64);
    for (x, y) in all {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    let sx = |x: f64| pad + (x - x0) / (x1 - x0) * (w - 2.0 * pad);
    let sy = |y: f64| h - pad - (y - y0) / (y1 - y0) * (h - 2.0 * pad);
    let mut s = String::new();
    writeln!(s, r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">"#)?;
    writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#)?;
    // The ground, y = 0.
    let (gx0, gx1, gy) = (sx(x0), sx(x1), sy(0.0));
    writeln!(s, r##"<line x1="{gx0:.1}" y1="{gy:.1}" x2="{gx1:.1}" y2="{gy:.1}" stroke="#888"/>"##)?;
    let styles = [(before, r#"stroke-dasharray="6 4" opacity="0.5""#), (after, r#"stroke-width="2""#)];
    for (set, style) in styles {
        for (i, f) in set.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            let points: Vec<String> = f.points.iter().map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y))).collect();
            writeln!(s, r#"<polyline fill="none" stroke="{colour}" {style} points="{}"/>"#, points.join(" "))?;
        }
    }
    for (i, f) in after.iter().enumerate() {
        let (x, y) = (sx(f.target[0] as f64), sy(f.target[1] as f64));
        let colour = COLOURS[i % COLOURS.len()];
        let (l, r, u, d) = (x - 6.0, x + 6.0, y - 6.0, y + 6.0);
        writeln!(
            s,
            r#"<path d="M{l:.1},{u:.1}L{r:.1},{d:.1}M{l:.1},{d:.1}L{r:.1},{u:.1}" stroke="{colour}" stroke-width="2"/>"#
        )?;
    }
    writeln!(
        s,
        r#"<text x="{pad}" y="24" font-family="sans-serif" font-size="14">dashed: first launch; solid: after gradient descent through the rollout; x: targets</text>"#
    )?;
    s.push_str("</svg>\n");
    Ok(s)
}

/// `[ITERS] [SVG]` in either order: a number is the step budget.
fn args() -> (usize, PathBuf) {
    let mut iters = std::env::var("GRADTAPE_ITERS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let mut svg = PathBuf::from("target/projectile.svg");
    for a in std::env::args().skip(1) {
        match a.parse() {
            Ok(n) => iters = n,
            Err(_) => svg = PathBuf::from(a),
        }
    }
    (iters, svg)
}

fn main() -> std::result::Result<(), Box<dyn StdError>> {
    let (iters, svg) = args();
    let line = run(iters, &svg)?.check()?;
    println!("{line}");
    Ok(())
}
