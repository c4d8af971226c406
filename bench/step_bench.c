/* step_bench.c - times the training step of a model compiled with
 * `tgc --emit=lib` (bench/run.py builds and runs it).
 *
 *   step_bench STEPS WARMUP CLASSES
 *
 * init(0), random inputs (floats uniform in [0, 1), integer labels in
 * [0, CLASSES)), WARMUP untimed steps, then STEPS timed ones. A CUDA model
 * gets its inputs in device memory, as the GPU peers hold theirs (the step
 * reads them there, tgc_cuda_device_inputs); TGC_BENCH_HOST_INPUTS
 * keeps them in host memory: 1 in ordinary (pageable) memory, so that each
 * step uploads its batch; pinned in pinned memory (tgc_cuda_host_alloc),
 * the same; prefetch in two pinned batches used in turn, each prefetched
 * (model->prefetch) one step ahead, as the training main does, so that a
 * batch's upload overlaps the step before; device-copied in device memory 4
 * bytes past an aligned address, which the step cannot read where it is
 * (the kernels assume 16-byte aligned buffers): it copies the batch into
 * its own input buffers on the device, as it did with every device batch
 * before the inputs were read in place. Prints one line:
 * "median_us P10 P90 LOSS". With TGC_CUDA_PROFILE=1 (a CUDA model), the
 * profile printed at exit counts the timed steps only. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Step `s` of `total`, after prefetching the batch of step s + 1. */
static float bench_step(const tgc_model *model, void *const *const *batches, int s, int total,
                        int prefetch) {
  if (prefetch && s + 1 < total && model->prefetch(batches[(s + 1) % 2]) != 0) {
    fprintf(stderr, "step_bench: %s\n", tgc_last_error());
    exit(1);
  }
  return model->step(batches[s % 2]);
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
  int pinned = host_inputs && (!strcmp(host_inputs, "pinned") || !strcmp(host_inputs, "prefetch"));
  int prefetch = host_inputs && !strcmp(host_inputs, "prefetch");
  int device_copied = host_inputs && !strcmp(host_inputs, "device-copied");
  if (host_inputs && *host_inputs && strcmp(host_inputs, "1") && !pinned && !device_copied) {
    fprintf(stderr,
            "step_bench: TGC_BENCH_HOST_INPUTS is '%s'; expected 1, pinned, prefetch or "
            "device-copied\n",
            host_inputs);
    return 2;
  }
  if ((pinned || device_copied) && !model->prefetch) {
    fprintf(stderr, "step_bench: TGC_BENCH_HOST_INPUTS=%s needs a CUDA model\n", host_inputs);
    return 2;
  }
  int device_inputs = model->state_to_host && (!(host_inputs && *host_inputs) || device_copied);
  /* The second batch of prefetch mode: the same values in other buffers. */
  void *others[16];
  for (int i = 0; i < model->num_inputs; ++i) {
    const tgc_tensor *t = &model->inputs[i];
    int64_t n = 1;
    for (int d = 0; d < t->rank; ++d)
      n *= t->shape[d];
    if (t->dtype != TGC_F32 && t->dtype != TGC_I32) {
      fprintf(stderr, "step_bench: input %s has an unsupported dtype\n", t->name);
      return 1;
    }
    size_t bytes = (size_t)n * 4;
    /* Ordinary memory from tgc_alloc, as the training main without prefetch. */
    inputs[i] = pinned ? tgc_cuda_host_alloc(bytes) : tgc_alloc(bytes, 0);
    if (!inputs[i] || (prefetch && !(others[i] = tgc_cuda_host_alloc(bytes)))) {
      fprintf(stderr, "step_bench: %s\n", tgc_last_error());
      return 1;
    }
    for (int64_t j = 0; j < n; ++j) {
      if (t->dtype == TGC_F32)
        ((float *)inputs[i])[j] = (float)rand_r(&seed) / (float)RAND_MAX;
      else
        ((int32_t *)inputs[i])[j] = (int32_t)(rand_r(&seed) % classes);
    }
    if (prefetch)
      memcpy(others[i], inputs[i], bytes);
    if (device_inputs) {
      char *device = tgc_cuda_alloc(bytes + 16);
      if (device && device_copied)
        device += 4;
      if (!device || tgc_cuda_copy_to_device(device, inputs[i], bytes) != TGC_OK) {
        fprintf(stderr, "step_bench: %s\n", tgc_last_error());
        return 1;
      }
      inputs[i] = device;
    }
  }
  model->init(0);
  /* Step s uses batches[s % 2]; prefetch mode prefetches step s + 1's before
   * step s. */
  void *const *batches[2] = {inputs, prefetch ? others : inputs};
  if (prefetch && model->prefetch(batches[0]) != 0) {
    fprintf(stderr, "step_bench: %s\n", tgc_last_error());
    return 1;
  }
  float loss = 0;
  int total = warmup + steps;
  for (int s = 0; s < warmup; ++s)
    loss = bench_step(model, batches, s, total, prefetch);
  const char *profile = getenv("TGC_CUDA_PROFILE");
  if (profile && profile[0] == '1' && tgc_cuda_profile(true) != TGC_OK) {
    fprintf(stderr, "step_bench: %s\n", tgc_last_error());
    return 1;
  }
  double *times = malloc(steps * sizeof(double));
  for (int s = 0; s < steps; ++s) {
    double start = now_us();
    loss = bench_step(model, batches, warmup + s, total, prefetch);
    times[s] = now_us() - start;
  }
  qsort(times, steps, sizeof(double), compare);
  printf("%.3f %.3f %.3f %.9g\n", times[steps / 2], times[steps / 10], times[(steps * 9) / 10],
         loss);
  return 0;
}
