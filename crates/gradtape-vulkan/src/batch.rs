//! A batch: every op of one flush recorded into one command buffer,
//! submitted once, waited on with one fence.

use std::collections::HashSet;
use std::sync::Arc;

use gradtape_core::{DType, Error, HostData, Result};
use vulkano::buffer::Subbuffer;
use vulkano::command_buffer::{
    CommandBuffer, CommandBufferBeginInfo, CommandBufferLevel, CommandBufferUsage, CopyBufferInfo,
    RecordingCommandBuffer,
};
use vulkano::pipeline::ComputePipeline;
use vulkano::sync::fence::Fence;
use vulkano::sync::{AccessFlags, DependencyInfo, MemoryBarrier, PipelineStages};
use vulkano::VulkanObject;

use crate::buffer::{DeviceBuffer, Kind};
use crate::ops::{PipelineKey, Rec};
use crate::VulkanDevice;

/// Words per parameter-arena chunk (256 KiB).
const ARENA_WORDS: usize = 1 << 16;

/// Threads per workgroup of the elementwise kernels.
pub(crate) const GROUP: u32 = 256;

fn vk_err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Device(format!("Vulkan: {what}: {e}"))
}

struct Chunk {
    buf: DeviceBuffer,
    words: Vec<u32>,
}

/// Records ops into one command buffer; [`Batch::submit`] runs them all.
/// Buffers the batch touches stay alive until it has run.
pub struct Batch {
    dev: VulkanDevice,
    cb: Option<RecordingCommandBuffer>,
    arena: Vec<Chunk>,
    keep: Vec<DeviceBuffer>,
    /// Buffers written since the last barrier.
    dirty: HashSet<u64>,
    bound: Option<Arc<ComputePipeline>>,
    dispatches: usize,
    /// The words of the record being built (see `Rec`).
    scratch: Vec<u32>,
}

impl Batch {
    pub(crate) fn new(dev: VulkanDevice) -> Batch {
        Batch {
            dev,
            cb: None,
            arena: Vec::new(),
            keep: Vec::new(),
            dirty: HashSet::new(),
            bound: None,
            dispatches: 0,
            scratch: Vec::new(),
        }
    }

    pub fn device(&self) -> &VulkanDevice {
        &self.dev
    }

    /// Whether anything was recorded.
    pub fn is_empty(&self) -> bool {
        self.cb.is_none()
    }

    /// How many dispatches were recorded.
    pub fn dispatches(&self) -> usize {
        self.dispatches
    }

    fn cb(&mut self) -> Result<&mut RecordingCommandBuffer> {
        if self.cb.is_none() {
            let cb = RecordingCommandBuffer::new(
                self.dev.0.commands.clone(),
                self.dev.0.queue.queue_family_index(),
                CommandBufferLevel::Primary,
                CommandBufferBeginInfo { usage: CommandBufferUsage::OneTimeSubmit, ..Default::default() },
            )
            .map_err(|e| vk_err("cannot begin a command buffer", e))?;
            self.cb = Some(cb);
        }
        Ok(self.cb.as_mut().expect("internal: just begun"))
    }

    /// A fresh device buffer for `len` elements of `dtype`, kept alive by the batch.
    pub fn alloc(&mut self, dtype: DType, len: usize) -> Result<DeviceBuffer> {
        let b = DeviceBuffer::new(&self.dev.0.pool, Kind::Device, dtype, len)?;
        self.keep.push(b.clone());
        Ok(b)
    }

    /// Copies host values to a new device buffer: straight into mapped
    /// memory where the device allows, else staged and copied by the batch.
    pub fn upload(&mut self, data: &HostData) -> Result<DeviceBuffer> {
        let b = self.alloc(data.dtype(), data.len())?;
        if b.is_empty() || b.write_mapped(data) {
            return Ok(b);
        }
        let staging = DeviceBuffer::new(&self.dev.0.pool, Kind::Upload, data.dtype(), data.len())?;
        if !staging.write_mapped(data) {
            return Err(Error::Device("Vulkan: no host-visible memory for staging".into()));
        }
        let words = b.bytes().div_ceil(4);
        let info = CopyBufferInfo::buffers(staging.0.buf.clone().slice(0..words), b.0.buf.clone().slice(0..words));
        // SAFETY: both buffers are alive until the batch's fence (`keep`),
        // and the barrier logic orders the copy before any dispatch reading `b`.
        unsafe { self.cb()?.copy_buffer(&info) }.map_err(|e| vk_err("copy", e))?;
        self.dirty.insert(b.addr());
        self.keep.push(staging);
        Ok(b)
    }

    /// Fills `buf` with zero bits.
    pub(crate) fn zero(&mut self, buf: &DeviceBuffer) -> Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        self.hazard(&[], &[buf])?;
        let words = buf.bytes().div_ceil(4);
        let target: Subbuffer<[u32]> = buf.0.buf.clone().slice(0..words);
        // SAFETY: `buf` is kept alive by the batch; ordered by `hazard`.
        unsafe { self.cb()?.fill_buffer(&target, 0) }.map_err(|e| vk_err("fill", e))?;
        self.dirty.insert(buf.addr());
        self.keep.push(buf.clone());
        Ok(())
    }

    /// Puts a barrier in when this command touches a buffer written since the last one.
    fn hazard(&mut self, reads: &[&DeviceBuffer], writes: &[&DeviceBuffer]) -> Result<()> {
        let touched = reads.iter().chain(writes).any(|b| self.dirty.contains(&b.addr()));
        if touched {
            let all = PipelineStages::COMPUTE_SHADER | PipelineStages::ALL_TRANSFER;
            let barrier = MemoryBarrier {
                src_stages: all,
                src_access: AccessFlags::SHADER_WRITE | AccessFlags::TRANSFER_WRITE,
                dst_stages: all,
                dst_access: AccessFlags::SHADER_READ
                    | AccessFlags::SHADER_WRITE
                    | AccessFlags::TRANSFER_READ
                    | AccessFlags::TRANSFER_WRITE,
                ..Default::default()
            };
            let info = DependencyInfo { memory_barriers: [barrier].into_iter().collect(), ..Default::default() };
            // SAFETY: a plain global memory barrier.
            unsafe { self.cb()?.pipeline_barrier(&info) }.map_err(|e| vk_err("barrier", e))?;
            self.dirty.clear();
        }
        Ok(())
    }

    /// Stores a parameter record; returns its device address.
    fn record(&mut self, words: &[u32]) -> Result<u64> {
        let fits = self.arena.last().is_some_and(|c| c.words.len() + words.len() <= ARENA_WORDS);
        if !fits {
            let len = ARENA_WORDS.max(words.len());
            let buf = DeviceBuffer::new(&self.dev.0.pool, Kind::Upload, DType::I32, len)?;
            self.arena.push(Chunk { buf, words: Vec::with_capacity(len) });
        }
        let chunk = self.arena.last_mut().expect("internal: a chunk was just ensured");
        let at = chunk.buf.addr() + 4 * chunk.words.len() as u64;
        chunk.words.extend_from_slice(words);
        Ok(at)
    }

    /// An empty parameter record, in the batch's scratch words.
    pub(crate) fn rec(&mut self) -> Rec {
        let mut words = std::mem::take(&mut self.scratch);
        words.clear();
        Rec(words)
    }

    /// Records one dispatch of `key`'s pipeline over `n` elements (its
    /// push constant), with parameter record `params`, `groups` workgroups.
    pub(crate) fn dispatch(
        &mut self,
        key: PipelineKey,
        params: Rec,
        n: u32,
        groups: [u32; 3],
        reads: &[&DeviceBuffer],
        writes: &[&DeviceBuffer],
    ) -> Result<()> {
        let at = if groups.contains(&0) { Ok(None) } else { self.record(&params.0).map(Some) };
        self.scratch = params.0;
        let Some(at) = at? else { return Ok(()) };
        let pipeline = self.dev.pipeline(key)?;
        self.hazard(reads, writes)?;
        let layout = self.dev.0.layout.clone();
        let rebind = !self.bound.as_ref().is_some_and(|p| Arc::ptr_eq(p, &pipeline));
        let cb = self.cb()?;
        let push: [u32; 4] = [at as u32, (at >> 32) as u32, n, 0];
        // SAFETY: every buffer the record names is kept alive by the batch
        // until its fence, and `hazard` orders this dispatch after the
        // writes it depends on. The shaders bound-check against `n` and
        // the record's sizes.
        unsafe {
            if rebind {
                cb.bind_pipeline_compute(&pipeline).map_err(|e| vk_err("bind", e))?;
            }
            cb.push_constants(&layout, 0, &push).map_err(|e| vk_err("push constants", e))?;
            cb.dispatch(groups).map_err(|e| vk_err("dispatch", e))?;
        }
        if rebind {
            self.bound = Some(pipeline);
        }
        for w in writes {
            self.dirty.insert(w.addr());
        }
        self.keep.extend(reads.iter().chain(writes).map(|b| (*b).clone()));
        self.dispatches += 1;
        Ok(())
    }

    /// Submits everything recorded, once, and waits for it. Returns whether
    /// there was anything to submit.
    pub fn submit(mut self) -> Result<bool> {
        let Some(cb) = self.cb.take() else { return Ok(false) };
        for chunk in &self.arena {
            if !chunk.buf.write_words(&chunk.words) {
                return Err(Error::Device("Vulkan: the parameter arena is not host-visible".into()));
            }
        }
        // SAFETY: recording is complete.
        let cb = unsafe { cb.end() }.map_err(|e| vk_err("cannot end the command buffer", e))?;
        submit_and_wait(&self.dev, &cb)?;
        drop(cb);
        self.keep.clear();
        Ok(true)
    }
}

/// One `vkQueueSubmit` of `cb` and a wait on its fence.
fn submit_and_wait(dev: &VulkanDevice, cb: &CommandBuffer) -> Result<()> {
    let fence = Fence::from_pool(dev.0.device.clone()).map_err(|e| vk_err("fence", e))?;
    let handles = [cb.handle()];
    let info = ash::vk::SubmitInfo::default().command_buffers(&handles);
    let fns = dev.0.device.fns();
    let queue = &dev.0.queue;
    queue.with(|_guard| {
        // SAFETY: the queue is held exclusively by the guard; the command
        // buffer is fully recorded and outlives the wait below.
        unsafe { (fns.v1_0.queue_submit)(queue.handle(), 1, &info, fence.handle()) }
            .result()
            .map_err(|e| vk_err("submit", e))
    })?;
    fence.wait(None).map_err(|e| vk_err("fence wait", e))
}

pub(crate) fn download(dev: &VulkanDevice, buf: &DeviceBuffer) -> Result<(HostData, bool)> {
    if let Some(d) = buf.read_mapped() {
        return Ok((d, false));
    }
    let staging = DeviceBuffer::new(&dev.0.pool, Kind::Download, buf.dtype(), buf.len())?;
    let words = buf.bytes().div_ceil(4);
    let mut cb = RecordingCommandBuffer::new(
        dev.0.commands.clone(),
        dev.0.queue.queue_family_index(),
        CommandBufferLevel::Primary,
        CommandBufferBeginInfo { usage: CommandBufferUsage::OneTimeSubmit, ..Default::default() },
    )
    .map_err(|e| vk_err("cannot begin a command buffer", e))?;
    let info = CopyBufferInfo::buffers(buf.0.buf.clone().slice(0..words), staging.0.buf.clone().slice(0..words));
    // SAFETY: both buffers outlive the wait in `submit_and_wait`.
    unsafe {
        cb.copy_buffer(&info).map_err(|e| vk_err("copy", e))?;
    }
    let cb = unsafe { cb.end() }.map_err(|e| vk_err("cannot end the command buffer", e))?;
    submit_and_wait(dev, &cb)?;
    let d = staging.read_mapped().ok_or_else(|| Error::Device("Vulkan: staging memory is not host-visible".into()))?;
    Ok((d, true))
}
