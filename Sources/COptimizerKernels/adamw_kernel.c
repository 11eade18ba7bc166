#include "adamw_kernel.h"

#include <math.h>

// In C because clang vectorises this loop (sqrt and division included) to the build's full
// vector width, which Swift's SIMD8 version did not reach: the pass runs at the memory's speed.
// -ffp-contract=off (Package.swift) keeps every multiply and add separately rounded, as PyTorch
// and the Swift code round them, so results do not depend on whether the CPU has FMA.
void swiftlet_adamw_update(
    float *restrict p, const float *restrict g, float *restrict m, float *restrict v, size_t count,
    float gradient_scale, float decay, float step_size, float correction2_root, float one_minus_beta1,
    float beta2, float one_minus_beta2, float epsilon) {
  for (size_t i = 0; i < count; i++) {
    float gi = g[i] * gradient_scale;
    float mi = m[i] + one_minus_beta1 * (gi - m[i]);
    float vi = v[i] * beta2 + one_minus_beta2 * gi * gi;
    p[i] = p[i] * decay - step_size * (mi / (sqrtf(vi) / correction2_root + epsilon));
    m[i] = mi;
    v[i] = vi;
  }
}
