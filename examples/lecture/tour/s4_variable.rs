//! tf.Variable (cells 44–77): making one, its type, indexing, arithmetic,
//! NumPy behaviour, concat and stack, and its identity under assign_add.

use std::any::type_name_of_val;

use gradtape::*;

use super::standins::array;
use super::Kind::*;
use super::Tour;

const NO_NP_RESHAPE: &str = "a Variable has no NumPy `reshape` method, as a ResourceVariable has none: \
                             `np_reshape` on it is TF's AttributeError";
const TYPE: &str = "type() is the Python class's path; std::any::type_name_of_val is the Rust type's";
const NAME_SUFFIX: &str = "the lecture's message; TF 2.21 adds ` name: ` behind it";
const ID_INT: &str = "id() is the address of CPython's int object; a boxed i32 is Rust's nearest, \
    and a new `let` is a new object, at another address";
const ID_VAR: &str = "id() is CPython's address of the object; a gradtape handle's identity is its entity, \
    which assign_add keeps";

// The lecture's 3.14 is the number 3.14, not an approximation of pi.
#[allow(clippy::approx_constant)]
pub fn cells(t: &mut Tour) -> Result<()> {
    cell!(t, 44, Tf; => Variable::new([1, 2, 3, 4])?);
    cell!(t, 45, Tf; => Variable::new([1.0, 2.0, 3.0, 4.0])?);
    cell!(t, 46, Counterpart(TYPE); let _a = Variable::new([1, 2, 3, 4])?; => type_name_of_val(&_a));
    cell!(t, 47, Tf; => Variable::from_tensor(&constant([1, 2, 3, 4])?)?);
    cell!(t, 48, Tf; => Variable::from_tensor(&array([1, 2, 3, 4])?)?);
    cell!(t, 49, Counterpart(TYPE); => type_name_of_val(&constant([1, 2, 3, 4])?));
    cell!(t, 50, Counterpart("NumPy only: gradtape has no ndarray type; np.array is a tensor on the NumPy-behaviour engine");
        => type_name_of_val(&array([1, 2, 3, 4])?));
    cell!(t, 51, Counterpart(TYPE); => type_name_of_val(&Variable::from_tensor(&array([1, 2, 3, 4])?)?));

    cell!(t, 52, Tf; let a = Variable::new([1, 2, 3, 4])?; => a);
    cell!(t, 53, Tf; => a.i(0)?);
    cell!(t, 54, Tf; => a.i(..2)?);
    cell!(t, 55, Counterpart(TYPE); => type_name_of_val(&a.i(..2)?));

    cell!(t, 56, Counterpart(TYPE); let a = Variable::new([1, 2, 3, 4])?; let b = (-&a)?; => type_name_of_val(&a));
    cell!(t, 57, Counterpart(TYPE); => type_name_of_val(&b));
    cell!(t, 58, Tf; => (&a + &b)?);
    cell!(t, 59, Counterpart(TYPE); => type_name_of_val(&(&a + &b)?));

    cell!(t, 60, Counterpart(TYPE);
        let a = Variable::new([1, 2, 3, 4])?;
        let b = Variable::new([-1, -2, -3, -4])?;
        => type_name_of_val(&a));
    cell!(t, 61, Counterpart(TYPE); => type_name_of_val(&b));
    cell!(t, 62, Tf; => (&a + &b)?);
    cell!(t, 63, Counterpart(TYPE); => type_name_of_val(&(&a + &b)?));

    cell!(t, 64, Tf, changed = NAME_SUFFIX; => (&Variable::new([1, 2])? + &Variable::new([3.14, 3.14])?)?);
    cell!(t, 65, Tf; => (&Variable::new([1.0, 2.0])? + &Variable::new([3.14, 3.14])?)?);
    // From here on the default engine promotes as NumPy does, as TF does
    // for the rest of the lecture's kernel.
    cell!(t, 66, Tf; enable_numpy_behavior(PromotionMode::Legacy););
    cell!(t, 67, Tf; => (&Variable::new([1, 2])? + &Variable::new([3.14, 3.14])?)?);
    cell!(t, 68, Same(NO_NP_RESHAPE); => Variable::new([1, 2, 3, 4])?.np_reshape([2, 2])?);

    cell!(t, 69, Tf;
        let a = Variable::new([[1, 2], [3, 4]])?;
        let b = Variable::new([[-1, -2], [-3, -4]])?;
        => concat(&[&a, &b], 0)?);
    cell!(t, 70, Tf;
        let a = Variable::new([[1, 2], [3, 4]])?;
        let b = Variable::new([[-1, -2], [-3, -4]])?;
        => stack(&[&a, &b], 0)?);
    cell!(t, 71, Counterpart(TYPE); => type_name_of_val(&a));
    cell!(t, 72, Counterpart(TYPE); => type_name_of_val(&b));
    cell!(t, 73, Counterpart(TYPE); => type_name_of_val(&stack(&[&a, &b], 0)?));

    cell!(t, 74, Counterpart(ID_INT); let a = Box::new(1); => format!("{a:p}"));
    cell!(t, 75, Counterpart(ID_INT); let a = Box::new(45); => format!("{a:p}"));
    cell!(t, 76, Counterpart(ID_VAR); let a = Variable::new([1, 2, 3, 4])?; => a.id());
    cell!(t, 77, Counterpart(ID_VAR); a.assign_add([-1, -2, -3, -4])?; => a.id());
    Ok(())
}
