//! The narrow dtypes of issue 15 (uint8, int8, int16, float16, bfloat16):
//! storage, TF's reprs, casts, and math computed in int32/float32 with each
//! result rounded back once, as TF's CPU kernels do.

use gradtape::half::{bf16, f16};
use gradtape::*;

fn c(v: impl IntoLiteral, d: DType) -> Tensor {
    constant_with(v, d).unwrap()
}

#[test]
fn reprs_name_the_dtype() {
    assert_eq!(c([1, 2], DType::U8).to_string(), "<tf.Tensor: shape=(2,), dtype=uint8, numpy=array([1, 2], dtype=uint8)>");
    assert_eq!(c([-1, 100], DType::I8).to_string(), "<tf.Tensor: shape=(2,), dtype=int8, numpy=array([ -1, 100], dtype=int8)>");
    assert_eq!(c([[1, -2], [3, 4]], DType::I16).to_string(), "<tf.Tensor: shape=(2, 2), dtype=int16, numpy=\narray([[ 1, -2],\n       [ 3,  4]], dtype=int16)>");
    // NumPy prints float16 with the shortest digits that round-trip in float16.
    assert_eq!(c([1.5, 0.1], DType::F16).to_string(), "<tf.Tensor: shape=(2,), dtype=float16, numpy=array([1.5, 0.1], dtype=float16)>");
    assert_eq!(format!("{:#}", c([1.5, 0.1], DType::F16)), "tf.Tensor([1.5 0.1], shape=(2,), dtype=float16)");
    // ml_dtypes' bfloat16 elements print as C++'s `ostream << float`.
    assert_eq!(c([1., 0.1], DType::BF16).to_string(), "<tf.Tensor: shape=(2,), dtype=bfloat16, numpy=array([1, 0.100098], dtype=bfloat16)>");
    assert_eq!(c(7, DType::U8).to_string(), "<tf.Tensor: shape=(), dtype=uint8, numpy=7>");
}

#[test]
fn casts_follow_tf() -> Result<()> {
    // float -> uint8 is float -> int32 -> the low 8 bits (golden cast_to_uint8_and_bool).
    assert_eq!(constant([-1., 255.9, 256., 300.])?.cast(DType::U8)?.to_vec::<u8>()?, vec![255, 255, 0, 44]);
    assert_eq!(constant([300i64, -129])?.cast(DType::I8)?.to_vec::<i8>()?, vec![44, 127]);
    assert_eq!(constant([70000])?.cast(DType::I16)?.to_vec::<i16>()?, vec![4464]);
    // Round to nearest even; past float16's largest finite value (65504) is inf.
    let h = constant([65504f32, 65520., 1e-8, -0.0, 0.1])?.cast(DType::F16)?.to_vec::<f16>()?;
    let bits: Vec<u16> = h.iter().map(|x| x.to_bits()).collect();
    assert_eq!(bits, vec![0x7bff, 0x7c00, 0x0000, 0x8000, 0x2e66]);
    // 1 + 2^-8 is a tie in bfloat16: it goes to the even 1.0.
    let b = constant([1.00390625f32, 1.01171875])?.cast(DType::BF16)?.to_vec::<bf16>()?;
    assert_eq!(b.iter().map(|x| x.to_f32()).collect::<Vec<_>>(), vec![1.0, 1.015625]);
    assert_eq!(c([2.5, -2.5], DType::F16).cast(DType::I32)?.to_vec::<i32>()?, vec![2, -2]);
    assert_eq!(c([0, 3], DType::U8).cast(DType::Bool)?.to_vec::<bool>()?, vec![false, true]);
    assert_eq!(constant([true, false])?.cast(DType::BF16)?.to_vec::<bf16>()?, vec![bf16::ONE, bf16::ZERO]);
    Ok(())
}

#[test]
fn out_of_range_literals_are_tf_type_errors() {
    let e = constant_with(300, DType::U8).unwrap_err();
    assert_eq!(e.to_string(), "TypeError: Cannot convert 300 to EagerTensor of dtype uint8");
    assert!(constant_with([-1], DType::U8).is_err());
    assert!(constant_with(128, DType::I8).is_err());
    assert!(constant_with(1.5, DType::I16).is_err());
    assert_eq!(c([-128, 127], DType::I8).to_vec::<i8>().unwrap(), vec![-128, 127]);
}

#[test]
fn narrow_integers_wrap_as_cpp_does() -> Result<()> {
    assert_eq!((&c([250, 3], DType::U8) + &c([10, 4], DType::U8))?.to_vec::<u8>()?, vec![4, 7]);
    assert_eq!((&c([0], DType::U8) - &c([1], DType::U8))?.to_vec::<u8>()?, vec![255]);
    assert_eq!((&c([127], DType::I8) + &c([1], DType::I8))?.to_vec::<i8>()?, vec![-128]);
    assert_eq!((&c([300], DType::I16) * &c([300], DType::I16))?.to_vec::<i16>()?, vec![24464]);
    let lt = c([1, 200], DType::U8).less(&c([2, 100], DType::U8))?;
    assert_eq!((lt.dtype(), lt.to_vec::<bool>()?), (DType::Bool, vec![true, false]));
    let s = c([[100, 100], [100, 100]], DType::U8).reduce_sum()?;
    assert_eq!((s.dtype(), s.to_vec::<u8>()?), (DType::U8, vec![144]));
    // Mixed dtypes are TF's error, naming both.
    let e = (&c([1], DType::U8) + &constant([1])?).unwrap_err().to_string();
    assert!(e.contains("uint8") && e.contains("int32"), "{e}");
    Ok(())
}

/// A float16/bfloat16 op equals the same op in float32 with its result
/// rounded once: Eigen computes `half` that way.
#[test]
fn half_floats_round_once_per_op() -> Result<()> {
    let x = [0.1, 0.7, -2.5, 3.3, 1e-3, 60000.];
    let y = [0.2, 0.3, 1.25, -0.1, 5.0, 10.];
    for d in [DType::F16, DType::BF16] {
        let (a, b) = (c(x, d), c(y, d));
        let (a32, b32) = (a.cast(DType::F32)?, b.cast(DType::F32)?);
        let same = |got: Tensor, want: Tensor| -> Result<()> {
            assert_eq!(got.dtype(), d);
            let want = want.cast(d)?;
            let bits = |t: &Tensor| -> Result<Vec<u64>> { Ok(t.cast(DType::F64)?.to_vec::<f64>()?.iter().map(|v| v.to_bits()).collect()) };
            assert_eq!(bits(&got)?, bits(&want)?, "{d}: {got} vs {want}");
            Ok(())
        };
        same((&a + &b)?, (&a32 + &b32)?)?;
        same((&a * &b)?, (&a32 * &b32)?)?;
        same((&a / &b)?, (&a32 / &b32)?)?;
        same(a.exp()?, a32.exp()?)?;
        same(a.abs()?.sqrt()?, a32.abs()?.sqrt()?.cast(d)?.cast(DType::F32)?)?;
        same(a.tanh()?, a32.tanh()?)?;
        same(a.reduce_sum()?, a32.reduce_sum()?)?;
        let (m, m32) = (a.reshape([2, 3])?, a32.reshape([2, 3])?);
        same(m.matmul(&m.t()?)?, m32.matmul(&m32.t()?)?)?;
    }
    // The classic: in float16, 0.1 + 0.2 is 0.2998046875.
    let s = (&c(0.1, DType::F16) + &c(0.2, DType::F16))?;
    assert_eq!(s.to_vec::<f16>()?[0].to_f64(), 0.2998046875);
    Ok(())
}

#[test]
fn movement_keeps_narrow_values() -> Result<()> {
    let u = c([[1, 2, 3], [4, 5, 6]], DType::U8);
    assert_eq!(u.t()?.to_vec::<u8>()?, vec![1, 4, 2, 5, 3, 6]);
    assert_eq!(concat(&[&u, &u], 0)?.dims(), &[4, 3]);
    let h = c([[0.5, 1.5], [2.5, 3.5]], DType::F16);
    assert_eq!(h.i((.., 1))?.to_vec::<f16>()?, vec![f16::from_f32(1.5), f16::from_f32(3.5)]);
    assert_eq!(h.reshape([4])?.dtype(), DType::F16);
    Ok(())
}

#[test]
fn tapes_differentiate_half_floats() -> Result<()> {
    for d in [DType::F16, DType::BF16] {
        let x = c([1.0, -2.0, 0.5], d);
        let tape = GradientTape::new();
        let y = tape.record(|t| {
            t.watch(&x)?;
            (&(&x * &x)? * 3.0)?.reduce_sum()
        })?;
        let g = tape.gradient(&y, &x)?.expect("x is watched");
        assert_eq!(g.dtype(), d);
        assert_eq!(g.cast(DType::F32)?.to_vec::<f32>()?, vec![6.0, -12.0, 3.0]);
    }
    Ok(())
}

#[test]
fn numpy_lattice_covers_the_narrow_dtypes() -> Result<()> {
    let e = Engine::cpu();
    e.enable_numpy_behavior(PromotionMode::All);
    let u = e.constant_with([200], DType::U8)?;
    let i = e.constant_with([-1], DType::I8)?;
    // flexible_dtypes: uint8 with int8 is int16, allowed in 'all' mode only.
    let s = (&u + &i)?;
    assert_eq!((s.dtype(), s.to_vec::<i16>()?), (DType::I16, vec![199]));
    let h = e.constant_with([1.5], DType::F16)?;
    let b = e.constant_with([2.0], DType::BF16)?;
    assert_eq!((&h + &b)?.dtype(), DType::F32);
    // Python literals are weak: uint8 + 1 stays uint8, float16 + 1.5 stays float16.
    assert_eq!((&u + 1)?.dtype(), DType::U8);
    assert_eq!((&h + 1.5)?.dtype(), DType::F16);
    e.enable_numpy_behavior(PromotionMode::Safe);
    assert!((&u + &i).is_err());
    Ok(())
}

#[test]
fn creation_and_random_give_the_asked_dtype() -> Result<()> {
    for d in [DType::U8, DType::I8, DType::I16, DType::F16, DType::BF16] {
        let r = range_from(1, 7, 2, Some(d))?;
        assert_eq!((r.dtype(), r.to_f64_vec()), (d, vec![1.0, 3.0, 5.0]));
        assert_eq!(zeros(&[2], d)?.dtype(), d);
        assert_eq!(ones(&[2], d)?.to_f64_vec(), vec![1.0, 1.0]);
    }
    for d in [DType::F16, DType::BF16] {
        let u = random::stateless_uniform(&[64], [1, 2], d)?;
        assert_eq!(u.dtype(), d);
        assert!(u.to_f64_vec().iter().all(|&x| (0.0..1.0).contains(&x)));
        // Uint16ToHalf: the low 10 (bfloat16: 7) bits of each word, so every
        // value is a multiple of 2^-10 (2^-7).
        let q = if d == DType::F16 { 1024.0 } else { 128.0 };
        assert!(u.to_f64_vec().iter().all(|&x| (x * q).fract() == 0.0));
        let n = random::stateless_normal(&[64], [1, 2], 0.0, 1.0, d)?;
        let n32 = random::stateless_normal(&[64], [1, 2], 0.0, 1.0, DType::F32)?;
        assert_eq!(n.to_f64_vec(), n32.cast(d)?.to_f64_vec(), "float Box-Muller rounded to {d}");
    }
    // TF's random ops take int32 and int64 only.
    assert!(random::stateless_uniform(&[2], [1, 2], DType::U8).is_err());
    Ok(())
}

/// A chain long enough for the CPU's fusion runs unfused in a narrow dtype
/// (each op rounds back) and gives the bits of the ops flushed one by one.
#[test]
fn long_narrow_chains_round_after_every_op() -> Result<()> {
    let n = 20_000;
    let vals: Vec<f64> = (0..n).map(|i| ((i * 37 % 101) as f64 - 50.0) / 7.0).collect();
    for d in [DType::F16, DType::BF16, DType::I16] {
        let e = Engine::cpu();
        let x = e.from_vec(vals.clone(), &[n])?.cast(d)?;
        let w = e.from_vec(vals.iter().rev().copied().collect::<Vec<_>>(), &[n])?.cast(d)?;
        let chained = (&(&x * &w)?.abs()? + &x)?.square()?;
        let a = (&x * &w)?;
        e.flush();
        let b = a.abs()?;
        e.flush();
        let c = (&b + &x)?;
        e.flush();
        let stepwise = c.square()?;
        assert_eq!(chained.dtype(), d);
        assert_eq!(chained.to_f64_vec(), stepwise.to_f64_vec(), "{d}");
    }
    Ok(())
}
