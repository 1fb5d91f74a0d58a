//! Golden TensorFlow 2.21 cases of the area `indexing` (tf_cases_2.json),
//! one test per case named after its id, and finite-difference checks of
//! the gathers' and scatters' gradients.

mod golden2;

use golden2::{check, Out, fd_check};
use gradtape::*;

#[test]
fn gather_basic() -> Result<()> {
    check("gather_basic", gather(&constant([10, 20, 30, 40])?, &constant([3, 0, 0])?, 0, 0));
    Ok(())
}

#[test]
fn gather_batch_dims() -> Result<()> {
    check("gather_batch_dims", gather(&constant([[1, 2, 3], [4, 5, 6]])?, &constant([[0, 2], [1, 1]])?, 1, 1));
    Ok(())
}

#[test]
fn gather_negative_index() -> Result<()> {
    check("gather_negative_index", gather(&constant([1, 2, 3])?, &constant([-1])?, 0, 0));
    Ok(())
}

#[test]
fn gather_nd_slices() -> Result<()> {
    check("gather_nd_slices", gather_nd(&constant([[[1, 2], [3, 4]], [[5, 6], [7, 8]]])?, &constant([[1], [0]])?));
    Ok(())
}

#[test]
fn gather_nd_out_of_range() -> Result<()> {
    check("gather_nd_out_of_range", gather_nd(&constant([[1, 2], [3, 4]])?, &constant([[2, 0]])?));
    Ok(())
}

#[test]
fn scatter_nd_duplicates_sum() -> Result<()> {
    check("scatter_nd_duplicates_sum", scatter_nd(&constant([[0], [0], [2]])?, &constant([1., 2., 5.])?, &[3]));
    Ok(())
}

#[test]
fn tensor_scatter_update_add_sub() -> Result<()> {
    let (t, idx, upd) = (constant([1, 2, 3, 4])?, constant([[1], [3]])?, constant([10, 20])?);
    let out = vec![
        tensor_scatter_nd(&t, &idx, &upd, ScatterMode::Update)?,
        tensor_scatter_nd(&t, &idx, &upd, ScatterMode::Add)?,
        tensor_scatter_nd(&t, &idx, &upd, ScatterMode::Sub)?,
    ];
    check("tensor_scatter_update_add_sub", out);
    Ok(())
}

#[test]
fn boolean_mask_axis1() -> Result<()> {
    check("boolean_mask_axis1", boolean_mask(&constant([[1, 2, 3], [4, 5, 6]])?, &constant([true, false, true])?, 1));
    Ok(())
}

#[test]
fn boolean_mask_shape_error() -> Result<()> {
    check("boolean_mask_shape_error", boolean_mask(&constant([1, 2, 3])?, &constant([true, false])?, 0));
    Ok(())
}

#[test]
fn where_coordinates() -> Result<()> {
    check("where_coordinates", argwhere(&constant([[true, false], [false, true], [true, true]])?));
    Ok(())
}

#[test]
fn where_nonzero_numeric() -> Result<()> {
    check("where_nonzero_numeric", argwhere(&constant([0., 3., 0., -1.])?));
    Ok(())
}

#[test]
fn slice_basic() -> Result<()> {
    check("slice_basic", constant([[1, 2, 3], [4, 5, 6], [7, 8, 9]])?.slice(&[1, 0], &[2, -1]));
    Ok(())
}

#[test]
fn slice_out_of_bounds() -> Result<()> {
    check("slice_out_of_bounds", constant([1, 2, 3])?.slice(&[2], &[2]));
    Ok(())
}

#[test]
fn reverse_axes() -> Result<()> {
    let x = constant([[1, 2, 3], [4, 5, 6]])?;
    check("reverse_axes", vec![x.reverse(&[0])?, x.reverse(&[1])?, x.reverse(&[0, -1])?]);
    Ok(())
}

#[test]
fn unstack_axes() -> Result<()> {
    let x = constant([[1, 2, 3], [4, 5, 6]])?;
    check("unstack_axes", Out::L(vec![x.unstack(0)?.into(), x.unstack(1)?.into()]));
    Ok(())
}

#[test]
fn split_sizes_sum_error() -> Result<()> {
    check("split_sizes_sum_error", range(5)?.split(&[2, 2], 0).map(|v| v[0].clone()));
    Ok(())
}

fn dims(t: &Tensor) -> Out {
    Out::L(t.dims().iter().map(|&d| Out::Num(d as f64)).collect())
}

#[test]
fn squeeze_expand_dims() -> Result<()> {
    let x = zeros(&[1, 2, 1, 3], DType::F32)?;
    let out = Out::L(vec![
        dims(&x.squeeze(&[])?),
        dims(&x.squeeze(&[2])?),
        constant([1, 2])?.expand_dims(0)?.into(),
        constant([1, 2])?.expand_dims(-1)?.into(),
    ]);
    check("squeeze_expand_dims", out);
    Ok(())
}

#[test]
fn squeeze_non_one_error() -> Result<()> {
    check("squeeze_non_one_error", zeros(&[2, 1], DType::F32)?.squeeze(&[0]));
    Ok(())
}

#[test]
fn grad_gather_nd() -> Result<()> {
    let p = constant([[1., 2.], [3., 4.]])?;
    let tape = GradientTape::new();
    let y = tape.record(|t| {
        t.watch(&p)?;
        gather_nd(&p, &constant([[0, 1], [0, 1], [1, 0]])?)?.sum()
    })?;
    let g = tape.gradient(&y, &p)?.expect("connected");
    check("grad_gather_nd", Out::L(vec![Out::Str("EagerTensor".into()), g.into()]));
    Ok(())
}

/// Rules no case pins: gather along an inner axis, scatter max/min,
/// split with -1 and evenly, boolean_mask of a 2-D mask, where on an
/// all-false input.
#[test]
fn indexing_rules_beyond_the_cases() -> Result<()> {
    let x = constant([[1, 2, 3], [4, 5, 6]])?;
    let g = gather(&x, &constant([[2, 0]])?, 1, 0)?;
    assert_eq!((g.dims(), g.to_vec::<i32>()?), (&[2, 1, 2][..], vec![3, 1, 6, 4]));
    let e = gather(&x, &constant([[0, 3]])?, 1, 0).unwrap_err();
    assert!(e.to_string().contains("indices[0,1] = 3 is not in [0, 3) [Op:GatherV2]"), "{e}");
    let t = constant([1, 5, 3])?;
    let mx = tensor_scatter_nd(&t, &constant([[0], [1], [0]])?, &constant([4, 2, 0])?, ScatterMode::Max)?;
    assert_eq!(mx.to_vec::<i32>()?, vec![4, 5, 3]);
    let mn = tensor_scatter_nd(&t, &constant([[2]])?, &constant([-1])?, ScatterMode::Min)?;
    assert_eq!(mn.to_vec::<i32>()?, vec![1, 5, -1]);
    let parts = range(5)?.split(&[2, -1], 0)?;
    assert_eq!(parts[1].to_vec::<i32>()?, vec![2, 3, 4]);
    assert!(range(5)?.split_even(2, 0).is_err());
    assert_eq!(range(6)?.split_even(3, 0)?[2].to_vec::<i32>()?, vec![4, 5]);
    let m = boolean_mask(&x, &constant([[true, false, false], [false, true, true]])?, 0)?;
    assert_eq!(m.to_vec::<i32>()?, vec![1, 5, 6]);
    assert_eq!(argwhere(&constant([false, false])?)?.dims(), &[0, 1]);
    let e = scatter_nd(&constant([[3]])?, &constant([1.0])?, &[3]).unwrap_err();
    assert!(e.to_string().contains("indices[0] = [3] does not index into shape [3]"), "{e}");
    Ok(())
}

/// Of two updates to one element, `tensor_scatter_nd_update` keeps the
/// later (TF's kernels apply them in order). The gradient reaches the
/// update that stayed, and the tensor where nothing landed; an overwritten
/// update gets zero (TF's registered gradient, a `gather_nd` of the
/// output's gradient, would give it the gradient of the value that
/// replaced it).
#[test]
fn scatter_update_with_duplicates_keeps_the_last() -> Result<()> {
    let t = constant([[1.0f32, 1.0], [2.0, 2.0], [3.0, 3.0]])?;
    let idx = constant([[1], [0], [1]])?;
    let u = constant([[10.0f32, 11.0], [20.0, 21.0], [30.0, 31.0]])?;
    let tape = GradientTape::new();
    let y = tape.record(|tp| {
        tp.watch(&[&t, &u])?;
        tensor_scatter_nd(&t, &idx, &u, ScatterMode::Update)
    })?;
    assert_eq!(y.to_vec::<f32>()?, vec![20.0, 21.0, 30.0, 31.0, 3.0, 3.0]);
    let g = tape.gradient(&y, &[&t, &u])?;
    assert_eq!(g[0].as_ref().expect("t").to_vec::<f32>()?, vec![0.0, 0.0, 0.0, 0.0, 1.0, 1.0]);
    assert_eq!(g[1].as_ref().expect("u").to_vec::<f32>()?, vec![0.0, 0.0, 1.0, 1.0, 1.0, 1.0]);
    // Without duplicates nothing is dropped.
    let y = tensor_scatter_nd(&t, &constant([[2], [0]])?, &constant([[7.0f32, 8.0], [9.0, 6.0]])?, ScatterMode::Update)?;
    assert_eq!(y.to_vec::<f32>()?, vec![9.0, 6.0, 2.0, 2.0, 7.0, 8.0]);
    Ok(())
}

/// `gather_last` (take_along_axis on the last axis) refuses an index out
/// of range, negative ones included, as `tf.gather` does, and changes nothing.
#[test]
fn gather_last_out_of_range_is_an_error() -> Result<()> {
    let x = constant([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]])?;
    let e = x.gather_last(&constant([[0, 1], [3, 0]])?).unwrap_err();
    assert_eq!(e.to_string(), "InvalidArgumentError: indices[1,0] = 3 is not in [0, 3) [Op:GatherLast]");
    let e = x.gather_last(&constant([[0, -1], [0, 0]])?).unwrap_err();
    assert_eq!(e.to_string(), "InvalidArgumentError: indices[0,1] = -1 is not in [0, 3) [Op:GatherLast]");
    assert_eq!(x.gather_last(&constant([[2, 2], [0, 1]])?)?.to_vec::<f32>()?, vec![3.0, 3.0, 4.0, 5.0]);
    assert_eq!(x.to_vec::<f32>()?, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    Ok(())
}

#[test]
fn gradients_match_finite_differences() -> Result<()> {
    let x = random::stateless_normal(&[3, 4], [9, 1], 0.0, 1.0, DType::F64)?;
    let u = random::stateless_normal(&[2, 4], [9, 2], 0.0, 1.0, DType::F64)?;
    fd_check("gather axis 0", |x| gather(x, &constant([2, 0, 2])?, 0, 0), &x)?;
    fd_check("gather axis 1", |x| gather(x, &constant([[3, 1], [0, 0]])?, 1, 0), &x)?;
    fd_check("gather batch_dims", |x| gather(x, &constant([[1], [3], [0]])?, 1, 1), &x)?;
    fd_check("gather_nd", |x| gather_nd(x, &constant([[1, 2], [0, 0], [1, 2]])?), &x)?;
    fd_check("gather_nd rows", |x| gather_nd(x, &constant([[2], [2]])?), &x)?;
    fd_check("scatter_nd", |u| scatter_nd(&constant([[1], [1]])?, u, &[3, 4]), &u)?;
    let idx = constant([[0], [2]])?;
    fd_check("scatter update tensor", |x| tensor_scatter_nd(x, &idx, &u, ScatterMode::Update), &x)?;
    fd_check("scatter update updates", |u| tensor_scatter_nd(&x, &idx, u, ScatterMode::Update), &u)?;
    fd_check("scatter add", |u| tensor_scatter_nd(&x, &idx, u, ScatterMode::Add), &u)?;
    fd_check("scatter sub", |x| tensor_scatter_nd(x, &idx, &u, ScatterMode::Sub), &x)?;
    fd_check("boolean_mask", |x| boolean_mask(x, &constant([true, false, true, true])?, 1), &x)?;
    fd_check("slice", |x| x.slice(&[1, 1], &[-1, 2]), &x)?;
    fd_check("reverse", |x| x.reverse(&[0, 1]), &x)?;
    fd_check("unstack", |x| Ok(x.unstack(1)?[2].clone()), &x)?;
    fd_check("split", |x| Ok(x.split(&[1, -1], 1)?[1].clone()), &x)?;
    Ok(())
}

/// Second order through gather (Take's gradient is Put, Put's is Take).
#[test]
fn gather_second_order() -> Result<()> {
    let x = constant_with([1.0, 2.0, 3.0], DType::F64)?;
    let outer = GradientTape::new();
    let gs = outer.record(|o| {
        o.watch(&x)?;
        let inner = GradientTape::new();
        let y = inner.record(|t| {
            t.watch(&x)?;
            gather(&x, &constant([0, 2, 2])?, 0, 0)?.pow(3.0)?.sum()
        })?;
        inner.gradient(&y, &x)?.unwrap().sum()
    })?;
    // y = x0³ + 2 x2³: d²/dx² summed = 6 x0, 0, 12 x2
    assert_eq!(outer.gradient(&gs, &x)?.unwrap().to_vec::<f64>()?, vec![6.0, 0.0, 36.0]);
    Ok(())
}

/// `tf.newaxis` and `...` in a strided slice, and their gradient.
#[test]
fn newaxis_and_ellipsis() -> Result<()> {
    let x = range(24)?.reshape([2, 3, 4])?;
    assert_eq!(x.index_ext(&[Ix::Ellipsis, Ix::At(1)])?.to_vec::<i32>()?, vec![1, 5, 9, 13, 17, 21]);
    assert_eq!(x.index_ext(&[Ix::At(1), Ix::Ellipsis])?.dims(), &[3, 4]);
    let y = x.index_ext(&[Ix::NewAxis, Ix::At(0), Ix::NewAxis, Ix::Range(Some(1), None, 1), Ix::Ellipsis])?;
    assert_eq!((y.dims(), y.to_vec::<i32>()?[0]), (&[1, 1, 2, 4][..], 4));
    assert!(x.index_ext(&[Ix::Ellipsis, Ix::Ellipsis]).is_err());
    let f = random::stateless_normal(&[2, 3], [3, 3], 0.0, 1.0, DType::F64)?;
    fd_check("newaxis", |t| t.index_ext(&[Ix::Ellipsis, Ix::NewAxis, Ix::Range(None, None, -1)]), &f)
}
