#version 460
// A chain of float32 elementwise ops run as one dispatch: a tiny register
// machine. Each invocation loads its element of every input into a
// register (a one-element input is broadcast), runs the chain's
// instructions, and stores the registers the chain must materialise. The
// program is uniform across invocations, so its branches never diverge.
// Record: inputs; instructions; outputs; then per input (addr, is_scalar, reg),
// per instruction (kind << 8 | op code, dst, a, b) with kind 0 unary and 1
// binary (op codes as in unary.comp / binary.comp), per output (reg, addr).
#define DT_F32 1
#include "common.glsl"
#include "elementwise.glsl"

#define MAX_REGS 32

layout(local_size_x = 256) in;

void main() {
    Params P = Params(pc.params);
    uint n_in = P.w[0], n_instr = P.w[1], n_out = P.w[2];
    uint ins = 3u, code = ins + 4u * n_in, outs = code + 4u * n_instr;
    float r[MAX_REGS];
    FOR_EACH_ELEMENT(i, pc.n, 256) {
        for (uint k = 0u; k < n_in; ++k) {
            uint at = ins + 4u * k;
            r[P.w[at + 3u]] = BufF32(addr_at(P, at)).v[P.w[at + 2u] != 0u ? 0u : i];
        }
        for (uint k = 0u; k < n_instr; ++k) {
            uint at = code + 4u * k;
            uint op = P.w[at];
            float a = r[P.w[at + 2u]];
            r[P.w[at + 1u]] = (op >> 8u) == 0u ? unary_op(op & 255u, a)
                                                : binary_op(op & 255u, a, r[P.w[at + 3u]]);
        }
        for (uint k = 0u; k < n_out; ++k) {
            uint at = outs + 3u * k;
            BufF32(addr_at(P, at + 1u)).v[i] = r[P.w[at]];
        }
    }
}
