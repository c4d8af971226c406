/* step_bench.c - times the training step of a model compiled with
 * `tgc --emit=lib` (bench/run.py builds and runs it).
 *
 *   step_bench STEPS WARMUP CLASSES
 *
 * init(0), random inputs (floats uniform in [0, 1), integer labels in
 * [0, CLASSES)), WARMUP untimed steps, then STEPS timed ones. A CUDA model
 * gets its inputs in device memory, as the GPU peers hold theirs (the step
 * copies them into its input buffers on the device); TGC_BENCH_HOST_INPUTS=1
 * keeps them in host memory, so that each step uploads its batch.
 * Prints one line: "median_us P10 P90 LOSS". With TGC_CUDA_PROFILE=1 (a
 * CUDA model), the profile printed at exit counts the timed steps only. */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tgc/runtime.h"

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec * 1e-3;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: step_bench STEPS WARMUP CLASSES\n");
    return 2;
  }
  int steps = atoi(argv[1]), warmup = atoi(argv[2]), classes = atoi(argv[3]);
  const tgc_model *model = tgc_get_model();
  void *inputs[16];
  if (model->num_inputs > 16 || steps < 1 || classes < 1)
    return 2;
  unsigned seed = 1;
  const char *host_inputs = getenv("TGC_BENCH_HOST_INPUTS");
  int device_inputs = model->state_to_host && !(host_inputs && host_inputs[0] == '1');
  for (int i = 0; i < model->num_inputs; ++i) {
    const tgc_tensor *t = &model->inputs[i];
    int64_t n = 1;
    for (int d = 0; d < t->rank; ++d)
      n *= t->shape[d];
    if (t->dtype == TGC_F32) {
      float *data = tgc_alloc(n * sizeof(float), 0); /* as the training main does */
      for (int64_t j = 0; j < n; ++j)
        data[j] = (float)rand_r(&seed) / (float)RAND_MAX;
      inputs[i] = data;
    } else if (t->dtype == TGC_I32) {
      int32_t *data = tgc_alloc(n * sizeof(int32_t), 0);
      for (int64_t j = 0; j < n; ++j)
        data[j] = (int32_t)(rand_r(&seed) % classes);
      inputs[i] = data;
    } else {
      fprintf(stderr, "step_bench: input %s has an unsupported dtype\n", t->name);
      return 1;
    }
    if (device_inputs) {
      size_t bytes = (size_t)n * 4; /* f32 and i32 */
      void *device = tgc_cuda_alloc(bytes);
      if (!device || tgc_cuda_copy_to_device(device, inputs[i], bytes) != TGC_OK) {
        fprintf(stderr, "step_bench: %s\n", tgc_last_error());
        return 1;
      }
      inputs[i] = device;
    }
  }
  model->init(0);
  float loss = 0;
  for (int s = 0; s < warmup; ++s)
    loss = model->step(inputs);
  const char *profile = getenv("TGC_CUDA_PROFILE");
  if (profile && profile[0] == '1' && tgc_cuda_profile(true) != TGC_OK) {
    fprintf(stderr, "step_bench: %s\n", tgc_last_error());
    return 1;
  }
  double *times = malloc(steps * sizeof(double));
  for (int s = 0; s < steps; ++s) {
    double start = now_us();
    loss = model->step(inputs);
    times[s] = now_us() - start;
  }
  qsort(times, steps, sizeof(double), compare);
  printf("%.3f %.3f %.3f %.6g\n", times[steps / 2], times[steps / 10], times[(steps * 9) / 10],
         loss);
  return 0;
}
