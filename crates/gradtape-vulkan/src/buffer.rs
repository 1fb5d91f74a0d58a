//! Device buffers and the pool they return to.

use std::collections::HashMap;
use std::fmt;
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use gradtape_core::{DType, Error, HostData, Result};
use vulkano::buffer::{Buffer, BufferCreateInfo, BufferUsage, Subbuffer};
use vulkano::memory::allocator::{AllocationCreateInfo, MemoryTypeFilter, StandardMemoryAllocator};

/// Released buffers kept for reuse, in bytes; past this they are freed.
const MAX_FREE_BYTES: u64 = 1 << 30;

/// What memory a buffer lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// Tensor data: device-local.
    Device,
    /// Host-visible and written by the host: staging uploads, parameter arenas.
    Upload,
    /// Host-visible and read by the host: staging downloads.
    Download,
}

/// Bytes one element takes on the device: bool is a u32 there.
pub(crate) fn device_size(dtype: DType) -> u64 {
    match dtype {
        // The narrow dtypes are words of their compute type (int32, float32).
        DType::Bool | DType::I32 | DType::F32 | DType::U8 | DType::I8 | DType::I16 | DType::F16 | DType::BF16 => 4,
        DType::I64 | DType::F64 => 8,
    }
}

/// The size class of a request: at least 256 bytes, rounded up to an eighth
/// of the next power of two, so a class wastes at most 25%.
fn class_of(bytes: u64) -> u64 {
    let bytes = bytes.max(256);
    let step = (bytes.next_power_of_two() / 8).max(256);
    bytes.div_ceil(step) * step
}

#[derive(Default)]
struct Free {
    /// Released buffers with the `Arc` that held them, so that reusing one
    /// allocates nothing on the host either. Each is the only handle.
    lists: HashMap<(Kind, u64), Vec<Arc<Pooled>>>,
    bytes: u64,
}

pub(crate) struct Pool {
    memory: Arc<StandardMemoryAllocator>,
    free: Mutex<Free>,
    /// Buffers created (not reused) so far.
    pub created: AtomicU64,
}

impl Pool {
    pub fn new(memory: Arc<StandardMemoryAllocator>) -> Pool {
        Pool { memory, free: Mutex::new(Free::default()), created: AtomicU64::new(0) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Free> {
        self.free.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A buffer of at least `bytes` bytes for `len` elements of `dtype`,
    /// reused when one of its class is free.
    fn take(self: &Arc<Pool>, kind: Kind, dtype: DType, len: usize) -> Result<Arc<Pooled>> {
        let bytes = len as u64 * device_size(dtype);
        let class = class_of(bytes);
        let reused = {
            let mut free = self.lock();
            let b = free.lists.get_mut(&(kind, class)).and_then(|l| l.pop());
            if b.is_some() {
                free.bytes -= class;
            }
            b
        };
        if let Some(mut b) = reused {
            if let Some(p) = Arc::get_mut(&mut b) {
                p.dtype = dtype;
                p.len = len;
                return Ok(b);
            }
        }
        let filter = match kind {
            Kind::Device => MemoryTypeFilter::PREFER_DEVICE,
            Kind::Upload => MemoryTypeFilter::PREFER_DEVICE | MemoryTypeFilter::HOST_SEQUENTIAL_WRITE,
            Kind::Download => MemoryTypeFilter::PREFER_HOST | MemoryTypeFilter::HOST_RANDOM_ACCESS,
        };
        let buf = Buffer::new_slice::<u32>(
            self.memory.clone(),
            BufferCreateInfo {
                usage: BufferUsage::STORAGE_BUFFER
                    | BufferUsage::SHADER_DEVICE_ADDRESS
                    | BufferUsage::TRANSFER_SRC
                    | BufferUsage::TRANSFER_DST,
                ..Default::default()
            },
            AllocationCreateInfo { memory_type_filter: filter, ..Default::default() },
            class / 4,
        )
        .map_err(|e| {
            Error::ResourceExhausted(format!("OOM when allocating a Vulkan buffer of {bytes} bytes: {e}"))
        })?;
        let addr = buf
            .device_address()
            .map_err(|e| Error::Device(format!("Vulkan: a buffer has no device address: {e}")))?
            .get();
        self.created.fetch_add(1, Ordering::Relaxed);
        Ok(Arc::new(Pooled { buf, addr, kind, class, dtype, len, pool: Arc::downgrade(self) }))
    }

    /// Keeps `b`, the only handle to its buffer, for reuse; past the cap,
    /// drops it (and so frees its memory).
    fn give_back(&self, b: Arc<Pooled>) {
        let mut free = self.lock();
        if free.bytes + b.class > MAX_FREE_BYTES {
            return;
        }
        free.bytes += b.class;
        free.lists.entry((b.kind, b.class)).or_default().push(b);
    }
}

/// A device buffer and what its current tensor makes of it. It holds its
/// pool weakly: released ones sit in the pool's lists, and a strong
/// reference back would be a cycle.
pub(crate) struct Pooled {
    pub buf: Subbuffer<[u32]>,
    pub addr: u64,
    pub kind: Kind,
    class: u64,
    pub dtype: DType,
    pub len: usize,
    pool: Weak<Pool>,
}

/// A tensor's elements on the device: `len` elements of `dtype`
/// (bool as one u32 each). Cheap to clone; back to the pool when the last
/// clone drops. Its contents never change once the batch that wrote it
/// has run, so clones may be shared freely.
pub struct DeviceBuffer(pub(crate) ManuallyDrop<Arc<Pooled>>);

impl Clone for DeviceBuffer {
    fn clone(&self) -> DeviceBuffer {
        DeviceBuffer(ManuallyDrop::new(Arc::clone(&self.0)))
    }
}

impl Drop for DeviceBuffer {
    fn drop(&mut self) {
        // SAFETY: `self.0` is taken once, here, and not touched again.
        let mut arc = unsafe { ManuallyDrop::take(&mut self.0) };
        if Arc::get_mut(&mut arc).is_some() {
            // The last handle: the buffer and its Arc go back together.
            if let Some(pool) = arc.pool.upgrade() {
                pool.give_back(arc);
            }
        } else if let Some(p) = Arc::into_inner(arc) {
            // Another handle was dropped at the same moment, and this one
            // turned out last after all: the buffer still goes back.
            if let Some(pool) = p.pool.upgrade() {
                pool.give_back(Arc::new(p));
            }
        }
    }
}

impl DeviceBuffer {
    pub(crate) fn new(pool: &Arc<Pool>, kind: Kind, dtype: DType, len: usize) -> Result<DeviceBuffer> {
        Ok(DeviceBuffer(ManuallyDrop::new(pool.take(kind, dtype, len)?)))
    }

    pub fn dtype(&self) -> DType {
        self.0.dtype
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.0.len
    }

    pub fn is_empty(&self) -> bool {
        self.0.len == 0
    }

    /// The buffer's device address: what the shaders read and write through.
    pub fn addr(&self) -> u64 {
        self.0.addr
    }

    pub(crate) fn bytes(&self) -> u64 {
        self.0.len as u64 * device_size(self.0.dtype)
    }

    /// Writes `data` straight into mapped memory; `false` when the memory
    /// is not host-visible (the caller stages the upload instead).
    pub(crate) fn write_mapped(&self, data: &HostData) -> bool {
        let Ok(mut guard) = self.0.buf.write() else { return false };
        let words: &mut [u32] = &mut guard;
        encode(data, &mut words[..self.bytes() as usize / 4]);
        true
    }

    /// Writes raw words into mapped memory; `false` when not host-visible.
    pub(crate) fn write_words(&self, src: &[u32]) -> bool {
        let Ok(mut guard) = self.0.buf.write() else { return false };
        guard[..src.len()].copy_from_slice(src);
        true
    }

    /// Reads mapped memory; `None` when it is not host-visible.
    pub(crate) fn read_mapped(&self) -> Option<HostData> {
        let guard = self.0.buf.read().ok()?;
        let words: &[u32] = &guard;
        Some(decode(self.0.dtype, &words[..self.bytes() as usize / 4], self.0.len))
    }
}

impl fmt::Debug for DeviceBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceBuffer({} x {} @ {:#x})", self.0.len, self.0.dtype, self.0.addr)
    }
}

/// Host values into device words (bool as 0/1 u32s, the narrow dtypes as
/// words of their compute type).
pub(crate) fn encode(data: &HostData, dst: &mut [u32]) {
    if let Some(wide) = data.widened() {
        return encode(&wide, dst);
    }
    if let HostData::Bool(v) = data {
        for (d, &b) in dst.iter_mut().zip(v) {
            *d = b as u32;
        }
        return;
    }
    let bytes: &mut [u8] = bytemuck::cast_slice_mut(dst);
    match data {
        HostData::Bool(_) => {}
        HostData::I32(v) => bytes.copy_from_slice(bytemuck::cast_slice(v)),
        HostData::I64(v) => bytes.copy_from_slice(bytemuck::cast_slice(v)),
        HostData::F32(v) => bytes.copy_from_slice(bytemuck::cast_slice(v)),
        HostData::F64(v) => bytes.copy_from_slice(bytemuck::cast_slice(v)),
        _ => unreachable!("internal: narrow dtypes were widened above"),
    }
}

/// Device words back into host values.
pub(crate) fn decode(dtype: DType, src: &[u32], len: usize) -> HostData {
    // 8-byte elements are whole word pairs, low word first (little-endian).
    let wide = |w: &[u32]| (w[1] as u64) << 32 | w[0] as u64;
    match dtype {
        DType::Bool => HostData::Bool(src[..len].iter().map(|&w| w != 0).collect()),
        DType::I32 => HostData::I32(bytemuck::cast_slice(&src[..len]).to_vec()),
        DType::F32 => HostData::F32(bytemuck::cast_slice(&src[..len]).to_vec()),
        DType::I64 => HostData::I64(src[..2 * len].chunks_exact(2).map(|w| wide(w) as i64).collect()),
        DType::F64 => HostData::F64(src[..2 * len].chunks_exact(2).map(|w| f64::from_bits(wide(w))).collect()),
        // Exact: the words hold values of the narrow dtype.
        narrow => decode(narrow.compute(), src, len).cast(narrow),
    }
}

#[cfg(test)]
mod tests {
    use super::class_of;

    #[test]
    fn size_classes_waste_at_most_a_quarter() {
        for bytes in [1u64, 255, 256, 257, 1000, 4096, 5000, 1 << 20, (1 << 20) + 1, 3 << 26] {
            let c = class_of(bytes);
            assert!(c >= bytes && c.is_multiple_of(4), "{bytes} -> {c}");
            assert!(bytes < 1024 || c as f64 <= bytes as f64 * 1.25, "{bytes} -> {c}");
        }
    }
}
