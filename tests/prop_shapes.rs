//! Shapes on random inputs: broadcasting against NumPy's rule (implemented
//! independently in `prop_common`), and round trips through reshape,
//! transpose, stack, concat, expand_dims and squeeze that must give back
//! the very elements they started from.

mod prop_common;

use gradtape::*;
use prop_common::*;
use proptest::prelude::*;

/// A tensor whose elements are their own flat positions, so a mix-up shows.
fn iota(e: &Engine, s: &[usize]) -> Tensor {
    let n: usize = s.iter().product();
    e.from_vec((0..n as i64).collect::<Vec<_>>(), s).unwrap()
}

/// Everything within `[Idx::FULL; axis]` then `range` along `axis`.
fn take(x: &Tensor, axis: usize, range: std::ops::Range<usize>) -> Result<Tensor> {
    let mut items = vec![Idx::FULL; axis];
    items.push(Idx::Range(Some(range.start as i64), Some(range.end as i64), 1));
    x.index(&items)
}

fn perm_inverse(p: &[usize]) -> Vec<i64> {
    let mut inv = vec![0; p.len()];
    for (i, &a) in p.iter().enumerate() {
        inv[a] = i as i64;
    }
    inv
}

proptest! {
    #![proptest_config(config())]

    /// Any two shapes: the engine broadcasts exactly when NumPy would, to
    /// the same shape, and otherwise says TF's "Incompatible shapes".
    #[test]
    fn broadcasting_follows_numpy(a in shape(4, 3), b in shape(4, 3)) {
        let e = Engine::cpu();
        let want = np_broadcast(&a, &b);
        prop_assert_eq!(broadcast_shapes(&Shape::new(&a), &Shape::new(&b)).map(|s| s.dims().to_vec()), want.clone());
        let (x, y) = (e.zeros(&a, DType::F32)?, e.ones(&b, DType::F32)?);
        match (x.add(&y), &want) {
            (Ok(z), Some(w)) => {
                prop_assert_eq!(z.dims(), &w[..]);
                prop_assert_eq!(z.to_vec::<f32>()?, vec![1.0; w.iter().product()]);
            }
            (Err(err), None) => {
                let msg = format!("Incompatible shapes: {} vs. {} [Op:AddV2]", Shape::new(&a).bracketed(), Shape::new(&b).bracketed());
                prop_assert_eq!(err, Error::InvalidArgument(msg));
            }
            (res, w) => prop_assert!(false, "{:?} vs {:?}: got {:?}, NumPy says {:?}", a, b, res.map(|z| z.dims().to_vec()), w),
        }
        // broadcast_to works exactly when broadcasting `a` against `b` gives
        // `b`, or (TF's BroadcastToOp returns an empty output unchecked) when
        // `b` is empty and no lower rank than `a`.
        let to = x.broadcast_to(&b);
        let empty_ok = b.contains(&0) && a.len() <= b.len();
        prop_assert_eq!(to.is_ok(), want.as_deref() == Some(&b[..]) || empty_ok, "broadcast_to {:?} -> {:?}", a, b);
        if let Ok(t) = to {
            prop_assert_eq!(t.dims(), &b[..]);
        }
    }

    /// broadcast_to copies each element to every position that reads it:
    /// `a` grows new leading dims, and its 1s stretch.
    #[test]
    fn broadcast_to_places_elements(a in shape(4, 3), lead in prop::collection::vec(0usize..=3, 0..=2), grow in prop::collection::vec(0usize..=3, 4)) {
        let e = Engine::cpu();
        let out: Vec<usize> = lead.iter().copied().chain(a.iter().zip(&grow).map(|(&d, &g)| if d == 1 { g } else { d })).collect();
        let x = iota(&e, &a);
        let y = x.broadcast_to(&out)?;
        prop_assert_eq!(y.dims(), &out[..]);
        let want: Vec<i64> = (0..out.iter().product()).map(|i| broadcast_source(&unravel(i, &out), &a) as i64).collect();
        prop_assert_eq!(y.to_vec::<i64>()?, want);
    }

    /// reshape to any shape of the same size (one dim given as -1) and back.
    #[test]
    fn reshape_round_trips(s in shape(4, 4), split in prop::collection::vec(any::<bool>(), 4), minus in any::<prop::sample::Index>()) {
        let e = Engine::cpu();
        let x = iota(&e, &s);
        // A target of the same size: the dims regrouped (a product or a split into 1s).
        let mut target: Vec<i64> = Vec::new();
        for (i, &d) in s.iter().enumerate() {
            if split[i % 4] && !target.is_empty() { *target.last_mut().unwrap() *= d as i64 } else { target.push(d as i64) }
        }
        let no_zero = !target.contains(&0);
        if !target.is_empty() && no_zero {
            let k = minus.index(target.len());
            target[k] = -1;
        }
        let y = x.reshape(target.clone())?;
        prop_assert_eq!(y.numel(), x.numel(), "{:?} -> {:?}", s, target);
        prop_assert_eq!(y.to_vec::<i64>()?, x.to_vec::<i64>()?);
        let back = y.reshape(&Shape::new(&s))?;
        prop_assert_eq!(back.dims(), &s[..]);
        prop_assert_eq!(back.to_vec::<i64>()?, x.to_vec::<i64>()?);
    }

    /// transpose moves element `idx` to `idx` permuted, and the inverse
    /// permutation (given as negative axes here) restores the tensor.
    #[test]
    fn transpose_round_trips(s in shape(4, 3).prop_flat_map(|s| { let r = s.len(); (Just(s), Just((0..r).collect::<Vec<_>>()).prop_shuffle()) })) {
        let (s, p) = s;
        let e = Engine::cpu();
        let x = iota(&e, &s);
        let y = x.transpose(&p.iter().map(|&a| a as i64).collect::<Vec<_>>())?;
        let out: Vec<usize> = p.iter().map(|&a| s[a]).collect();
        prop_assert_eq!(y.dims(), &out[..]);
        let want: Vec<i64> = (0..out.iter().product()).map(|i| {
            let oi = unravel(i, &out);
            let mut src = vec![0; s.len()];
            for (k, &a) in p.iter().enumerate() { src[a] = oi[k]; }
            ravel(&src, &s) as i64
        }).collect();
        prop_assert_eq!(y.to_vec::<i64>()?, want);
        let r = s.len() as i64;
        let inv: Vec<i64> = perm_inverse(&p).iter().map(|&a| a - r).collect();
        prop_assert_eq!(y.transpose(&inv)?.to_vec::<i64>()?, x.to_vec::<i64>()?);
    }

    /// stack then index each slice back out; concat then slice each part back out.
    #[test]
    fn stack_and_concat_round_trip(s in nonempty_shape(3, 3), k in 1usize..4, axis_pick in any::<prop::sample::Index>(), negative in any::<bool>()) {
        let e = Engine::cpu();
        let n: usize = s.iter().product();
        let parts: Vec<Tensor> = (0..k).map(|i| e.from_vec((0..n as i64).map(|v| v + 1000 * i as i64).collect::<Vec<_>>(), &s).unwrap()).collect();
        let r = s.len();
        let a = axis_pick.index(r + 1);
        let st = gradtape::stack(&parts, if negative { a as i64 - (r as i64 + 1) } else { a as i64 })?;
        let mut want_dims = s.clone();
        want_dims.insert(a, k);
        prop_assert_eq!(st.dims(), &want_dims[..]);
        for (i, p) in parts.iter().enumerate() {
            let mut items = vec![Idx::FULL; a];
            items.push(Idx::At(i as i64));
            prop_assert_eq!(st.index(&items)?.to_vec::<i64>()?, p.to_vec::<i64>()?);
        }
        if r > 0 {
            let a = axis_pick.index(r);
            let cat = concat(&parts, if negative { a as i64 - r as i64 } else { a as i64 })?;
            prop_assert_eq!(cat.dims()[a], s[a] * k);
            for (i, p) in parts.iter().enumerate() {
                prop_assert_eq!(take(&cat, a, i * s[a]..(i + 1) * s[a])?.to_vec::<i64>()?, p.to_vec::<i64>()?);
            }
        }
    }

    /// Cutting a tensor into pieces along an axis and concatenating them gives it back.
    #[test]
    fn concat_of_a_split_is_the_identity(s in nonempty_shape(3, 4).prop_filter("rank >= 1", |s| !s.is_empty()), axis in any::<prop::sample::Index>(), cut in any::<prop::sample::Index>()) {
        let e = Engine::cpu();
        let x = iota(&e, &s);
        let a = axis.index(s.len());
        let c = cut.index(s[a] + 1);
        let pieces = [take(&x, a, 0..c)?, take(&x, a, c..s[a])?];
        let back = concat(&pieces, a as i64)?;
        prop_assert_eq!(back.dims(), &s[..]);
        prop_assert_eq!(back.to_vec::<i64>()?, x.to_vec::<i64>()?);
    }

    /// expand_dims at any valid axis, then squeeze that axis, is the identity.
    #[test]
    fn expand_dims_and_squeeze_round_trip(s in shape(4, 3), axis in any::<prop::sample::Index>(), negative in any::<bool>()) {
        let e = Engine::cpu();
        let x = iota(&e, &s);
        let r = s.len();
        let a = axis.index(r + 1);
        let ax = if negative { a as i64 - (r as i64 + 1) } else { a as i64 };
        let y = x.expand_dims(ax)?;
        prop_assert_eq!(y.dims()[a], 1);
        let z = y.squeeze(&[ax])?;
        prop_assert_eq!(z.dims(), &s[..]);
        prop_assert_eq!(z.to_vec::<i64>()?, x.to_vec::<i64>()?);
        prop_assert!(x.expand_dims(r as i64 + 1).is_err());
    }
}
