// cuda_timing.h - what the kernel benchmarks of bench/gpu share: CUDA
// runtime errors end the program with the call's file and line, and device
// times are medians of CUDA event pairs.
#ifndef TGC_BENCH_GPU_CUDA_TIMING_H
#define TGC_BENCH_GPU_CUDA_TIMING_H

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cuda_runtime.h>
#include <vector>

inline void checkCuda(cudaError_t error, const char *file, int line) {
  if (error != cudaSuccess) {
    std::fprintf(stderr, "%s:%d: %s\n", file, line, cudaGetErrorString(error));
    std::exit(1);
  }
}
#define CHECK(x) checkCuda((x), __FILE__, __LINE__)

/// The median device time of `body` (work queued on the default stream) over
/// 25 runs after 5 untimed ones, in microseconds.
template <typename Body> double medianMicroseconds(Body body) {
  cudaEvent_t start, end;
  CHECK(cudaEventCreate(&start));
  CHECK(cudaEventCreate(&end));
  std::vector<float> times;
  for (int i = 0; i < 30; ++i) {
    CHECK(cudaEventRecord(start));
    body();
    CHECK(cudaEventRecord(end));
    CHECK(cudaEventSynchronize(end));
    float ms;
    CHECK(cudaEventElapsedTime(&ms, start, end));
    if (i >= 5)
      times.push_back(ms * 1000);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

#endif // TGC_BENCH_GPU_CUDA_TIMING_H
