#pragma once
#include <stddef.h>

/// One AdamW step over `count` elements, element by element in the order PyTorch's AdamW uses
/// (docs/performance.md): g = grad·gradient_scale; m += (1 − β₁)(g − m); v = β₂v + (1 − β₂)g²;
/// p = p·decay − step_size · m / (√v / correction2_root + ε). The four arrays must not overlap.
void swiftlet_adamw_update(
    float *restrict parameters, const float *restrict gradients, float *restrict first_moment,
    float *restrict second_moment, size_t count, float gradient_scale, float decay, float step_size,
    float correction2_root, float one_minus_beta1, float beta2, float one_minus_beta2, float epsilon);
