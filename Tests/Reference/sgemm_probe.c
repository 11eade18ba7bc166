// An sgemm probe independent of Swiftlet's code: GPT-2 small's GEMM shapes at B*T = 256 rows
// (QKV, MLP up, MLP down, a weight gradient, an LM-head slice) through OpenBLAS's CBLAS, one
// thread. Prints one JSON line: the loaded kernel, the best GFLOP/s of any shape over the trials,
// and the sustained GFLOP/s of back-to-back calls for --seconds (what two concurrent copies
// compare against: the speed-up the machine itself allows).
//   cc -O2 sgemm_probe.c -o sgemm_probe -lopenblas && ./sgemm_probe [--trials N] [--seconds S]
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cblas.h>

char *openblas_get_corename(void);

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

typedef struct { int m, n, k, ta, tb; } shape;

int main(int argc, char **argv) {
  int trials = 5;
  double seconds = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--trials")) trials = atoi(argv[i + 1]);
    if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
  }
  openblas_set_num_threads(1);
  const int c = 768, rows = 256;
  shape shapes[] = {{rows, 3 * c, c, 0, 0}, {rows, 4 * c, c, 0, 0}, {rows, c, 4 * c, 0, 0},
                    {4 * c, c, rows, 1, 0}, {rows, 4096, c, 0, 1}};
  const int count = sizeof shapes / sizeof shapes[0];
  float *a = malloc(sizeof(float) * 4096 * 4 * c), *b = malloc(sizeof(float) * 4096 * 4 * c),
        *out = malloc(sizeof(float) * 4096 * 4 * c);
  for (int i = 0; i < 4096 * 4 * c; i++) { a[i] = (i % 7) * 0.01f; b[i] = (i % 5) * 0.01f; }
  double best = 0;
  for (int t = 0; t <= trials; t++) {
    for (int s = 0; s < count; s++) {
      shape x = shapes[s];
      double start = now();
      cblas_sgemm(CblasRowMajor, x.ta ? CblasTrans : CblasNoTrans, x.tb ? CblasTrans : CblasNoTrans, x.m, x.n,
                  x.k, 1, a, x.ta ? x.m : x.k, b, x.tb ? x.k : x.n, 0, out, x.n);
      double rate = 2.0 * x.m * x.n * x.k / (now() - start) / 1e9;
      if (t > 0 && rate > best) best = rate;  // round 0 is the warm-up
    }
  }
  double sustained = 0;
  if (seconds > 0) {
    double flops = 0, start = now();
    while (now() - start < seconds) {
      shape x = shapes[0];
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, x.m, x.n, x.k, 1, a, x.k, b, x.n, 0, out, x.n);
      flops += 2.0 * x.m * x.n * x.k;
    }
    sustained = flops / (now() - start) / 1e9;
  }
  printf("{\"core\": \"%s\", \"best_gflops\": %.2f, \"sustained_gflops\": %.2f}\n", openblas_get_corename(), best,
         sustained);
  return 0;
}
