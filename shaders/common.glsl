// Shared by every gradtape compute shader.
//
// No descriptor sets: every buffer is reached through its device address
// (GL_EXT_buffer_reference), so one pipeline layout (16 bytes of push
// constants) serves every pipeline and a dispatch binds nothing but its
// pipeline. The push constant is the address of this dispatch's parameter
// record in the batch's parameter arena; `P.w[..]` reads it as u32 words.
//
// Element types are chosen by the defines the Rust side compiles each
// variant with: DT_F32, DT_F64, DT_I32, DT_I64, DT_BOOL set T and BufT; W64 picks
// 8-byte words for the type-blind movement kernels.

#extension GL_EXT_buffer_reference : require
#extension GL_EXT_buffer_reference_uvec2 : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : enable

layout(push_constant) uniform Push {
    uvec2 params;
    uint n;
    uint pad;
} pc;

layout(buffer_reference, std430, buffer_reference_align = 4) readonly buffer Params { uint w[]; };
layout(buffer_reference, std430, buffer_reference_align = 4) buffer BufU32 { uint v[]; };
layout(buffer_reference, std430, buffer_reference_align = 4) buffer BufF32 { float v[]; };
layout(buffer_reference, std430, buffer_reference_align = 4) buffer BufI32 { int v[]; };
layout(buffer_reference, std430, buffer_reference_align = 8) buffer BufU64 { uvec2 v[]; };
#if defined(DT_F64) || defined(WIDE)
layout(buffer_reference, std430, buffer_reference_align = 8) buffer BufF64 { double v[]; };
#endif
#if defined(DT_I64) || defined(WIDE)
layout(buffer_reference, std430, buffer_reference_align = 8) buffer BufI64 { int64_t v[]; };
#endif

#if defined(DT_F32)
#define T float
#define BufT BufF32
#define IS_FLOAT 1
#elif defined(DT_F64)
#define T double
#define BufT BufF64
#define IS_FLOAT 1
#elif defined(DT_I32)
#define T int
#define BufT BufI32
#define IS_FLOAT 0
#elif defined(DT_I64)
#define T int64_t
#define BufT BufI64
#define IS_FLOAT 0
#elif defined(DT_BOOL)
// bool lives on the device as one u32 per element (0 or 1).
#define T uint
#define BufT BufU32
#define IS_FLOAT 0
#endif

// Reads the 64-bit device address stored at words k, k+1 of the record.
uvec2 addr_at(Params P, uint k) {
    return uvec2(P.w[k], P.w[k + 1]);
}

// The element offset of row-major linear index `i` of a `rank`-D index space
// whose dims are at P.w[dims_at..] and whose (signed) strides are at
// P.w[str_at..], plus `base`. Broadcast axes have stride 0; reversed slices
// negative strides.
uint strided(Params P, uint i, uint rank, uint dims_at, uint str_at, int base) {
    int off = base;
    for (int d = int(rank) - 1; d >= 0; --d) {
        uint dim = P.w[dims_at + d];
        uint q = i / dim;
        off += int(i - q * dim) * int(P.w[str_at + d]);
        i = q;
    }
    return uint(off);
}

// The grid is at most 65535 groups wide; bigger tensors loop (grid-stride).
#define FOR_EACH_ELEMENT(i, n, wg) \
    for (uint i = gl_GlobalInvocationID.x; i < (n); i += gl_NumWorkGroups.x * (wg))
