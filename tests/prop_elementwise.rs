//! Elementwise ops on random shapes and values (NaN, infinities and signed
//! zeros included) against naive float64 references written here: unary
//! math, binary arithmetic and comparisons with NumPy broadcasting, cast and
//! where. Every primitive of the registry (`UnaryOp::ALL`, `BinaryOp::ALL`)
//! is drawn, against its float64 `reference`; the exact ones (`+ - * /`,
//! sqrt, rounding, ...) must match the rounded reference bit for bit,
//! transcendentals get a few ulps.

mod prop_common;

use gradtape::*;
use gradtape::ops::binary::BinaryOp;
use gradtape::ops::unary::UnaryOp;
use prop_common::*;
use proptest::prelude::*;

/// (relative, absolute) tolerance of `op` in `dtype`: 0 where IEEE rounding makes it exact.
fn unary_tol(op: UnaryOp, dtype: DType) -> (f64, f64) {
    match (op.is_exact(), dtype) {
        (true, _) => (0.0, 0.0),
        (false, DType::F32) => (4e-7, 1e-37),
        (false, _) => (1e-14, 1e-300),
    }
}

fn binary_tol(op: BinaryOp, dtype: DType) -> (f64, f64) {
    match (op.is_exact(), dtype) {
        (true, _) => (0.0, 0.0),
        (false, DType::F32) => (4e-7, 1e-37),
        (false, _) => (1e-14, 1e-300),
    }
}

/// The result dtype of `op` on `dtype` operands: comparisons give bool.
fn binary_dtype(op: BinaryOp, dtype: DType) -> DType {
    if op.is_comparison() {
        DType::Bool
    } else {
        dtype
    }
}

fn check(got: &Tensor, shape: &[usize], dtype: DType, want: &[f64], tol: (f64, f64)) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.dims(), shape);
    prop_assert_eq!(got.dtype(), dtype);
    let want: Vec<f64> = want.iter().map(|&w| round_to(dtype, w)).collect();
    if let Some(m) = mismatch(&got.to_f64_vec(), &want, |_| tol) {
        return Err(TestCaseError::fail(m));
    }
    Ok(())
}

fn float_case() -> impl Strategy<Value = (DType, Vec<usize>, Vec<f64>)> {
    (float_dtype(), shape(4, 4)).prop_flat_map(|(dt, s)| (Just(dt), values_for(s, float_value().boxed())))
        .prop_map(|(dt, (s, v))| (dt, s, v))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn unary_float_ops_match_the_reference((dt, s, v) in float_case(), op in prop::sample::select(UnaryOp::ALL)) {
        let e = Engine::cpu();
        let x = tensor(&e, dt, &s, &v);
        let xs = x.to_f64_vec();
        // Every op propagates NaN (Relu too: TF's is cwiseMax<PropagateNaN>).
        let want: Vec<f64> = xs.iter().map(|&a| op.reference(a)).collect();
        check(&x.unary(op)?, &s, dt, &want, unary_tol(op, dt))?;
    }

    /// The ops that take integers (neg, abs, sign, square, relu, round)
    /// have integer kernels (wrapping, as C++ does); the others refuse
    /// integers and bool, as TF does.
    #[test]
    fn unary_integer_ops((dt, s, v) in (int_dtype(), shape(3, 4)).prop_flat_map(|(dt, s)| (Just(dt), values_for(s, int_value().boxed()))).prop_map(|(dt, (s, v))| (dt, s, v)),
                         op in prop::sample::select(UnaryOp::ALL)) {
        let e = Engine::cpu();
        let x = tensor(&e, dt, &s, &v);
        match x.unary(op) {
            Ok(y) => {
                prop_assert!(op.takes_ints(), "{:?} accepted {}", op, dt);
                let want: Vec<f64> = v.iter().map(|&a| op.reference(a)).collect();
                check(&y, &s, dt, &want, (0.0, 0.0))?;
            }
            Err(err) => {
                prop_assert!(!op.takes_ints(), "{:?}: {}", op, err);
                let want = format!("Value for attr 'T' of {dt} is not in the list of allowed values");
                prop_assert!(err.to_string().contains(&want), "{}", err);
                prop_assert!(err.to_string().ends_with(&format!("[Op:{}]", op.name())), "{}", err);
            }
        }
        prop_assert!(tensor(&e, DType::Bool, &s, &v).unary(op).is_err());
    }

    #[test]
    fn binary_float_ops_broadcast_and_match_the_reference(
        dt in float_dtype(), (sa, sb, va, vb) in broadcast_case(4, 3, float_value().boxed(), float_value().boxed()),
        op in prop::sample::select(BinaryOp::ALL),
    ) {
        let e = Engine::cpu();
        let (a, b) = (tensor(&e, dt, &sa, &va), tensor(&e, dt, &sb, &vb));
        let (xa, xb) = (a.to_f64_vec(), b.to_f64_vec());
        let out = np_broadcast(&sa, &sb).expect("cut from one shape");
        let want: Vec<f64> = (0..out.iter().product())
            .map(|i| {
                let idx = unravel(i, &out);
                op.reference(xa[broadcast_source(&idx, &sa)], xb[broadcast_source(&idx, &sb)], dt)
            })
            .collect();
        check(&a.binary(op, &b)?, &out, binary_dtype(op, dt), &want, binary_tol(op, dt))?;
    }

    /// Integer arithmetic is exact on small values; `RealDiv` truncates.
    /// A zero divisor or a negative power is TF's error at the call (the
    /// reference says NaN there), and an op without an integer kernel is
    /// TF's dtype error.
    #[test]
    fn binary_integer_ops(
        dt in int_dtype(), op in prop::sample::select(BinaryOp::ALL),
        (sa, sb, va, vb) in broadcast_case(3, 3, int_value().boxed(), prop_oneof![4 => 1.0..=5.0f64, 4 => -5.0..=-1.0f64, 1 => Just(0.0)].prop_map(f64::round).boxed()),
    ) {
        let e = Engine::cpu();
        let (a, b) = (tensor(&e, dt, &sa, &va), tensor(&e, dt, &sb, &vb));
        let out = np_broadcast(&sa, &sb).unwrap();
        let want: Vec<f64> = (0..out.iter().product())
            .map(|i| {
                let idx = unravel(i, &out);
                op.reference(va[broadcast_source(&idx, &sa)], vb[broadcast_source(&idx, &sb)], dt)
            })
            .collect();
        // TF reads the whole divisor (or exponent), even where the output is empty.
        let domain_error = vb.iter().any(|&y| op.reference(1.0, y, dt).is_nan());
        match a.binary(op, &b) {
            Ok(y) => {
                prop_assert!(op.takes_ints(), "{:?} accepted {}", op, dt);
                prop_assert!(!domain_error, "{:?} gave no error on {:?}", op, vb);
                check(&y, &out, binary_dtype(op, dt), &want, (0.0, 0.0))?;
                if op == BinaryOp::Div {
                    // Python's `/` on integers is true division in float64, not RealDiv.
                    let want: Vec<f64> = (0..out.iter().product())
                        .map(|i| { let idx = unravel(i, &out); va[broadcast_source(&idx, &sa)] / vb[broadcast_source(&idx, &sb)] })
                        .collect();
                    check(&a.div(&b)?, &out, DType::F64, &want, (0.0, 0.0))?;
                }
            }
            Err(err) => {
                prop_assert!(!op.takes_ints() || domain_error, "{:?}: {}", op, err);
                prop_assert!(err.to_string().ends_with(&format!("[Op:{}]", op.name())), "{}", err);
            }
        }
    }

    /// Only `==` and `!=` take bools.
    #[test]
    fn binary_bool_ops((sa, sb, va, vb) in broadcast_case(3, 3, (0..2).prop_map(f64::from).boxed(), (0..2).prop_map(f64::from).boxed()),
                       op in prop::sample::select(BinaryOp::ALL)) {
        let e = Engine::cpu();
        let (a, b) = (tensor(&e, DType::Bool, &sa, &va), tensor(&e, DType::Bool, &sb, &vb));
        match a.binary(op, &b) {
            Ok(y) => {
                prop_assert!(op.takes_bools(), "{:?} accepted bool", op);
                let out = np_broadcast(&sa, &sb).unwrap();
                let want: Vec<f64> = (0..out.iter().product())
                    .map(|i| { let idx = unravel(i, &out); op.reference(va[broadcast_source(&idx, &sa)], vb[broadcast_source(&idx, &sb)], DType::Bool) })
                    .collect();
                check(&y, &out, DType::Bool, &want, (0.0, 0.0))?;
            }
            Err(err) => prop_assert!(!op.takes_bools(), "{:?}: {}", op, err),
        }
    }

    /// Casts follow C++'s static_cast: float to int truncates toward zero,
    /// anything to bool is `!= 0` (NaN included), int64 to int32 keeps the low bits.
    #[test]
    fn cast_matches_static_cast(from in prop::sample::select(&[DType::F32, DType::F64, DType::I32, DType::I64, DType::Bool][..]),
                                to in prop::sample::select(&[DType::F32, DType::F64, DType::I32, DType::I64, DType::Bool][..]),
                                (s, v) in shape(3, 4).prop_flat_map(|s| values_for(s, (-1000.0..1000.0f64).boxed()))) {
        let e = Engine::cpu();
        let x = tensor(&e, from, &s, &v);
        let xs = x.to_f64_vec();
        let want: Vec<f64> = xs.iter().map(|&a| match to {
            DType::Bool => (a != 0.0) as u8 as f64,
            DType::I32 | DType::I64 => a.trunc(),
            _ => a,
        }).collect();
        check(&x.cast(to)?, &s, to, &want, (0.0, 0.0))?;
        if from == DType::I64 && to == DType::I32 {
            let big = e.from_slice(&[(1i64 << 40) + 5, -(1i64 << 33) - 1], &[2])?;
            prop_assert_eq!(big.cast(DType::I32)?.to_vec::<i32>()?, vec![5, -1]);
        }
    }

    /// `where(c, a, b)` broadcasts all three operands.
    #[test]
    fn where_broadcasts_three_ways(
        out in shape(3, 3), cuts in prop::collection::vec((0usize..=3, prop::collection::vec(any::<bool>(), 3)), 3),
        dt in prop::sample::select(&[DType::F32, DType::I64, DType::Bool][..]), vals in prop::collection::vec(-5.0..5.0f64, 54),
    ) {
        let e = Engine::cpu();
        let cut = |(keep, ones): &(usize, Vec<bool>)| -> Vec<usize> {
            let k = (*keep).min(out.len());
            (out.len() - k..out.len()).map(|i| if ones[i] { 1 } else { out[i] }).collect()
        };
        let (sc, sa, sb) = (cut(&cuts[0]), cut(&cuts[1]), cut(&cuts[2]));
        let n = |s: &[usize]| s.iter().product::<usize>();
        let c = tensor(&e, DType::Bool, &sc, &vals[..n(&sc)].iter().map(|&x| (x > 0.0) as u8 as f64).collect::<Vec<_>>());
        let a = tensor(&e, dt, &sa, &vals[27..27 + n(&sa)]);
        let b = tensor(&e, dt, &sb, &vals[..n(&sb)].iter().map(|x| -x).collect::<Vec<_>>());
        let full = np_broadcast(&np_broadcast(&sc, &sa).unwrap(), &sb).unwrap();
        let (xc, xa, xb) = (c.to_f64_vec(), a.to_f64_vec(), b.to_f64_vec());
        let want: Vec<f64> = (0..n(&full)).map(|i| {
            let idx = unravel(i, &full);
            if xc[broadcast_source(&idx, &sc)] != 0.0 { xa[broadcast_source(&idx, &sa)] } else { xb[broadcast_source(&idx, &sb)] }
        }).collect();
        check(&where_(&c, &a, &b)?, &full, dt, &want, (0.0, 0.0))?;
    }
}
