//! Running a planned flush on the device: one batch, CPU fallbacks in
//! program order, fused chains as one dispatch each.

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use bevy_ecs::prelude::*;
use gradtape_core::{HostData, Result};
use gradtape_vulkan::ops::fused::Fused;
use gradtape_vulkan::{Batch, DeviceBuffer, VulkanDevice};
use smallvec::SmallVec;

use super::lower;
use super::plan::{plan, Op, Plan, Where};
use crate::backend::cpu::run_on_host;
use crate::backend::{failed_input, Backend, Cx, FlushState, Values};
use crate::components::{DeviceFault, Storage};
use crate::node::Node;
use crate::op::OpKind;

/// The Vulkan device of an engine, and its cache of uploaded host buffers.
#[derive(Resource)]
pub struct VulkanBackend {
    /// The device this engine's flushes run on (shared by every engine).
    pub device: VulkanDevice,
    /// Uploads by host buffer identity (`Arc::as_ptr`); the `Weak` keeps the
    /// address from being reused while the entry lives.
    uploads: HashMap<usize, (Weak<HostData>, DeviceBuffer)>,
    /// `GRADTAPE_VULKAN_FUSE=0` turns fusion off (to compare, or to debug).
    fuse: bool,
    /// Makes the next submit fail as a lost device would (see `fail_next_submit`).
    fail_next: bool,
    /// Makes the next output allocation fail as a full device would.
    oom_next: bool,
}

impl VulkanBackend {
    /// The backend of an engine on `device`.
    pub fn new(device: VulkanDevice) -> VulkanBackend {
        let fuse = std::env::var("GRADTAPE_VULKAN_FUSE").map_or(true, |v| v != "0");
        VulkanBackend { device, uploads: HashMap::new(), fuse, fail_next: false, oom_next: false }
    }

    /// Makes the next submit fail with a device error, as a lost device
    /// does: a fault-injection hook, since no test can lose a real device.
    pub fn fail_next_submit(&mut self) {
        self.fail_next = true;
    }

    /// Makes the next output allocation fail as on a device out of memory:
    /// a fault-injection hook, like `fail_next_submit`.
    pub fn fail_next_allocation(&mut self) {
        self.oom_next = true;
    }
}

/// A device failure (lost, or out of memory mid-flush): values that were
/// only on the device are gone. The error is kept for whoever reads them;
/// the caller then drops the engine's device, which goes on on the CPU.
fn record_fault(fault: &mut DeviceFault, what: &str, e: gradtape_core::Error) {
    let err = gradtape_core::Error::Device(format!("the Vulkan device failed while {what}: {}", e.message()));
    log::error!("{err}; this engine continues on the CPU");
    if fault.0.is_none() {
        fault.0 = Some(err);
    }
}

struct Flush {
    dev: VulkanDevice,
    batch: Batch,
    submits: u64,
    fail_next: bool,
}

impl Flush {
    /// Submits what is recorded so far (before a CPU op reads its results).
    fn split(&mut self) -> Result<()> {
        let full = std::mem::replace(&mut self.batch, self.dev.batch());
        if std::mem::take(&mut self.fail_next) {
            return Err(gradtape_core::Error::Device("device lost (injected)".into()));
        }
        if full.submit()? {
            self.submits += 1;
        }
        Ok(())
    }
}

/// The Vulkan `Dispatch` system: when the world has a device, it takes
/// every planned op (those the device lacks run on the host in program
/// order, inside its batch). A failed device is retired by a command, so
/// the CPU's dispatch system, next in the set, runs later flushes alone.
pub fn vulkan_dispatch_system(
    be: Option<ResMut<VulkanBackend>>,
    mut state: ResMut<FlushState>,
    mut values: Query<&mut Storage>,
    fault: Option<ResMut<DeviceFault>>,
    mut commands: Commands,
) {
    let Some(mut be) = be else { return };
    if state.planned.is_empty() {
        return;
    }
    let st = &mut *state;
    let mut cx = Cx { values: &mut values, pool: &mut st.pool, stats: &mut st.stats };
    if let Err(e) = be.dispatch(&mut st.planned, &mut cx) {
        // A bare world (a test's) may have no fault resource yet.
        match fault {
            Some(mut f) => record_fault(&mut f, "running a batch", e),
            None => {
                let mut f = DeviceFault::default();
                record_fault(&mut f, "running a batch", e);
                commands.insert_resource(f);
            }
        }
        commands.remove_resource::<VulkanBackend>();
    }
}

impl Backend for VulkanBackend {
    /// Device ops recorded into one command buffer, submitted once; ops the
    /// device lacks on the CPU, in program order. It takes every op: after
    /// a failure the rest of the flush is lost with the device.
    fn dispatch<V: Values>(&mut self, ops: &mut Vec<Op>, cx: &mut Cx<V>) -> Result<()> {
        self.uploads.retain(|_, (w, _)| w.strong_count() > 0);
        let fail_next = std::mem::take(&mut self.fail_next);
        let dev = self.device.clone();
        let plan = plan(ops, &dev, self.fuse);
        let mut f = Flush { batch: dev.batch(), dev, submits: 0, fail_next };
        let r = run_all(self, cx, &mut f, ops, &plan);
        cx.stats.flushes += 1;
        cx.stats.dispatched += ops.len() as u64;
        cx.stats.submits += f.submits;
        // The inputs' references go now, so this flush's cleanup sees them.
        ops.clear();
        r
    }
}

fn run_all<V: Values>(be: &mut VulkanBackend, cx: &mut Cx<V>, f: &mut Flush, ops: &[Op], plan: &Plan) -> Result<()> {
    let mut done = vec![false; ops.len()];
    for i in 0..ops.len() {
        if done[i] {
            continue;
        }
        if let Some(failed) = failed_input(cx.values, &ops[i].inputs) {
            // What a failed op would have fed stays failed, with its error.
            cx.values.set(ops[i].e, Storage::Failed(failed));
            done[i] = true;
            continue;
        }
        match plan.at[i] {
            Where::Cpu => run_cpu(be, cx, f, &ops[i])?,
            Where::Share => share(cx.values, &ops[i]),
            Where::Device => match run_device(be, cx.values, f, &ops[i]) {
                Ok(()) => {}
                // The device is full: this op's value is an error, and the
                // rest of the flush goes on.
                Err(e @ gradtape_core::Error::ResourceExhausted(_)) => {
                    cx.values.set(ops[i].e, Storage::Failed(e));
                }
                Err(e) => {
                    debug_fallback(&ops[i], &e);
                    run_cpu(be, cx, f, &ops[i])?;
                }
            },
            Where::Chain(c) => {
                let members = &plan.chains[c];
                match run_chain(be, cx.values, f, ops, plan, members) {
                    Ok(()) => {}
                    Err(e @ gradtape_core::Error::ResourceExhausted(_)) => {
                        for &m in members {
                            cx.values.set(ops[m].e, Storage::Failed(e.clone()));
                        }
                    }
                    Err(e) => {
                        debug_fallback(&ops[i], &e);
                        for &m in members {
                            run_cpu(be, cx, f, &ops[m])?;
                        }
                    }
                }
                for &m in members {
                    done[m] = true;
                }
            }
        }
        done[i] = true;
    }
    f.split()
}

fn debug_fallback(op: &Op, e: &gradtape_core::Error) {
    log::debug!("{} runs on the CPU: {e}", op.kind.name());
}

/// The device buffer holding `n`'s value, uploading a host value once.
fn device_input(be: &mut VulkanBackend, values: &impl Values, batch: &mut Batch, n: &Node) -> Result<DeviceBuffer> {
    let host = match values.value(n.entity()) {
        Some(Storage::Device { buf, .. }) => return Ok(buf.clone()),
        Some(Storage::Failed(e)) => return Err(e.clone()),
        Some(Storage::Host(h)) => h.clone(),
        _ => return Err(gradtape_core::Error::Device("internal: an op input has no value".into())),
    };
    let key = Arc::as_ptr(&host) as usize;
    if let Some((w, buf)) = be.uploads.get(&key) {
        if w.upgrade().is_some_and(|h| Arc::ptr_eq(&h, &host)) {
            return Ok(buf.clone());
        }
    }
    let buf = batch.upload(&host)?;
    be.uploads.insert(key, (Arc::downgrade(&host), buf.clone()));
    Ok(buf)
}

/// An output buffer (ResourceExhausted when the device is full).
fn alloc(be: &mut VulkanBackend, f: &mut Flush, dtype: gradtape_core::DType, n: usize) -> Result<DeviceBuffer> {
    if std::mem::take(&mut be.oom_next) {
        return Err(gradtape_core::Error::ResourceExhausted("OOM when allocating a Vulkan buffer (injected)".into()));
    }
    f.batch.alloc(dtype, n)
}

fn run_device(be: &mut VulkanBackend, values: &mut impl Values, f: &mut Flush, op: &Op) -> Result<()> {
    let x: SmallVec<[DeviceBuffer; 3]> =
        op.inputs.iter().map(|n| device_input(be, values, &mut f.batch, n)).collect::<Result<_>>()?;
    let out = alloc(be, f, op.dtype, op.shape.numel())?;
    lower::record(&mut f.batch, op, &x, &out)?;
    values.set(op.e, Storage::Device { buf: out, host: None });
    Ok(())
}

fn run_chain(be: &mut VulkanBackend, values: &mut impl Values, f: &mut Flush, ops: &[Op], plan: &Plan, members: &[usize]) -> Result<()> {
    let n = ops[members[0]].shape.numel();
    let mut prog = Fused::new(n);
    let mut regs: HashMap<Entity, u32> = HashMap::new();
    let mut outs: Vec<(Entity, DeviceBuffer)> = Vec::new();
    let full = || gradtape_core::Error::Device("internal: a planned chain overflowed its registers".into());
    for &m in members {
        let op = &ops[m];
        let mut args: SmallVec<[u32; 2]> = SmallVec::new();
        for input in &op.inputs {
            let r = match regs.get(&input.entity()) {
                Some(&r) => r,
                None => {
                    let buf = device_input(be, values, &mut f.batch, input)?;
                    let r = prog.input(&buf).ok_or_else(full)?;
                    regs.insert(input.entity(), r);
                    r
                }
            };
            args.push(r);
        }
        let r = match &op.kind {
            OpKind::Unary(u) => prog.unary(*u, args[0]),
            OpKind::Binary(b) => prog.binary(*b, args[0], args[1]),
            _ => unreachable!("internal: only elementwise ops are chained"),
        }
        .ok_or_else(full)?;
        regs.insert(op.e, r);
        if plan.store[m] {
            let buf = alloc(be, f, op.dtype, n)?;
            prog.output(r, &buf);
            outs.push((op.e, buf));
        }
    }
    f.batch.fused(&prog)?;
    for (e, buf) in outs {
        values.set(e, Storage::Device { buf, host: None });
    }
    Ok(())
}

/// Reshape and identity: the output is the input's buffer, wherever it lives.
fn share(values: &mut impl Values, op: &Op) {
    let e = op.inputs[0].entity();
    let shared = match values.value(e) {
        Some(Storage::Host(h)) => Storage::Host(h.clone()),
        Some(Storage::Device { buf, host }) => Storage::Device { buf: buf.clone(), host: host.clone() },
        _ => return,
    };
    values.set(op.e, shared);
}

fn run_cpu<V: Values>(be: &mut VulkanBackend, cx: &mut Cx<V>, f: &mut Flush, op: &Op) -> Result<()> {
    if let Some(failed) = failed_input(cx.values, &op.inputs) {
        cx.values.set(op.e, Storage::Failed(failed));
        return Ok(());
    }
    if op.inputs.iter().any(|n| cx.values.value(n.entity()).and_then(Storage::host).is_none()) {
        f.split()?;
        for n in &op.inputs {
            if download(&be.device, cx.values, n.entity())? {
                cx.stats.submits += 1;
            }
        }
    }
    cx.stats.on_host += 1;
    run_on_host(cx.values, op, cx.pool);
    Ok(())
}

/// Downloads `e`'s device value into its `Storage` (nothing when the host
/// has it). Returns whether that took a submit.
fn download(dev: &VulkanDevice, values: &mut impl Values, e: Entity) -> Result<bool> {
    let Some(Storage::Device { buf, host: None }) = values.value(e) else { return Ok(false) };
    let buf = buf.clone();
    let (data, submitted) = dev.download(&buf)?;
    if let Some(mut s) = values.value_mut(e) {
        if let Storage::Device { host, .. } = &mut *s {
            *host = Some(Arc::new(data));
        }
    }
    Ok(submitted)
}

/// Gives entity `e` host `Storage` if its value is only on the device
/// (`Tensor::data` calls it after a flush, outside the schedule).
pub fn ensure_host(world: &mut World, e: Entity) {
    let Some(dev) = world.get_resource::<VulkanBackend>().map(|b| b.device.clone()) else { return };
    match download(&dev, world, e) {
        Ok(true) => world.resource_mut::<FlushState>().stats.submits += 1,
        Ok(false) => {}
        Err(err) => {
            record_fault(&mut world.resource_mut::<DeviceFault>(), "reading a result back", err);
            world.remove_resource::<VulkanBackend>();
        }
    }
}
