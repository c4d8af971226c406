//===- matmul_bench.cpp - GFLOP/s of the runtime's matmul -----------------===//
//
// Prints the matmul's speed on the shapes training needs, on one thread and
// on the whole pool, as GFLOP/s and as a share of the machine's FMA peak,
// measured here with a loop of independent register FMAs. Times are the best
// of several runs: the build machines are shared and noisy.
//
//===----------------------------------------------------------------------===//

#include "Matmul.h"

#include "tgc/runtime.h"

#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Iterations of a peak round: about 1 ms.
constexpr int64_t kPeakIterations = 200'000;

/// Seconds of runs behind each number (--seconds).
double measuringSeconds = 0.5;

/// One core's share of a peak measurement: 24 independent chains of 512-bit
/// FMAs, enough to keep two FMA units with a 4-cycle latency busy.
__attribute__((target("avx512f"))) void fmaChainsAvx512(void *, int64_t, int64_t) {
  constexpr int kChains = 24;
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i)
    acc[i] = _mm512_set1_ps(float(i));
  __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
  for (int64_t iteration = 0; iteration < kPeakIterations; ++iteration) {
    for (int i = 0; i < kChains; ++i)
      acc[i] = _mm512_fmadd_ps(acc[i], x, y);
    // Keeps the chains in registers and the loop from being folded.
    asm volatile("" : "+v"(acc[0]), "+v"(acc[1]), "+v"(acc[2]), "+v"(acc[3]), "+v"(acc[4]),
                 "+v"(acc[5]), "+v"(acc[6]), "+v"(acc[7]), "+v"(acc[8]), "+v"(acc[9]),
                 "+v"(acc[10]), "+v"(acc[11]));
    asm volatile("" : "+v"(acc[12]), "+v"(acc[13]), "+v"(acc[14]), "+v"(acc[15]),
                 "+v"(acc[16]), "+v"(acc[17]), "+v"(acc[18]), "+v"(acc[19]), "+v"(acc[20]),
                 "+v"(acc[21]), "+v"(acc[22]), "+v"(acc[23]));
  }
}

/// The same on AVX2 (16 ymm registers): 12 chains of 256-bit FMAs.
__attribute__((target("avx2,fma"))) void fmaChainsAvx2(void *, int64_t, int64_t) {
  constexpr int kChains = 12;
  __m256 acc[kChains];
  for (int i = 0; i < kChains; ++i)
    acc[i] = _mm256_set1_ps(float(i));
  __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  for (int64_t iteration = 0; iteration < kPeakIterations; ++iteration) {
    for (int i = 0; i < kChains; ++i)
      acc[i] = _mm256_fmadd_ps(acc[i], x, y);
    asm volatile(""
                 : "+x"(acc[0]), "+x"(acc[1]), "+x"(acc[2]), "+x"(acc[3]), "+x"(acc[4]),
                   "+x"(acc[5]), "+x"(acc[6]), "+x"(acc[7]), "+x"(acc[8]), "+x"(acc[9]),
                   "+x"(acc[10]), "+x"(acc[11]));
  }
}

/// The fp32 FMA peak of `threads` cores running at once with the kernel
/// set's instructions, measured like the matmul: the best of short rounds,
/// each core running the chains. 0 for the portable set.
double peakFlops(int threads, tgc::MatmulIsa isa) {
  if (isa == tgc::MatmulIsa::Portable)
    return 0;
  bool avx512 = isa == tgc::MatmulIsa::Avx512;
  void (*chains)(void *, int64_t, int64_t) = avx512 ? fmaChainsAvx512 : fmaChainsAvx2;
  double best = 1e30;
  auto measuring = Clock::now();
  while (secondsSince(measuring) < measuringSeconds) {
    auto start = Clock::now();
    if (threads == 1)
      chains(nullptr, 0, 1);
    else
      tgc_parallel_for(threads, chains, nullptr);
    best = std::min(best, secondsSince(start));
  }
  double flopsPerIteration = avx512 ? 24 * 16 * 2 : 12 * 8 * 2;
  return double(threads) * double(kPeakIterations) * flopsPerIteration / best;
}

/// A batch of row-major or transposed (column-major) matrices.
struct Matrix {
  std::vector<float> storage;
  tgc_memref3_f32 view;

  Matrix(int64_t batch, int64_t rows, int64_t cols, bool transposed, std::mt19937 &rng)
      : storage(size_t(batch * rows * cols)) {
    std::uniform_real_distribution<float> uniform(-1, 1);
    for (float &value : storage)
      value = uniform(rng);
    view = {storage.data(), storage.data(), 0, {batch, rows, cols},
            {rows * cols, transposed ? 1 : cols, transposed ? rows : 1}};
  }
};

struct Shape {
  std::string name;
  int64_t batch, m, n, k;
  bool transposeA, transposeB;
};

/// GFLOP/s of C = A x B: the best of short runs filling measuringSeconds
/// (short, so that some run between other processes' time slices).
double measureGflops(const Shape &shape, int threads, tgc::MatmulPath path = tgc::MatmulPath::Auto) {
  std::mt19937 rng(42);
  Matrix a(shape.batch, shape.m, shape.k, shape.transposeA, rng);
  Matrix b(shape.batch, shape.k, shape.n, shape.transposeB, rng);
  Matrix c(shape.batch, shape.m, shape.n, false, rng);
  tgc::MatmulOptions options;
  options.numThreads = threads;
  options.path = path;
  auto run = [&] { tgc::matmul(a.view, b.view, c.view, false, options); };
  run();
  // Calls per timed run, so that a run lasts about 3 ms.
  auto start = Clock::now();
  run();
  int64_t calls = std::max<int64_t>(1, int64_t(0.003 / std::max(secondsSince(start), 1e-9)));
  double best = 1e30;
  auto measuring = Clock::now();
  while (secondsSince(measuring) < measuringSeconds) {
    start = Clock::now();
    for (int64_t call = 0; call < calls; ++call)
      run();
    best = std::min(best, secondsSince(start) / double(calls));
  }
  return 2.0 * double(shape.batch * shape.m * shape.n * shape.k) / best * 1e-9;
}

/// Where the unpacked path and threads start to pay: GFLOP/s of small
/// problems direct and packed on one thread, and on one and two threads.
void printCrossovers(int poolThreads) {
  std::printf("\n%-30s  %14s  %14s  %14s  %14s\n", "shape (m x k x n)", "1 thr direct",
              "1 thr packed", "2 thr direct", "2 thr packed");
  for (int64_t size : {16, 24, 32, 48, 64, 96, 128, 192, 256}) {
    for (bool transposeA : {false, true}) {
      Shape shape = {std::to_string(size) + "^3 " + (transposeA ? "TN" : "NN"), 1, size, size, size,
                     transposeA, false};
      std::printf("%-30s", shape.name.c_str());
      for (int threads : {1, std::min(2, poolThreads)})
        for (tgc::MatmulPath path : {tgc::MatmulPath::Direct, tgc::MatmulPath::Packed})
          std::printf("  %14.1f", measureGflops(shape, threads, path));
      std::printf("\n");
    }
  }
}

/// Shapes whose name contains one of the arguments run; all without any.
bool selected(const std::string &name, const std::vector<std::string> &filters) {
  for (const std::string &filter : filters)
    if (name.find(filter) != std::string::npos)
      return true;
  return filters.empty();
}

} // namespace

/// tgc-matmul-bench [--crossover] [--seconds=S] [shape name substring...]
int main(int argc, char **argv) {
  bool crossover = false;
  std::vector<std::string> filters;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--crossover")
      crossover = true;
    else if (arg.rfind("--seconds=", 0) == 0)
      measuringSeconds = std::stod(arg.substr(10));
    else
      filters.push_back(argv[i]);
  }
  tgc::MatmulIsa isa = tgc::bestMatmulIsa();
  const char *isaNames[] = {"portable (no FMA peak to compare to)", "AVX2", "AVX-512"};
  std::printf("kernels: %s\n", isaNames[int(isa)]);
  int poolThreads = tgc_num_threads();
  if (crossover) {
    printCrossovers(poolThreads);
    return 0;
  }
  std::vector<int> threadCounts = {1};
  if (poolThreads > 1)
    threadCounts.push_back(poolThreads);
  std::vector<double> peaks;
  for (int threads : threadCounts) {
    peaks.push_back(peakFlops(threads, isa) * 1e-9);
    std::printf("fp32 FMA peak, %d thread%s: %.1f GFLOP/s\n", threads, threads > 1 ? "s" : "",
                peaks.back());
  }

  // T: a transposed view (swapped strides). Weights are [in, out] in the
  // NN forward shapes, PyTorch's [out, in] in the NT ones.
  const Shape shapes[] = {
      {"1024^3 NN", 1, 1024, 1024, 1024, false, false},
      {"1024^3 TN (A^T)", 1, 1024, 1024, 1024, true, false},
      {"1024^3 NT (B^T)", 1, 1024, 1024, 1024, false, true},
      {"1024^3 TT", 1, 1024, 1024, 1024, true, true},
      {"MLP X W 128x784x512", 1, 128, 512, 784, false, false},
      {"MLP dW=X^T dY 784x128x512", 1, 784, 512, 128, true, false},
      {"MLP dX=dY W^T 128x512x784", 1, 128, 784, 512, false, true},
      {"MLP h W 128x512x512", 1, 128, 512, 512, false, false},
      {"MLP h W 128x512x10", 1, 128, 10, 512, false, false},
      {"MLP h W^T 128x512x10", 1, 128, 10, 512, false, true},
      {"MLP dW=h^T dY 512x128x10", 1, 512, 10, 128, true, false},
      {"MLP dW=dY^T h 10x128x512", 1, 10, 512, 128, true, false},
      {"MLP dh=dY W^T 128x10x512", 1, 128, 512, 10, false, true},
      {"MLP dh=dY W 128x10x512", 1, 128, 512, 10, false, false},
      {"attn QK^T 64x[128x64x128]", 64, 128, 128, 64, false, true},
      {"attn PV 64x[128x128x64]", 64, 128, 64, 128, false, false},
      {"tfm X W 2048x256x256", 1, 2048, 256, 256, false, false},
      {"tfm X W 2048x256x1024", 1, 2048, 1024, 256, false, false},
      {"tiny 32x64x64 NN", 1, 32, 64, 64, false, false},
      {"tiny 32x64x64 TN", 1, 32, 64, 64, true, false},
      {"tiny 32x64x64 NT", 1, 32, 64, 64, false, true},
  };
  std::printf("\n%-30s", "shape (m x k x n)");
  for (int threads : threadCounts)
    std::printf("  %2d thr GFLOP/s  %%peak", threads);
  std::printf("\n");
  for (const Shape &shape : shapes) {
    if (!selected(shape.name, filters))
      continue;
    std::printf("%-30s", shape.name.c_str());
    for (size_t t = 0; t < threadCounts.size(); ++t) {
      double gflops = measureGflops(shape, threadCounts[t]);
      std::printf("  %15.1f  %5.1f", gflops, peaks[t] > 0 ? 100 * gflops / peaks[t] : 0.0);
    }
    std::printf("\n");
  }
  return 0;
}
