#pragma once
#include <stddef.h>
#include <stdint.h>

// Element-wise and row kernels of the model, in C so that they run 256-bit wide on CPUs that have
// AVX2 while the binary still runs on any x86-64 (runtime dispatch, see kernels.c). Every kernel
// computes in 8-lane vectors with a fixed reduction order and no FMA contraction, so the results
// are the same bits whichever path runs.

/// 1 when the AVX2 path runs on this CPU, 0 for the baseline (SSE2) path.
int swiftlet_kernels_use_avx2(void);
/// Forces the baseline path (value 0) or the best one (value 1); for tests.
void swiftlet_kernels_set_avx2(int enabled);

/// Cross-entropy row maxima over `valid` columns of rows `ld` apart (NaN if a row has a NaN).
void swiftlet_ce_row_max(float *row_max, const float *logits, size_t rows, size_t ld, size_t valid);

/// sum_exp[r] = Σ_j exp(logits[r, j] − row_max[r]) over j < valid; target_logit[r] = the target's
/// logit if column target − first_column is in [0, valid), else 0.
void swiftlet_ce_row_sums(
    float *sum_exp, float *target_logit, const float *logits, const float *row_max,
    const int32_t *targets, long first_column, size_t rows, size_t ld, size_t valid);

/// In place on columns [col0, col1) of each row: logits ← (exp(logits − row_max) / sum_exp −
/// 1[target]) · grad_scale for columns < valid, 0 for padding columns ≥ valid.
void swiftlet_ce_backward(
    float *logits, const float *row_max, const float *sum_exp, const int32_t *targets,
    long first_column, size_t rows, size_t ld, size_t col0, size_t col1, size_t valid,
    float grad_scale);

/// out[i] = gelu_tanh(inp[i]).
void swiftlet_gelu_forward(float *out, const float *inp, size_t count);
/// out[i] = gelu_tanh(x[i]) (the same bits as swiftlet_gelu_forward) and x[i] ← gelu_tanh′(x[i]),
/// sharing the tanh.
void swiftlet_gelu_forward_derivative(float *out, float *x, size_t count);
/// x[i] *= y[i].
void swiftlet_multiply(float *x, const float *y, size_t count);
/// sums[c] += Σ_r x[r, c] over `rows` rows of `columns`, rows added in order.
void swiftlet_add_column_sums(float *sums, const float *x, size_t rows, size_t columns);

/// row[j] ← exp(row[j] − shift) for j < length, 0 for length ≤ j < width; returns the sum.
float swiftlet_exp_row(float *row, size_t length, size_t width, float shift);

/// Softmax of row[0..<length] in place, zeros up to width; returns max + log(sum) (NaN-keeping).
float swiftlet_softmax_row(float *row, size_t length, size_t width);

/// Attention softmax backward of one row: dp[j] ← p[j]·(dp[j] − dot)·scale for j < length, 0 up
/// to width, where dot = Σ_d o[d]·d_o[d] over head_dim.
void swiftlet_softmax_backward_row(
    float *dp, const float *p, const float *o, const float *d_o, size_t head_dim, size_t length,
    size_t width, float scale);

/// LayerNorm forward of `rows` rows of `channels` (ε as given).
void swiftlet_layernorm_forward(
    float *out, float *mean, float *rstd, const float *inp, const float *weight, const float *bias,
    size_t rows, size_t channels, float epsilon);

/// LayerNorm backward, accumulating into dinp (per row) and into dweight, dbias.
void swiftlet_layernorm_backward(
    float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
    const float *weight, const float *mean, const float *rstd, size_t rows, size_t channels);
