//! Shared by the Vulkan bit-parity tests (`vulkan_take.rs`,
//! `vulkan_scan.rs`): inputs, bit comparison with the CPU engine, and the
//! check that a Vulkan engine ran nothing on the host.

#![allow(dead_code)]

use gradtape::*;

pub fn vulkan() -> Option<Engine> {
    match Engine::new(Device::Vulkan) {
        Ok(e) => Some(e),
        Err(e) => {
            eprintln!("skipped: no Vulkan device ({e})");
            None
        }
    }
}

/// A deterministic xorshift generator: tests see the same inputs every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Values spread over six decades and both signs, so that float sums
    /// depend on their order.
    pub fn spread(&mut self) -> f64 {
        let mag = 10f64.powi((self.next() * 6.0) as i32 - 3);
        (self.next() - 0.5) * mag
    }
}

/// A tensor of `dt` shaped `shape`, with values from `seed`.
pub fn make(e: &Engine, dt: DType, shape: &[usize], seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let mut rng = Rng::new(seed);
    let v: Vec<f64> = (0..n).map(|_| rng.spread()).collect();
    match dt {
        DType::F32 => e.from_vec(v.iter().map(|&x| x as f32).collect(), shape),
        DType::F64 => e.from_vec(v, shape),
        DType::I32 => e.from_vec(v.iter().map(|&x| (x * 1000.0) as i32).collect(), shape),
        DType::I64 => e.from_vec(v.iter().map(|&x| (x * 1e6) as i64 * 1_000_003).collect(), shape),
        DType::Bool => e.from_vec(v.iter().map(|&x| x > 0.0).collect(), shape),
        other => panic!("no test values for {other}"),
    }
    .unwrap()
}

pub fn ints(e: &Engine, v: &[i32], shape: &[usize]) -> Tensor {
    e.from_vec(v.to_vec(), shape).unwrap()
}

/// The elements' bits (bool as 0/1), so that equal means bit-identical.
pub fn bits(t: &Tensor) -> Vec<u64> {
    match t.dtype() {
        DType::F32 => t.to_vec::<f32>().unwrap().iter().map(|x| x.to_bits() as u64).collect(),
        DType::F64 => t.to_vec::<f64>().unwrap().iter().map(|x| x.to_bits()).collect(),
        DType::I32 => t.to_vec::<i32>().unwrap().iter().map(|&x| x as u32 as u64).collect(),
        DType::I64 => t.to_vec::<i64>().unwrap().iter().map(|&x| x as u64).collect(),
        DType::Bool => t.to_vec::<bool>().unwrap().iter().map(|&x| x as u64).collect(),
        other => panic!("no bits for {other}"),
    }
}

/// Whether the device computes in `dt` (not every GPU has float64 or
/// int64 arithmetic; lavapipe has both): an add on the Vulkan engine
/// that did not run on the host.
pub fn computes(vk: &Engine, dt: DType) -> bool {
    if dt == DType::Bool {
        return true; // stored as int32 on every device
    }
    let x = make(vk, dt, &[4], 1);
    let before = vk.stats().on_host;
    let y = x.add(&x).unwrap();
    y.data();
    vk.stats().on_host == before
}

/// What a case returns: its outputs (values and gradients), by name.
pub type Outs = Vec<(String, Tensor)>;

/// Runs `f` on the CPU and on Vulkan, and checks every output has the same
/// shape, dtype and bits, that Vulkan ran none of it on the host, and
/// that a second Vulkan run gives the same bits.
#[track_caller]
pub fn check(name: &str, f: impl Fn(&Engine) -> Result<Outs>) {
    let Some(vk) = vulkan() else { return };
    let cpu = Engine::cpu();
    let want = f(&cpu).unwrap_or_else(|e| panic!("{name} on the cpu: {e}"));
    let before = vk.stats();
    let got = f(&vk).unwrap_or_else(|e| panic!("{name} on vulkan: {e}"));
    let got_bits: Vec<Vec<u64>> = got.iter().map(|(_, t)| bits(t)).collect();
    let after = vk.stats();
    assert_eq!(after.on_host, before.on_host, "{name}: ops ran on the host of the Vulkan engine");
    assert!(after.dispatched > before.dispatched, "{name}: nothing was dispatched");
    assert_eq!(want.len(), got.len(), "{name}: outputs");
    for ((what, c), ((_, v), vb)) in want.iter().zip(got.iter().zip(&got_bits)) {
        assert_eq!(c.dims(), v.dims(), "{name} {what}: shape");
        assert_eq!(c.dtype(), v.dtype(), "{name} {what}: dtype");
        assert_eq!(&bits(c), vb, "{name} {what}: cpu {:?}\nvulkan {:?}", c.to_f64_vec(), v.to_f64_vec());
    }
    let again = f(&vk).unwrap_or_else(|e| panic!("{name} on vulkan, again: {e}"));
    for ((what, v), vb) in again.iter().zip(&got_bits) {
        assert_eq!(&bits(v), vb, "{name} {what}: a second Vulkan run differs");
    }
}

/// `f(x)`'s value and the gradient of `sum(f(x) * w)` for a fixed random
/// `w` (so each scattered gradient element is a sum of distinct values).
pub fn value_and_grad(e: &Engine, x: &Tensor, f: impl Fn(&Tensor) -> Result<Tensor>) -> Result<Outs> {
    let tape = e.gradient_tape(true, true);
    let (y, loss) = tape.record(|t| {
        t.watch(x)?;
        let y = f(x)?;
        let w = make(e, y.dtype(), y.dims(), 99);
        let loss = y.mul(&w)?.sum()?;
        Ok((y, loss))
    })?;
    let g = tape.gradient(&loss, x)?.expect("a gradient");
    Ok(vec![("value".into(), y), ("gradient".into(), g)])
}

pub const FLOATS: [DType; 2] = [DType::F32, DType::F64];
pub const ALL: [DType; 5] = [DType::F32, DType::F64, DType::I32, DType::I64, DType::Bool];

/// The dtypes of `list` the device computes in.
pub fn offered(list: &[DType]) -> Vec<DType> {
    let Some(vk) = vulkan() else { return Vec::new() };
    list.iter().copied().filter(|&d| computes(&vk, d)).collect()
}

