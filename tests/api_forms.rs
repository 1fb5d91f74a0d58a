//! The short forms a TF port writes first (issue 14), each checked for TF's
//! result, beyond the doctests: variables read by every op and seen by the
//! tape, lists of sources in order, options with TF's defaults.

use gradtape::*;

fn f32s(t: &Tensor) -> Vec<f32> {
    t.to_vec::<f32>().unwrap()
}

#[test]
fn a_variable_goes_wherever_a_tensor_is_read_and_the_tape_sees_the_read() -> Result<()> {
    let w = Variable::new([[1.0, 2.0], [3.0, 4.0]])?;
    let x = constant([[1.0, 1.0]])?;
    let tape = GradientTape::new();
    // loss = tf.reduce_sum(tf.matmul(x, w) ** 2 + tf.concat([w, w], 0)[0])
    let loss = tape.record(|_| {
        let y = matmul(&x, &w)?.pow(2)?;
        let c = concat(&[&w, &w], 0)?.i(0)?;
        (&y + &c)?.reduce_sum()
    })?;
    // d/dw of sum((x@w)^2) = x^T · 2(x@w) = [[8, 12], [8, 12]]; of sum(w[0]) = [[1, 1], [0, 0]].
    let g = tape.gradient(&loss, &w)?.expect("w was read under the tape");
    assert_eq!(f32s(&g), vec![9.0, 13.0, 8.0, 12.0]);
    // Either side of matmul, and the method forms.
    assert_eq!(f32s(&w.matmul(&x.t()?)?), vec![3.0, 7.0]);
    assert_eq!(f32s(&matmul(&w, &w)?), f32s(&w.read().matmul(&w.read())?));
    assert_eq!(f32s(&w.reduce_max_axis(0)?), vec![3.0, 4.0]);
    assert_eq!(f32s(&(-&w)?), vec![-1.0, -2.0, -3.0, -4.0]);
    Ok(())
}

#[test]
fn assign_takes_variables_and_owned_results_and_reads_snapshot() -> Result<()> {
    let v = Variable::new([1.0, 2.0])?;
    let w = Variable::new([10.0, 20.0])?;
    let before = v.read();
    v.assign(&w)?;
    v.assign_add((&w * 2)?)?;
    v.assign_sub(&w)?;
    assert_eq!(v.to_vec::<f32>()?, vec![20.0, 40.0]);
    assert_eq!(f32s(&before), vec![1.0, 2.0], "an earlier read keeps its value");
    // A dtype mismatch is TF's TypeError, and the variable is unchanged.
    let i = Variable::new([1, 2])?;
    assert!(matches!(i.assign(&v), Err(Error::Type(_))));
    assert_eq!(i.to_vec::<i32>()?, vec![1, 2]);
    // What assign returns prints as TF's _UnreadVariable and is the variable.
    let r = v.assign_add([1.0, 1.0])?;
    assert_eq!(r.id(), v.id());
    assert_eq!(r.to_string(), "<tf.Variable 'UnreadVariable' shape=(2,) dtype=float32, numpy=array([21., 41.], dtype=float32)>");
    Ok(())
}

#[test]
fn gradient_of_lists_keeps_their_order_and_kinds() -> Result<()> {
    let (a, b) = (Variable::new(2.0)?, Variable::new(3.0)?);
    let x = constant(5.0)?;
    let tape = GradientTape::persistent();
    let y = tape.record(|t| {
        t.watch(&x)?;
        &(&(&a * &b)? * &x)? + &b
    })?;
    let by_array = tape.gradient(&y, &[&b, &a])?;
    let by_vec = tape.gradient(&y, &vec![a.clone(), b.clone()])?;
    let mixed = tape.gradient(&y, &(&x, &a))?;
    let scalar = |g: &Option<Tensor>| g.as_ref().unwrap().scalar::<f32>().unwrap();
    assert_eq!(by_array.iter().map(scalar).collect::<Vec<_>>(), vec![11.0, 15.0]);
    assert_eq!(by_vec.iter().map(scalar).collect::<Vec<_>>(), vec![15.0, 11.0]);
    assert_eq!(mixed.iter().map(scalar).collect::<Vec<_>>(), vec![6.0, 15.0]);
    // An unconnected source: None by default, zeros when asked.
    let u = Variable::new([1.0, 1.0])?;
    assert!(tape.gradient(&y, &u)?.is_none());
    let z = tape.gradient_with(&y, &u, GradientOptions::new().unconnected_gradients(Unconnected::Zero))?;
    assert_eq!(f32s(&z.unwrap()), vec![0.0, 0.0]);
    Ok(())
}

#[test]
fn tape_options_have_tfs_defaults() -> Result<()> {
    let v = Variable::new(3.0)?;
    let quiet = GradientTape::persistent().watch_accessed_variables(false);
    assert!(quiet.is_persistent());
    let y = quiet.record(|_| v.square())?;
    assert!(quiet.gradient(&y, &v)?.is_none(), "watch_accessed_variables=False: reads are not watched");
    let watching = TapeOptions::new().build();
    assert!(!watching.is_persistent());
    let y = watching.record(|_| v.square())?;
    assert_eq!(watching.gradient(&y, &v)?.unwrap().scalar::<f32>()?, 6.0);
    assert_eq!(JacobianOptions::default(), JacobianOptions { unconnected_gradients: Unconnected::None, experimental_use_pfor: true });
    Ok(())
}

#[test]
fn jacobian_of_one_source_or_a_list_with_and_without_pfor() -> Result<()> {
    let x = constant([1.0, 2.0])?;
    let v = Variable::new(3.0)?;
    let tape = GradientTape::persistent();
    let y = tape.record(|t| {
        t.watch(&x)?;
        &x * &v
    })?;
    let one = tape.jacobian(&y, &x)?.unwrap();
    assert_eq!((one.dims(), f32s(&one)), (&[2, 2][..], vec![3.0, 0.0, 0.0, 3.0]));
    let slow = tape.jacobian_with(&y, &[&x], JacobianOptions::new().experimental_use_pfor(false))?;
    assert_eq!(f32s(slow[0].as_ref().unwrap()), f32s(&one));
    let dv = tape.jacobian(&y, &v)?.unwrap();
    assert_eq!((dv.dims(), f32s(&dv)), (&[2][..], vec![1.0, 2.0]));
    let u = constant(0.0)?;
    let z = tape.jacobian_with(&y, &u, JacobianOptions::new().unconnected_gradients(Unconnected::Zero))?.unwrap();
    assert_eq!(z.dims(), &[2]);
    Ok(())
}

#[test]
fn where_literal_branches_take_the_other_branchs_dtype() -> Result<()> {
    let c = constant([true, false])?;
    let x64 = constant_with([1.0, 2.0], DType::F64)?;
    let y = where_(&c, &x64, 0.5)?;
    assert_eq!((y.dtype(), y.to_vec::<f64>()?), (DType::F64, vec![1.0, 0.5]));
    let xi = constant([1, 2])?;
    assert_eq!(where_(&c, 7, &xi)?.to_vec::<i32>()?, vec![7, 2]);
    // A float literal cannot become int32, as TF's conversion refuses.
    let e = where_(&c, &xi, 0.5).unwrap_err();
    assert_eq!(e.to_string(), "TypeError: Cannot convert 0.5 to EagerTensor of dtype int32");
    // Two literals are converted on their own: float32.
    assert_eq!(where_(&c, 1.0, 2.0)?.dtype(), DType::F32);
    // A variable as a branch.
    let v = Variable::new([5.0, 6.0])?;
    assert_eq!(f32s(&where_(&c, &v, 0.0)?), vec![5.0, 0.0]);
    Ok(())
}

#[test]
fn mixed_literals_str_form_and_shape_tensors() -> Result<()> {
    let t = constant!([[1, 2.5], [-3, 4]])?;
    assert_eq!((t.dtype(), f32s(&t)), (DType::F32, vec![1.0, 2.5, -3.0, 4.0]));
    assert_eq!(constant!([true, false])?.dtype(), DType::Bool);
    assert_eq!(constant!([1, 3_000_000_000i64])?.dtype(), DType::I64);
    assert_eq!(t.str(), "tf.Tensor(\n[[ 1.   2.5]\n [-3.   4. ]], shape=(2, 2), dtype=float32)");
    assert_eq!(constant(0.1)?.str(), "tf.Tensor(0.1, shape=(), dtype=float32)");
    assert_eq!(t.shape_tensor()?.to_vec::<i32>()?, vec![2, 2]);
    assert_eq!(t.rank_tensor()?.scalar::<i32>()?, 2);
    assert_eq!(t.size_tensor()?.scalar::<i32>()?, 4);
    let v = Variable::new([[1.0, 2.0, 3.0]])?;
    assert_eq!(v.shape_tensor()?.to_vec::<i32>()?, vec![1, 3]);
    Ok(())
}

#[test]
fn strided_slices_match_python() -> Result<()> {
    let t = constant([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]])?;
    let ints = |r: Result<Tensor>| r.and_then(|x| x.to_vec::<i32>());
    assert_eq!(ints(t.i((.., s(..).step(2))))?, vec![0, 2, 4, 5, 7, 9]); // t[:, ::2]
    assert_eq!(ints(t.i((s(..).step(-1), 0)))?, vec![5, 0]); // t[::-1, 0]
    assert_eq!(ints(t.i((1, s(-2..).step(-2))))?, vec![8, 6]); // t[1, -2::-2]
    let v = Variable::new([1.0, 2.0, 3.0, 4.0])?;
    assert_eq!(f32s(&v.i(s(1..).step(2))?), vec![2.0, 4.0]); // v[1::2]
    Ok(())
}

/// Issue 14: `tape.watch(&[&x, &v])` and `tape.gradient(&loss, &[&w, &x])`
/// with tensors and variables mixed in one array, and any Tensor method on a
/// Variable through `Deref`, reading it at the call (TF's ReadVariableOp).
#[test]
fn mixed_arrays_of_tensors_and_variables_and_deref_reads_at_the_call() -> Result<()> {
    let x = constant([[1.0, 2.0]])?;
    let v = Variable::with_options(&constant([[3.0], [4.0]])?, false, "v")?;
    let tape = GradientTape::persistent();
    tape.watch(&[&x, &v])?;
    tape.watch(&[&v, &x])?;
    let y = tape.record(|_| x.matmul(&v)?.reduce_sum())?;
    assert_eq!(tape.watched_variables().len(), 1, "the variable is watched as a variable, once");
    let g = tape.gradient(&y, &[&v, &x])?;
    assert_eq!(f32s(g[0].as_ref().unwrap()), vec![1.0, 2.0]);
    assert_eq!(f32s(g[1].as_ref().unwrap()), vec![3.0, 4.0]);
    // A Tensor method the Variable does not forward reaches it by Deref,
    // and reads the value of the moment: the assign after it is not seen.
    let t: &Tensor = &v;
    let e = t.exp()?;
    v.assign([[0.0], [0.0]])?;
    // (Against exp on the same engine: a Vulkan device's exp is its own.)
    assert_eq!(f32s(&e), f32s(&constant([[3.0], [4.0]])?.exp()?));
    assert_eq!(f32s(&t.exp()?), vec![1.0, 1.0]);
    Ok(())
}
