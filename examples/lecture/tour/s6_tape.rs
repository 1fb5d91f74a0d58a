//! 미분 › tf.GradientTape() 사용방법 (cells 85–106), examples 1–7 as the
//! lecture writes them: `__enter__`/`__exit__` are `start()`/`stop()`; a
//! `with` block is `tape.record(|tape| ...)` (example 4) or, where the
//! block binds several names, the guard `scope()` returns, dropped where
//! the block ends.

use gradtape::*;

use super::introspect::{dir, doc, doc_method, doc_of};
use super::show::print;
use super::Kind::*;
use super::Tour;

const PINFO: &str = "IPython's `?` shows the docstring; Rust keeps docs out of the program, \
    so this is gradtape's rustdoc, read from its source";
const DOCSTRING: &str = "its docstring's example reads `dz_dw = tape.gradient(z, w)` (the lecture's: `dz_dy`)";

pub fn cells(t: &mut Tour) -> Result<()> {
    // 예제1
    cell!(t, 85, Counterpart("Python's default repr: the class path and the address; here the Rust type and the tape's entity");
        let x = Variable::new(2.0)?;
        let a = constant(3.0)?;
        let mytape = GradientTape::new();
        => mytape);
    cell!(t, 86, Counterpart(PINFO), changed = DOCSTRING; => doc(&mytape));
    cell!(t, 87, Counterpart("dir() lists the Python object's attributes; this lists GradientTape's methods"),
        changed = "Python 3.11 adds `__getstate__` to every object's dir()";
        => dir(&mytape));
    cell!(t, 88, Counterpart(PINFO); => doc_method(&mytape, "start"));
    cell!(t, 89, Tf;
        let mytape = GradientTape::new();
        mytape.start()?;
        let y = (&a * x.pow(2)?)?;
        mytape.stop();
        => mytape.gradient(&y, &x)?);

    // 예제2
    cell!(t, 90, Tf;
        let x = Variable::new(2.0)?;
        let mytape = GradientTape::new();
        mytape.start()?;
        let a = ((&x / 2)? * 3)?;
        let y = (&a * x.pow(2)?)?;
        mytape.stop();
        => mytape.gradient(&y, &x)?);
    cell!(t, 91, Same("plain Python floats, no TF: Rust's f64 is the same IEEE double"); => 3.0 / 2.0 * 3.0 * 4.0);

    // 예제3: `a` is computed before the tape starts, so the tape takes it for a constant.
    cell!(t, 92, Tf;
        let x = Variable::new(2.0)?;
        let a = ((&x / 2)? * 3)?;
        let mytape = GradientTape::new();
        mytape.start()?;
        let y = (&a * x.pow(2)?)?;
        mytape.stop();
        => mytape.gradient(&y, &x)?);

    // 예제4: the with block as a closure.
    cell!(t, 93, Tf;
        let x = Variable::new(2.0)?;
        let a = ((&x / 2)? * 3)?;
        let mytape = GradientTape::new();
        let y = mytape.record(|_| &a * x.pow(2)?)?;
        => mytape.gradient(&y, &x)?);

    // 예제5: the with block as a guard.
    cell!(t, 94, Tf;
        let x = Variable::new(2.0)?;
        let myname = GradientTape::new();
        let with = myname.scope()?;
        let a = ((&x / 2)? * 3)?;
        let y = (&a * x.pow(2)?)?;
        drop(with);
        => myname.gradient(&y, &x)?);

    // 예제6
    cell!(t, 95, Counterpart(PINFO), changed = "its docstring's example reads `dz_dw = tape.gradient(z, w)` \
        (the lecture's: `dz_dy`), and it lists no subclasses";
        => doc_of::<GradientTape>());
    cell!(t, 96, Tf;
        let x = Variable::new(2.0)?;
        let myname = GradientTape::new();
        let with = myname.scope()?;
        let a = ((&x / 2)? * 3)?;
        let y = (&a * x.pow(2)?)?;
        drop(with);
        => myname.gradient(&y, &x)?);
    cell!(t, 97, Tf; => myname.gradient(&y, &x)?);
    cell!(t, 98, Tf;
        let x = Variable::new(2.0)?;
        let myname = GradientTape::persistent();
        let with = myname.scope()?;
        let a = ((&x / 2)? * 3)?;
        let y = (&a * x.pow(2)?)?;
        drop(with);
        => myname.gradient(&y, &x)?);
    cell!(t, 99, Tf; => myname.gradient(&y, &x)?);

    // 예제7
    cell!(t, 100, Counterpart(PINFO), changed = "its docstring says `a Tensor/Variable or list of Tensors/Variables` \
        (the lecture's: `a Tensor or list of Tensors`)";
        => doc_method(&myname, "watch"));
    cell!(t, 101, Tf;
        let x = Variable::new(2.0)?;
        let myname = GradientTape::persistent();
        let with = myname.scope()?;
        let a = ((&x / 2)? * 3)?;
        let y = (&a * x.pow(2)?)?;
        drop(with);
        => myname.gradient(&y, &x)?);
    cell!(t, 102, Tf;
        let x = constant(2.0)?;
        let myname = GradientTape::persistent();
        let with = myname.scope()?;
        let a = ((&x / 2)? * 3)?;
        let y = (&a * x.pow(2)?)?;
        drop(with);
        myname.gradient(&y, &x)?;
        => print(&myname.gradient(&y, &x)?));
    cell!(t, 103, Tf;
        let x = constant(2.0)?;
        let myname = GradientTape::persistent();
        let with = myname.scope()?;
        myname.watch(&x)?;
        let a = ((&x / 2)? * 3)?;
        let y = (&a * x.pow(2)?)?;
        drop(with);
        => print(&myname.gradient(&y, &x)?));
    cell!(t, 104, Tf;
        let x = Variable::new(2.0)?;
        let myname = TapeOptions::new().persistent(true).watch_accessed_variables(false).build();
        let with = myname.scope()?;
        let a = ((&x / 2)? * 3)?;
        let y = (&a * x.pow(2)?)?;
        drop(with);
        myname.gradient(&y, &x)?;
        => print(&myname.gradient(&y, &x)?));
    cell!(t, 105, Tf;
        let x = Variable::new(2.0)?;
        let myname = GradientTape::persistent();
        let with = myname.scope()?;
        myname.watch(&x)?;
        let a = ((&x / 2)? * 3)?;
        let y = (&a * x.pow(2)?)?;
        drop(with);
        => myname.gradient(&y, &x)?);
    cell!(t, 106, Tf; myname.watch(&x)?;);
    Ok(())
}
