//! Part 2: Variables, GradientTape, and the numerical derivative `d(f, x)`.
//!
//! Python's `with tape:` block is `tape.record(|t| ...)`: recording starts
//! before the closure and stops after it, even when it fails.

use gradtape::*;

use crate::{note, section, some};

pub fn tour() -> Result<()> {
    variables()?;
    tapes()?;
    numerical_derivative()
}

fn variables() -> Result<()> {
    section("Variables");
    cell!(let a = "a = tf.Variable([1., 2., 3.])", Variable::new([1., 2., 3.]));
    show!(a);
    cell!("tf.Variable([1, 2, 3])", Variable::new([1, 2, 3]));
    cell!("tf.Variable(tf.constant([[1, 2], [3, 4]]))", Variable::from_tensor(&constant([[1, 2], [3, 4]])?));
    cell!("tf.Variable(np.array([1., 2.]))", Variable::from_tensor(&from_slice(&[1.0f64, 2.], &[2])?));

    note("Indexing and arithmetic on a Variable give plain tensors.");
    cell!("a[0]", a.i(0));
    cell!("a[:2]", a.i(..2));
    cell!(let v = "v = tf.Variable([[1, 2, 3], [4, 5, 6]])", Variable::new([[1, 2, 3], [4, 5, 6]]));
    cell!("v[1, 0]", v.i((1, 0)));
    cell!("v[:, 1]", v.i((.., 1)));
    cell!("v[-1]", v.i(-1));
    cell!("a + 1", &a + 1);
    cell!("a * a", &a * &a);
    cell!("2 * a - a", (2 * &a)? - &a);

    cell!(
        "[tf.Variable(1.).trainable, tf.Variable(1).trainable, tf.Variable(1., trainable=False).trainable]",
        Ok(vec![Variable::new(1.)?.trainable(), Variable::new(1)?.trainable(), Variable::with_options(&constant(1.)?, false, "Variable")?.trainable()])
    );

    note("assign* change the variable in place: the same object, seen through every alias.");
    // Bound with `let _`, as a Python script drops the value: TF would echo
    // an `UnreadVariable` repr here, which gradtape does not have.
    cell!(let before = "before = id(a)", Ok(a.id()));
    cell!(let _ = "a.assign([4., 5., 6.])", a.assign([4., 5., 6.]));
    cell!("id(a) == before", Ok(a.id() == before));
    show!(a);
    cell!(let _ = "a.assign_add([1., 1., 1.])", a.assign_add([1., 1., 1.]));
    show!(a);
    cell!(let iv = "iv = tf.Variable([1, 2, 3])", Variable::new([1, 2, 3]));
    cell!(let _ = "iv.assign_sub([1, 1, 1])", iv.assign_sub([1, 1, 1]));
    show!(iv);
    cell!(let (s, b) = "s = tf.Variable(1.0)\nb = s", { let s = Variable::new(1.0)?; let b = s.clone(); Ok((s, b)) });
    cell!(let _ = "s.assign(5.0)\ns.assign_add(2.0)\ns.assign_sub(0.5)", { s.assign(5.0)?; s.assign_add(2.0)?; s.assign_sub(0.5) });
    show!(b);
    cell!("s is b", Ok(s.id() == b.id()));
    cell!("a.assign([1., 2.])", a.assign([1., 2.]));
    cell!(let v2 = "v2 = tf.Variable([1, 2])", Variable::new([1, 2]));
    cell!("v2.assign([1.5, 2.5])", v2.assign([1.5, 2.5]));
    note(
        "`a += 1` (a RuntimeError in TF 2.21) and `a[0] = 5.` (a TypeError) have no Rust form: \
         Variable implements neither AddAssign nor IndexMut, so both are compile errors. \
         `a[0].assign(10.)` (TF updates one element in place) has none yet: a.i(0) is a plain tensor.",
    );
    Ok(())
}

fn tapes() -> Result<()> {
    section("GradientTape");
    cell!(let x = "x = tf.constant(3.0)", constant(3.0));
    cell!(
        let (tape, y) = "with tf.GradientTape() as tape:\n    tape.watch(x)\n    y = x * x",
        {
            let tape = GradientTape::new();
            let y = tape.record(|t| { t.watch(&x)?; &x * &x })?;
            Ok((tape, y))
        }
    );
    cell!("tape.gradient(y, x)", tape.gradient(&y, &x));
    note("A non-persistent tape is spent by its first gradient.");
    cell!("tape.gradient(y, x)", tape.gradient(&y, &x));

    note("Constants are not watched unless asked: no path, so None.");
    cell!(let (tape, y) = "with tf.GradientTape() as tape:\n    y = x * x", {
        let tape = GradientTape::new();
        let y = tape.record(|_| &x * &x)?;
        Ok((tape, y))
    });
    cell!("tape.gradient(y, x)", tape.gradient(&y, &x));

    note("Trainable variables are watched as soon as they are read.");
    cell!(let w = "w = tf.Variable(3.0)", Variable::new(3.0));
    cell!(let (tape, y) = "with tf.GradientTape() as tape:\n    y = w * w", {
        let tape = GradientTape::new();
        let y = tape.record(|_| &w * &w)?;
        Ok((tape, y))
    });
    cell!("tape.gradient(y, w)", tape.gradient(&y, &w));
    cell!("list(tape.watched_variables())", Ok(tape.watched_variables()));
    note("Ops after the with block are not on the tape: no path from w to z.");
    cell!(let (tape, z) = "with tf.GradientTape() as tape:\n    y = w * w\nz = y * 2", {
        let tape = GradientTape::new();
        let y = tape.record(|_| &w * &w)?;
        let z = (&y * 2)?;
        Ok((tape, z))
    });
    cell!("tape.gradient(z, w)", tape.gradient(&z, &w));

    note("A persistent tape answers any number of gradient calls.");
    cell!(
        let (g, y, z) = "with tf.GradientTape(persistent=True) as g:\n    g.watch(x)\n    y = x * x\n    z = y * y",
        {
            let g = GradientTape::persistent();
            let (y, z) = g.record(|g| {
                g.watch(&x)?;
                let y = (&x * &x)?;
                let z = (&y * &y)?;
                Ok((y, z))
            })?;
            Ok((g, y, z))
        }
    );
    cell!("g.gradient(z, x)  # 4 x**3", g.gradient(&z, &x));
    cell!("g.gradient(y, x)  # 2 x", g.gradient(&y, &x));
    cell!("g.gradient([y, z], [x])", g.gradients(&[&y, &z], &[&x]));

    note("watch_accessed_variables=False: only what is watched by hand gets a gradient.");
    cell!(let (x2, w5) = "x = tf.Variable(2.0)\nw = tf.Variable(5.0)", Ok((Variable::new(2.0)?, Variable::new(5.0)?)));
    cell!(
        let (tape, y, z) =
            "with tf.GradientTape(watch_accessed_variables=False, persistent=True) as tape:\n    tape.watch(x)\n    y = x ** 2\n    z = w ** 3",
        {
            let tape = Engine::default_engine().gradient_tape(true, false);
            let (y, z) = tape.record(|t| {
                t.watch_variable(&x2)?;
                Ok((x2.read().pow(2)?, w5.read().pow(3)?))
            })?;
            Ok((tape, y, z))
        }
    );
    cell!("tape.gradient(y, x)", tape.gradient(&y, &x2));
    cell!("tape.gradient(z, w)", tape.gradient(&z, &w5));

    note("stop_recording pauses the tape for the ops inside it.");
    cell!(
        let (tape, y, z) =
            "with tf.GradientTape(persistent=True) as tape:\n    tape.watch(x)\n    y = x * x\n    with tape.stop_recording():\n        z = x * x * x",
        {
            let tape = GradientTape::persistent();
            let (y, z) = tape.record(|t| {
                t.watch(&x)?;
                let y = (&x * &x)?;
                let _paused = t.stop_recording()?;
                Ok((y, ((&x * &x)? * &x)?))
            })?;
            Ok((tape, y, z))
        }
    );
    cell!("tape.gradient(y, x)", tape.gradient(&y, &x));
    cell!("tape.gradient(z, x)", tape.gradient(&z, &x));

    note("Nested tapes: the outer tape records the inner tape's gradient ops, hence the second derivative.");
    cell!(let x = "x = tf.constant(5.0)", constant(5.0));
    cell!(
        let (g, dy_dx) = "with tf.GradientTape() as g:\n    g.watch(x)\n    with tf.GradientTape() as gg:\n        gg.watch(x)\n        y = x * x\n    dy_dx = gg.gradient(y, x)",
        {
            let g = GradientTape::new();
            let dy_dx = g.record(|g| {
                g.watch(&x)?;
                let gg = GradientTape::new();
                let y = gg.record(|gg| { gg.watch(&x)?; &x * &x })?;
                some(gg.gradient(&y, &x)?)
            })?;
            Ok((g, dy_dx))
        }
    );
    show!(dy_dx);
    cell!("d2y_dx2 = g.gradient(dy_dx, x)\nd2y_dx2", g.gradient(&dy_dx, &x));

    note("A persistent tape records its own gradient calls made inside its block: x**3 at 3 gives 27, 18, 6.");
    cell!(
        let (g, x, dy_dx, d2y_dx2) =
            "with tf.GradientTape(persistent=True) as g:\n    x = tf.constant(3.0)\n    g.watch(x)\n    y = x ** 3\n    dy_dx = g.gradient(y, x)\n    d2y_dx2 = g.gradient(dy_dx, x)",
        {
            let g = GradientTape::persistent();
            let (x, dy_dx, d2y_dx2) = g.record(|g| {
                let x = constant(3.0)?;
                g.watch(&x)?;
                let y = x.pow(3)?;
                let dy_dx = some(g.gradient(&y, &x)?)?;
                let d2y_dx2 = some(g.gradient(&dy_dx, &x)?)?;
                Ok((x, dy_dx, d2y_dx2))
            })?;
            Ok((g, x, dy_dx, d2y_dx2))
        }
    );
    cell!("[dy_dx, d2y_dx2, g.gradient(d2y_dx2, x)]", Ok(vec![Some(dy_dx.clone()), Some(d2y_dx2.clone()), g.gradient(&d2y_dx2, &x)?]));

    section("jacobian and batch_jacobian");
    cell!(
        let (g, x, y) = "with tf.GradientTape() as g:\n    x = tf.constant([1.0, 2.0])\n    g.watch(x)\n    y = x * x",
        {
            let g = GradientTape::new();
            let (x, y) = g.record(|g| {
                let x = constant([1.0, 2.0])?;
                g.watch(&x)?;
                let y = (&x * &x)?;
                Ok((x, y))
            })?;
            Ok((g, x, y))
        }
    );
    cell!("g.jacobian(y, [x])", g.jacobian(&y, &[&x]));
    cell!(
        let (g, x, y) =
            "with tf.GradientTape() as g:\n    x = tf.constant([[1., 2.], [3., 4.]], dtype=tf.float32)\n    g.watch(x)\n    y = x * x",
        {
            let g = GradientTape::new();
            let (x, y) = g.record(|g| {
                let x = constant_with([[1., 2.], [3., 4.]], DType::F32)?;
                g.watch(&x)?;
                let y = (&x * &x)?;
                Ok((x, y))
            })?;
            Ok((g, x, y))
        }
    );
    cell!("g.batch_jacobian(y, x)", g.batch_jacobian(&y, &x, true));
    cell!("g.batch_jacobian(y, x)", g.batch_jacobian(&y, &x, true));
    Ok(())
}

fn numerical_derivative() -> Result<()> {
    section("The numerical derivative d(f, x)");
    note("def d(f, x, h=1e-3): return (f(x + h) - f(x - h)) / (2 * h)   -- gradtape::d");
    cell!(let x = "x = tf.constant([1., 2., 3.])", constant([1., 2., 3.]));
    cell!("d(lambda x: x ** 3, x)", d(|x| x.pow(3), &x, 1e-3));
    cell!(let (tape, y) = "with tf.GradientTape() as tape:\n    tape.watch(x)\n    y = x ** 3", {
        let tape = GradientTape::new();
        let y = tape.record(|t| { t.watch(&x)?; x.pow(3) })?;
        Ok((tape, y))
    });
    cell!(let dy_dx = "dy_dx = tape.gradient(y, x)", some(tape.gradient(&y, &x)?));
    show!(dy_dx);
    note("In float32 the difference quotient loses digits to rounding; float64 brings it within h**2.");
    cell!("tf.reduce_max(tf.abs(d(lambda x: x ** 3, x) - dy_dx))", (d(|x| x.pow(3), &x, 1e-3)? - &dy_dx)?.abs()?.reduce_max());
    cell!(
        "x64 = tf.cast(x, tf.float64)\ntf.reduce_max(tf.abs(d(lambda x: x ** 3, x64) - 3 * x64 ** 2))",
        (d(|x| x.pow(3), &x.cast(DType::F64)?, 1e-3)? - (3 * &x.cast(DType::F64)?.pow(2)?)?)?.abs()?.reduce_max()
    );
    Ok(())
}
