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
use crate::backend::cpu::{put_pool, run_on_host, set, take_pool};
use crate::backend::Backend;
use crate::components::{DeviceFault, Stats, Storage};
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

/// A device failure mid-flush (lost, or out of memory): values that were
/// only on the device are gone. The error is kept for whoever reads them,
/// and the engine drops its device and goes on on the CPU.
fn fail(world: &mut World, what: &str, e: gradtape_core::Error) {
    let err = gradtape_core::Error::Device(format!("the Vulkan device failed while {what}: {}", e.message()));
    log::error!("{err}; this engine continues on the CPU");
    let mut fault = world.resource_mut::<DeviceFault>();
    if fault.0.is_none() {
        fault.0 = Some(err);
    }
    world.remove_resource::<VulkanBackend>();
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

/// The `Dispatch` system of the Vulkan backend: it takes every planned op.
pub fn dispatch(world: &mut World) {
    crate::backend::dispatch_system::<VulkanBackend>(world);
}

impl Backend for VulkanBackend {
    /// Device ops recorded into one command buffer, submitted once; ops the
    /// device lacks on the CPU, in program order.
    fn dispatch(world: &mut World, ops: &mut Vec<Op>) {
        dispatch_ops(world, std::mem::take(ops));
    }
}

fn dispatch_ops(world: &mut World, ops: Vec<Op>) {
    let (dev, fuse, fail_next) = {
        let mut be = world.resource_mut::<VulkanBackend>();
        be.uploads.retain(|_, (w, _)| w.strong_count() > 0);
        (be.device.clone(), be.fuse, std::mem::take(&mut be.fail_next))
    };
    let plan = plan(&ops, &dev, fuse);
    let mut f = Flush { batch: dev.batch(), dev, submits: 0, fail_next };
    if let Err(e) = run_all(world, &mut f, &ops, &plan) {
        fail(world, "running a batch", e);
    }
    let mut stats = world.resource_mut::<Stats>();
    stats.flushes += 1;
    stats.dispatched += ops.len() as u64;
    stats.submits += f.submits;
}

fn run_all(world: &mut World, f: &mut Flush, ops: &[Op], plan: &Plan) -> Result<()> {
    let mut done = vec![false; ops.len()];
    for i in 0..ops.len() {
        if done[i] {
            continue;
        }
        if let Some(failed) = failed_input(world, &ops[i]) {
            // What a failed op would have fed stays failed, with its error.
            set(world, ops[i].e, Storage::Failed(failed));
            done[i] = true;
            continue;
        }
        match plan.at[i] {
            Where::Cpu => run_cpu(world, f, &ops[i])?,
            Where::Share => share(world, &ops[i]),
            Where::Device => match run_device(world, f, &ops[i]) {
                Ok(()) => {}
                // The device is full: this op's value is an error, and the
                // rest of the flush goes on.
                Err(e @ gradtape_core::Error::ResourceExhausted(_)) => {
                    set(world, ops[i].e, Storage::Failed(e));
                }
                Err(e) => {
                    debug_fallback(&ops[i], &e);
                    run_cpu(world, f, &ops[i])?;
                }
            },
            Where::Chain(c) => {
                let members = &plan.chains[c];
                match run_chain(world, f, ops, plan, members) {
                    Ok(()) => {}
                    Err(e @ gradtape_core::Error::ResourceExhausted(_)) => {
                        for &m in members {
                            set(world, ops[m].e, Storage::Failed(e.clone()));
                        }
                    }
                    Err(e) => {
                        debug_fallback(&ops[i], &e);
                        for &m in members {
                            run_cpu(world, f, &ops[m])?;
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

/// The error of an input whose own op failed.
fn failed_input(world: &World, op: &Op) -> Option<gradtape_core::Error> {
    op.inputs.iter().find_map(|n| world.get::<Storage>(n.entity()).and_then(Storage::failed).cloned())
}

fn debug_fallback(op: &Op, e: &gradtape_core::Error) {
    log::debug!("{} runs on the CPU: {e}", op.kind.name());
}

/// The device buffer holding `n`'s value, uploading a host value once.
fn device_input(world: &mut World, batch: &mut Batch, n: &Node) -> Result<DeviceBuffer> {
    let host = match world.get::<Storage>(n.entity()) {
        Some(Storage::Device { buf, .. }) => return Ok(buf.clone()),
        Some(Storage::Failed(e)) => return Err(e.clone()),
        Some(Storage::Host(h)) => h.clone(),
        _ => return Err(gradtape_core::Error::Device("internal: an op input has no value".into())),
    };
    let key = Arc::as_ptr(&host) as usize;
    let mut be = world.resource_mut::<VulkanBackend>();
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
fn alloc(world: &mut World, f: &mut Flush, dtype: gradtape_core::DType, n: usize) -> Result<DeviceBuffer> {
    if std::mem::take(&mut world.resource_mut::<VulkanBackend>().oom_next) {
        return Err(gradtape_core::Error::ResourceExhausted("OOM when allocating a Vulkan buffer (injected)".into()));
    }
    f.batch.alloc(dtype, n)
}

fn run_device(world: &mut World, f: &mut Flush, op: &Op) -> Result<()> {
    let x: SmallVec<[DeviceBuffer; 3]> =
        op.inputs.iter().map(|n| device_input(world, &mut f.batch, n)).collect::<Result<_>>()?;
    let out = alloc(world, f, op.dtype, op.shape.numel())?;
    lower::record(&mut f.batch, op, &x, &out)?;
    set(world, op.e, Storage::Device { buf: out, host: None });
    Ok(())
}

fn run_chain(world: &mut World, f: &mut Flush, ops: &[Op], plan: &Plan, members: &[usize]) -> Result<()> {
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
                    let buf = device_input(world, &mut f.batch, input)?;
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
            let buf = alloc(world, f, op.dtype, n)?;
            prog.output(r, &buf);
            outs.push((op.e, buf));
        }
    }
    f.batch.fused(&prog)?;
    for (e, buf) in outs {
        set(world, e, Storage::Device { buf, host: None });
    }
    Ok(())
}

/// Reshape and identity: the output is the input's buffer, wherever it lives.
fn share(world: &mut World, op: &Op) {
    let e = op.inputs[0].entity();
    let shared = match world.get::<Storage>(e) {
        Some(Storage::Host(h)) => Storage::Host(h.clone()),
        Some(Storage::Device { buf, host }) => Storage::Device { buf: buf.clone(), host: host.clone() },
        _ => return,
    };
    set(world, op.e, shared);
}

fn run_cpu(world: &mut World, f: &mut Flush, op: &Op) -> Result<()> {
    if let Some(failed) = failed_input(world, op) {
        set(world, op.e, Storage::Failed(failed));
        return Ok(());
    }
    if op.inputs.iter().any(|n| world.get::<Storage>(n.entity()).and_then(Storage::host).is_none()) {
        f.split()?;
        for n in &op.inputs {
            download(world, n.entity())?;
        }
    }
    world.resource_mut::<Stats>().on_host += 1;
    let mut pool = take_pool(world);
    run_on_host(world, op, &mut pool);
    put_pool(world, pool);
    Ok(())
}

/// Downloads `e`'s device value into host `Storage` (no-op when it has one).
fn download(world: &mut World, e: Entity) -> Result<()> {
    let Some(Storage::Device { buf, host: None }) = world.get::<Storage>(e) else { return Ok(()) };
    let buf = buf.clone();
    let dev = world.resource::<VulkanBackend>().device.clone();
    let (data, submitted) = dev.download(&buf)?;
    if submitted {
        world.resource_mut::<Stats>().submits += 1;
    }
    if let Some(mut s) = world.get_mut::<Storage>(e) {
        if let Storage::Device { host, .. } = &mut *s {
            *host = Some(Arc::new(data));
        }
    }
    Ok(())
}

/// Gives entity `e` host `Storage` if its value is only on the device
/// (`Tensor::data` calls it after a flush).
pub fn ensure_host(world: &mut World, e: Entity) {
    if !world.contains_resource::<VulkanBackend>() {
        return;
    }
    if let Err(err) = download(world, e) {
        fail(world, "reading a result back", err);
    }
}
