//! The few Python calls of the lecture gradtape has no function for:
//! `tf.config.experimental.list_physical_devices` and `np.array`.

use std::sync::OnceLock;

use gradtape::*;

/// `tf.config.experimental.list_physical_devices(kind)`, answered from the
/// device gradtape's default engine computes on.
pub fn list_physical_devices(kind: &str) -> String {
    let info = Engine::default_engine().device_info();
    // The Vulkan backend describes its device as "vulkan: NAME (discrete GPU, Vulkan 1.3)".
    let has = match kind {
        "GPU" => info.contains("GPU"),
        "CPU" => true,
        _ => false,
    };
    if has {
        format!("[PhysicalDevice(name='/physical_device:{kind}:0', device_type='{kind}')]")
    } else {
        "[]".into()
    }
}

/// The engine NumPy's arrays live on: NumPy behaviour on ('legacy'
/// promotion, 1-D matmul operands, `.reshape`), apart from the default
/// engine, so that turning it on here changes nothing elsewhere.
fn numpy_engine() -> &'static Engine {
    static NP: OnceLock<Engine> = OnceLock::new();
    NP.get_or_init(|| {
        let e = Device::from_env().and_then(Engine::new).unwrap_or_else(|_| Engine::cpu());
        e.enable_numpy_behavior(PromotionMode::Legacy);
        e
    })
}

/// `np.array(value)`: NumPy's default dtypes, int64 for ints and float64
/// for floats (TF's would be int32 and float32).
pub fn array(value: impl IntoLiteral) -> Result<Tensor> {
    let lit = value.into_literal()?;
    let dtype = match lit.inferred_dtype() {
        DType::F32 | DType::F64 => DType::F64,
        DType::I32 | DType::I64 => DType::I64,
        other => other,
    };
    numpy_engine().constant_with(lit, dtype)
}
