//! 미분 › 모티브 (cells 78–84): the derivative as a difference quotient, in
//! float64 as Python's floats are, then the same by the tape.

use gradtape::*;

use super::Kind::*;
use super::Tour;

const FLOATS: &str = "plain Python floats, no TF: Rust's f64 is the same IEEE double";
const INTS: &str = "Python's f works on ints too; Rust's takes an f64, so f(1.0) is 3.0 where Python's f(1) is 3";

pub fn cells(t: &mut Tour) -> Result<()> {
    cell!(t, 78, Same(FLOATS);
        let x1: f64 = 2.0;
        let y1 = 3.0 * x1.powi(2);
        let x2: f64 = 2.0 + 0.000000001;
        let y2 = 3.0 * x2.powi(2);
        => (y2 - y1) / (x2 - x1));
    cell!(t, 79, Counterpart(INTS); fn f(x: f64) -> f64 { 3.0 * x.powi(2) } => f(1.0));
    cell!(t, 80, Counterpart(INTS); => f(3.0));
    cell!(t, 81, Same(FLOATS);
        fn d(f: impl Fn(f64) -> f64, x: f64) -> f64 { (f(x + 0.000000001) - f(x)) / 0.000000001 }
        => d(f, 2.0));
    cell!(t, 82, Same(FLOATS); => d(|x| 3.0 * x.powi(2), 2.0));
    cell!(t, 83, Same(FLOATS); => d(|x| x.powi(2), 0.0));
    cell!(also t, "the same derivative by the tape, exact where the difference quotient is off by 1e-6";
        let x = Variable::new(2.0)?;
        let tape = GradientTape::new();
        let y = tape.record(|_| 3 * &x.pow(2)?)?;
        => tape.gradient(&y, &x)?);
    cell!(t, 84, rustc("error[E0061]: this function takes 2 arguments but 1 argument was supplied");
        fn f(x: f64, y: f64) -> f64 { x.powi(2) + 3.0 * y }
        d(f(2.0, 3.0)));
    Ok(())
}
