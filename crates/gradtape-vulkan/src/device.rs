//! Opening the device, and the process-wide state every batch shares: the
//! queue, allocators, the buffer pool and the pipeline cache.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use gradtape_core::{DType, Error, HostData, Result};
use vulkano::command_buffer::allocator::StandardCommandBufferAllocator;
use vulkano::device::physical::{PhysicalDevice, PhysicalDeviceType};
use vulkano::device::{Device, DeviceCreateInfo, DeviceFeatures, Queue, QueueCreateInfo, QueueFlags};
use vulkano::instance::{Instance, InstanceCreateInfo};
use vulkano::memory::allocator::StandardMemoryAllocator;
use vulkano::pipeline::compute::ComputePipelineCreateInfo;
use vulkano::pipeline::layout::{PipelineLayoutCreateInfo, PushConstantRange};
use vulkano::pipeline::{ComputePipeline, PipelineLayout, PipelineShaderStageCreateInfo};
use vulkano::shader::ShaderStages;
use vulkano::{Version, VulkanLibrary};

use crate::buffer::{DeviceBuffer, Pool};
use crate::choice::{choose, Candidate, DeviceKind, Want};
use crate::ops::{self, PipelineKey};

/// What `device_info()` reports: the device's name, kind and Vulkan version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    pub name: String,
    /// `discrete GPU`, `integrated GPU`, `virtual GPU`, `cpu` or `other`.
    pub device_type: String,
    /// The device's Vulkan API version, e.g. `1.3.230`.
    pub api_version: String,
    pub float64: bool,
    pub int64: bool,
}

impl fmt::Display for DeviceInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "vulkan: {} ({}, Vulkan {})", self.name, self.device_type, self.api_version)
    }
}

pub(crate) struct Inner {
    pub device: Arc<Device>,
    pub queue: Arc<Queue>,
    pub commands: Arc<StandardCommandBufferAllocator>,
    pub layout: Arc<PipelineLayout>,
    pub pool: Arc<Pool>,
    pipelines: Mutex<HashMap<PipelineKey, Arc<ComputePipeline>>>,
    info: DeviceInfo,
}

/// The Vulkan device: cheap to clone (a reference), `Send + Sync`.
#[derive(Clone)]
pub struct VulkanDevice(pub(crate) Arc<Inner>);

static SHARED: OnceLock<std::result::Result<VulkanDevice, Error>> = OnceLock::new();

/// The error and its causes: vulkano's `Validated` says only "a
/// non-validation error occurred" and keeps the reason as its source.
fn device_err(what: &str, e: impl std::error::Error) -> Error {
    let mut msg = format!("Vulkan: {what}: {e}");
    let mut cause = e.source();
    while let Some(c) = cause {
        msg.push_str(&format!(": {c}"));
        cause = c.source();
    }
    Error::Device(msg)
}

fn kind(t: PhysicalDeviceType) -> DeviceKind {
    match t {
        PhysicalDeviceType::DiscreteGpu => DeviceKind::DiscreteGpu,
        PhysicalDeviceType::IntegratedGpu => DeviceKind::IntegratedGpu,
        PhysicalDeviceType::VirtualGpu => DeviceKind::VirtualGpu,
        PhysicalDeviceType::Cpu => DeviceKind::Cpu,
        _ => DeviceKind::Other,
    }
}

fn compute_queue(p: &Arc<PhysicalDevice>) -> Option<u32> {
    if p.api_version() < Version::V1_2 || !p.supported_features().buffer_device_address {
        return None;
    }
    p.queue_family_properties()
        .iter()
        .position(|q| q.queue_flags.intersects(QueueFlags::COMPUTE))
        .map(|i| i as u32)
}

/// The devices the loader lists, and the one `want` takes (see [`choose`]).
fn pick(want: Want) -> Result<(Arc<PhysicalDevice>, u32)> {
    let library = VulkanLibrary::new().map_err(|e| device_err("no Vulkan loader (libvulkan.so.1)", e))?;
    let instance =
        Instance::new(library, InstanceCreateInfo::default()).map_err(|e| device_err("cannot create an instance", e))?;
    let physical: Vec<Arc<PhysicalDevice>> =
        instance.enumerate_physical_devices().map_err(|e| device_err("cannot list devices", e))?.collect();
    let candidates: Vec<Candidate> = physical
        .iter()
        .map(|p| Candidate {
            name: p.properties().device_name.clone(),
            kind: kind(p.properties().device_type),
            usable: compute_queue(p).is_some(),
        })
        .collect();
    match choose(&candidates, want) {
        Ok(c) => {
            log::debug!("Vulkan ({want:?}): {}", c.reason);
            let p = physical[c.index].clone();
            let q = compute_queue(&p).expect("internal: a chosen device is usable");
            Ok((p, q))
        }
        Err(why) => {
            log::debug!("Vulkan ({want:?}): {why}");
            Err(Error::Device(why))
        }
    }
}

impl VulkanDevice {
    /// The process-wide device, opened on first use. Every engine on Vulkan
    /// shares it (and its compiled pipelines). An `Err` when there is no
    /// Vulkan loader or no usable device; the same `Err` on later calls.
    pub fn shared() -> Result<VulkanDevice> {
        SHARED.get_or_init(VulkanDevice::open).clone()
    }

    /// [`VulkanDevice::shared`] if it is a GPU (discrete, integrated or
    /// virtual), else an `Err` saying what there is: what `Device::Auto`
    /// takes, since a CPU-type device (lavapipe) is slower than the CPU
    /// backend. Nothing is opened when there is no GPU.
    pub fn shared_gpu() -> Result<VulkanDevice> {
        static PROBE: OnceLock<std::result::Result<(), Error>> = OnceLock::new();
        // The best usable device is a GPU exactly when a usable GPU exists,
        // so the shared device is the one this probe found.
        PROBE.get_or_init(|| pick(Want::Gpu).map(|_| ())).clone()?;
        VulkanDevice::shared()
    }

    fn open() -> Result<VulkanDevice> {
        let (physical, queue_family_index) = pick(Want::Any)?;
        let sup = physical.supported_features();
        let features = DeviceFeatures {
            buffer_device_address: true,
            shader_float64: sup.shader_float64,
            shader_int64: sup.shader_int64,
            synchronization2: sup.synchronization2,
            ..DeviceFeatures::empty()
        };
        let (device, mut queues) = Device::new(
            physical.clone(),
            DeviceCreateInfo {
                enabled_features: features,
                queue_create_infos: vec![QueueCreateInfo { queue_family_index, ..Default::default() }],
                ..Default::default()
            },
        )
        .map_err(|e| device_err("cannot open the device", e))?;
        let queue = queues.next().ok_or_else(|| Error::Device("Vulkan: the device gave no queue".into()))?;
        let memory = Arc::new(StandardMemoryAllocator::new_default(device.clone()));
        let commands = Arc::new(StandardCommandBufferAllocator::new(device.clone(), Default::default()));
        let layout = PipelineLayout::new(
            device.clone(),
            PipelineLayoutCreateInfo {
                push_constant_ranges: vec![PushConstantRange {
                    stages: ShaderStages::COMPUTE,
                    offset: 0,
                    size: 16,
                }],
                ..Default::default()
            },
        )
        .map_err(|e| device_err("cannot create the pipeline layout", e))?;
        let props = physical.properties();
        let info = DeviceInfo {
            name: props.device_name.clone(),
            device_type: kind(props.device_type).to_string(),
            api_version: physical.api_version().to_string(),
            float64: features.shader_float64,
            int64: features.shader_int64,
        };
        let pool = Arc::new(Pool::new(memory.clone()));
        Ok(VulkanDevice(Arc::new(Inner {
            device,
            queue,
            commands,
            layout,
            pool,
            pipelines: Mutex::new(HashMap::new()),
            info,
        })))
    }

    pub fn info(&self) -> &DeviceInfo {
        &self.0.info
    }

    /// Whether arithmetic kernels exist for `dtype` on this device. (The
    /// type-blind movement and select kernels take every dtype.)
    pub fn supports(&self, dtype: DType) -> bool {
        match dtype {
            DType::Bool | DType::I32 | DType::F32 => true,
            DType::I64 => self.0.info.int64,
            DType::F64 => self.0.info.float64,
            // Stored as 32-bit words; the engine runs their math on the host.
            DType::U8 | DType::I8 | DType::I16 | DType::F16 | DType::BF16 => true,
        }
    }

    /// Device buffers created so far (not counting reuses from the pool).
    pub fn buffers_created(&self) -> u64 {
        self.0.pool.created.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Compute pipelines built so far (each is cached once built).
    pub fn pipelines_cached(&self) -> usize {
        self.0.pipelines.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// A new, empty batch (one command buffer, submitted by [`crate::Batch::submit`]).
    pub fn batch(&self) -> crate::Batch {
        crate::Batch::new(self.clone())
    }

    /// Reads a buffer back to the host. The caller has waited for the batch
    /// that wrote it ([`crate::Batch::submit`] waits). One submit when the
    /// memory is not host-visible (a discrete GPU), else none.
    pub fn download(&self, buf: &DeviceBuffer) -> Result<(HostData, bool)> {
        crate::batch::download(self, buf)
    }

    pub(crate) fn pipeline(&self, key: PipelineKey) -> Result<Arc<ComputePipeline>> {
        let mut cache = self.0.pipelines.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = cache.get(&key) {
            return Ok(p.clone());
        }
        let (module, spec) = ops::module(self, key)?;
        let entry = module
            .specialize(spec.into_iter().collect())
            .map_err(|e| device_err("bad specialisation constants", e))?
            .entry_point("main")
            .ok_or_else(|| Error::Device("Vulkan: a shader has no main".into()))?;
        let pipeline = ComputePipeline::new(
            self.0.device.clone(),
            None,
            ComputePipelineCreateInfo::stage_layout(PipelineShaderStageCreateInfo::new(entry), self.0.layout.clone()),
        )
        .map_err(|e| device_err(&format!("cannot build the {key:?} pipeline"), e))?;
        cache.insert(key, pipeline.clone());
        Ok(pipeline)
    }
}

impl fmt::Debug for VulkanDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.info, f)
    }
}
