//! Every op on `Engine::new(Device::Vulkan)` gives what `Engine::cpu()`
//! gives, forward and backward (through a GradientTape), for random inputs
//! of several shapes, with broadcasting and strided/transposed views; and a
//! flush of 1,000 small ops is one submit. Skips (passing) only when there
//! is no Vulkan device at all.

#![cfg(feature = "vulkan")]

use gradtape::ops::binary::BinaryOp;
use gradtape::ops::reduce::ReduceOp;
use gradtape::ops::unary::UnaryOp;
use gradtape::*;

fn vulkan() -> Option<Engine> {
    match Engine::new(Device::Vulkan) {
        Ok(e) => Some(e),
        Err(e) => {
            eprintln!("skipped: no Vulkan device ({e})");
            None
        }
    }
}

/// A deterministic xorshift generator: tests see the same inputs every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// An input: dtype, shape, and values drawn from [lo, hi).
#[derive(Clone)]
struct In(DType, Vec<usize>, f64, f64);

fn f32s(shape: &[usize]) -> In {
    In(DType::F32, shape.to_vec(), -2.0, 2.0)
}

fn make(e: &Engine, spec: &In, seed: u64) -> Result<Tensor> {
    let In(dt, shape, lo, hi) = spec;
    let n: usize = shape.iter().product();
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let v: Vec<f64> = (0..n).map(|_| lo + (hi - lo) * rng.next()).collect();
    match dt {
        DType::F32 => e.from_vec(v.iter().map(|&x| x as f32).collect(), shape),
        DType::F64 => e.from_vec(v, shape),
        DType::I32 => e.from_vec(v.iter().map(|&x| x.floor() as i32).collect(), shape),
        DType::I64 => e.from_vec(v.iter().map(|&x| x.floor() as i64).collect(), shape),
        DType::Bool => e.from_vec(v.iter().map(|&x| x > (lo + hi) / 2.0).collect(), shape),
        narrow => e.from_vec(v.iter().map(|&x| x.floor()).collect(), shape)?.cast(*narrow),
    }
}

/// `f`'s value and the gradients of its sum with respect to each float input.
fn run(e: &Engine, ins: &[In], f: &dyn Fn(&[Tensor]) -> Result<Tensor>) -> Result<(Tensor, Vec<Option<Vec<f64>>>)> {
    let xs: Vec<Tensor> = ins.iter().enumerate().map(|(i, s)| make(e, s, i as u64 + 1)).collect::<Result<_>>()?;
    let tape = e.gradient_tape(true, true);
    let y = tape.record(|t| {
        for x in xs.iter().filter(|x| x.dtype().is_float()) {
            t.watch(x)?;
        }
        f(&xs)
    })?;
    let mut grads = Vec::new();
    for x in &xs {
        let g = if x.dtype().is_float() && y.dtype().is_float() { tape.gradient(&y, x)? } else { None };
        grads.push(g.map(|g| g.to_f64_vec()));
    }
    Ok((y, grads))
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

#[track_caller]
fn same(what: &str, a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        assert!(close(x, y, tol), "{what}: element {i}: cpu {x} vs vulkan {y}\ncpu {a:?}\nvulkan {b:?}");
    }
}

/// Runs `f` on both engines and compares values and gradients.
#[track_caller]
fn check(name: &str, ins: &[In], f: impl Fn(&[Tensor]) -> Result<Tensor>) {
    let Some(vk) = vulkan() else { return };
    let cpu = Engine::cpu();
    let (yc, gc) = run(&cpu, ins, &f).unwrap_or_else(|e| panic!("{name} on the cpu: {e}"));
    let (yv, gv) = run(&vk, ins, &f).unwrap_or_else(|e| panic!("{name} on vulkan: {e}"));
    assert_eq!(yc.dims(), yv.dims(), "{name}: shape");
    assert_eq!(yc.dtype(), yv.dtype(), "{name}: dtype");
    let tol = match yc.dtype() {
        DType::F32 => 2e-5,
        DType::F64 => 1e-12,
        _ => 0.0,
    };
    same(name, &yc.to_f64_vec(), &yv.to_f64_vec(), tol);
    for (i, (a, b)) in gc.iter().zip(&gv).enumerate() {
        match (a, b) {
            (Some(a), Some(b)) => same(&format!("{name}: d/dx{i}"), a, b, tol.max(1e-12) * 10.0),
            (None, None) => {}
            _ => panic!("{name}: gradient {i} is None on one engine only"),
        }
    }
}

const FLOATS: [DType; 2] = [DType::F32, DType::F64];
const NUMBERS: [DType; 4] = [DType::F32, DType::F64, DType::I32, DType::I64];

fn spec(dt: DType, shape: &[usize], lo: f64, hi: f64) -> In {
    In(dt, shape.to_vec(), lo, hi)
}

/// Every `UnaryOp` of the registry, in every dtype it takes, on its domain.
#[test]
fn unary_ops() {
    for &op in UnaryOp::ALL {
        let (lo, hi) = op.domain();
        for dt in NUMBERS {
            if !op.takes_ints() && !dt.is_float() {
                continue;
            }
            for shape in [&[][..], &[7], &[3, 5], &[2, 3, 4]] {
                check(&format!("{op:?} {dt} {shape:?}"), &[spec(dt, shape, lo, hi)], |x| x[0].unary(op));
            }
        }
        // A transposed view, then the op.
        check(&format!("{op:?} of a transpose"), &[spec(DType::F32, &[4, 6], lo, hi)], |x| x[0].t()?.unary(op));
    }
}

#[test]
fn binary_ops() {
    let shapes: [(&[usize], &[usize]); 5] = [(&[], &[]), (&[6], &[6]), (&[3, 1], &[1, 4]), (&[4], &[2, 3, 4]), (&[2, 3, 4], &[])];
    // Every `BinaryOp` of the registry on its domain (a divisor's is
    // nonzero: an integer 0 is TF's error before any device runs).
    for &op in BinaryOp::ALL {
        let (lo, hi) = op.domain();
        for dt in NUMBERS {
            if !op.takes_ints() && !dt.is_float() {
                continue;
            }
            for (sa, sb) in shapes {
                check(&format!("{op:?} {dt} {sa:?} {sb:?}"), &[spec(dt, sa, lo, hi), spec(dt, sb, lo, hi)], |x| {
                    x[0].binary(op, &x[1])
                });
            }
        }
        let views = [spec(DType::F32, &[3, 4], lo, hi), spec(DType::F32, &[4, 3], lo, hi)];
        check(&format!("{op:?} of transposed views"), &views, |x| x[0].t()?.binary(op, &x[1]));
        if lo > 0.0 {
            // A domain kept positive (divisors, pow): signed operands too,
            // with negative right operands, where the op allows them.
            for dt in NUMBERS {
                let allowed = if dt.is_float() { true } else { op.takes_ints() && !op.reference(1.0, -1.0, dt).is_nan() };
                if allowed {
                    check(&format!("{op:?} {dt} signed"), &[spec(dt, &[4, 5], -hi, hi), spec(dt, &[5], -hi, -lo)], |x| {
                        x[0].binary(op, &x[1])
                    });
                }
            }
        }
    }
    for dt in FLOATS {
        check(&format!("div {dt}"), &[spec(dt, &[3, 4], -3.0, 3.0), spec(dt, &[4], 0.5, 2.0)], |x| x[0].div(&x[1]));
    }
    check("int div (to float64)", &[spec(DType::I32, &[5], -9.0, 9.0), spec(DType::I32, &[5], 1.0, 4.0)], |x| {
        x[0].div(&x[1])
    });
    for &op in BinaryOp::ALL.iter().filter(|op| op.takes_bools()) {
        check(&format!("bool {op:?}"), &[spec(DType::Bool, &[3, 4], 0.0, 1.0), spec(DType::Bool, &[4], 0.0, 1.0)], |x| {
            x[0].binary(op, &x[1])
        });
    }
}

/// Every `ReduceOp` of the registry, on the values its `domain` allows.
#[test]
fn reductions() {
    let axes: [Axes; 6] = [Axes::All, 0.into(), 1.into(), (-1).into(), [0, 2].into(), Axes::List(Default::default())];
    for &op in ReduceOp::ALL {
        for dt in NUMBERS {
            for a in &axes {
                for keep in [false, true] {
                    let (lo, hi) = op.domain(5);
                    check(&format!("{op:?} {dt} {a:?} keepdims={keep}"), &[spec(dt, &[3, 4, 5], lo, hi)], |x| {
                        x[0].reduce(op, a.clone(), keep)
                    });
                }
            }
        }
        // Long reductions take the one-thread-per-output, one-group-per-output
        // and two-pass split paths.
        for (shape, a) in [(&[20000][..], Axes::All), (&[3, 5000][..], 1.into()), (&[3000, 70][..], 1.into()), (&[300, 3][..], 0.into())] {
            let (lo, hi) = op.domain(5000);
            check(&format!("{op:?} long {shape:?}"), &[spec(DType::F32, shape, lo, hi)], |x| x[0].reduce(op, a.clone(), false));
            check(&format!("{op:?} long i32 {shape:?}"), &[spec(DType::I32, shape, -3.0, 3.0)], |x| {
                x[0].reduce(op, a.clone(), false)
            });
        }
        check(&format!("{op:?} of a transpose"), &[f32s(&[4, 6])], |x| x[0].t()?.reduce(op, 0.into(), false));
    }
}

#[test]
fn matmuls() {
    for dt in NUMBERS {
        let (lo, hi) = if dt.is_float() { (-1.0, 1.0) } else { (-4.0, 4.0) };
        for (sa, sb, ta, tb) in [
            (&[4, 5][..], &[5, 3][..], false, false),
            (&[5, 4][..], &[5, 3][..], true, false),
            (&[4, 5][..], &[3, 5][..], false, true),
            (&[5, 4][..], &[3, 5][..], true, true),
            (&[2, 1, 4, 5][..], &[3, 5, 6][..], false, false),
            (&[70, 130][..], &[70, 150][..], true, false),
            (&[1, 0][..], &[0, 3][..], false, false),
        ] {
            check(&format!("matmul {dt} {sa:?} {sb:?} {ta} {tb}"), &[spec(dt, sa, lo, hi), spec(dt, sb, lo, hi)], |x| {
                x[0].matmul_t(&x[1], ta, tb)
            });
        }
    }
    // float32 rows of whole vec4s take the vec4 kernel (ops/matmul.rs
    // `kernel`): every transpose, tiles cut at both edges (m = 68, n = 132
    // are not multiples of the 64 tile), and broadcast batch dims.
    for (sa, sb, ta, tb) in [
        (&[8, 12][..], &[12, 16][..], false, false),
        (&[12, 8][..], &[12, 16][..], true, false),
        (&[8, 12][..], &[16, 12][..], false, true),
        (&[12, 8][..], &[16, 12][..], true, true),
        (&[68, 20][..], &[20, 132][..], false, false),
        (&[20, 68][..], &[132, 20][..], true, true),
        (&[2, 1, 4, 8][..], &[3, 8, 12][..], false, false),
        // Only the dims read along need be multiples of 4: k = 5 here, m = 6 next.
        (&[5, 8][..], &[5, 16][..], true, false),
        (&[6, 8][..], &[12, 8][..], false, true),
    ] {
        check(&format!("matmul vec4 {sa:?} {sb:?} {ta} {tb}"), &[f32s(sa), f32s(sb)], |x| x[0].matmul_t(&x[1], ta, tb));
    }
    // 256 tiles of 128 x 128: the big register block, vec4 and not (k = 9,
    // n = 129 split vec4s).
    check("matmul big tiles vec4", &[f32s(&[256, 128, 8]), f32s(&[256, 8, 128])], |x| x[0].matmul(&x[1]));
    check("matmul big tiles vec4 transposed", &[f32s(&[256, 8, 128]), f32s(&[256, 128, 8])], |x| {
        x[0].matmul_t(&x[1], true, true)
    });
    check("matmul big tiles", &[f32s(&[256, 127, 9]), f32s(&[256, 9, 129])], |x| x[0].matmul(&x[1]));
    check("matmul of transposed views", &[f32s(&[6, 4]), f32s(&[5, 6])], |x| x[0].t()?.matmul(&x[1].t()?));
}

#[test]
fn movement() {
    for dt in [DType::F32, DType::F64, DType::I32, DType::I64, DType::Bool] {
        let s = |shape: &[usize]| spec(dt, shape, -5.0, 5.0);
        check(&format!("transpose {dt}"), &[s(&[2, 3, 4])], |x| x[0].transpose(&[2, 0, 1]));
        check(&format!("broadcast_to {dt}"), &[s(&[3, 1])], |x| x[0].broadcast_to(&[2, 3, 4]));
        check(&format!("concat {dt}"), &[s(&[2, 3]), s(&[2, 5]), s(&[2, 1])], |x| concat(x, -1));
        check(&format!("concat axis 0 {dt}"), &[s(&[2, 3]), s(&[4, 3])], |x| concat(x, 0));
        check(&format!("stack {dt}"), &[s(&[2, 3]), s(&[2, 3])], |x| stack(x, 1));
        check(&format!("slices {dt}"), &[s(&[5, 6, 3])], |x| x[0].i((1..4, Idx::Range(None, None, -2), 1)));
        check(&format!("reshape, squeeze {dt}"), &[s(&[2, 1, 6])], |x| x[0].squeeze(&[])?.reshape([3, -1]));
    }
    // Gradients flow back through every movement op (SliceGrad, sum_to, ...).
    check("slice gradient", &[f32s(&[6, 5])], |x| x[0].i((Idx::Range(Some(1), None, 2), Idx::Range(None, None, -1)))?.square());
    check("concat gradient", &[f32s(&[2, 3]), f32s(&[2, 2])], |x| concat(&[x[0].clone(), x[1].square()?], 1)?.exp());
    check("broadcast gradient", &[f32s(&[1, 4])], |x| x[0].broadcast_to(&[3, 4])?.mul(&x[0]));
}

#[test]
fn casts() {
    let all = [DType::Bool, DType::I32, DType::I64, DType::F32, DType::F64];
    for from in all {
        for to in all {
            check(&format!("cast {from} -> {to}"), &[spec(from, &[4, 5], -300.0, 300.0)], |x| x[0].cast(to));
        }
    }
    let specials = [f32::NAN, f32::INFINITY, -f32::INFINITY, 3e9, -3e9, -0.5, 0.0, -0.0, 2.5, 1e20];
    for to in all {
        let run = |e: &Engine| e.from_slice(&specials, &[specials.len()]).and_then(|t| t.cast(to)).map(|t| t.to_f64_vec());
        let Some(vk) = vulkan() else { return };
        same(&format!("special f32 -> {to}"), &run(&Engine::cpu()).unwrap(), &run(&vk).unwrap(), 0.0);
    }
}

#[test]
fn select() {
    for dt in [DType::F32, DType::F64, DType::I32, DType::I64, DType::Bool] {
        check(&format!("where {dt}"), &[spec(DType::Bool, &[3, 1], 0.0, 1.0), spec(dt, &[4], -3.0, 3.0), spec(dt, &[2, 3, 4], -3.0, 3.0)], |x| {
            x[0].select(&x[1], &x[2])
        });
    }
    check("where gradient", &[f32s(&[3, 4]), f32s(&[3, 4])], |x| x[0].greater(&x[1])?.select(&x[0].exp()?, &x[1].square()?));
}

/// Every float32 elementwise primitive inside a fused chain (`x * 1` before
/// and `+ x` after make it a chain of three), forward and backward.
#[test]
fn every_primitive_fuses() {
    for &op in UnaryOp::ALL {
        let (lo, hi) = op.domain();
        check(&format!("fused {op:?}"), &[spec(DType::F32, &[5, 6], lo, hi)], |x| x[0].mul(1.0)?.unary(op)?.add(&x[0]));
    }
    for &op in BinaryOp::ALL.iter().filter(|op| !op.is_comparison()) {
        let (lo, hi) = op.domain();
        check(&format!("fused {op:?}"), &[spec(DType::F32, &[5, 6], lo, hi), spec(DType::F32, &[5, 6], lo, hi)], |x| {
            x[0].mul(1.0)?.binary(op, &x[1])?.add(&x[0])
        });
    }
}

#[test]
fn fused_chains() {
    // A chain with scalar operands, an intermediate kept by a handle, and a
    // run longer than the shader's registers.
    check("chain", &[f32s(&[50, 40]), f32s(&[50, 40])], |x| {
        let a = x[0].mul(&x[1])?.add(1.0)?;
        let b = a.exp()?.sub(&x[0])?.tanh()?.mul(2.0)?;
        b.add(&a)?.sigmoid()?.maximum(&x[1])
    });
    check("long chain", &[f32s(&[7, 9])], |x| {
        let mut y = x[0].clone();
        for i in 0..60 {
            y = if i % 3 == 0 { y.sin()? } else if i % 3 == 1 { y.mul(&x[0])?.add(0.5)? } else { y.tanh()? };
        }
        Ok(y)
    });
    check("chain read midway", &[f32s(&[33])], |x| {
        let a = x[0].square()?.add(1.0)?;
        let _peek = a.to_f64_vec();
        a.sqrt()?.mul(&a)
    });
}

#[test]
fn variables_on_the_device() {
    let Some(vk) = vulkan() else { return };
    let v = Variable::from_tensor(&vk.from_vec(vec![1.0f32, 2.0, 3.0], &[3]).unwrap()).unwrap();
    let y = v.read().mul(2.0).unwrap();
    assert_eq!(y.to_vec::<f32>().unwrap(), vec![2.0, 4.0, 6.0]);
    v.assign_add(&vk.from_vec(vec![1.0f32, 1.0, 1.0], &[3]).unwrap()).unwrap();
    // The upload of the old value must not be reused.
    assert_eq!(v.read().mul(2.0).unwrap().to_vec::<f32>().unwrap(), vec![4.0, 6.0, 8.0]);
    v.assign(&vk.from_vec(vec![0.0f32, 1.0, 0.0], &[3]).unwrap()).unwrap();
    assert_eq!(v.read().add(1.0).unwrap().to_vec::<f32>().unwrap(), vec![1.0, 2.0, 1.0]);
}

#[test]
fn a_thousand_small_ops_take_one_submit() {
    let Some(vk) = vulkan() else { return };
    let x = vk.from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[4]).unwrap();
    let w = vk.from_vec(vec![0.5f32, 0.25, 0.125, 1.0], &[2, 2]).unwrap();
    let mut y = x.clone();
    for i in 0..1000 {
        // Mix fusable and unfusable ops so both paths queue up.
        y = match i % 4 {
            0 => y.mul(1.0001).unwrap(),
            1 => y.reshape([2, 2]).unwrap().matmul(&w).unwrap().reshape([4]).unwrap(),
            2 => y.sub(&x).unwrap().add(&x).unwrap(),
            _ => y.sub(&y.reduce_mean_with(Axes::All, true).unwrap().broadcast_to(&[4]).unwrap()).unwrap().mul(0.5).unwrap().add(&x).unwrap(),
        };
    }
    let before = vk.stats();
    vk.flush();
    let after = vk.stats();
    assert_eq!(after.submits - before.submits, 1, "one flush, one submit");
    assert!(after.dispatched - before.dispatched >= 1000);
    let cpu = Engine::cpu();
    let xc = cpu.from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[4]).unwrap();
    assert_eq!(y.dims(), xc.dims());
    assert!(y.to_f64_vec().iter().all(|v| v.is_finite()));
}

#[test]
fn device_info_names_the_device() {
    let Some(vk) = vulkan() else { return };
    let info = vk.device_info();
    assert!(info.starts_with("vulkan: ") && info.contains("Vulkan 1."), "{info}");
}
