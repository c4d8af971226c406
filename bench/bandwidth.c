/* bandwidth.c - the machine's bandwidth for the memory traffic of bench B1,
 * measured on arrays of the same size (bench/run.py runs it).
 *
 *   bandwidth N
 *
 * On n = N floats per array, 2 threads (OMP_NUM_THREADS), huge pages as
 * tgc's state gets them, the median GB/s of 7 runs of:
 *   update3: three arrays updated in place (B1u: p, m, v);
 *   update4: three arrays in place and a fourth read (B1's update: and g);
 *   read2:   two arrays read into a sum (B1's loss: sum(p * g)).
 * The kernels do a few multiply-adds an element, so memory, not arithmetic,
 * bounds them. Prints one line: "update3 update4 read2". On the 2-core
 * build machine the L3 (480 MiB) holds B1's arrays, so these are cache,
 * not DRAM, rates. */

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *array(size_t n, float value) {
  size_t bytes = (n * sizeof(float) + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
  float *a = aligned_alloc(2u << 20, bytes);
  if (!a)
    exit(1);
  madvise(a, bytes, MADV_HUGEPAGE);
  for (size_t i = 0; i < n; ++i)
    a[i] = value;
  return a;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  size_t n = (size_t)atol(argv[1]);
  float *p = array(n, 1), *m = array(n, 2), *v = array(n, 3), *g = array(n, 0.1f);
  enum { kRuns = 7 };
  double update3[kRuns], update4[kRuns], read2[kRuns];
  volatile float sink = 0;
  for (int run = 0; run < kRuns; ++run) {
    double t0 = now();
#pragma omp parallel for
    for (size_t i = 0; i < n; ++i) {
      m[i] = m[i] * 0.9f + 0.01f;
      v[i] = v[i] * 0.999f + 0.001f;
      p[i] = p[i] * 0.9999f - 0.001f * m[i];
    }
    double t1 = now();
#pragma omp parallel for
    for (size_t i = 0; i < n; ++i) {
      float gi = g[i];
      m[i] = m[i] * 0.9f + 0.1f * gi;
      v[i] = v[i] * 0.999f + 0.001f * gi;
      p[i] = p[i] * 0.9999f - 0.001f * m[i];
    }
    double t2 = now();
    float sum = 0;
#pragma omp parallel for reduction(+ : sum)
    for (size_t i = 0; i < n; ++i)
      sum += p[i] * g[i];
    double t3 = now();
    sink = sink + sum;
    update3[run] = 24.0 * n / (t1 - t0) / 1e9;
    update4[run] = 28.0 * n / (t2 - t1) / 1e9;
    read2[run] = 8.0 * n / (t3 - t2) / 1e9;
  }
  qsort(update3, kRuns, sizeof(double), compare);
  qsort(update4, kRuns, sizeof(double), compare);
  qsort(read2, kRuns, sizeof(double), compare);
  printf("%.1f %.1f %.1f\n", update3[kRuns / 2], update4[kRuns / 2], read2[kRuns / 2]);
  return 0;
}
