//! `shaders/fused.comp`: a chain of float32 elementwise ops as one dispatch.
//!
//! The rule (applied by the engine, which sees the whole flush): a run of
//! consecutive queued float32 unary and arithmetic binary ops whose
//! outputs all have one shape fuses when each operand is either produced
//! inside the run or a tensor of that same shape or of one element
//! (broadcast); other broadcasting ends the run. A value inside the run is
//! written to memory only when something outside the run still needs it.

use std::sync::Arc;

use gradtape_core::registry::{BinaryOp, UnaryOp};
use gradtape_core::Result;
use smallvec::SmallVec;
use vulkano::device::Device;
use vulkano::shader::ShaderModule;
use vulkano::{Validated, VulkanError};

use super::{count, groups, PipelineKey, Shader};
use crate::{Batch, DeviceBuffer};

/// Registers per invocation (MAX_REGS in the shader).
pub const MAX_REGS: u32 = 32;

mod shader {
    vulkano_shaders::shader! {
        ty: "compute",
        path: "../../shaders/fused.comp",
        vulkan_version: "1.2",
        spirv_version: "1.5",
        generate_structs: false,
    }
}

pub(crate) fn load(d: Arc<Device>) -> Result<Arc<ShaderModule>, Validated<VulkanError>> {
    shader::load(d)
}

/// A fused program over `n` elements, built op by op.
#[derive(Default)]
pub struct Fused {
    n: usize,
    // Inputs and instructions each take a register, and outputs store
    // instructions' registers, so none of these outgrows MAX_REGS and a
    // program allocates nothing.
    inputs: SmallVec<[(DeviceBuffer, bool, u32); MAX_REGS as usize]>,
    instrs: SmallVec<[[u32; 4]; MAX_REGS as usize]>,
    outputs: SmallVec<[(u32, DeviceBuffer); MAX_REGS as usize]>,
    regs: u32,
}

impl Fused {
    pub fn new(n: usize) -> Fused {
        Fused { n, ..Fused::default() }
    }

    pub fn len(&self) -> usize {
        self.instrs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.instrs.is_empty()
    }

    fn reg(&mut self) -> Option<u32> {
        (self.regs < MAX_REGS).then(|| {
            self.regs += 1;
            self.regs - 1
        })
    }

    /// Loads `buf` (of `n` elements, or of one to broadcast) into a register.
    pub fn input(&mut self, buf: &DeviceBuffer) -> Option<u32> {
        let r = self.reg()?;
        self.inputs.push((buf.clone(), buf.len() == 1 && self.n != 1, r));
        Some(r)
    }

    /// `op(a)` into a new register; `None` when out of registers.
    pub fn unary(&mut self, op: UnaryOp, a: u32) -> Option<u32> {
        let r = self.reg()?;
        self.instrs.push([op.code(), r, a, 0]);
        Some(r)
    }

    /// Arithmetic `op(a, b)` (not a comparison) into a new register; `None` when out of registers.
    pub fn binary(&mut self, op: BinaryOp, a: u32, b: u32) -> Option<u32> {
        debug_assert!(!op.is_comparison(), "internal: the fused shader has no bool registers");
        let r = self.reg()?;
        self.instrs.push([1 << 8 | op.code(), r, a, b]);
        Some(r)
    }

    /// Stores register `reg` to `buf` (of `n` elements).
    pub fn output(&mut self, reg: u32, buf: &DeviceBuffer) {
        self.outputs.push((reg, buf.clone()));
    }
}

impl Batch {
    /// Runs a fused program: one dispatch however many ops it holds.
    pub fn fused(&mut self, f: &Fused) -> Result<()> {
        let mut r = self.rec();
        r.u(f.inputs.len()).u(f.instrs.len()).u(f.outputs.len());
        for (b, scalar, reg) in &f.inputs {
            r.addr(b).u(*scalar as usize).u(*reg as usize);
        }
        for i in &f.instrs {
            r.0.extend_from_slice(i);
        }
        for (reg, b) in &f.outputs {
            r.u(*reg as usize).addr(b);
        }
        let reads: SmallVec<[&DeviceBuffer; MAX_REGS as usize]> = f.inputs.iter().map(|(b, _, _)| b).collect();
        let writes: SmallVec<[&DeviceBuffer; MAX_REGS as usize]> = f.outputs.iter().map(|(_, b)| b).collect();
        let key = PipelineKey { shader: Shader::Fused, spec: [0, 0] };
        self.dispatch(key, r, count(f.n)?, groups(f.n), &reads, &writes)
    }
}
