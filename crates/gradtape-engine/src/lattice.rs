//! `flexible_dtypes._BINARY_DTYPE_RES_FULL` (TF 2.21), the lattice behind
//! NumPy behaviour's 'all' and 'safe' modes, restricted to gradtape's dtypes
//! (no uint16/32/64, no complex). Generated from TF's `_BINARY_DTYPE_RES_HALF`
//! (flexible_dtypes.py) made two-way, as its `_initialize` does.

use gradtape_core::DType::{self, *};

use crate::numpy::Flexible;

const KEYS: [Flexible; 14] = [(Bool, false), (U8, false), (I8, false), (I16, false), (I32, false), (I64, false), (BF16, false), (F16, false), (F32, false), (F64, false), (I32, true), (I64, true), (F32, true), (F64, true)];
/// `_BINARY_DTYPE_RES_FULL[KEYS[i]][KEYS[j]]`: (index of the result in `KEYS`, whether only 'all' mode allows it).
const TABLE: [[(u8, bool); 14]; 14] = [
    [(0, false), (1, false), (2, false), (3, false), (4, false), (5, false), (6, false), (7, false), (8, false), (9, false), (10, false), (11, false), (12, false), (13, false)],
    [(1, false), (1, false), (3, true), (3, false), (4, false), (5, false), (6, false), (7, false), (8, false), (9, false), (1, false), (1, false), (13, true), (13, false)],
    [(2, false), (3, true), (2, false), (3, false), (4, false), (5, false), (6, false), (7, false), (8, false), (9, false), (2, false), (2, false), (13, true), (13, false)],
    [(3, false), (3, false), (3, false), (3, false), (4, false), (5, false), (6, true), (7, true), (8, false), (9, false), (3, false), (3, false), (13, true), (13, false)],
    [(4, false), (4, false), (4, false), (4, false), (4, false), (5, false), (6, true), (7, true), (8, true), (9, false), (4, false), (4, false), (13, true), (13, false)],
    [(5, false), (5, false), (5, false), (5, false), (5, false), (5, false), (6, true), (7, true), (8, true), (9, true), (5, false), (5, false), (13, true), (13, true)],
    [(6, false), (6, false), (6, false), (6, true), (6, true), (6, true), (6, false), (8, true), (8, false), (9, false), (6, false), (6, false), (6, false), (6, false)],
    [(7, false), (7, false), (7, false), (7, true), (7, true), (7, true), (8, true), (7, false), (8, false), (9, false), (7, false), (7, false), (7, false), (7, false)],
    [(8, false), (8, false), (8, false), (8, false), (8, true), (8, true), (8, false), (8, false), (8, false), (9, false), (8, false), (8, false), (8, false), (8, false)],
    [(9, false), (9, false), (9, false), (9, false), (9, false), (9, true), (9, false), (9, false), (9, false), (9, false), (9, false), (9, false), (9, false), (9, false)],
    [(10, false), (1, false), (2, false), (3, false), (4, false), (5, false), (6, false), (7, false), (8, false), (9, false), (10, false), (11, false), (12, false), (13, false)],
    [(11, false), (1, false), (2, false), (3, false), (4, false), (5, false), (6, false), (7, false), (8, false), (9, false), (11, false), (11, false), (12, false), (13, false)],
    [(12, false), (13, true), (13, true), (13, true), (13, true), (13, true), (6, false), (7, false), (8, false), (9, false), (12, false), (12, false), (12, false), (13, false)],
    [(13, false), (13, false), (13, false), (13, false), (13, false), (13, true), (6, false), (7, false), (8, false), (9, false), (13, false), (13, false), (13, false), (13, false)],
];

/// The lattice's result for `a` then `b`, and whether only 'all' mode allows
/// it. A weak flag on a dtype TF never makes weak is ignored.
pub(crate) fn lookup(a: Flexible, b: Flexible) -> (Flexible, bool) {
    let key = |(d, w): Flexible| -> usize {
        let weak = w && matches!(d, I32 | I64 | F32 | F64);
        KEYS.iter().position(|&k| k == (d, weak)).expect("internal: every dtype is a lattice key")
    };
    let (r, only_all) = TABLE[key(a)][key(b)];
    (KEYS[r as usize], only_all)
}

/// The lattice's result for two strong dtypes.
pub(crate) fn lookup_strong(a: DType, b: DType) -> (DType, bool) {
    let ((d, _), only_all) = lookup((a, false), (b, false));
    (d, only_all)
}
