//===- SmallGemmKernelsTest.cpp - the small GEMM kernels, on the host -----===//
//
// runtime/CudaSmallGemm.cu compiled as host C++ (SimtHost.h: each block's
// threads as fibers) and run with the parameters and grids the runtime
// gives them (CudaSmallGemm.h), against products in double: every tile
// shape, operands and results with rows or columns contiguous (and padded,
// and batched with a shared operand), partial tiles, reductions shorter
// than a chunk, accumulation and the three epilogues; each with the
// asynchronous copies landing as late and as early as a GPU may. On a GPU the same
// kernels run behind TGC_CUDA_SMALL_GEMM=1 (CudaSmallGemmTest.cpp's device
// tests compare them with cuBLAS).
//
//===----------------------------------------------------------------------===//

#include "SimtHost.h"

#include "CudaSmallGemm.cu"

#include <gtest/gtest.h>

#include <random>
#include <string>

/// The kernels' dynamic shared memory, as large as a launch may take.
alignas(16) float4 tgcSmallGemmShared[kSmallGemmMaxShared / sizeof(float4)];

namespace {

/// A [batch, rows, cols] f32 buffer and a view of it: rows or columns
/// contiguous, `pad` elements between them, and every batch item the same
/// (batch stride 0) when `shared`.
struct Matrix {
  std::vector<float> data;
  tgc_memref3_f32 view;

  Matrix(int64_t batch, int64_t rows, int64_t cols, bool rowMajor, int64_t pad, bool shared,
         std::mt19937 &random) {
    int64_t lead = (rowMajor ? cols : rows) + pad;
    int64_t item = (rowMajor ? rows : cols) * lead;
    data.resize(size_t((shared ? 1 : batch) * item));
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    for (float &x : data)
      x = uniform(random);
    view = {data.data(),
            data.data(),
            0,
            {batch, rows, cols},
            {shared ? 0 : item, rowMajor ? lead : 1, rowMajor ? 1 : lead}};
  }

  float &at(int64_t b, int64_t r, int64_t c) {
    return data[size_t(b * view.strides[0] + r * view.strides[1] + c * view.strides[2])];
  }
};

struct Problem {
  int64_t batch, m, n, k;
  bool aRowMajor, bRowMajor, cRowMajor;
  int64_t epilogue, accumulate;
  int64_t pad = 0;
  bool sharedB = false;
};

std::string problemName(const testing::TestParamInfo<Problem> &info) {
  const Problem &p = info.param;
  std::string name = std::to_string(p.batch) + "x" + std::to_string(p.m) + "x" +
                     std::to_string(p.n) + "x" + std::to_string(p.k) + "_" +
                     (p.aRowMajor ? "r" : "c") + (p.bRowMajor ? "r" : "c") +
                     (p.cRowMajor ? "r" : "c");
  const char *epilogues[] = {"plain", "bias", "relu", "gelu"};
  name += std::string("_") + epilogues[p.epilogue + 1] + (p.accumulate ? "_acc" : "");
  if (p.pad)
    name += "_pad";
  if (p.sharedB)
    name += "_sharedB";
  return name;
}

void PrintTo(const Problem &problem, std::ostream *os) {
  *os << problemName(testing::TestParamInfo<Problem>(problem, 0));
}

double reference(Matrix &a, Matrix &b, Matrix &cBefore, const std::vector<float> &bias,
                 const Problem &p, int64_t batch, int64_t i, int64_t j) {
  double sum = 0;
  for (int64_t t = 0; t < p.k; ++t)
    sum += double(a.at(batch, i, t)) * double(b.at(batch, t, j));
  if (p.epilogue < 0)
    return p.accumulate ? sum + cBefore.at(batch, i, j) : sum;
  sum += bias[size_t(2 * j)];
  if (p.epilogue == TGC_EPILOGUE_BIAS_RELU)
    return std::max(sum, 0.0);
  if (p.epilogue == TGC_EPILOGUE_BIAS_GELU_TANH)
    return 0.5 * sum * (1 + std::tanh(0.7978845608028654 * (sum + 0.044715 * sum * sum * sum)));
  return sum;
}

class SmallGemmKernels : public testing::TestWithParam<Problem> {};

TEST_P(SmallGemmKernels, MatchDouble) {
  const Problem &p = GetParam();
  std::mt19937 random(unsigned(p.m * 131 + p.n * 17 + p.k));
  Matrix a(p.batch, p.m, p.k, p.aRowMajor, p.pad, false, random);
  Matrix b(p.batch, p.k, p.n, p.bRowMajor, p.pad, p.sharedB, random);
  Matrix c(p.batch, p.m, p.n, p.cRowMajor, p.pad, false, random);
  Matrix before = c;
  before.view.aligned = before.view.allocated = before.data.data();
  // The bias at stride 2, as a strided view may give it.
  std::vector<float> bias(size_t(2 * p.n));
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (float &x : bias)
    x = uniform(random);
  tgc_memref1_f32 biasView = {bias.data(), bias.data(), 0, {p.n}, {2}};

  SmallGemmLaunch launch;
  ASSERT_TRUE(planSmallGemm(p.batch, p.m, p.n, p.k, launch));
  SmallGemmParams params =
      smallGemmParams(launch, a.view, b.view, c.view, &biasView, p.epilogue, p.accumulate);
  // With the asynchronous copies landing as late as a GPU may (a read before
  // its wait sees the stage's old data), then as early (a refill before
  // every lane read the stage overwrites it).
  for (bool early : {false, true}) {
    SCOPED_TRACE(early ? "copies land when issued" : "copies land at their wait");
    simt::copiesLandEarly = early;
    std::copy(before.data.begin(), before.data.end(), c.data.begin());
    simt::launch({launch.grid[0], launch.grid[1], launch.grid[2]}, launch.threads,
                 tgcSmallGemmShared, launch.sharedBytes,
                 kSmallGemmKernels[launch.tile - kSmallGemmTiles], params);
    simt::copiesLandEarly = false;

    // FP32 sums of at most a few hundred terms of [-1, 1] products.
    double tolerance = 1e-6 * double(p.k) + 1e-6;
    for (int64_t batch = 0; batch < p.batch; ++batch)
      for (int64_t i = 0; i < p.m; ++i)
        for (int64_t j = 0; j < p.n; ++j)
          ASSERT_NEAR(c.at(batch, i, j), reference(a, b, before, bias, p, batch, i, j), tolerance)
              << "batch " << batch << ", row " << i << ", column " << j << " ("
              << launch.tile->kernel << ")";
    // The padding between rows or columns is left alone.
    for (size_t e = 0; e < c.data.size(); ++e) {
      int64_t lead = e % size_t(p.cRowMajor ? c.view.strides[1] : c.view.strides[2]);
      if (lead >= (p.cRowMajor ? p.n : p.m))
        ASSERT_EQ(c.data[e], before.data[e]) << "padding element " << e;
    }
  }
}

constexpr int64_t kNone = -1;
const Problem kProblems[] = {
    // The MLP's: fc1 forward (K = 784, the most shared memory), fc3
    // forward (10 columns: 32 x 16 tiles), a weight gradient (A's and B's
    // rows are the batch: A's columns contiguous) and an input gradient.
    {1, 24, 72, 784, true, false, true, TGC_EPILOGUE_BIAS_RELU, 0},
    {1, 128, 10, 512, true, false, true, TGC_EPILOGUE_BIAS, 0},
    {1, 60, 7, 100, true, false, true, TGC_EPILOGUE_BIAS, 0}, // 64 x 8
    {1, 70, 50, 128, false, true, true, kNone, 0},
    {1, 45, 33, 64, true, true, true, kNone, 0},
    // Whole tiles and chunks (copies without conditions), terms contiguous
    // (as fc1's forward) and rows contiguous but not 16-byte aligned.
    {1, 32, 64, 200, true, false, true, TGC_EPILOGUE_BIAS_RELU, 0},
    {1, 32, 32, 96, false, true, true, kNone, 0, 1},
    // A result with contiguous columns, accumulated into.
    {1, 37, 29, 53, true, true, false, kNone, 1},
    // A reduction shorter than a chunk; more chunks than stages (16 warps).
    {1, 19, 70, 3, false, false, true, kNone, 0},
    {1, 9, 12, 1000, true, true, true, kNone, 0},
    // 8 rows by 64 columns; GELU; 16 warps of 8 x 64 (the most shared memory).
    {1, 5, 130, 40, true, true, true, TGC_EPILOGUE_BIAS_GELU_TANH, 0},
    {1, 5, 130, 1000, false, false, true, kNone, 0},
    // Rows contiguous and 16-byte aligned (16-byte copies): the MLP's weight
    // gradients' layout; then partial vectors of rows (30 = 16 + 14).
    {1, 64, 48, 128, false, true, true, kNone, 0},
    {1, 30, 18, 70, false, true, true, TGC_EPILOGUE_BIAS, 0, 2},
    // The same for 8 x 64 and 64 x 8 tiles (16 copies of 8 rows, 4 of 64 rows).
    {1, 8, 128, 64, false, true, true, kNone, 0},
    {1, 128, 8, 64, false, true, true, TGC_EPILOGUE_BIAS_RELU, 0},
    {1, 6, 126, 64, false, true, true, kNone, 0, 2},
    // Batches, padded rows and columns, B shared by the batch.
    {3, 33, 17, 21, false, true, true, kNone, 1, 3, true},
    {2, 20, 40, 30, true, false, false, TGC_EPILOGUE_BIAS_RELU, 0, 5},
};

INSTANTIATE_TEST_SUITE_P(Shapes, SmallGemmKernels, testing::ValuesIn(kProblems), problemName);

TEST(SmallGemmPlan, PicksTheTileThatPadsLeast) {
  SmallGemmLaunch launch;
  ASSERT_TRUE(planSmallGemm(1, 128, 512, 784, launch));
  EXPECT_STREQ(launch.tile->kernel, "tgc_small_gemm_f32_16x32");
  EXPECT_EQ(launch.grid[0], 16u);
  EXPECT_EQ(launch.grid[1], 8u);
  // 14 warps of 56 terms (7 chunks), each warp's 4 stages of 8 terms.
  EXPECT_EQ(launch.kPerWarp, 56);
  EXPECT_EQ(launch.threads, 14u * 32);
  EXPECT_EQ(launch.sharedBytes, 4u * 14 * 4 * 8 * (20 + 36));
  ASSERT_TRUE(planSmallGemm(1, 60, 7, 100, launch));
  EXPECT_STREQ(launch.tile->kernel, "tgc_small_gemm_f32_64x8");
  ASSERT_TRUE(planSmallGemm(4, 5, 130, 40, launch));
  EXPECT_STREQ(launch.tile->kernel, "tgc_small_gemm_f32_8x64");
  EXPECT_EQ(launch.grid[0], 3u);
  EXPECT_EQ(launch.grid[2], 4u);
  // Of equals, the first: fc3's forward gets 4 blocks of 32 x 16.
  ASSERT_TRUE(planSmallGemm(1, 128, 10, 512, launch));
  EXPECT_STREQ(launch.tile->kernel, "tgc_small_gemm_f32_32x16");
  EXPECT_EQ(launch.threads, 16u * 32);
  EXPECT_EQ(launch.kPerWarp, 32);
}

TEST(SmallGemmPlan, GivesEachWarpAtLeast32Terms) {
  SmallGemmLaunch launch;
  ASSERT_TRUE(planSmallGemm(1, 512, 512, 128, launch)); // a weight gradient
  EXPECT_EQ(launch.threads, 4u * 32);
  EXPECT_EQ(launch.kPerWarp, 32);
  ASSERT_TRUE(planSmallGemm(1, 128, 512, 10, launch)); // one warp, one partial chunk
  EXPECT_EQ(launch.threads, 32u);
  EXPECT_EQ(launch.kPerWarp, 16);
  ASSERT_TRUE(planSmallGemm(1, 16, 32, 100, launch)); // 40 + 40 + 20 terms
  EXPECT_EQ(launch.threads, 3u * 32);
  EXPECT_EQ(launch.kPerWarp, 40);
  ASSERT_TRUE(planSmallGemm(1, 16, 32, 4096, launch));
  EXPECT_EQ(launch.threads, 16u * 32);
  EXPECT_EQ(launch.kPerWarp, 256);
  EXPECT_LE(launch.sharedBytes, kSmallGemmMaxShared);
}

TEST(SmallGemmPlan, LeavesLargeProductsToCuBLAS) {
  SmallGemmLaunch launch;
  EXPECT_FALSE(planSmallGemm(1, 8192, 768, 768, launch)); // GPT-2's: too many tiles
  EXPECT_FALSE(planSmallGemm(200, 64, 64, 64, launch));   // 200 x 8 tiles
  EXPECT_TRUE(planSmallGemm(100, 64, 64, 64, launch));    // 100 x 8
  EXPECT_FALSE(planSmallGemm(1, 128, 512, 4097, launch)); // long reductions
  EXPECT_FALSE(planSmallGemm(1, 128, 512, 0, launch));
  EXPECT_FALSE(planSmallGemm(0, 128, 512, 64, launch));
}

} // namespace
