#include "swiftlet_kernels.h"

#include <math.h>
#include <string.h>

// Runtime dispatch: each kernel body is an always-inline function instantiated twice, once for
// the x86-64 baseline and once under target("avx2"), and the exported function picks one by
// CPUID (which also checks that the OS saves YMM state). The bodies compute in 8-lane vectors
// (one YMM register, or two XMM registers on the baseline) with explicit reduction orders and
// -ffp-contract=off (Package.swift), so both paths round identically.

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

#define INLINE static inline __attribute__((always_inline))

INLINE v8f load8(const float *p) {
  v8f v;
  memcpy(&v, p, sizeof v);
  return v;
}
INLINE void store8(float *p, v8f v) { memcpy(p, &v, sizeof v); }
INLINE v8f splat(float x) { return (v8f){x, x, x, x, x, x, x, x}; }
INLINE v8f select8(v8i mask, v8f yes, v8f no) { return (v8f)((mask & (v8i)yes) | (~mask & (v8i)no)); }
// Lanes summed pairwise, the same order on every path.
INLINE float hsum8(v8f v) { return ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7])); }
// Loads n < 8 floats, the rest `fill`.
INLINE v8f load_partial(const float *p, size_t n, float fill) {
  float tmp[8] = {fill, fill, fill, fill, fill, fill, fill, fill};
  memcpy(tmp, p, n * sizeof(float));
  return load8(tmp);
}
INLINE void store_partial(float *p, v8f v, size_t n) {
  float tmp[8];
  store8(tmp, v);
  memcpy(p, tmp, n * sizeof(float));
}

// exp by the Cephes scheme: x = n·ln2 + r with a two-part ln2, a degree-6
// polynomial for e^r, 2^n assembled in the exponent bits; 0 below −87.3, NaN passed through.
INLINE v8f exp8(v8f x) {
  v8i low = x < splat(-87.3f);
  v8f c = select8(low, splat(-87.3f), x);
  c = select8(c > splat(88.3f), splat(88.3f), c);
  v8f n = (c * 1.44269504f + 12582912.0f) - 12582912.0f;
  v8f r = c - n * 0.693359375f;
  r = r + n * 2.1219444e-4f;
  v8f p = splat(1.98756915e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  v8f y = p * r * r + r + 1.0f;
  v8i shifted = (v8i)(n + 12582912.0f) - 0x4B400000;
  v8f result = y * (v8f)((shifted + 127) << 23);
  result = select8(low, splat(0.0f), result);
  return select8(x != x, x, result);
}

INLINE v8f tanh8(v8f x) { return 1.0f - 2.0f / (exp8(2.0f * x) + 1.0f); }

static const float gelu_scale = 0.7978845608f;  // √(2/π)
static const float gelu_cubic = 0.044715f;

INLINE v8f gelu8(v8f x) {
  v8f t = tanh8(gelu_scale * (x + gelu_cubic * x * x * x));
  return 0.5f * x * (1.0f + t);
}

// ---- kernel bodies -----------------------------------------------------------------------

// Max that keeps NaN: lanes that saw NaN are tracked separately (the maximum of the rest is
// order-independent, so this is exact).
INLINE float row_max_body(const float *x, size_t n) {
  v8f m = splat(-INFINITY);
  v8i nan = {0};
  size_t j = 0;
  for (; j + 8 <= n; j += 8) {
    v8f v = load8(x + j);
    nan |= v != v;
    m = select8(v > m, v, m);
  }
  if (j < n) {
    v8f v = load_partial(x + j, n - j, -INFINITY);
    nan |= v != v;
    m = select8(v > m, v, m);
  }
  float best = -INFINITY;
  int any_nan = 0;
  for (int l = 0; l < 8; l++) {
    any_nan |= nan[l];
    if (m[l] > best) best = m[l];
  }
  return any_nan ? NAN : best;
}

// Σ exp(x[j] − shift), optionally storing the exponentials (then zeros up to width).
INLINE float exp_sum_body(float *out, const float *x, size_t n, size_t width, float shift, int store) {
  v8f s = splat(shift);
  v8f sum = splat(0.0f);
  size_t j = 0;
  for (; j + 8 <= n; j += 8) {
    v8f e = exp8(load8(x + j) - s);
    if (store) store8(out + j, e);
    sum += e;
  }
  if (j < n) {
    // Padding lanes get exp(−∞) = 0, adding nothing.
    v8f e = exp8(load_partial(x + j, n - j, -INFINITY) - s);
    if (store) store_partial(out + j, e, n - j);
    sum += e;
  }
  if (store && width > n) memset(out + n, 0, (width - n) * sizeof(float));
  return hsum8(sum);
}

INLINE void ce_row_max_body(float *row_max, const float *logits, size_t rows, size_t ld, size_t valid) {
  for (size_t r = 0; r < rows; r++) row_max[r] = row_max_body(logits + r * ld, valid);
}

INLINE void ce_row_sums_body(
    float *sum_exp, float *target_logit, const float *logits, const float *row_max,
    const int32_t *targets, long first_column, size_t rows, size_t ld, size_t valid) {
  for (size_t r = 0; r < rows; r++) {
    const float *row = logits + r * ld;
    sum_exp[r] = exp_sum_body(NULL, row, valid, valid, row_max[r], 0);
    long local = (long)targets[r] - first_column;
    target_logit[r] = (local >= 0 && local < (long)valid) ? row[local] : 0.0f;
  }
}

INLINE void ce_backward_body(
    float *logits, const float *row_max, const float *sum_exp, const int32_t *targets,
    long first_column, size_t rows, size_t ld, size_t col0, size_t col1, size_t valid,
    float grad_scale) {
  size_t end = col1 < valid ? col1 : valid;  // [col0, end) real columns, [end, col1) padding
  if (end < col0) end = col0;
  for (size_t r = 0; r < rows; r++) {
    float *row = logits + r * ld;
    v8f shift = splat(row_max[r]);
    v8f factor = splat(grad_scale / sum_exp[r]);
    size_t j = col0;
    for (; j + 8 <= end; j += 8) store8(row + j, exp8(load8(row + j) - shift) * factor);
    if (j < end) store_partial(row + j, exp8(load_partial(row + j, end - j, 0.0f) - shift) * factor, end - j);
    if (col1 > end) memset(row + end, 0, (col1 - end) * sizeof(float));
    long local = (long)targets[r] - first_column;
    if (local >= (long)col0 && local < (long)end) row[local] -= grad_scale;
  }
}

INLINE void gelu_forward_body(float *out, const float *inp, size_t count) {
  size_t i = 0;
  for (; i + 8 <= count; i += 8) store8(out + i, gelu8(load8(inp + i)));
  if (i < count) store_partial(out + i, gelu8(load_partial(inp + i, count - i, 0.0f)), count - i);
}

INLINE void gelu_forward_derivative_body(float *out, float *x, size_t count) {
  for (size_t i = 0; i < count; i += 8) {
    size_t n = count - i < 8 ? count - i : 8;
    v8f v = n == 8 ? load8(x + i) : load_partial(x + i, n, 0.0f);
    // gelu8's expression (x·x·x = (x·x)·x) and its derivative, sharing one tanh.
    v8f x2 = v * v;
    v8f t = tanh8(gelu_scale * (v + gelu_cubic * x2 * v));
    v8f y = 0.5f * v * (1.0f + t);
    v8f sech2 = 1.0f - t * t;
    v8f d = 0.5f * (1.0f + t) + 0.5f * v * sech2 * gelu_scale * (1.0f + 3.0f * gelu_cubic * x2);
    if (n == 8) {
      store8(out + i, y);
      store8(x + i, d);
    } else {
      store_partial(out + i, y, n);
      store_partial(x + i, d, n);
    }
  }
}

INLINE void multiply_body(float *x, const float *y, size_t count) {
  size_t i = 0;
  for (; i + 8 <= count; i += 8) store8(x + i, load8(x + i) * load8(y + i));
  for (; i < count; i++) x[i] *= y[i];
}

INLINE void add_column_sums_body(float *sums, const float *x, size_t rows, size_t columns) {
  // Blocks of 64 columns kept in registers while the rows stream past.
  size_t c0 = 0;
  for (; c0 + 64 <= columns; c0 += 64) {
    v8f acc[8];
    for (int k = 0; k < 8; k++) acc[k] = load8(sums + c0 + 8 * k);
    for (size_t r = 0; r < rows; r++)
      for (int k = 0; k < 8; k++) acc[k] += load8(x + r * columns + c0 + 8 * k);
    for (int k = 0; k < 8; k++) store8(sums + c0 + 8 * k, acc[k]);
  }
  for (size_t r = 0; r < rows; r++)
    for (size_t c = c0; c < columns; c++) sums[c] += x[r * columns + c];
}

INLINE float softmax_row_body(float *row, size_t length, size_t width) {
  float maximum = row_max_body(row, length);
  float sum = exp_sum_body(row, row, length, width, maximum, 1);
  v8f inverse = splat(1.0f / sum);
  size_t j = 0;
  for (; j + 8 <= length; j += 8) store8(row + j, load8(row + j) * inverse);
  for (; j < length; j++) row[j] *= inverse[0];
  return maximum + logf(sum);
}

INLINE float dot_body(const float *a, const float *b, size_t n) {
  v8f acc = splat(0.0f);
  size_t j = 0;
  for (; j + 8 <= n; j += 8) acc += load8(a + j) * load8(b + j);
  if (j < n) acc += load_partial(a + j, n - j, 0.0f) * load_partial(b + j, n - j, 0.0f);
  return hsum8(acc);
}

INLINE void softmax_backward_row_body(
    float *dp, const float *p, const float *o, const float *d_o, size_t head_dim, size_t length,
    size_t width, float scale) {
  v8f dot = splat(dot_body(o, d_o, head_dim));
  v8f s = splat(scale);
  size_t j = 0;
  for (; j + 8 <= length; j += 8) store8(dp + j, load8(p + j) * (load8(dp + j) - dot) * s);
  for (; j < length; j++) dp[j] = p[j] * (dp[j] - dot[0]) * scale;
  if (width > length) memset(dp + length, 0, (width - length) * sizeof(float));
}

INLINE void layernorm_forward_body(
    float *out, float *mean, float *rstd, const float *inp, const float *weight, const float *bias,
    size_t rows, size_t channels, float epsilon) {
  float scale = 1.0f / (float)channels;
  for (size_t r = 0; r < rows; r++) {
    const float *x = inp + r * channels;
    float *y = out + r * channels;
    v8f acc = splat(0.0f);
    size_t c = 0;
    for (; c + 8 <= channels; c += 8) acc += load8(x + c);
    float sum = hsum8(acc);
    for (; c < channels; c++) sum += x[c];
    float mu = sum * scale;
    v8f m = splat(mu);
    acc = splat(0.0f);
    for (c = 0; c + 8 <= channels; c += 8) {
      v8f d = load8(x + c) - m;
      acc += d * d;
    }
    float variance = hsum8(acc);
    for (; c < channels; c++) variance += (x[c] - mu) * (x[c] - mu);
    float s = 1.0f / sqrtf(variance * scale + epsilon);
    v8f sv = splat(s);
    for (c = 0; c + 8 <= channels; c += 8)
      store8(y + c, (load8(x + c) - m) * sv * load8(weight + c) + load8(bias + c));
    for (; c < channels; c++) y[c] = (x[c] - mu) * s * weight[c] + bias[c];
    mean[r] = mu;
    rstd[r] = s;
  }
}

INLINE void layernorm_backward_body(
    float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
    const float *weight, const float *mean, const float *rstd, size_t rows, size_t channels) {
  float scale = 1.0f / (float)channels;
  for (size_t r = 0; r < rows; r++) {
    const float *x = inp + r * channels;
    const float *dy = dout + r * channels;
    float *dx = dinp + r * channels;
    float mu = mean[r], s = rstd[r];
    v8f m = splat(mu), sv = splat(s);
    v8f g_acc = splat(0.0f), gx_acc = splat(0.0f);
    size_t c = 0;
    for (; c + 8 <= channels; c += 8) {
      v8f xhat = (load8(x + c) - m) * sv;
      v8f g = load8(dy + c) * load8(weight + c);
      g_acc += g;
      gx_acc += g * xhat;
    }
    float mean_g = hsum8(g_acc), mean_gx = hsum8(gx_acc);
    for (; c < channels; c++) {
      float xhat = (x[c] - mu) * s, g = dy[c] * weight[c];
      mean_g += g;
      mean_gx += g * xhat;
    }
    mean_g *= scale;
    mean_gx *= scale;
    v8f mg = splat(mean_g), mgx = splat(mean_gx);
    for (c = 0; c + 8 <= channels; c += 8) {
      v8f d = load8(dy + c);
      v8f xhat = (load8(x + c) - m) * sv;
      v8f g = d * load8(weight + c);
      store8(dbias + c, load8(dbias + c) + d);
      store8(dweight + c, load8(dweight + c) + xhat * d);
      store8(dx + c, load8(dx + c) + (g - mg - xhat * mgx) * sv);
    }
    for (; c < channels; c++) {
      float xhat = (x[c] - mu) * s, g = dy[c] * weight[c];
      dbias[c] += dy[c];
      dweight[c] += xhat * dy[c];
      dx[c] += (g - mean_g - xhat * mean_gx) * s;
    }
  }
}

// ---- dispatch ----------------------------------------------------------------------------

static int avx2_state = -1;  // -1: not decided yet

int swiftlet_kernels_use_avx2(void) {
  if (avx2_state < 0) {
    __builtin_cpu_init();
    avx2_state = __builtin_cpu_supports("avx2") ? 1 : 0;
  }
  return avx2_state;
}

void swiftlet_kernels_set_avx2(int enabled) {
  avx2_state = -1;
  if (enabled) (void)swiftlet_kernels_use_avx2();
  else avx2_state = 0;
}

#define AVX2 __attribute__((target("avx2")))

#define DISPATCH_VOID(name, params, args)              \
  AVX2 static void name##_avx2 params { name##_body args; } \
  static void name##_base params { name##_body args; }      \
  void swiftlet_##name params {                             \
    if (swiftlet_kernels_use_avx2()) name##_avx2 args;      \
    else name##_base args;                                  \
  }

#define DISPATCH_FLOAT(name, params, args)                         \
  AVX2 static float name##_avx2 params { return name##_body args; } \
  static float name##_base params { return name##_body args; }      \
  float swiftlet_##name params {                                    \
    return swiftlet_kernels_use_avx2() ? name##_avx2 args : name##_base args; \
  }

DISPATCH_VOID(ce_row_max, (float *row_max, const float *logits, size_t rows, size_t ld, size_t valid),
              (row_max, logits, rows, ld, valid))

DISPATCH_VOID(ce_row_sums,
              (float *sum_exp, float *target_logit, const float *logits, const float *row_max,
               const int32_t *targets, long first_column, size_t rows, size_t ld, size_t valid),
              (sum_exp, target_logit, logits, row_max, targets, first_column, rows, ld, valid))

DISPATCH_VOID(ce_backward,
              (float *logits, const float *row_max, const float *sum_exp, const int32_t *targets,
               long first_column, size_t rows, size_t ld, size_t col0, size_t col1, size_t valid,
               float grad_scale),
              (logits, row_max, sum_exp, targets, first_column, rows, ld, col0, col1, valid, grad_scale))

DISPATCH_VOID(gelu_forward, (float *out, const float *inp, size_t count), (out, inp, count))

INLINE float exp_row_body(float *row, size_t length, size_t width, float shift) {
  return exp_sum_body(row, row, length, width, shift, 1);
}
DISPATCH_FLOAT(exp_row, (float *row, size_t length, size_t width, float shift), (row, length, width, shift))
DISPATCH_FLOAT(softmax_row, (float *row, size_t length, size_t width), (row, length, width))

DISPATCH_VOID(softmax_backward_row,
              (float *dp, const float *p, const float *o, const float *d_o, size_t head_dim,
               size_t length, size_t width, float scale),
              (dp, p, o, d_o, head_dim, length, width, scale))

DISPATCH_VOID(layernorm_forward,
              (float *out, float *mean, float *rstd, const float *inp, const float *weight,
               const float *bias, size_t rows, size_t channels, float epsilon),
              (out, mean, rstd, inp, weight, bias, rows, channels, epsilon))

DISPATCH_VOID(layernorm_backward,
              (float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
               const float *weight, const float *mean, const float *rstd, size_t rows,
               size_t channels),
              (dinp, dweight, dbias, dout, inp, weight, mean, rstd, rows, channels))

DISPATCH_VOID(gelu_forward_derivative, (float *out, float *x, size_t count), (out, x, count))
DISPATCH_VOID(multiply, (float *x, const float *y, size_t count), (x, y, count))
DISPATCH_VOID(add_column_sums, (float *sums, const float *x, size_t rows, size_t columns),
              (sums, x, rows, columns))
