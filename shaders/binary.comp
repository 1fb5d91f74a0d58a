#version 460
// Binary elementwise ops and comparisons with NumPy broadcasting. Operands
// are read through (collapsed) strides, 0 on broadcast axes; a comparison
// writes bool as u32. OP picks the op (gradtape_core::registry::BinaryOp).
// Record: out, a, b addrs; rank; a offset; b offset; dims[rank];
// a strides[rank]; b strides[rank]. Rank 0 means both operands are
// contiguous with the output's shape (the common case, no index math).
#include "common.glsl"
#include "elementwise.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 0) const uint OP = 0;

void main() {
    Params P = Params(pc.params);
    BufT a = BufT(addr_at(P, 2));
    BufT b = BufT(addr_at(P, 4));
    uint rank = P.w[6];
    int a_off = int(P.w[7]);
    int b_off = int(P.w[8]);
    const uint dims = 9;
    FOR_EACH_ELEMENT(i, pc.n, 256) {
        uint ia = i, ib = i;
        if (rank > 0u) {
            ia = strided(P, i, rank, dims, dims + rank, a_off);
            ib = strided(P, i, rank, dims, dims + 2u * rank, b_off);
        }
        T x = a.v[ia];
        T y = b.v[ib];
        if (is_comparison(OP)) {
            BufU32(addr_at(P, 0)).v[i] = compare_op(OP, x, y) ? 1u : 0u;
        } else {
#if defined(DT_BOOL)
            BufU32(addr_at(P, 0)).v[i] = 0xffffffffu;
#else
            BufT(addr_at(P, 0)).v[i] = binary_op(OP, x, y);
#endif
        }
    }
}
