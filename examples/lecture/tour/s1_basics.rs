//! imports, and 지난강의 보충 › max, min, sum, mean (cells 1–7).

use gradtape::*;

use super::standins::list_physical_devices;
use super::Kind::*;
use super::Tour;

pub fn cells(t: &mut Tour) -> Result<()> {
    cell!(t, 1, Device, changed = "the lecture's machine had a GPU; TF 2.21's run had none, hence `[]`";
        use gradtape::*;
        => list_physical_devices("GPU"));

    cell!(t, 2, Tf; let a = constant([1.0, 2.0, 3.0, 4.0])?; => a);
    cell!(t, 3, Same("Python's builtin max() iterates the tensor; the reduction it amounts to is reduce_max");
        => a.reduce_max()?);
    cell!(t, 4, Same("Python's builtin min() iterates the tensor; the reduction it amounts to is reduce_min");
        => a.reduce_min()?);
    cell!(t, 5, rustc("error[E0425]: cannot find function `mean` in this scope"); mean(&a));
    cell!(t, 6, Tf; => a.reduce_mean()?);
    cell!(t, 7, Tf; => constant([1, 2, 3, 4])?.reduce_mean()?);
    Ok(())
}
