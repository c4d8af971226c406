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

/// FLOP/s of one core: 24 independent chains of 512-bit FMAs, enough to keep
/// two FMA units with a 4-cycle latency busy.
__attribute__((target("avx512f"))) double corePeakFlops() {
  constexpr int kChains = 24;
  constexpr int64_t kIterations = 20'000'000;
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i)
    acc[i] = _mm512_set1_ps(float(i));
  __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
  auto start = Clock::now();
  for (int64_t iteration = 0; iteration < kIterations; ++iteration) {
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
  double seconds = secondsSince(start);
  return double(kIterations) * kChains * 16 * 2 / seconds;
}

struct PeakRun {
  std::vector<double> flops;
  static void body(void *context, int64_t begin, int64_t end) {
    auto *run = static_cast<PeakRun *>(context);
    for (int64_t i = begin; i < end; ++i)
      run->flops[size_t(i)] = corePeakFlops();
  }
};

/// The fp32 FMA peak of `threads` cores running at once, best of 3.
double peakFlops(int threads) {
  double best = 0;
  for (int repeat = 0; repeat < 3; ++repeat) {
    PeakRun run{std::vector<double>(size_t(threads))};
    if (threads == 1)
      PeakRun::body(&run, 0, 1);
    else
      tgc_parallel_for(threads, PeakRun::body, &run);
    double total = 0;
    for (double flops : run.flops)
      total += flops;
    best = std::max(best, total);
  }
  return best;
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

/// GFLOP/s of C = A x B on `threads` threads: the best of runs filling a
/// quarter of a second or more.
double measureGflops(const Shape &shape, int threads) {
  std::mt19937 rng(42);
  Matrix a(shape.batch, shape.m, shape.k, shape.transposeA, rng);
  Matrix b(shape.batch, shape.k, shape.n, shape.transposeB, rng);
  Matrix c(shape.batch, shape.m, shape.n, false, rng);
  tgc::MatmulOptions options;
  options.numThreads = threads;
  auto run = [&] { tgc::matmul(a.view, b.view, c.view, false, options); };
  run();
  // Calls per timed run, so that a run lasts about 20 ms.
  auto start = Clock::now();
  run();
  int64_t calls = std::max<int64_t>(1, int64_t(0.02 / std::max(secondsSince(start), 1e-9)));
  double best = 1e30;
  auto measuring = Clock::now();
  while (secondsSince(measuring) < 0.25) {
    start = Clock::now();
    for (int64_t call = 0; call < calls; ++call)
      run();
    best = std::min(best, secondsSince(start) / double(calls));
  }
  return 2.0 * double(shape.batch * shape.m * shape.n * shape.k) / best * 1e-9;
}

} // namespace

/// Shapes whose name contains one of the arguments run; all without any.
bool selected(const std::string &name, int argc, char **argv) {
  for (int i = 1; i < argc; ++i)
    if (name.find(argv[i]) != std::string::npos)
      return true;
  return argc <= 1;
}

int main(int argc, char **argv) {
  if (tgc::bestMatmulIsa() != tgc::MatmulIsa::Avx512) {
    std::printf("this CPU has no AVX-512: the portable kernels run; no FMA peak to compare to\n");
  }
  int poolThreads = tgc_num_threads();
  std::vector<int> threadCounts = {1};
  if (poolThreads > 1)
    threadCounts.push_back(poolThreads);
  std::vector<double> peaks;
  for (int threads : threadCounts) {
    peaks.push_back(tgc::bestMatmulIsa() == tgc::MatmulIsa::Avx512 ? peakFlops(threads) * 1e-9 : 0);
    std::printf("fp32 FMA peak, %d thread%s: %.1f GFLOP/s\n", threads, threads > 1 ? "s" : "",
                peaks.back());
  }

  const Shape shapes[] = {
      {"1024^3 NN", 1, 1024, 1024, 1024, false, false},
      {"1024^3 TN (A^T)", 1, 1024, 1024, 1024, true, false},
      {"1024^3 NT (B^T)", 1, 1024, 1024, 1024, false, true},
      {"1024^3 TT", 1, 1024, 1024, 1024, true, true},
      {"MLP fwd X W 128x784x512", 1, 128, 512, 784, false, false},
      {"MLP dW=X^T dY 784x128x512", 1, 784, 512, 128, true, false},
      {"MLP dX=dY W^T 128x512x784", 1, 128, 784, 512, false, true},
      {"MLP fwd 128x512x10", 1, 128, 10, 512, false, false},
      {"MLP dW=h^T dY 512x128x10", 1, 512, 10, 128, true, false},
      {"MLP dh=dY W^T 128x10x512", 1, 128, 512, 10, false, true},
      {"attn QK^T 64x[128x64x128]", 64, 128, 128, 64, false, true},
      {"attn PV 64x[128x128x64]", 64, 128, 64, 128, false, false},
      {"tiny 32x64x64 NN", 1, 32, 64, 64, false, false},
      {"tiny 32x64x64 TN", 1, 32, 64, 64, true, false},
      {"tiny 32x64x64 NT", 1, 32, 64, 64, false, true},
  };
  std::printf("\n%-30s", "shape (m x k x n)");
  for (int threads : threadCounts)
    std::printf("  %2d thr GFLOP/s  %%peak", threads);
  std::printf("\n");
  for (const Shape &shape : shapes) {
    if (!selected(shape.name, argc, argv))
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
