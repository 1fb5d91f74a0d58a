//! The host kernel of `tf.where` (SelectV2). A cast's kernel is
//! `HostData::cast`, in gradtape-core.

use gradtape_core::{HostData, Shape};

use crate::strided::{broadcast_strides, gather};

pub(crate) fn select_cpu(
    c: &HostData,
    sc: &Shape,
    a: &HostData,
    sa: &Shape,
    b: &HostData,
    sb: &Shape,
    out: &Shape,
) -> HostData {
    let HostData::Bool(c) = c else { unreachable!("internal: where's condition is bool") };
    let c = gather(c, 0, &broadcast_strides(sc, out), out.dims());
    gradtape_core::with_data!(a, av => {
        let av = gather(av, 0, &broadcast_strides(sa, out), out.dims());
        let bv = gather(
            <_ as gradtape_core::Element>::unwrap_ref(b).expect("internal: where's branches share a dtype"),
            0,
            &broadcast_strides(sb, out),
            out.dims(),
        );
        HostData::from_vec(c.iter().zip(av.iter().zip(bv)).map(|(&k, (&x, y))| if k { x } else { y }).collect())
    })
}
