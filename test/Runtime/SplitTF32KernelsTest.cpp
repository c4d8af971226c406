//===- SplitTF32KernelsTest.cpp - the 3xTF32 split kernels, on the host ---===//
//
// runtime/CudaSplitTF32.cu compiled as host C++ (SimtHost.h) and run with
// the grids the runtime gives them (CudaSplitTF32.h): each element's big
// part is TF32 (the low 13 mantissa bits clear), the nearest such value,
// big + small is the element exactly, and the parts land in the blocks the
// parameters name, for padded and batched sources, both kernels, with a
// grid smaller than the work. Edge values: ties, FP32's largest values
// (which would round up to infinity), subnormals, infinities and NaNs. The
// products built from the parts are checked through the fake driver, which
// runs these kernels (CudaBlasTest.cpp's FP32ProductsHaveTheirModesAccuracy).
//
//===----------------------------------------------------------------------===//

#include "SimtHost.h"

#include "CudaSplitTF32.cu"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>

namespace {

// Bits of floats: SimtHost.h's __float_as_uint and __uint_as_float.
constexpr auto bitsOf = __float_as_uint;
constexpr auto fromBits = __uint_as_float;

/// Checks the parts of one source element.
void expectSplit(float x, float big, float small) {
  SCOPED_TRACE(testing::Message() << "x = " << x << " (0x" << std::hex << bitsOf(x) << ")");
  if (std::isnan(x)) {
    EXPECT_TRUE(std::isnan(big));
    return;
  }
  if (std::isinf(x)) {
    EXPECT_EQ(big, x);
    EXPECT_EQ(small, 0.0f);
    return;
  }
  EXPECT_EQ(bitsOf(big) & 0x1fffu, 0u) << "big = " << big << " is not TF32";
  EXPECT_TRUE(std::isfinite(big));
  EXPECT_EQ(double(big) + double(small), double(x)) << "big " << big << " small " << small;
  // The nearest TF32 value (ties away from zero), unless that is infinite.
  uint32_t down = bitsOf(x) & 0xffffe000u, up = down + 0x2000u;
  double below = std::fabs(double(fromBits(down)) - x), above = std::fabs(double(fromBits(up)) - x);
  bool upFinite = std::isfinite(fromBits(up));
  float nearest = upFinite && above <= below ? fromBits(up) : fromBits(down);
  EXPECT_EQ(big, nearest);
}

struct SplitCase {
  const char *name;
  long long batch, rows, cols, sourceRowStride, sourceBatchStride;
  bool alongCols; // the reduction: blocks side by side in each row, else stacked
  int smallBlock;
  unsigned maxBlocks;
  int blocks = 3; // 2: [small big] or [big; small], as two GEMMs take them
};

void PrintTo(const SplitCase &test, std::ostream *out) { *out << test.name; }

class SplitTF32Kernels : public testing::TestWithParam<SplitCase> {};

TEST_P(SplitTF32Kernels, WriteEachPartToItsBlocks) {
  const SplitCase &test = GetParam();
  std::mt19937 random(3);
  std::uniform_real_distribution<float> uniform(-4.0f, 4.0f);
  const float specials[] = {fromBits(0x3f801000u), // a tie: rounds away from zero
                            fromBits(0xbf801000u),
                            fromBits(0x3f800fffu),
                            std::numeric_limits<float>::max(),
                            -std::numeric_limits<float>::max(),
                            std::numeric_limits<float>::denorm_min(),
                            fromBits(0x007fffffu),
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::quiet_NaN(),
                            0.0f,
                            -0.0f};
  std::vector<float> source(size_t(test.batch * test.sourceBatchStride));
  for (size_t i = 0; i < source.size(); ++i)
    source[i] = i % 7 == 3 ? specials[(i / 7) % std::size(specials)] : uniform(random);
  long long elements = test.batch * test.rows * test.cols;
  alignas(16) static float target[3 * 4096];
  ASSERT_LE(3 * elements, (long long)std::size(target));
  std::fill(target, target + 3 * elements, std::numeric_limits<float>::quiet_NaN());

  SplitTF32Params params;
  params.source = source.data();
  params.target = target;
  params.sourceRowStride = test.sourceRowStride;
  params.sourceBatchStride = test.sourceBatchStride;
  params.targetRowStride = test.alongCols ? test.blocks * test.cols : test.cols;
  params.targetBatchStride = test.blocks * test.rows * test.cols;
  params.blockStride = test.alongCols ? test.cols : test.rows * test.cols;
  params.batch = test.batch;
  params.rows = test.rows;
  params.cols = test.cols;
  params.smallBlock = test.smallBlock;
  params.blocks = test.blocks;
  for (bool vectorized : {false, true}) {
    if (vectorized && !splitTF32Vectorized(params))
      continue;
    SCOPED_TRACE(vectorized ? "four floats a step" : "one float a step");
    dim3 grid{splitTF32Blocks(params, vectorized, test.maxBlocks), 1, 1};
    if (vectorized)
      simt::launch(grid, kSplitTF32Threads, nullptr, 0, tgc_split_tf32x3_vec4, params);
    else
      simt::launch(grid, kSplitTF32Threads, nullptr, 0, tgc_split_tf32x3, params);
    for (long long b = 0; b < test.batch; ++b)
      for (long long i = 0; i < test.rows; ++i)
        for (long long j = 0; j < test.cols; ++j) {
          float x = source[b * test.sourceBatchStride + i * test.sourceRowStride + j];
          const float *to = target + b * params.targetBatchStride + i * params.targetRowStride + j;
          float parts[3] = {to[0], to[params.blockStride], to[2 * params.blockStride]};
          float big = parts[test.smallBlock == 0 ? 1 : 0];
          for (int block = 0; block < test.blocks; ++block)
            if (block != test.smallBlock)
              EXPECT_EQ(bitsOf(parts[block]), bitsOf(big)) << "block " << block;
          expectSplit(x, big, parts[test.smallBlock]);
          if (HasFailure())
            return;
        }
    for (long long i = test.blocks * elements; i < 3 * elements; ++i)
      ASSERT_TRUE(std::isnan(target[i])) << "written past the blocks at " << i;
  }
}

const SplitCase kCases[] = {
    {"AlongColumns", 1, 5, 12, 12, 60, true, 0, 64},
    {"AlongRowsPadded", 1, 6, 8, 11, 66, false, 1, 64},
    {"BatchedPadded", 3, 4, 16, 20, 84, true, 0, 64},
    {"OddColumns", 2, 3, 7, 7, 21, false, 1, 64},
    {"OneBlockStridesOverAll", 2, 17, 40, 40, 680, true, 0, 1},
    {"TwoBlocksAlongColumns", 2, 5, 12, 16, 80, true, 0, 64, 2},
    {"TwoBlocksAlongRows", 2, 6, 8, 8, 48, false, 1, 64, 2},
};

INSTANTIATE_TEST_SUITE_P(Layouts, SplitTF32Kernels, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<SplitCase> &info) {
                           return std::string(info.param.name);
                         });

TEST(SplitTF32Plan, VectorizesOnlyAlignedFourFloatSteps) {
  alignas(16) static float buffer[64];
  SplitTF32Params params = {buffer, buffer, 8, 32, 24, 48, 8, 2, 2, 8, 0, 3};
  EXPECT_TRUE(splitTF32Vectorized(params));
  SplitTF32Params odd = params;
  odd.cols = 6;
  EXPECT_FALSE(splitTF32Vectorized(odd));
  SplitTF32Params padded = params;
  padded.sourceRowStride = 10;
  EXPECT_FALSE(splitTF32Vectorized(padded));
  SplitTF32Params shifted = params;
  shifted.source = buffer + 1;
  EXPECT_FALSE(splitTF32Vectorized(shifted));
  EXPECT_EQ(splitTF32Blocks(params, true, 100), 1u);
  params.rows = 100000;
  EXPECT_EQ(splitTF32Blocks(params, false, 100), 100u);
  EXPECT_EQ(splitTF32Blocks(params, true, 0), 1u);
}

} // namespace
