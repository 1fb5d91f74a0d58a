#version 460
// Unary elementwise ops: out[i] = f(x[i]), f chosen by the OP constant.
// Record: out addr, x addr.
#include "common.glsl"
#include "elementwise.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 0) const uint OP = 0;

void main() {
    Params P = Params(pc.params);
    BufT o = BufT(addr_at(P, 0));
    BufT x = BufT(addr_at(P, 2));
    FOR_EACH_ELEMENT(i, pc.n, 256) {
        o.v[i] = unary_op(OP, x.v[i]);
    }
}
