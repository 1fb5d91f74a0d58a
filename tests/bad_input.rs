//! Bad input: every op given wrong ranks, shapes, dtypes or axes, huge
//! shapes, handles of two engines, a consumed tape, a wrong assignment. Each
//! is an `Err` of TF's class with TF's message (texts from SEMANTICS.md and
//! the golden cases), never a panic or an abort; and each leaves every
//! tensor, variable and tape as it was (values, shapes, the entity count,
//! tape entries, watched variables), checked after every single case with a
//! persistent tape recording. Empty tensors, NaN and infinities are not
//! errors: they give TF's values.

use gradtape::*;

/// A world to break things in: tensors of every dtype, variables, and a
/// persistent tape that has recorded a few ops and is still recording.
struct Fixture {
    e: Engine,
    f: Tensor,
    m: Tensor,
    i: Tensor,
    i64: Tensor,
    b: Tensor,
    d: Tensor,
    v: Variable,
    vi: Variable,
    vb: Variable,
    tape: GradientTape,
    spent: GradientTape,
    _y: Tensor,
}

/// Everything a failed call must leave alone.
#[derive(Debug, PartialEq)]
struct Snapshot {
    entities: usize,
    values: Vec<(Vec<usize>, DType, Vec<u64>)>,
    entries: Vec<EntryInfo>,
    watched: Vec<String>,
    recording: bool,
}

fn bits(t: &Tensor) -> (Vec<usize>, DType, Vec<u64>) {
    (t.dims().to_vec(), t.dtype(), t.to_f64_vec().iter().map(|x| x.to_bits()).collect())
}

impl Fixture {
    fn new() -> Result<Fixture> {
        let e = Engine::cpu();
        let f = e.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])?;
        let m = e.constant([[1.0], [2.0]])?;
        let tape = e.gradient_tape(true, true);
        tape.start()?;
        let v = e.variable([1.0, 2.0, 3.0])?;
        tape.watch(&f)?;
        let y = (f.mul(&v)?.sum()? + 1.0)?;
        let spent = e.gradient_tape(false, true);
        let z = spent.record(|t| {
            t.watch(&f)?;
            f.square()
        })?;
        spent.gradient(&z, &f)?;
        Ok(Fixture {
            f,
            m,
            i: e.constant([1, 2, 3])?,
            i64: e.from_slice(&[1i64, 2, 3], &[3])?,
            b: e.constant([true, false])?,
            d: e.from_slice(&[1.0f64, 2.0], &[2])?,
            v,
            vi: e.variable([1, 2, 3])?,
            vb: Variable::with_options(&e.constant([true, false])?, false, "flags")?,
            tape,
            spent,
            _y: y,
            e,
        })
    }

    fn snapshot(&self) -> Snapshot {
        // A flush first: it may free what only pending ops held.
        self.e.flush();
        let var = |v: &Variable| {
            let vals: Vec<f64> = match v.dtype() {
                DType::F32 => v.to_vec::<f32>().unwrap().into_iter().map(f64::from).collect(),
                DType::I32 => v.to_vec::<i32>().unwrap().into_iter().map(f64::from).collect(),
                DType::Bool => v.to_vec::<bool>().unwrap().into_iter().map(|b| b as u8 as f64).collect(),
                other => panic!("no {other} variable in the fixture"),
            };
            (v.shape().dims().to_vec(), v.dtype(), vals.iter().map(|x| x.to_bits()).collect())
        };
        let mut values: Vec<_> = [&self.f, &self.m, &self.i, &self.i64, &self.b, &self.d].into_iter().map(bits).collect();
        values.extend([&self.v, &self.vi, &self.vb].map(var));
        Snapshot {
            entities: self.e.entity_count(),
            values,
            entries: self.tape.entries(),
            watched: self.tape.watched_variables().iter().map(|v| v.name()).collect(),
            recording: self.tape.is_recording(),
        }
    }
}

/// Runs `f`, so that a case may use `?` on its set-up.
fn attempt<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    f()
}

/// `$call` must fail with TF's class `$class` and a message containing
/// `$msg`, leaving the fixture exactly as it was.
macro_rules! bad {
    ($fx:expr, $call:expr, $class:literal, $msg:expr) => {{
        let before = $fx.snapshot();
        let res = attempt(|| $call);
        match res {
            Ok(v) => panic!("{}: expected {} {:?}, got Ok({:?})", stringify!($call), $class, $msg, v),
            Err(err) => {
                assert_eq!(err.kind(), $class, "{}: {err}", stringify!($call));
                assert!(err.message().contains($msg), "{}:\n  {err}\n  should contain {:?}", stringify!($call), $msg);
            }
        }
        assert_eq!($fx.snapshot(), before, "{} changed the world", stringify!($call));
    }};
}

#[test]
fn wrong_dtypes_are_tf_errors() -> Result<()> {
    let fx = Fixture::new()?;
    let (f, i, b) = (&fx.f, &fx.i, &fx.b);
    let i2 = fx.e.constant([[1, 2, 3], [4, 5, 6]])?;
    bad!(fx, i2.add(f), "InvalidArgumentError", "cannot compute AddV2 as input #1(zero-based) was expected to be a int32 tensor but is a float tensor [Op:AddV2]");
    bad!(fx, i.add(&fx.i64), "InvalidArgumentError", "cannot compute AddV2 as input #1(zero-based) was expected to be a int32 tensor but is a int64 tensor [Op:AddV2]");
    bad!(fx, i2.mul(f), "InvalidArgumentError", "cannot compute Mul as input #1(zero-based) was expected to be a int32 tensor but is a float tensor [Op:Mul]");
    bad!(fx, i + 2.5, "InvalidArgumentError", "cannot compute AddV2 as input #1(zero-based) was expected to be a int32 tensor but is a float tensor");
    bad!(fx, 2.5 + i, "TypeError", "Cannot convert 2.5 to EagerTensor of dtype int32");
    bad!(fx, 1.0 / i, "TypeError", "Cannot convert 1.0 to EagerTensor of dtype int32");
    bad!(fx, b.div(b), "TypeError", "Invalid dtype <dtype: 'bool'> in __truediv__");
    bad!(fx, b.add(b), "InvalidArgumentError", "Value for attr 'T' of bool is not in the list of allowed values");
    bad!(fx, b.less(b), "InvalidArgumentError", "Value for attr 'T' of bool is not in the list of allowed values");
    bad!(fx, i.exp(), "InvalidArgumentError", "Value for attr 'T' of int32 is not in the list of allowed values: bfloat16, half, float, double");
    bad!(fx, fx.i64.sqrt(), "InvalidArgumentError", "Value for attr 'T' of int64 is not in the list of allowed values");
    bad!(fx, b.neg(), "InvalidArgumentError", "Value for attr 'T' of bool is not in the list of allowed values");
    bad!(fx, b.reduce_sum(), "InvalidArgumentError", "of bool is not in the list of allowed values [Op:Sum]");
    bad!(fx, f.reduce_sum_with(Axes::try_from(&fx.d)?, false), "InvalidArgumentError", "Value for attr 'Tidx' of double is not in the list of allowed values: int32, int64");
    bad!(fx, fx.m.matmul(&fx.e.from_slice(&[1.0f64, 2.0], &[1, 2])?), "InvalidArgumentError", "cannot compute MatMul as input #1(zero-based) was expected to be a float tensor but is a double tensor [Op:MatMul]");
    bad!(fx, b.reshape([2, 1])?.matmul(&b.reshape([1, 2])?), "InvalidArgumentError", "Value for attr 'T' of bool is not in the list of allowed values [Op:MatMul]");
    bad!(fx, concat(&[f.clone(), i2.clone()], 0), "InvalidArgumentError", "cannot compute ConcatV2 as input #1(zero-based) was expected to be a float tensor but is a int32 tensor [Op:ConcatV2]");
    bad!(fx, gradtape::stack(&[i.clone(), fx.e.constant([1.0, 2.0, 3.0])?], 0), "InvalidArgumentError", "cannot compute Pack as input #1(zero-based) was expected to be a int32 tensor but is a float tensor [Op:Pack]");
    bad!(fx, where_(f, f, f), "InvalidArgumentError", "cannot compute SelectV2 as input #0(zero-based) was expected to be a bool tensor but is a float tensor [Op:SelectV2]");
    bad!(fx, where_(b, &fx.d, &fx.e.constant([1.0, 2.0])?), "InvalidArgumentError", "cannot compute SelectV2 as input #2(zero-based) was expected to be a double tensor but is a float tensor");
    bad!(fx, f.np_reshape([3, 2]), "AttributeError", "EagerTensor object has no attribute 'reshape'.");
    Ok(())
}

#[test]
fn wrong_shapes_ranks_and_axes_are_tf_errors() -> Result<()> {
    let fx = Fixture::new()?;
    let f = &fx.f;
    let (v2, v3) = (fx.e.constant([1.0, 2.0])?, fx.e.constant([1.0, 2.0, 3.0])?);
    bad!(fx, f.add(&fx.e.constant([1.0, 2.0, 3.0, 4.0])?), "InvalidArgumentError", "Incompatible shapes: [2,3] vs. [4] [Op:AddV2]");
    bad!(fx, f.reduce_sum_axis(2), "InvalidArgumentError", "Invalid reduction dimension (2 for input with 2 dimension(s) [Op:Sum]");
    bad!(fx, f.reduce_max_axis(-3), "InvalidArgumentError", "Invalid reduction dimension (-3 for input with 2 dimension(s) [Op:Max]");
    bad!(fx, f.reduce_mean_axis([0, -2]), "InvalidArgumentError", "Invalid reduction arguments: Axes contains duplicate dimension: 0 [Op:Mean]");
    bad!(fx, v2.matmul(&fx.e.constant([[1.0, 2.0], [3.0, 4.0]])?), "InvalidArgumentError", "In[0] and In[1] has different ndims: [2] vs. [2,2] [Op:MatMul]");
    bad!(fx, v2.matmul(&v2), "InvalidArgumentError", "In[0] and In[1] ndims must be == 2: 1 [Op:MatMul]");
    bad!(fx, fx.m.matmul(&fx.e.constant([[1.0, 2.0], [3.0, 4.0]])?), "InvalidArgumentError", "Matrix size-incompatible: In[0]: [2,1], In[1]: [2,2] [Op:MatMul]");
    bad!(fx, fx.e.zeros(&[2, 2, 3], DType::F32)?.matmul(&fx.e.zeros(&[3, 3, 4], DType::F32)?), "InvalidArgumentError", "In[0] and In[1] must have compatible batch dimensions: [2,2,3] vs. [3,3,4] [Op:BatchMatMulV2]");
    bad!(fx, f.reshape([4]), "InvalidArgumentError", "Input to reshape is a tensor with 6 values, but the requested shape has 4 [Op:Reshape]");
    bad!(fx, f.reshape([-1, -1]), "InvalidArgumentError", "Only one input size may be -1, not both 0 and 1 [Op:Reshape]");
    bad!(fx, f.reshape([4, -1]), "InvalidArgumentError", "Input to reshape is a tensor with 6 values, but the requested shape requires a multiple of 4 [Op:Reshape]");
    bad!(fx, f.reshape([-2, 3]), "InvalidArgumentError", "Size 0 must be non-negative, not -2 [Op:Reshape]");
    bad!(fx, f.transpose(&[0, 1, 2]), "InvalidArgumentError", "transpose expects a vector of size 2. But input(1) is a vector of size 3 [Op:Transpose]");
    bad!(fx, f.transpose(&[1, 1]), "InvalidArgumentError", "0 is missing from {1,1}. [Op:Transpose]");
    bad!(fx, f.transpose(&[0, 2]), "InvalidArgumentError", "2 is out of range [0 .. 2) [Op:Transpose]");
    bad!(fx, f.broadcast_to(&[4]), "InvalidArgumentError", "Rank of input (2) must be no greater than rank of output shape (1). [Op:BroadcastTo]");
    bad!(fx, f.broadcast_to(&[2, 4]), "InvalidArgumentError", "Incompatible shapes: [2,3] vs. [2,4] [Op:BroadcastTo]");
    bad!(fx, fx.m.broadcast_to(&[1, 3]), "InvalidArgumentError", "Unable to broadcast tensor of shape [2,1] to tensor of shape [1,3] [Op:BroadcastTo]");
    bad!(fx, v3.expand_dims(2), "InvalidArgumentError", "Tried to expand dim index 2 for tensor with 1 dimensions. [Op:ExpandDims]");
    bad!(fx, v3.squeeze(&[0]), "InvalidArgumentError", "Can not squeeze dim[0], expected a dimension of 1, got 3 [Op:Squeeze]");
    bad!(fx, v3.squeeze(&[1]), "InvalidArgumentError", "Tried to squeeze dim index 1 for tensor with 1 dimensions. [Op:Squeeze]");
    let c = |a: &[usize], b: &[usize]| -> Result<Vec<Tensor>> { Ok(vec![fx.e.zeros(a, DType::F32)?, fx.e.zeros(b, DType::F32)?]) };
    bad!(fx, concat(&c(&[2, 3, 4], &[4, 3, 4])?, 1), "InvalidArgumentError", "ConcatOp : Dimension 0 in both shapes must be equal: shape[0] = [2,3,4] vs. shape[1] = [4,3,4] [Op:ConcatV2]");
    bad!(fx, concat(&c(&[4, 4, 4, 4], &[4, 4, 4])?, 0), "InvalidArgumentError", "ConcatOp : Ranks of all input tensors should match: shape[0] = [4,4,4,4] vs. shape[1] = [4,4,4]");
    bad!(fx, concat(&c(&[2, 3, 4], &[2, 3, 4])?, 3), "InvalidArgumentError", "ConcatOp : Expected concatenating dimensions in the range [-3, 3), but got 3 [Op:ConcatV2]");
    bad!(fx, concat(&c(&[], &[])?, 0), "InvalidArgumentError", "ConcatOp : Can't concatenate scalars (use tf.stack instead) [Op:ConcatV2]");
    bad!(fx, concat::<Tensor>(&[], 0), "ValueError", "List argument 'values' to 'ConcatV2' Op with length 0 shorter than minimum length 2.");
    bad!(fx, gradtape::stack(&c(&[2], &[2])?, 2), "ValueError", "Argument `axis` = 2 not in range [-2, 2)");
    bad!(fx, gradtape::stack(&c(&[0, 3], &[1, 3])?, 0), "InvalidArgumentError", "Shapes of all inputs must match: values[0].shape = [0,3] != values[1].shape = [1,3] [Op:Pack]");
    bad!(fx, f.i(2), "InvalidArgumentError", "slice index 2 of dimension 0 out of bounds. [Op:StridedSlice]");
    bad!(fx, f.i((0, -4)), "InvalidArgumentError", "slice index -1 of dimension 1 out of bounds. [Op:StridedSlice]");
    bad!(fx, f.index(&[Idx::FULL, Idx::FULL, Idx::FULL]), "InvalidArgumentError", "Index out of range using input dim 2; input has only 2 dims [Op:StridedSlice]");
    bad!(fx, f.index(&[Idx::FULL, Idx::Range(None, None, 0)]), "InvalidArgumentError", "strides[1] must be non-zero [Op:StridedSlice]");
    bad!(fx, where_(&fx.b, f, f), "InvalidArgumentError", "condition [2], then [2,3], and else [2,3] must be broadcastable [Op:SelectV2]");
    Ok(())
}

#[test]
fn bad_literals_and_buffers_are_tf_errors() -> Result<()> {
    let fx = Fixture::new()?;
    let e = &fx.e;
    bad!(fx, e.constant(vec![vec![1.0, 2.0], vec![3.0]]), "ValueError", "Can't convert non-rectangular Python sequence to Tensor.");
    bad!(fx, e.constant_with(2.2, DType::I32), "TypeError", "Cannot convert 2.2 to EagerTensor of dtype int32");
    bad!(fx, e.constant(vec![e.zeros(&[3], DType::F32)?, e.zeros(&[3], DType::F64)?]), "TypeError", "Cannot convert a list containing a tensor of dtype <dtype: 'float64'> to <dtype: 'float32'>");
    bad!(fx, e.constant_shaped([1, 2, 3], &[2, 2]), "TypeError", "Eager execution of tf.constant with unsupported shape");
    bad!(fx, e.from_slice(&[1.0f32, 2.0], &[3]), "InvalidArgumentError", "a buffer of 2 values cannot have shape [3]");
    bad!(fx, "nonsense".parse::<Unconnected>(), "ValueError", "Unknown value for unconnected_gradients: 'nonsense'");
    Ok(())
}

/// Shapes no machine could hold are ResourceExhausted, not an abort; an
/// empty tensor with huge dims is fine, until an op would fill it out.
#[test]
fn huge_shapes_are_resource_exhausted() -> Result<()> {
    let fx = Fixture::new()?;
    let e = &fx.e;
    const OOM: &str = "OOM when allocating tensor with shape";
    let huge = 1usize << 40;
    bad!(fx, e.zeros(&[huge, huge], DType::F32), "ResourceExhaustedError", OOM);
    bad!(fx, e.ones(&[huge, 1 << 20], DType::Bool), "ResourceExhaustedError", OOM);
    bad!(fx, e.zeros(&[usize::MAX, 2], DType::I64), "ResourceExhaustedError", OOM);
    bad!(fx, e.fill(&[huge, huge], 1.5), "ResourceExhaustedError", OOM);
    bad!(fx, e.constant_shaped(7, &[huge, huge]), "ResourceExhaustedError", OOM);
    bad!(fx, e.from_vec(Vec::<f32>::new(), &[huge, huge]), "ResourceExhaustedError", OOM);
    let row = fx.f.i(0)?;
    bad!(fx, row.broadcast_to(&[huge, huge, 3]), "ResourceExhaustedError", OOM);
    let tall = e.zeros(&[huge, 0], DType::F32)?;
    let wide = e.zeros(&[0, huge], DType::F32)?;
    assert_eq!((tall.numel(), tall.to_vec::<f32>()?.len()), (0, 0));
    bad!(fx, tall.matmul(&wide), "ResourceExhaustedError", "OOM when allocating tensor with shape[1099511627776,1099511627776]");
    bad!(fx, tall.reduce_sum_axis(1), "ResourceExhaustedError", OOM);
    bad!(fx, tall.reshape([huge as i64, huge as i64, 0]), "ResourceExhaustedError", OOM);
    bad!(fx, fx.f.reshape([huge as i64, huge as i64]), "InvalidArgumentError", "Input to reshape is a tensor with 6 values, but the requested shape has");
    // As in TF, -1 becomes 0 here and the result is a legal empty tensor...
    let flat = concat(&[wide.clone(), wide.clone(), wide.clone()], 1)?.reshape([i64::MAX, -1])?;
    assert_eq!(flat.dims(), &[i64::MAX as usize, 0]);
    // ...until a reduction over its zero dim would make i64::MAX elements.
    bad!(fx, flat.reduce_sum_axis(1), "ResourceExhaustedError", OOM);
    // An empty product of huge dims computes without touching a huge buffer.
    assert_eq!(wide.matmul(&tall)?.dims(), &[0, 0]);
    assert_eq!(tall.t()?.reduce_sum_axis(1)?.to_vec::<f32>()?, vec![]);
    // A jacobian whose seed could not be allocated leaves the tape usable.
    let x = e.zeros(&[1 << 17], DType::F32)?;
    let tape = e.gradient_tape(false, true);
    let y = tape.record(|t| {
        t.watch(&x)?;
        x.sin()
    })?;
    bad!(fx, tape.jacobians(&y, &[&x], Unconnected::None, true), "ResourceExhaustedError", OOM);
    assert_eq!(tape.gradient(&y, &x)?.unwrap().numel(), 1 << 17);
    Ok(())
}

#[test]
fn variable_misuse_is_an_error_that_changes_nothing() -> Result<()> {
    let fx = Fixture::new()?;
    let (v, vi, vb) = (&fx.v, &fx.vi, &fx.vb);
    let shape_msg = "Cannot assign value to variable ' Variable:0': Shape mismatch.The variable shape (3,), and the assigned value shape (2,) are incompatible.";
    bad!(fx, v.assign([1.0, 2.0]), "ValueError", shape_msg);
    bad!(fx, v.assign_add([1.0, 2.0]), "ValueError", shape_msg);
    bad!(fx, v.assign_sub(&fx.e.constant([[1.0, 2.0, 3.0]])?), "ValueError", "the assigned value shape (1, 3) are incompatible.");
    bad!(fx, vi.assign([1.5, 2.5, 3.5]), "TypeError", "Cannot convert [1.5, 2.5, 3.5] to EagerTensor of dtype int32");
    bad!(fx, vi.assign(&fx.e.constant([1.0, 2.0, 3.0])?), "TypeError", "to EagerTensor of dtype int32");
    bad!(fx, vb.assign_add([true, true]), "NotFoundError", "Could not find device for node: {{node AssignAddVariableOp}} = AssignAddVariableOp[dtype=DT_BOOL]");
    bad!(fx, vb.assign_sub([true, true]), "NotFoundError", "Could not find device for node: {{node AssignSubVariableOp}} = AssignSubVariableOp[dtype=DT_BOOL]");
    bad!(fx, v.assign_slice(0, [1.0, 2.0]), "ValueError", "Shape mismatch.");
    bad!(fx, v.assign_slice(5, 1.0), "InvalidArgumentError", "slice index 5 of dimension 0 out of bounds.");
    Ok(())
}

#[test]
fn tape_misuse_is_an_error_that_changes_nothing() -> Result<()> {
    let fx = Fixture::new()?;
    let (f, tape, spent) = (&fx.f, &fx.tape, &fx.spent);
    let consumed = "A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)";
    bad!(fx, spent.gradient(f, f), "RuntimeError", consumed);
    bad!(fx, spent.jacobians(f, &[f], Unconnected::None, true), "RuntimeError", consumed);
    bad!(fx, spent.batch_jacobian(f, f, true), "RuntimeError", "A non-persistent GradientTape can only be used tocompute one set of gradients (or jacobians)");
    bad!(fx, spent.stop_recording().map(drop), "RuntimeError", "Trying to stop recording a tape which is not recording.");
    bad!(fx, tape.start(), "ValueError", "Tape is still recording, This can happen if you try to re-enter an already-active tape.");
    bad!(fx, tape.batch_jacobian(&fx.d, &fx.d, true), "ValueError", "Shape (2,) must have rank at least 2");
    bad!(fx, tape.batch_jacobian(&fx.e.zeros(&[4, 3], DType::F32)?, &fx.e.zeros(&[2, 3], DType::F32)?, true), "ValueError", "Need first dimension of target shape ((4, 3)) and source shape ((2, 3)) to match.");
    let fresh = fx.e.gradient_tape(false, true);
    bad!(fx, fresh.jacobians(f, &[f], Unconnected::None, false), "RuntimeError", "GradientTape must be created with persistent=True to compute the jacobian with eager execution enabled and with  experimental_use_pfor set to False.");
    bad!(fx, fresh.reset(), "ValueError", "Tape is not recording.");
    bad!(fx, tape.gradients_with(&[f], &[f], Some(&[None, None]), Unconnected::None), "ValueError", "Length of output_gradients (2) does not match length of target (1)");
    // TF does not check an output gradient against its target: a source
    // that is the target gets the output gradient as given.
    let before = fx.snapshot();
    let g = tape.gradients_with(&[f], &[f], Some(&[Some(fx.d.clone())]), Unconnected::None)?;
    assert_eq!(bits(g[0].as_ref().expect("f is the target")), bits(&fx.d));
    assert_eq!(fx.snapshot(), before);
    Ok(())
}

#[test]
fn handles_of_two_engines_never_mix() -> Result<()> {
    let fx = Fixture::new()?;
    let other = Engine::cpu();
    let g = other.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])?;
    let gv = other.variable([1.0, 2.0, 3.0])?;
    let (f, tape) = (&fx.f, &fx.tape);
    bad!(fx, f.add(&g), "InvalidArgumentError", "different engines");
    bad!(fx, g.matmul_t(f, false, true), "InvalidArgumentError", "different engines");
    bad!(fx, concat(&[f.clone(), g.clone()], 0), "InvalidArgumentError", "different engines");
    bad!(fx, gradtape::stack(&[f.clone(), g.clone()], 0), "InvalidArgumentError", "different engines");
    bad!(fx, where_(&g.greater(0.0)?, f, f), "InvalidArgumentError", "different engines");
    bad!(fx, fx.v.assign(&gv.read()), "InvalidArgumentError", "different engines");
    bad!(fx, fx.v.assign_slice(.., &gv.read()), "InvalidArgumentError", "different engines");
    bad!(fx, tape.watch(&g), "InvalidArgumentError", "different engines");
    bad!(fx, tape.watch_variable(&gv), "InvalidArgumentError", "different engines");
    bad!(fx, tape.gradient(&g, f), "InvalidArgumentError", "different engines");
    bad!(fx, tape.gradient(f, &gv), "InvalidArgumentError", "different engines");
    bad!(fx, tape.jacobians(f, &[&g], Unconnected::None, true), "InvalidArgumentError", "different engines");
    Ok(())
}

/// Not errors: empty tensors, NaN and infinities give TF's values.
#[test]
fn empty_nan_and_inf_give_tf_values() -> Result<()> {
    let e = Engine::cpu();
    let empty = e.zeros(&[0, 3], DType::F32)?;
    assert_eq!(empty.reduce_sum_axis(0)?.to_vec::<f32>()?, vec![0.0; 3]);
    assert_eq!(empty.reduce_prod_axis(0)?.to_vec::<f32>()?, vec![1.0; 3]);
    assert_eq!(empty.reduce_max()?.scalar::<f32>()?, f32::NEG_INFINITY);
    assert_eq!(empty.reduce_min()?.scalar::<f32>()?, f32::INFINITY);
    assert!(empty.reduce_mean_axis(0)?.to_vec::<f32>()?.iter().all(|x| x.is_nan()));
    assert_eq!(empty.t()?.matmul(&empty)?.to_vec::<f32>()?, vec![0.0; 9]);
    assert_eq!(concat(&[empty.clone(), e.ones(&[1, 3], DType::F32)?], 0)?.to_vec::<f32>()?, vec![1.0; 3]);
    assert_eq!(empty.exp()?.dims(), &[0, 3]);
    let (inf, nan) = (f32::INFINITY, f32::NAN);
    let x = e.from_slice(&[inf, -inf, nan, 0.0, -1.0], &[5])?;
    let same = |t: Tensor, want: [f32; 5]| {
        let got = t.to_vec::<f32>().unwrap();
        assert!(got.iter().zip(want).all(|(&a, b)| a == b || (a.is_nan() && b.is_nan())), "{got:?} vs {want:?}");
    };
    same(x.exp()?, [inf, 0.0, nan, 1.0, (-1f32).exp()]);
    same(x.log()?, [inf, nan, nan, -inf, nan]);
    same(x.sqrt()?, [inf, nan, nan, 0.0, nan]);
    same(x.tanh()?, [1.0, -1.0, nan, 0.0, (-1f32).tanh()]);
    same(x.sigmoid()?, [1.0, 0.0, nan, 0.5, 1.0 / (1.0 + 1f32.exp())]);
    same(x.div(x.zeros_like())?, [inf, -inf, nan, nan, -inf]);
    same((&x - &x)?, [nan, nan, nan, 0.0, 0.0]);
    same(x.maximum(&e.from_slice(&[0.0f32; 5], &[5])?)?, [inf, 0.0, nan, 0.0, 0.0]);
    assert_eq!(x.equal(&x)?.to_vec::<bool>()?, vec![true, true, false, true, true]);
    assert!(x.reduce_max()?.scalar::<f32>()?.is_nan());
    // Gradients carry NaN and infinities through, as TF's do.
    let tape = e.gradient_tape(false, true);
    let y = tape.record(|t| {
        t.watch(&x)?;
        x.square()
    })?;
    same(tape.gradient(&y, &x)?.unwrap(), [inf, -inf, nan, 0.0, -2.0]);
    Ok(())
}
