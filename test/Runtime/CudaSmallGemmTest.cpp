//===- CudaSmallGemmTest.cpp - the small GEMM kernels on a GPU -------------===//
//
// runSmallGemm (CudaSmallGemm.cu, what TGC_CUDA_SMALL_GEMM=1 runs) against
// cuBLAS and cuBLASLt (tgc_cuda_matmul_f32 and _bias_f32 as they run by
// default) on the same device buffers: the batch-128 MLP's products, both
// directions of its backward, a result with contiguous columns accumulated
// into, and batches; and the same bits from two runs. On a GPU; elsewhere
// skipped (SmallGemmKernelsTest.cpp runs the kernels on the host).
//
//===----------------------------------------------------------------------===//

#include "CudaSmallGemm.h"

#include "tgc/runtime.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace {

/// A [batch, rows, cols] f32 device buffer with rows or columns contiguous.
struct DeviceMatrix {
  std::vector<float> host;
  float *device = nullptr;
  tgc_memref3_f32 view;

  DeviceMatrix(int64_t batch, int64_t rows, int64_t cols, bool rowMajor, std::mt19937 &random) {
    host.resize(size_t(batch * rows * cols));
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    for (float &x : host)
      x = uniform(random);
    device = static_cast<float *>(tgc_cuda_alloc(host.size() * sizeof(float)));
    tgc_cuda_copy_to_device(device, host.data(), host.size() * sizeof(float));
    view = {device,
            device,
            0,
            {batch, rows, cols},
            {rows * cols, rowMajor ? cols : 1, rowMajor ? 1 : rows}};
  }
  ~DeviceMatrix() { tgc_cuda_free(device); }

  std::vector<float> read() const {
    std::vector<float> result(host.size());
    EXPECT_EQ(tgc_cuda_copy_to_host(result.data(), device, result.size() * sizeof(float)), TGC_OK);
    return result;
  }
  void reset() { tgc_cuda_copy_to_device(device, host.data(), host.size() * sizeof(float)); }
};

struct Product {
  const char *name;
  int64_t batch, m, n, k;
  bool aRowMajor, bRowMajor, cRowMajor;
  int64_t epilogue, accumulate;
};

void PrintTo(const Product &product, std::ostream *os) { *os << product.name; }

class CudaSmallGemm : public testing::TestWithParam<Product> {
protected:
  void SetUp() override {
    if (tgc_cuda_init() != TGC_OK)
      GTEST_SKIP() << "SKIPPED: no CUDA device (" << tgc_last_error() << ")";
  }
};

TEST_P(CudaSmallGemm, MatchesCuBLASAndRepeats) {
  const Product &p = GetParam();
  std::mt19937 random(7);
  DeviceMatrix a(p.batch, p.m, p.k, p.aRowMajor, random), b(p.batch, p.k, p.n, p.bRowMajor, random),
      c(p.batch, p.m, p.n, p.cRowMajor, random), bias(1, 1, p.n, true, random);
  tgc_memref1_f32 biasView = {bias.device, bias.device, 0, {p.n}, {1}};

  if (p.epilogue < 0)
    _mlir_ciface_tgc_cuda_matmul_f32(&a.view, &b.view, &c.view, p.accumulate);
  else
    _mlir_ciface_tgc_cuda_matmul_bias_f32(&a.view, &b.view, &biasView, &c.view, p.epilogue);
  std::vector<float> cublas = c.read();

  std::vector<float> runs[2];
  for (std::vector<float> &run : runs) {
    c.reset();
    ASSERT_TRUE(tgc::runSmallGemm(a.view, b.view, c.view, p.epilogue < 0 ? nullptr : &biasView,
                                  p.epilogue, p.accumulate));
    run = c.read();
  }
  for (size_t i = 0; i < cublas.size(); ++i) {
    ASSERT_NEAR(runs[0][i], cublas[i], 1e-5 * double(p.k) * (1 + std::fabs(cublas[i])))
        << p.name << ": element " << i;
    ASSERT_EQ(runs[0][i], runs[1][i]) << p.name << ": element " << i << " differs between runs";
  }
}

constexpr int64_t kNone = -1;
const Product kProducts[] = {
    {"fc1_forward", 1, 128, 512, 784, true, false, true, TGC_EPILOGUE_BIAS_RELU, 0},
    {"fc2_forward", 1, 128, 512, 512, true, false, true, TGC_EPILOGUE_BIAS_RELU, 0},
    {"fc3_forward", 1, 128, 10, 512, true, false, true, TGC_EPILOGUE_BIAS, 0},
    {"fc2_input_gradient", 1, 128, 512, 512, true, true, true, kNone, 0},
    {"fc1_weight_gradient", 1, 512, 784, 128, false, true, true, kNone, 0},
    {"fc3_weight_gradient", 1, 10, 512, 128, false, true, true, kNone, 0},
    {"accumulated_columns", 1, 37, 29, 53, true, true, false, kNone, 1},
    {"batched_gelu", 3, 20, 72, 64, true, true, true, TGC_EPILOGUE_BIAS_GELU_TANH, 0},
};

INSTANTIATE_TEST_SUITE_P(Products, CudaSmallGemm, testing::ValuesIn(kProducts),
                         [](const testing::TestParamInfo<Product> &info) {
                           return std::string(info.param.name);
                         });

} // namespace
