//! 지난강의 보충 › (2,2) @ (2,) 의 연산? (cells 27–43): NumPy's matmul, then TF's.

use gradtape::*;

use super::introspect::signature;
use super::standins::array;
use super::Kind::*;
use super::Tour;

const NUMPY: &str = "NumPy only: `array` is np.array (int64) on an engine with NumPy behaviour on, \
    and numpy_repr() is the NumPy array's repr";
const PREFIXED: &str = "the lecture's message; TF 2.21 puts the kernel and device in front, \
    `{{function_node ...}}`, and ` name: ` behind";

// `I`, as the lecture names the identity matrix.
#[allow(non_snake_case)]
pub fn cells(t: &mut Tour) -> Result<()> {
    cell!(t, 27, Same(NUMPY); => array([[1, 0], [0, 1]])?.matmul(&array([77, -88])?)?.numpy_repr());
    cell!(t, 28, Same(NUMPY); => array([77, -88])?.matmul(&array([[1, 0], [0, 1]])?)?.numpy_repr());
    cell!(t, 29, Same(NUMPY); => array([[1, 0], [0, 1]])?.matmul(&array([77, -88])?.np_reshape([2, 1])?)?.numpy_repr());
    cell!(t, 30, Same(NUMPY); => array([77, -88])?.np_reshape([1, 2])?.matmul(&array([[1, 0], [0, 1]])?)?.numpy_repr());
    cell!(t, 31, Counterpart("NumPy's own gufunc error text; gradtape's NumPy behaviour, like TF's, \
        stops at the MatMul kernel's check: a (2,1) @ (2,2) has no product");
        => array([77, -88])?.np_reshape([2, 1])?.matmul(&array([[1, 0], [0, 1]])?)?.numpy_repr());
    cell!(t, 32, Same(NUMPY); => array([77, -88])?.np_reshape([2, 1])?.numpy_repr());
    cell!(t, 33, Same(NUMPY); => array([[1, 0], [0, 1]])?.numpy_repr());
    cell!(t, 34, Same(NUMPY); => array([77, -88])?.np_reshape([1, 2])?.matmul(&array([[1, 0], [0, 1]])?)?.numpy_repr());

    cell!(t, 35, Tf, changed = PREFIXED;
        let I = constant([[1.0, 0.0], [0.0, 1.0]])?;
        let x = constant([77.0, -88.0])?;
        => x.matmul(&I)?);
    cell!(t, 36, Tf, changed = PREFIXED; => I.matmul(&x)?);
    cell!(t, 37, Tf; => x);
    cell!(t, 38, Tf; => I);
    cell!(t, 39, Counterpart("IPython shows the Python function; this is the Rust method's signature, from gradtape's source");
        => signature::<Tensor>("reshape"));
    cell!(t, 40, Tf; => x.reshape([-1])?);
    cell!(t, 41, Tf; => I.matmul(&x.reshape([2, 1])?)?);
    cell!(t, 42, Tf; => x.reshape([1, 2])?.matmul(&I)?);
    cell!(t, 43, Tf, changed = PREFIXED; => x.reshape([2, 1])?.matmul(&I)?);
    Ok(())
}
