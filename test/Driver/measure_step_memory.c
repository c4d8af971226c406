/* measure_step_memory.c - the bytes a compiled model's step allocates and
 * holds at its peak, as the runtime's allocator counts them, for
 * memory-report.test to compare with `tgc --memory-report`.
 *
 *   measure_step_memory CLASSES
 *
 * init(0), one step (which also sets up the runtime's own buffers), then
 * one more step between tgc_memory_reset_peak() and reading the peak.
 * Prints "measured peak buffers N" and "measured peak rss growth N": the
 * most the process's resident memory grew over what it was before init.
 * A CUDA model's peak is its device buffers' (the arena's statistics,
 * tgc_cuda_memory_get_stats); scripts/gpu-check.sh runs it that way. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tgc/runtime.h"

/* A field of /proc/self/status in bytes (VmRSS: resident now, VmHWM: the
 * most resident so far); -1 when it cannot be read. */
static long long status_bytes(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long long kib = -1;
  size_t length = strlen(field);
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, field, length) == 0 && line[length] == ':')
      kib = atoll(line + length + 1);
  if (f)
    fclose(f);
  return kib < 0 ? -1 : kib * 1024;
}

int main(int argc, char **argv) {
  long long rss_before = status_bytes("VmRSS");
  int classes = argc > 1 ? atoi(argv[1]) : 10;
  const tgc_model *model = tgc_get_model();
  void *inputs[16];
  if (model->num_inputs > 16 || classes < 1)
    return 2;
  for (int i = 0; i < model->num_inputs; ++i) {
    const tgc_tensor *t = &model->inputs[i];
    int64_t n = 1;
    for (int d = 0; d < t->rank; ++d)
      n *= t->shape[d];
    /* f32 and i32 inputs: zeros are valid images and labels. */
    inputs[i] = calloc((size_t)n, 4);
  }
  /* Only CUDA models have state_to_host. */
  void (*get_stats)(tgc_memory_stats *) =
      model->state_to_host ? tgc_cuda_memory_get_stats : tgc_memory_get_stats;
  void (*reset_peak)(void) =
      model->state_to_host ? tgc_cuda_memory_reset_peak : tgc_memory_reset_peak;
  model->init(0);
  model->step(inputs);
  tgc_memory_stats before, after;
  reset_peak();
  get_stats(&before);
  model->step(inputs);
  get_stats(&after);
  printf("measured peak buffers %llu\n",
         (unsigned long long)(after.peak_bytes_in_use - before.bytes_in_use));
  printf("measured peak rss growth %lld\n", status_bytes("VmHWM") - rss_before);
  return 0;
}
