//! 지난강의 보충 › concat, stack (cells 8–26).

use gradtape::*;

use super::Kind::*;
use super::Tour;

const REWORDED: &str = "it is worded `Dimension 0 in both shapes must be equal` (the lecture's TF: \
    `Dimensions of inputs should match`), and TF puts the kernel and device in front, `{{function_node ...}}`";

pub fn cells(t: &mut Tour) -> Result<()> {
    cell!(t, 8, Tf; let a = constant(0..2 * 3 * 4 * 5)?.reshape([2, 3, 4, 5])?; let b = (-&a)?;);
    cell!(t, 9, Tf; => stack(&[&a, &b], 0)?.shape());
    cell!(t, 10, Tf; => stack(&[&a, &b], 1)?.shape());
    cell!(t, 11, Tf; => stack(&[&a, &b], 2)?.shape());
    cell!(t, 12, Tf; => stack(&[&a, &b], 3)?.shape());
    cell!(t, 13, Tf; => stack(&[&a, &b], -1)?.shape());

    cell!(t, 14, Tf;
        let a = constant(0..2 * 3 * 4)?.reshape([2, 3, 4])?;
        let b = (-&a)?;
        let c = (2 * &a)?;);
    cell!(t, 15, Tf; => concat(&[&a, &b, &c], 0)?.shape());
    cell!(t, 16, Tf; => concat(&[&a, &b, &c], 1)?.shape());
    cell!(t, 17, Tf; => concat(&[&a, &b, &c], -1)?.shape());
    cell!(t, 18, Tf; => stack(&[&a, &b, &c], 0)?.shape());
    cell!(t, 19, Tf; => stack(&[&a, &b, &c], 1)?.shape());
    cell!(t, 20, Tf; => stack(&[&a, &b, &c], 2)?.shape());
    cell!(t, 21, Tf; => stack(&[&a, &b, &c], -1)?.shape());

    cell!(t, 22, Tf;
        let a = constant(0..2 * 3 * 4)?.reshape([2, 3, 4])?;
        let b = (-&constant(0..4 * 3 * 4)?)?.reshape([4, 3, 4])?;
        => a.shape());
    cell!(t, 23, Tf; => b.shape());
    cell!(t, 24, Tf; => concat(&[&a, &b], 0)?.shape());
    cell!(t, 25, Tf, changed = REWORDED; => concat(&[&a, &b], 1)?.shape());
    cell!(t, 26, Tf, changed = REWORDED; => concat(&[&a, &b], 2)?.shape());
    Ok(())
}
