//! Matrix products give the same bits on every run and for any size of the
//! thread pool (issue 13): the GEMM splits the output, never the sum over k,
//! and the small-product paths are chosen by shape alone.

mod common;

use gradtape::*;

/// Values over 5 decades with both signs (see `common::wild`).
fn wild(n: usize, seed: u64) -> Vec<f64> {
    common::wild(n, seed, 5)
}

/// The products of the benchmarks and the MLP (and odd edges, transposes
/// and a batch), with their gradients, as raw bits.
fn products(dtype: DType) -> Result<Vec<u64>> {
    let shapes: &[(usize, usize, usize)] =
        &[(64, 64, 64), (64, 256, 256), (64, 256, 10), (256, 256, 256), (129, 67, 93), (1, 300, 7), (300, 1, 5), (512, 384, 320)];
    let mut bits = Vec::new();
    for (i, &(m, k, n)) in shapes.iter().enumerate() {
        let a = constant_shaped(wild(m * k, 2 * i as u64 + 1), &[m, k])?.cast(dtype)?;
        let b = constant_shaped(wild(k * n, 2 * i as u64 + 2), &[k, n])?.cast(dtype)?;
        let tape = GradientTape::new();
        let c = tape.record(|t| {
            t.watch(&a)?;
            t.watch(&b)?;
            a.matmul(&b)
        })?;
        let g = tape.gradients(&[&c], &[&a, &b])?;
        let bt = b.t()?;
        let outs = [c.clone(), a.matmul_t(&bt, false, true)?, a.t()?.matmul_t(&b, true, false)?];
        for t in outs.iter().chain(g.iter().flatten()) {
            bits.extend(t.cast(DType::F64)?.to_vec::<f64>()?.into_iter().map(f64::to_bits));
        }
    }
    let a = constant_shaped(wild(3 * 40 * 70, 99), &[3, 40, 70])?.cast(dtype)?;
    let b = constant_shaped(wild(70 * 50, 98), &[70, 50])?.cast(dtype)?;
    bits.extend(a.matmul(&b)?.cast(DType::F64)?.to_vec::<f64>()?.into_iter().map(f64::to_bits));
    Ok(bits)
}

#[test]
fn matmuls_are_deterministic_across_runs_and_threads() -> Result<()> {
    for dtype in [DType::F32, DType::F64] {
        common::assert_same_on_pools(&dtype.to_string(), &[1, 2, 3], 3, || products(dtype))?;
    }
    Ok(())
}

/// Every tile shape of the kernels (1-6 rows, 1-4 vectors, masked tails),
/// both transposes of `a`, and the sizes on each side of the thresholds,
/// against a plain triple loop in float64.
#[test]
fn products_match_a_reference() -> Result<()> {
    let shapes: &[(usize, usize, usize)] =
        &[(1, 1, 1), (2, 3, 5), (7, 9, 17), (6, 1, 64), (13, 31, 65), (5, 40, 130), (64, 256, 10), (64, 256, 256), (100, 70, 200), (129, 67, 93)];
    for (i, &(m, k, n)) in shapes.iter().enumerate() {
        // `constant_shaped` of f64s makes float32, as TF does for Python
        // floats, so the reference starts from the rounded values.
        let round = |v: Vec<f64>| v.into_iter().map(|x| x as f32 as f64).collect::<Vec<f64>>();
        let (va, vb) = (round(wild(m * k, 3 * i as u64 + 1)), round(wild(k * n, 3 * i as u64 + 2)));
        let want: Vec<f64> =
            (0..m * n).map(|e| (0..k).map(|p| va[e / n * k + p] * vb[p * n + e % n]).sum()).collect();
        let scale: f64 = va.iter().chain(&vb).map(|x| x.abs()).fold(0.0, f64::max).powi(2) * k as f64;
        for dtype in [DType::F32, DType::F64] {
            let a = constant_shaped(va.clone(), &[m, k])?.cast(dtype)?;
            let b = constant_shaped(vb.clone(), &[k, n])?.cast(dtype)?;
            let tol = if dtype == DType::F32 { 1e-5 } else { 1e-13 } * scale;
            for (how, c) in [("a @ b", a.matmul(&b)?), ("a^T^T @ b", a.t()?.matmul_t(&b, true, false)?), ("a @ b^T^T", a.matmul_t(&b.t()?, false, true)?)] {
                let got = c.cast(DType::F64)?.to_vec::<f64>()?;
                for (e, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert!((g - w).abs() <= tol, "{dtype} {m}x{k}x{n} {how}: element {e} is {g}, want {w}");
                }
            }
        }
    }
    Ok(())
}

/// Where the AVX-512 kernel runs, each element is exactly one fused
/// multiply-add chain over `p = 0..k` in order, whichever path (with `B`
/// packed into column blocks or read in place, `A` transposed or not, a
/// masked last block) computed it: the same bits as `f32::mul_add` in a loop.
/// On a CPU engine whatever `GRADTAPE_DEVICE` says: this is the host kernel's
/// contract, not a device's.
#[test]
fn small_kernel_paths_are_one_fma_chain() -> Result<()> {
    #[cfg(target_arch = "x86_64")]
    if !std::arch::is_x86_feature_detected!("avx512f") {
        return Ok(());
    }
    #[cfg(not(target_arch = "x86_64"))]
    return Ok(());
    let e = Engine::new(Device::Cpu)?;
    let shapes: &[(usize, usize, usize)] = &[(256, 64, 256), (64, 256, 256), (130, 20, 200), (129, 67, 93), (200, 3, 65), (128, 5, 64)];
    for (i, &(m, k, n)) in shapes.iter().enumerate() {
        let (va, vb) = (wild(m * k, 5 * i as u64 + 1), wild(k * n, 5 * i as u64 + 2));
        let (fa, fb): (Vec<f32>, Vec<f32>) = (va.iter().map(|&x| x as f32).collect(), vb.iter().map(|&x| x as f32).collect());
        let want: Vec<u32> = (0..m * n)
            .map(|e| (0..k).fold(0f32, |c, p| fa[e / n * k + p].mul_add(fb[p * n + e % n], c)).to_bits())
            .collect();
        let a = e.from_vec(fa.clone(), &[m, k])?;
        let b = e.from_vec(fb.clone(), &[k, n])?;
        for (how, c) in [("a @ b", a.matmul(&b)?), ("a^T^T @ b", a.t()?.matmul_t(&b, true, false)?)] {
            let got: Vec<u32> = c.to_vec::<f32>()?.iter().map(|x| x.to_bits()).collect();
            assert!(got == want, "{m}x{k}x{n} {how}: not the FMA chain's bits");
        }
    }
    Ok(())
}
