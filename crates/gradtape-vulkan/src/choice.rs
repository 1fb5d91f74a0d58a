//! Which Vulkan device to take: a pure function of the devices present, so
//! that it is tested without a GPU (and built without the `vulkan` feature).
//!
//! A GPU is always preferred: discrete, then integrated, then virtual (a
//! host GPU passed to a virtual machine). A CPU-type device (Mesa's
//! lavapipe, SwiftShader) computes on the host through Vulkan and is far
//! slower than gradtape's own CPU backend, so it is taken only when the
//! caller accepts any device ([`Want::Any`], i.e. `GRADTAPE_DEVICE=vulkan`).

use std::fmt;

/// A device's kind, as Vulkan's `VkPhysicalDeviceType` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceKind {
    /// A GPU of its own (`PHYSICAL_DEVICE_TYPE_DISCRETE_GPU`).
    DiscreteGpu,
    /// A GPU sharing the host's memory (`PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU`).
    IntegratedGpu,
    /// A GPU seen through virtualisation (`PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU`).
    VirtualGpu,
    /// Vulkan on the host CPU, e.g. lavapipe (`PHYSICAL_DEVICE_TYPE_CPU`).
    Cpu,
    /// Anything else (`PHYSICAL_DEVICE_TYPE_OTHER`).
    Other,
}

impl DeviceKind {
    /// Whether this kind is a GPU (discrete, integrated or virtual).
    pub fn is_gpu(self) -> bool {
        matches!(self, DeviceKind::DiscreteGpu | DeviceKind::IntegratedGpu | DeviceKind::VirtualGpu)
    }

    /// Lower is preferred.
    fn rank(self) -> u8 {
        match self {
            DeviceKind::DiscreteGpu => 0,
            DeviceKind::IntegratedGpu => 1,
            DeviceKind::VirtualGpu => 2,
            DeviceKind::Cpu => 3,
            DeviceKind::Other => 4,
        }
    }
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeviceKind::DiscreteGpu => "discrete GPU",
            DeviceKind::IntegratedGpu => "integrated GPU",
            DeviceKind::VirtualGpu => "virtual GPU",
            DeviceKind::Cpu => "cpu",
            DeviceKind::Other => "other",
        })
    }
}

/// Which devices a caller accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    /// Only a GPU (`Device::Auto`): otherwise the CPU backend is faster.
    Gpu,
    /// Any Vulkan device, lavapipe included (`Device::Vulkan`).
    Any,
}

/// A device the choice was made among: its name, its kind, and whether it
/// can run gradtape's kernels (a compute queue, Vulkan 1.2, `bufferDeviceAddress`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The driver's name for it.
    pub name: String,
    /// Its kind.
    pub kind: DeviceKind,
    /// Whether gradtape can use it.
    pub usable: bool,
}

/// The choice: the index of the chosen candidate, and why, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The chosen candidate's index in the list given.
    pub index: usize,
    /// Why this one (for the debug log).
    pub reason: String,
}

fn listing(candidates: &[Candidate]) -> String {
    let all: Vec<String> = candidates
        .iter()
        .map(|c| format!("{} ({}{})", c.name, c.kind, if c.usable { "" } else { ", unusable" }))
        .collect();
    if all.is_empty() {
        "none".into()
    } else {
        all.join(", ")
    }
}

/// Picks the best usable device that `want` accepts (first of equals in
/// list order), or says why there is none.
///
/// ```
/// use gradtape_vulkan::choice::{choose, Candidate, DeviceKind, Want};
/// let lavapipe = Candidate { name: "llvmpipe".into(), kind: DeviceKind::Cpu, usable: true };
/// assert!(choose(&[lavapipe.clone()], Want::Gpu).is_err());
/// assert_eq!(choose(&[lavapipe], Want::Any).unwrap().index, 0);
/// ```
pub fn choose(candidates: &[Candidate], want: Want) -> Result<Choice, String> {
    let best = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.usable && (want == Want::Any || c.kind.is_gpu()))
        .min_by_key(|(i, c)| (c.kind.rank(), *i));
    match best {
        Some((index, c)) => Ok(Choice {
            index,
            reason: format!("{} is the best {} among the Vulkan devices: {}", c.name, c.kind, listing(candidates)),
        }),
        None if want == Want::Gpu => Err(format!(
            "no usable Vulkan GPU (a CPU-type device such as lavapipe is taken only with GRADTAPE_DEVICE=vulkan); devices: {}",
            listing(candidates)
        )),
        None => Err(format!(
            "Vulkan: no device with a compute queue and bufferDeviceAddress (Vulkan 1.2); devices: {}",
            listing(candidates)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(kind: DeviceKind, usable: bool) -> Candidate {
        Candidate { name: format!("{kind}"), kind, usable }
    }

    #[test]
    fn a_gpu_is_preferred_discrete_first() {
        use DeviceKind::*;
        let list = [c(Cpu, true), c(IntegratedGpu, true), c(DiscreteGpu, true), c(VirtualGpu, true)];
        assert_eq!(choose(&list, Want::Gpu).unwrap().index, 2);
        assert_eq!(choose(&list, Want::Any).unwrap().index, 2);
        let list = [c(Cpu, true), c(VirtualGpu, true), c(IntegratedGpu, true)];
        assert_eq!(choose(&list, Want::Gpu).unwrap().index, 2);
        let list = [c(Other, true), c(Cpu, true), c(VirtualGpu, true)];
        assert_eq!(choose(&list, Want::Gpu).unwrap().index, 2);
    }

    #[test]
    fn lavapipe_only_when_any_device_is_wanted() {
        use DeviceKind::*;
        let list = [c(Cpu, true)];
        let no = choose(&list, Want::Gpu).unwrap_err();
        assert!(no.contains("GRADTAPE_DEVICE=vulkan") && no.contains("cpu"), "{no}");
        assert_eq!(choose(&list, Want::Any).unwrap().index, 0);
        // A CPU device beats an `other` one when anything goes.
        assert_eq!(choose(&[c(Other, true), c(Cpu, true)], Want::Any).unwrap().index, 1);
    }

    #[test]
    fn unusable_devices_are_never_chosen() {
        use DeviceKind::*;
        let list = [c(DiscreteGpu, false), c(IntegratedGpu, true)];
        assert_eq!(choose(&list, Want::Gpu).unwrap().index, 1);
        let list = [c(DiscreteGpu, false), c(Cpu, true)];
        assert!(choose(&list, Want::Gpu).is_err());
        assert_eq!(choose(&list, Want::Any).unwrap().index, 1);
        assert!(choose(&[c(DiscreteGpu, false)], Want::Any).is_err());
        assert!(choose(&[], Want::Any).unwrap_err().contains("devices: none"));
    }

    #[test]
    fn equals_go_in_list_order_and_the_reason_names_the_device() {
        use DeviceKind::*;
        let list = [
            Candidate { name: "first".into(), kind: DiscreteGpu, usable: true },
            Candidate { name: "second".into(), kind: DiscreteGpu, usable: true },
        ];
        let ch = choose(&list, Want::Gpu).unwrap();
        assert_eq!(ch.index, 0);
        assert!(ch.reason.starts_with("first is the best discrete GPU"), "{}", ch.reason);
    }
}
