//===- CudaBlasTest.cpp - cuBLAS matmuls and CUDA graphs ------------------===//
//
// tgc_cuda_matmul_* against the CPU's tgc_matmul_* on the same views (plain,
// transposed, broadcast batches, strided slices that need a scratch copy),
// tgc_cuda_matmul_bf16_f32 against a plain computation on bf16 values,
// tgc_cuda_matmul_bf16_bf16 against that computation rounded once,
// tgc_cuda_matmul_bias_f32 (cuBLASLt with an epilogue) against the CPU's
// matmul followed by the bias and activation, and tgc_cuda_run's capture
// and replay. On a GPU with cuBLAS, and in
// tgc-cuda-fake-tests on the host (FakeCuda.cpp); elsewhere skipped.
//
//===----------------------------------------------------------------------===//

#include "Attention.h"

#include "tgc/runtime.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

using tgc::bf16ToFloat;
using tgc::floatToBF16;

class CudaBlas : public testing::Test {
protected:
  void SetUp() override {
    if (tgc_cuda_init() != TGC_OK)
      GTEST_SKIP() << "SKIPPED: no CUDA device (" << tgc_last_error() << ")";
  }
};

bool graphsEnabled() {
  const char *graphs = std::getenv("TGC_CUDA_GRAPHS");
  return !(graphs && std::string(graphs) == "0");
}

/// A rank-3 view over a buffer of its own, on the host and the device.
struct View {
  std::vector<float> host;
  float *device = nullptr;
  int64_t sizes[3], strides[3], offset;

  View(int64_t batch, int64_t rows, int64_t cols, int64_t batchStride, int64_t rowStride,
       int64_t colStride, int64_t offset = 0)
      : sizes{batch, rows, cols}, strides{batchStride, rowStride, colStride}, offset(offset) {
    int64_t last =
        offset + (batch - 1) * batchStride + (rows - 1) * rowStride + (cols - 1) * colStride;
    host.resize(last + 1);
    for (size_t i = 0; i < host.size(); ++i)
      host[i] = float((i * 7919) % 23) / 8.0f - 1.0f;
    device = static_cast<float *>(tgc_cuda_alloc(host.size() * sizeof(float)));
    tgc_cuda_copy_to_device(device, host.data(), host.size() * sizeof(float));
  }
  ~View() { tgc_cuda_free(device); }

  tgc_memref3_f32 on(float *data) const {
    return {
        data, data, offset, {sizes[0], sizes[1], sizes[2]}, {strides[0], strides[1], strides[2]}};
  }
  float &at(std::vector<float> &data, int64_t b, int64_t i, int64_t j) const {
    return data[offset + b * strides[0] + i * strides[1] + j * strides[2]];
  }
};

struct MatmulCase {
  const char *name;
  View a, b, c;
};

void expectLikeTheCPU(MatmulCase &test, bool accumulate) {
  SCOPED_TRACE(test.name);
  std::vector<float> expected = test.c.host;
  tgc_memref3_f32 a = test.a.on(test.a.host.data()), b = test.b.on(test.b.host.data()),
                  c = test.c.on(expected.data());
  _mlir_ciface_tgc_matmul_f32(&a, &b, &c, accumulate);

  ASSERT_EQ(tgc_cuda_copy_to_device(test.c.device, test.c.host.data(),
                                    test.c.host.size() * sizeof(float)),
            TGC_OK);
  tgc_memref3_f32 da = test.a.on(test.a.device), db = test.b.on(test.b.device),
                  dc = test.c.on(test.c.device);
  _mlir_ciface_tgc_cuda_matmul_f32(&da, &db, &dc, accumulate);
  std::vector<float> actual(test.c.host.size());
  ASSERT_EQ(tgc_cuda_copy_to_host(actual.data(), test.c.device, actual.size() * sizeof(float)),
            TGC_OK);
  for (size_t i = 0; i < actual.size(); ++i)
    ASSERT_NEAR(actual[i], expected[i], 1e-4f * (1 + std::fabs(expected[i]))) << "element " << i;
}

TEST_F(CudaBlas, MatmulsMatchTheCPUs) {
  // C [batch, m, n] = A [batch, m, k] x B [batch, k, n]; m = 5, n = 6, k = 7.
  MatmulCase cases[] = {
      {"row-major", {1, 5, 7, 0, 7, 1}, {1, 7, 6, 0, 6, 1}, {1, 5, 6, 0, 6, 1}},
      {"transposed A", {1, 5, 7, 0, 1, 5}, {1, 7, 6, 0, 6, 1}, {1, 5, 6, 0, 6, 1}},
      {"transposed B", {1, 5, 7, 0, 7, 1}, {1, 7, 6, 0, 1, 7}, {1, 5, 6, 0, 6, 1}},
      {"column-major C", {1, 5, 7, 0, 7, 1}, {1, 7, 6, 0, 6, 1}, {1, 5, 6, 0, 1, 5}},
      {"batched", {3, 5, 7, 35, 7, 1}, {3, 7, 6, 42, 6, 1}, {3, 5, 6, 30, 6, 1}},
      {"broadcast B", {3, 5, 7, 35, 7, 1}, {3, 7, 6, 0, 1, 7}, {3, 5, 6, 30, 6, 1}},
      {"padded rows", {2, 5, 7, 60, 9, 1, 3}, {2, 7, 6, 50, 1, 8}, {2, 5, 6, 40, 8, 1, 1}},
      {"strided slice A", {2, 5, 7, 80, 16, 2}, {2, 7, 6, 42, 6, 1}, {2, 5, 6, 30, 6, 1}},
      {"strided slice C", {1, 5, 7, 0, 7, 1}, {1, 7, 6, 0, 6, 1}, {1, 5, 6, 0, 13, 2}},
      {"vector", {1, 1, 7, 0, 7, 1}, {1, 7, 1, 0, 1, 1}, {1, 1, 1, 0, 1, 1}},
  };
  for (MatmulCase &test : cases) {
    expectLikeTheCPU(test, /*accumulate=*/false);
    expectLikeTheCPU(test, /*accumulate=*/true);
  }
}

/// A matmul's three rank-3 views: sizes [batch, rows, columns], then strides.
struct MatmulLayout {
  const char *name;
  int64_t a[6], b[6], c[6];
};

/// The elements a view spans.
size_t viewElements(const int64_t *v) {
  return size_t(1 + (v[0] - 1) * v[3] + (v[1] - 1) * v[4] + (v[2] - 1) * v[5]);
}

/// Element [p, i, j] of the bf16 product A B, in double.
double bf16Product(const std::vector<uint16_t> &a, const std::vector<uint16_t> &b,
                   const MatmulLayout &layout, int64_t p, int64_t i, int64_t j) {
  const int64_t *va = layout.a, *vb = layout.b;
  double sum = 0;
  for (int64_t l = 0; l < va[2]; ++l)
    sum += double(bf16ToFloat(a[p * va[3] + i * va[4] + l * va[5]])) *
           bf16ToFloat(b[p * vb[3] + l * vb[4] + j * vb[5]]);
  return sum;
}

/// A host vector's copy in device memory, freed with it.
template <typename T> struct DeviceCopy {
  T *data;
  size_t size;
  explicit DeviceCopy(const std::vector<T> &host)
      : data(static_cast<T *>(tgc_cuda_alloc(host.size() * sizeof(T)))), size(host.size()) {
    EXPECT_EQ(tgc_cuda_copy_to_device(data, host.data(), size * sizeof(T)), TGC_OK);
  }
  ~DeviceCopy() { tgc_cuda_free(data); }
  std::vector<T> download() const {
    std::vector<T> host(size);
    EXPECT_EQ(tgc_cuda_copy_to_host(host.data(), data, size * sizeof(T)), TGC_OK);
    return host;
  }
  /// The rank-3 view `v` (sizes, then strides) of it.
  template <typename Memref> Memref view(const int64_t *v) const {
    return {data, data, 0, {v[0], v[1], v[2]}, {v[3], v[4], v[5]}};
  }
};

TEST_F(CudaBlas, BF16MatmulsMatchThePlainComputation) {
  // C [batch, m, n] (f32) = A [batch, m, k] x B [batch, k, n] (bf16, rows or
  // columns contiguous); m = 5, n = 6, k = 7.
  MatmulLayout layouts[] = {
      {"row-major", {1, 5, 7, 0, 7, 1}, {1, 7, 6, 0, 6, 1}, {1, 5, 6, 0, 6, 1}},
      {"transposed A, B", {1, 5, 7, 0, 1, 5}, {1, 7, 6, 0, 1, 7}, {1, 5, 6, 0, 6, 1}},
      {"column-major C", {1, 5, 7, 0, 7, 1}, {1, 7, 6, 0, 6, 1}, {1, 5, 6, 0, 1, 5}},
      {"broadcast B", {3, 5, 7, 35, 7, 1}, {3, 7, 6, 0, 1, 7}, {3, 5, 6, 30, 6, 1}},
  };
  for (const MatmulLayout &layout : layouts)
    for (int64_t accumulate : {0, 1}) {
      SCOPED_TRACE(std::string(layout.name) + (accumulate ? ", accumulating" : ""));
      std::vector<uint16_t> a(viewElements(layout.a)), b(viewElements(layout.b));
      std::vector<float> c(viewElements(layout.c));
      for (size_t i = 0; i < a.size(); ++i)
        a[i] = floatToBF16(float((i * 7919) % 23) / 8.0f - 1.3f);
      for (size_t i = 0; i < b.size(); ++i)
        b[i] = floatToBF16(float((i * 104729) % 19) / 16.0f - 0.6f);
      for (size_t i = 0; i < c.size(); ++i)
        c[i] = float(i % 5) - 2.0f;
      std::vector<float> expected = c;
      const int64_t *va = layout.a, *vb = layout.b, *vc = layout.c;
      for (int64_t p = 0; p < vc[0]; ++p)
        for (int64_t i = 0; i < vc[1]; ++i)
          for (int64_t j = 0; j < vc[2]; ++j) {
            double sum = bf16Product(a, b, layout, p, i, j);
            float &out = expected[p * vc[3] + i * vc[4] + j * vc[5]];
            out = float(sum + (accumulate ? out : 0));
          }
      DeviceCopy<uint16_t> da(a), db(b);
      DeviceCopy<float> dc(c);
      auto ma = da.view<tgc_memref3_bf16>(va), mb = db.view<tgc_memref3_bf16>(vb);
      auto mc = dc.view<tgc_memref3_f32>(vc);
      _mlir_ciface_tgc_cuda_matmul_bf16_f32(&ma, &mb, &mc, accumulate);
      std::vector<float> actual = dc.download();
      for (size_t i = 0; i < actual.size(); ++i)
        ASSERT_NEAR(actual[i], expected[i], 1e-5f * (1 + std::fabs(expected[i])))
            << "element " << i;
    }
}

TEST_F(CudaBlas, BF16ResultsAreTheFP32AccumulationRoundedOnce) {
  // C [batch, m, n] = A [batch, m, k] x B [batch, k, n] (+ C), all bf16;
  // m = 5, n = 6, k = 7. Every product and sum is exact in FP32 (multiples
  // of 1/128 below 64), whatever order cuBLAS adds in, so C is exactly its
  // round-to-nearest-even, ties included (those of 9 significant bits).
  MatmulLayout layouts[] = {
      {"row-major", {1, 5, 7, 0, 7, 1}, {1, 7, 6, 0, 6, 1}, {1, 5, 6, 0, 6, 1}},
      {"transposed A, B", {1, 5, 7, 0, 1, 5}, {1, 7, 6, 0, 1, 7}, {1, 5, 6, 0, 6, 1}},
      {"column-major C", {1, 5, 7, 0, 7, 1}, {1, 7, 6, 0, 6, 1}, {1, 5, 6, 0, 1, 5}},
      {"transposed A, column-major C", {1, 5, 7, 0, 1, 5}, {1, 7, 6, 0, 6, 1}, {1, 5, 6, 0, 1, 5}},
      {"batched, padded rows", {3, 5, 7, 40, 8, 1}, {3, 7, 6, 48, 1, 8}, {3, 5, 6, 40, 8, 1}},
      {"broadcast B", {3, 5, 7, 35, 7, 1}, {3, 7, 6, 0, 1, 7}, {3, 5, 6, 30, 6, 1}},
  };
  int64_t ties = 0;
  for (const MatmulLayout &layout : layouts)
    for (int64_t accumulate : {0, 1}) {
      SCOPED_TRACE(std::string(layout.name) + (accumulate ? ", accumulating" : ""));
      std::vector<uint16_t> a(viewElements(layout.a)), b(viewElements(layout.b)),
          c(viewElements(layout.c));
      for (size_t i = 0; i < a.size(); ++i)
        a[i] = floatToBF16(float(int64_t(i * 7919) % 23) / 8.0f - 1.375f);
      for (size_t i = 0; i < b.size(); ++i)
        b[i] = floatToBF16(float(int64_t(i * 104729) % 19) / 16.0f - 0.5625f);
      for (size_t i = 0; i < c.size(); ++i)
        c[i] = floatToBF16(float(i % 5) - 2.0f + float(i % 3) / 128.0f);
      std::vector<uint16_t> expected = c;
      const int64_t *va = layout.a, *vb = layout.b, *vc = layout.c;
      for (int64_t p = 0; p < vc[0]; ++p)
        for (int64_t i = 0; i < vc[1]; ++i)
          for (int64_t j = 0; j < vc[2]; ++j) {
            double sum = bf16Product(a, b, layout, p, i, j);
            uint16_t &out = expected[p * vc[3] + i * vc[4] + j * vc[5]];
            float exact = float(sum + (accumulate ? bf16ToFloat(out) : 0));
            ASSERT_EQ(double(exact), sum + (accumulate ? bf16ToFloat(out) : 0));
            uint32_t bits;
            std::memcpy(&bits, &exact, sizeof(bits));
            ties += (bits & 0xffff) == 0x8000;
            out = floatToBF16(exact);
          }
      DeviceCopy<uint16_t> da(a), db(b), dc(c);
      auto ma = da.view<tgc_memref3_bf16>(va), mb = db.view<tgc_memref3_bf16>(vb),
           mc = dc.view<tgc_memref3_bf16>(vc);
      _mlir_ciface_tgc_cuda_matmul_bf16_bf16(&ma, &mb, &mc, accumulate);
      std::vector<uint16_t> actual = dc.download();
      for (size_t i = 0; i < actual.size(); ++i)
        ASSERT_EQ(actual[i], expected[i]) << "element " << i << ": " << bf16ToFloat(actual[i])
                                          << " for " << bf16ToFloat(expected[i]);
    }
  EXPECT_GT(ties, 0) << "no product on a tie: the rounding's direction is untested";
}

/// A bf16 result whose rows and columns are both strided.
void bf16ResultWithoutContiguousRowsOrColumns() {
  tgc_cuda_init();
  auto *a = static_cast<uint16_t *>(tgc_cuda_alloc(2 * 3 * 2));
  auto *c = static_cast<uint16_t *>(tgc_cuda_alloc(2 * 2 * 4 * 2));
  tgc_memref3_bf16 ma = {a, a, 0, {1, 2, 3}, {0, 3, 1}};
  tgc_memref3_bf16 mb = {a, a, 0, {1, 3, 2}, {0, 1, 3}};
  tgc_memref3_bf16 mc = {c, c, 0, {1, 2, 2}, {0, 8, 2}};
  _mlir_ciface_tgc_cuda_matmul_bf16_bf16(&ma, &mb, &mc, 0);
}

TEST_F(CudaBlas, BF16ResultsNeedContiguousRowsOrColumns) {
  GTEST_FLAG_SET(death_test_style, "threadsafe"); // a fresh process: CUDA does not survive fork
  EXPECT_EXIT(bf16ResultWithoutContiguousRowsOrColumns(), testing::ExitedWithCode(1),
              "error: a bf16 matmul result with neither rows nor columns contiguous");
}

/// act(x) for each epilogue of tgc_cuda_matmul_bias_f32.
float activation(float x, int64_t epilogue) {
  if (epilogue == TGC_EPILOGUE_BIAS_RELU)
    return x > 0 ? x : 0;
  if (epilogue == TGC_EPILOGUE_BIAS_GELU_TANH)
    return 0.5f * x * (1 + std::tanh(0.7978845608f * (x + 0.044715f * x * x * x)));
  return x;
}

TEST_F(CudaBlas, MatmulsWithEpiloguesMatchThePlainComputation) {
  // C [batch, m, n] = act(A [batch, m, k] x B [batch, k, n] + bias [n]);
  // m = 5, n = 6, k = 7.
  MatmulCase cases[] = {
      {"linear (B a transposed weight)",
       {1, 5, 7, 0, 7, 1},
       {1, 7, 6, 0, 1, 7},
       {1, 5, 6, 0, 6, 1}},
      {"row-major B", {1, 5, 7, 0, 7, 1}, {1, 7, 6, 0, 6, 1}, {1, 5, 6, 0, 6, 1}},
      {"transposed A", {1, 5, 7, 0, 1, 5}, {1, 7, 6, 0, 6, 1}, {1, 5, 6, 0, 6, 1}},
      {"column-major C", {1, 5, 7, 0, 7, 1}, {1, 7, 6, 0, 6, 1}, {1, 5, 6, 0, 1, 5}},
      {"padded rows", {2, 5, 7, 60, 9, 1, 3}, {2, 7, 6, 50, 1, 8}, {2, 5, 6, 40, 8, 1, 1}},
      {"batched", {3, 5, 7, 35, 7, 1}, {3, 7, 6, 42, 6, 1}, {3, 5, 6, 30, 6, 1}},
      {"linear on [batch, rows, features]",
       {3, 5, 7, 35, 7, 1},
       {3, 7, 6, 0, 1, 7},
       {3, 5, 6, 30, 6, 1}},
      {"broadcast B, batches apart", {3, 5, 7, 40, 7, 1}, {3, 7, 6, 0, 1, 7}, {3, 5, 6, 30, 6, 1}},
      {"strided slice A", {2, 5, 7, 80, 16, 2}, {2, 7, 6, 42, 6, 1}, {2, 5, 6, 30, 6, 1}},
      {"strided slice C", {1, 5, 7, 0, 7, 1}, {1, 7, 6, 0, 6, 1}, {1, 5, 6, 0, 13, 2}},
  };
  // Contiguous and strided (every third element, from an offset) biases.
  for (int64_t biasStride : {1, 3}) {
    std::vector<float> bias(1 + 6 * biasStride);
    for (size_t i = 0; i < bias.size(); ++i)
      bias[i] = float(i % 5) / 4.0f - 0.5f;
    float *deviceBias = static_cast<float *>(tgc_cuda_alloc(bias.size() * sizeof(float)));
    ASSERT_EQ(tgc_cuda_copy_to_device(deviceBias, bias.data(), bias.size() * sizeof(float)),
              TGC_OK);
    for (int64_t epilogue :
         {TGC_EPILOGUE_BIAS, TGC_EPILOGUE_BIAS_RELU, TGC_EPILOGUE_BIAS_GELU_TANH})
      for (MatmulCase &test : cases) {
        SCOPED_TRACE(std::string(test.name) + ", epilogue " + std::to_string(epilogue) +
                     ", bias stride " + std::to_string(biasStride));
        // The plain computation: the CPU's matmul, then bias and activation.
        std::vector<float> expected = test.c.host;
        tgc_memref3_f32 a = test.a.on(test.a.host.data()), b = test.b.on(test.b.host.data()),
                        c = test.c.on(expected.data());
        _mlir_ciface_tgc_matmul_f32(&a, &b, &c, /*accumulate=*/0);
        for (int64_t p = 0; p < test.c.sizes[0]; ++p)
          for (int64_t i = 0; i < 5; ++i)
            for (int64_t j = 0; j < 6; ++j) {
              float &x = test.c.at(expected, p, i, j);
              x = activation(x + bias[1 + j * biasStride], epilogue);
            }

        ASSERT_EQ(tgc_cuda_copy_to_device(test.c.device, test.c.host.data(),
                                          test.c.host.size() * sizeof(float)),
                  TGC_OK);
        tgc_memref3_f32 da = test.a.on(test.a.device), db = test.b.on(test.b.device),
                        dc = test.c.on(test.c.device);
        tgc_memref1_f32 dbias = {deviceBias, deviceBias, 1, {6}, {biasStride}};
        _mlir_ciface_tgc_cuda_matmul_bias_f32(&da, &db, &dbias, &dc, epilogue);
        std::vector<float> actual(test.c.host.size());
        ASSERT_EQ(
            tgc_cuda_copy_to_host(actual.data(), test.c.device, actual.size() * sizeof(float)),
            TGC_OK);
        // Elements outside the view are untouched.
        for (size_t i = 0; i < actual.size(); ++i)
          ASSERT_NEAR(actual[i], expected[i], 1e-4f * (1 + std::fabs(expected[i])))
              << "element " << i;
      }
    tgc_cuda_free(deviceBias);
  }
}

// Autocast's linear layers: bf16 A, B and bias, the FP32 sum plus the bias
// rounded once to bf16, relu after it (which commutes with the rounding).
TEST_F(CudaBlas, BF16MatmulsWithEpiloguesRoundOnce) {
  // C [batch, 5, 6] = act(A [batch, 5, 7] x B [batch, 7, 6] + bias [6]).
  MatmulLayout layouts[] = {
      {"linear (B a transposed weight)",
       {1, 5, 7, 0, 7, 1},
       {1, 7, 6, 0, 1, 7},
       {1, 5, 6, 0, 6, 1}},
      {"transposed A", {1, 5, 7, 0, 1, 5}, {1, 7, 6, 0, 6, 1}, {1, 5, 6, 0, 6, 1}},
      {"linear on [batch, rows, features]",
       {3, 5, 7, 35, 7, 1},
       {3, 7, 6, 0, 1, 7},
       {3, 5, 6, 30, 6, 1}},
      {"batched, padded rows", {3, 5, 7, 40, 8, 1}, {3, 7, 6, 48, 1, 8}, {3, 5, 6, 40, 8, 1}},
  };
  std::vector<uint16_t> bias(6);
  for (size_t j = 0; j < bias.size(); ++j)
    bias[j] = floatToBF16(float(j % 4) / 4.0f - 0.5f + 1.0f / 256);
  DeviceCopy<uint16_t> deviceBias(bias);
  int64_t ties = 0, zeros = 0;
  for (const MatmulLayout &layout : layouts)
    for (int64_t epilogue : {TGC_EPILOGUE_BIAS, TGC_EPILOGUE_BIAS_RELU}) {
      SCOPED_TRACE(std::string(layout.name) + ", epilogue " + std::to_string(epilogue));
      std::vector<uint16_t> a(viewElements(layout.a)), b(viewElements(layout.b)),
          c(viewElements(layout.c), floatToBF16(7.0f));
      for (size_t i = 0; i < a.size(); ++i)
        a[i] = floatToBF16(float(int64_t(i * 7919) % 23) / 8.0f - 1.375f);
      for (size_t i = 0; i < b.size(); ++i)
        b[i] = floatToBF16(float(int64_t(i * 104729) % 19) / 16.0f - 0.5625f);
      std::vector<uint16_t> expected = c;
      const int64_t *vc = layout.c;
      for (int64_t p = 0; p < vc[0]; ++p)
        for (int64_t i = 0; i < vc[1]; ++i)
          for (int64_t j = 0; j < vc[2]; ++j) {
            double sum = bf16Product(a, b, layout, p, i, j) + bf16ToFloat(bias[j]);
            float exact = float(sum);
            ASSERT_EQ(double(exact), sum);
            uint32_t bits;
            std::memcpy(&bits, &exact, sizeof(bits));
            ties += (bits & 0xffff) == 0x8000;
            float rounded = bf16ToFloat(floatToBF16(exact));
            if (epilogue == TGC_EPILOGUE_BIAS_RELU && rounded < 0)
              rounded = 0, ++zeros;
            expected[p * vc[3] + i * vc[4] + j * vc[5]] = floatToBF16(rounded);
          }
      DeviceCopy<uint16_t> da(a), db(b), dc(c);
      auto ma = da.view<tgc_memref3_bf16>(layout.a), mb = db.view<tgc_memref3_bf16>(layout.b),
           mc = dc.view<tgc_memref3_bf16>(vc);
      tgc_memref1_bf16 mbias = {deviceBias.data, deviceBias.data, 0, {6}, {1}};
      _mlir_ciface_tgc_cuda_matmul_bias_bf16(&ma, &mb, &mbias, &mc, epilogue);
      std::vector<uint16_t> actual = dc.download();
      // Elements outside the view are untouched.
      for (size_t i = 0; i < actual.size(); ++i)
        ASSERT_EQ(actual[i], expected[i]) << "element " << i << ": " << bf16ToFloat(actual[i])
                                          << " for " << bf16ToFloat(expected[i]);
    }
  EXPECT_GT(ties, 0) << "no sum on a tie: the rounding's direction is untested";
  EXPECT_GT(zeros, 0) << "relu cut nothing";
}

/// A bf16 matmul-with-bias whose result is column-major: cuBLASLt would
/// need a copy, which bf16 has not.
void bf16BiasResultColumnMajor() {
  tgc_cuda_init();
  auto *a = static_cast<uint16_t *>(tgc_cuda_alloc(2 * 3 * 2));
  auto *c = static_cast<uint16_t *>(tgc_cuda_alloc(2 * 2 * 2));
  tgc_memref3_bf16 ma = {a, a, 0, {1, 2, 3}, {0, 3, 1}};
  tgc_memref3_bf16 mb = {a, a, 0, {1, 3, 2}, {0, 1, 3}};
  tgc_memref3_bf16 mc = {c, c, 0, {1, 2, 2}, {0, 1, 2}};
  tgc_memref1_bf16 bias = {a, a, 0, {2}, {1}};
  _mlir_ciface_tgc_cuda_matmul_bias_bf16(&ma, &mb, &bias, &mc, TGC_EPILOGUE_BIAS);
}

TEST_F(CudaBlas, BF16MatmulsWithEpiloguesNeedContiguousResultRows) {
  GTEST_FLAG_SET(death_test_style, "threadsafe"); // a fresh process: CUDA does not survive fork
  EXPECT_EXIT(bf16BiasResultColumnMajor(), testing::ExitedWithCode(1),
              "error: a bf16 matmul-with-bias result cuBLASLt cannot address");
}

/// The body of a captured entry point: result = 2 * input (a matmul with
/// 2I), with a temporary allocated and freed before; with `feedBack`, then
/// input = result (the input is the entry point's state).
struct Doubling {
  static float *input, *twoI;
  static bool feedBack;
  static int calls;
  static constexpr int64_t kN = 4;

  static void body(void *result) {
    ++calls;
    auto *out = static_cast<tgc_memref3_f32 *>(result);
    tgc_cuda_free(tgc_cuda_alloc(kN * sizeof(float)));
    float *product = static_cast<float *>(tgc_cuda_alloc(kN * sizeof(float)));
    tgc_memref3_f32 a = {twoI, twoI, 0, {1, kN, kN}, {0, kN, 1}};
    tgc_memref3_f32 x = {input, input, 0, {1, kN, 1}, {0, 1, 1}};
    *out = {product, product, 0, {1, kN, 1}, {0, 1, 1}};
    _mlir_ciface_tgc_cuda_matmul_f32(&a, &x, out, 0);
    if (feedBack)
      tgc_cuda_copy_to_device(input, product, kN * sizeof(float)); // device to device
  }
};
float *Doubling::input, *Doubling::twoI;
bool Doubling::feedBack;
int Doubling::calls;

/// The largest error of the FP32 product C = A B (+ bias, through
/// cuBLASLt, where withBias) of random values with full mantissas, relative
/// to the sum of the magnitudes of its terms, against the product in
/// double; `test` gives the views (its values replaced).
double productError(MatmulCase &test, bool withBias) {
  std::mt19937 random(7);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  View *views[] = {&test.a, &test.b, &test.c};
  for (View *view : views) {
    for (float &value : view->host)
      value = uniform(random);
    tgc_cuda_copy_to_device(view->device, view->host.data(), view->host.size() * sizeof(float));
  }
  int64_t batch = test.c.sizes[0], m = test.c.sizes[1], n = test.c.sizes[2], k = test.a.sizes[2];
  std::vector<float> bias(n);
  for (float &value : bias)
    value = uniform(random);
  float *deviceBias = static_cast<float *>(tgc_cuda_alloc(n * sizeof(float)));
  tgc_cuda_copy_to_device(deviceBias, bias.data(), n * sizeof(float));
  tgc_memref3_f32 a = test.a.on(test.a.device), b = test.b.on(test.b.device),
                  c = test.c.on(test.c.device);
  tgc_memref1_f32 biasView = {deviceBias, deviceBias, 0, {n}, {1}};
  if (withBias)
    _mlir_ciface_tgc_cuda_matmul_bias_f32(&a, &b, &biasView, &c, TGC_EPILOGUE_BIAS);
  else
    _mlir_ciface_tgc_cuda_matmul_f32(&a, &b, &c, /*accumulate=*/0);
  std::vector<float> actual(test.c.host.size());
  tgc_cuda_copy_to_host(actual.data(), test.c.device, actual.size() * sizeof(float));
  tgc_cuda_free(deviceBias);
  double worst = 0;
  for (int64_t p = 0; p < batch; ++p)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = withBias ? bias[j] : 0, magnitude = std::fabs(sum);
        for (int64_t l = 0; l < k; ++l) {
          double term = double(test.a.at(test.a.host, p, i, l)) * test.b.at(test.b.host, p, l, j);
          sum += term;
          magnitude += std::fabs(term);
        }
        double error = std::fabs(test.c.at(actual, p, i, j) - sum) / magnitude;
        if (std::isnan(error))
          return error;
        worst = std::max(worst, error);
      }
  return worst;
}

/// Exits with 0 when FP32 products under TGC_CUDA_MATMUL=`mode` (and GEMM
/// tuning on or off), all through cuBLAS, have the mode's accuracy: errors
/// (productError) below 3e-6 for fp32 and 3xtf32 (FP32's rounding: about
/// 1.5e-7 on the fake driver), below 1e-2 for tf32 (operands with 10
/// mantissa bits: about 1.7e-4 truncated, as the fake driver does) and,
/// where `tensorCores` says that TF32 products run on them, above 1e-5 (a
/// GPU's cuBLAS may pick a SIMT kernel for so small a product). Run in a
/// fresh process: cuBLAS reads the mode once.
[[noreturn]] void exitWithModesAccuracy(const char *mode, const char *tuning, bool tensorCores) {
  setenv("TGC_CUDA_MATMUL", mode, 1);
  setenv("TGC_CUDA_GEMM_TUNING", tuning, 1);
  setenv("TGC_CUDA_SMALL_GEMM", "0", 1);
  bool exact = std::strcmp(mode, "tf32") != 0;
  // m = 24, n = 20, k = 300: C [batch, m, n] = A [batch, m, k] B [batch, k, n].
  MatmulCase cases[] = {
      {"row-major", {1, 24, 300, 0, 300, 1}, {1, 300, 20, 0, 20, 1}, {1, 24, 20, 0, 20, 1}},
      {"transposed A, column-major C",
       {1, 24, 300, 0, 1, 24},
       {1, 300, 20, 0, 20, 1},
       {1, 24, 20, 0, 1, 24}},
      {"batched, broadcast B",
       {2, 24, 300, 7200, 300, 1},
       {2, 300, 20, 0, 1, 300},
       {2, 24, 20, 480, 20, 1}},
      // A result larger than its operands: under 3xtf32 one GEMM over a
      // tripled reduction (the others take two GEMMs over split blocks).
      {"wide result", {1, 72, 24, 0, 24, 1}, {1, 24, 60, 0, 60, 1}, {1, 72, 60, 0, 60, 1}},
  };
  bool accurate = true;
  for (bool withBias : {false, true})
    for (MatmulCase &test : cases) {
      double error = productError(test, withBias);
      bool expected = exact ? error < 3e-6 : (!tensorCores || error > 1e-5) && error < 1e-2;
      std::fprintf(stderr, "%s%s%s: error %.3g%s\n", test.name, withBias ? " with a bias" : "",
                   *tuning == '1' ? ", tuned" : "", error, expected ? "" : " (unexpected)");
      accurate = accurate && expected;
    }
  std::exit(accurate ? 0 : 1);
}

bool fakeDevice() {
  tgc_cuda_device_info info;
  return tgc_cuda_get_device_info(&info) == TGC_OK && std::string(info.name).rfind("fake", 0) == 0;
}

TEST_F(CudaBlas, FP32ProductsHaveTheirModesAccuracy) {
  GTEST_FLAG_SET(death_test_style, "threadsafe"); // a fresh process: CUDA does not survive fork
  bool tensorCores = fakeDevice();                // the fake driver's TF32 products always round
  for (const char *mode : {"fp32", "tf32", "3xtf32"})
    for (const char *tuning : {"0", "1"})
      EXPECT_EXIT(exitWithModesAccuracy(mode, tuning, tensorCores), testing::ExitedWithCode(0), "")
          << "TGC_CUDA_MATMUL=" << mode << " TGC_CUDA_GEMM_TUNING=" << tuning;
}

/// Exits with 0 when, under TGC_CUDA_MATMUL=3xtf32 and GEMM tuning, a
/// product runs with split operands exactly when `splitFaster` (then its
/// profile names it 3xtf32), and with FP32's accuracy either way.
[[noreturn]] void exitWithTunedSplitChoice(bool splitFaster) {
  setenv("TGC_CUDA_MATMUL", "3xtf32", 1);
  setenv("TGC_CUDA_GEMM_TUNING", "1", 1);
  setenv("TGC_CUDA_SMALL_GEMM", "0", 1);
  // The fake's GEMMs take 0.5 ms (the tuned algorithm), an eighth of that
  // on tensor cores; each split kernel 1 ms, or 0.01.
  setenv("FAKE_CUDA_KERNEL_MS", splitFaster ? "0.01" : "1", 1);
  tgc_cuda_profile(true);
  MatmulCase test = {
      "row-major", {1, 24, 300, 0, 300, 1}, {1, 300, 20, 0, 20, 1}, {1, 24, 20, 0, 20, 1}};
  double error = productError(test, /*withBias=*/false);
  std::string report = tgc_cuda_profile_report();
  bool split = report.find("3xtf32") != std::string::npos;
  std::fprintf(stderr, "error %.3g, profile:\n%s\n", error, report.c_str());
  std::exit(error < 3e-6 && split == splitFaster ? 0 : 1);
}

TEST_F(CudaBlas, TuningSplitsOperandsWhereThatIsFaster) {
  if (!fakeDevice())
    GTEST_SKIP() << "a GPU's times decide: this test sets the fake driver's";
  GTEST_FLAG_SET(death_test_style, "threadsafe"); // a fresh process: CUDA does not survive fork
  EXPECT_EXIT(exitWithTunedSplitChoice(true), testing::ExitedWithCode(0), "") << "split faster";
  EXPECT_EXIT(exitWithTunedSplitChoice(false), testing::ExitedWithCode(0), "") << "FP32 faster";
}

/// Exits with 0 when, under TGC_CUDA_MATMUL=3xtf32, a product whose result
/// is small beside its operands (a weight gradient's shape) runs as two
/// GEMMs over two split blocks (a reduction of 2k, then one of k onto it)
/// and one whose result is larger as one GEMM over three (3k), each with
/// FP32's accuracy; the profile names each GEMM with its reduction.
[[noreturn]] void exitWithSplitGemmsBySize() {
  setenv("TGC_CUDA_MATMUL", "3xtf32", 1);
  setenv("TGC_CUDA_GEMM_TUNING", "0", 1); // tuning times one GEMM of three blocks
  setenv("TGC_CUDA_SMALL_GEMM", "0", 1);
  tgc_cuda_profile(true);
  MatmulCase narrow = {
      "narrow result", {1, 24, 300, 0, 300, 1}, {1, 300, 20, 0, 20, 1}, {1, 24, 20, 0, 20, 1}};
  MatmulCase wide = {
      "wide result", {1, 72, 24, 0, 24, 1}, {1, 24, 60, 0, 60, 1}, {1, 72, 60, 0, 60, 1}};
  double errors[] = {productError(narrow, /*withBias=*/false),
                     productError(wide, /*withBias=*/false)};
  std::string report = tgc_cuda_profile_report();
  bool shapes = true;
  for (const char *gemm :
       {"20x24x600 batch 1 3xtf32", "20x24x300 batch 1 3xtf32", "60x72x72 batch 1 3xtf32"})
    shapes = shapes && report.find(gemm) != std::string::npos;
  std::fprintf(stderr, "errors %.3g %.3g, profile:\n%s\n", errors[0], errors[1], report.c_str());
  std::exit(errors[0] < 3e-6 && errors[1] < 3e-6 && shapes ? 0 : 1);
}

TEST_F(CudaBlas, SplitProductsTakeTwoGemmsWhereTheResultIsSmall) {
  GTEST_FLAG_SET(death_test_style, "threadsafe"); // a fresh process: CUDA does not survive fork
  EXPECT_EXIT(exitWithSplitGemmsBySize(), testing::ExitedWithCode(0), "");
}

TEST_F(CudaBlas, GraphsReplayTheCapturedWork) {
  bool enabled = graphsEnabled();
  float identity[16] = {2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2}, start[4] = {1, 2, 3, 4};
  Doubling::input = static_cast<float *>(tgc_cuda_alloc(sizeof(start)));
  Doubling::twoI = static_cast<float *>(tgc_cuda_alloc(sizeof(identity)));
  Doubling::feedBack = true;
  Doubling::calls = 0;
  ASSERT_EQ(tgc_cuda_copy_to_device(Doubling::input, start, sizeof(start)), TGC_OK);
  ASSERT_EQ(tgc_cuda_copy_to_device(Doubling::twoI, identity, sizeof(identity)), TGC_OK);

  void *graph = nullptr;
  float expected = 1;
  void *held = nullptr;
  for (int call = 0; call < 6; ++call) {
    tgc_memref3_f32 result;
    tgc_cuda_run(&graph, 0, nullptr, Doubling::body, &result, sizeof(result));
    expected *= 2;
    float values[4];
    ASSERT_EQ(tgc_cuda_copy_to_host(values, result.aligned, sizeof(values)), TGC_OK);
    for (int i = 0; i < 4; ++i)
      ASSERT_EQ(values[i], expected * start[i]) << "call " << call << ", element " << i;
    if (call == 3) {
      held = result.allocated; // kept over the next call, which runs body
    } else {
      tgc_cuda_free(result.allocated);
      tgc_cuda_free(held);
      held = nullptr;
    }
  }
  // Eager, capture, then replays except for the call after the held result.
  EXPECT_EQ(Doubling::calls, enabled ? 3 : 6);
  tgc_cuda_free(Doubling::input);
  tgc_cuda_free(Doubling::twoI);
}

TEST_F(CudaBlas, DeviceInputsAreReadInPlace) {
  constexpr size_t kBytes = 64;
  auto *a = static_cast<char *>(tgc_cuda_alloc(kBytes)),
       *b = static_cast<char *>(tgc_cuda_alloc(kBytes)),
       *c = static_cast<char *>(tgc_cuda_alloc(kBytes));
  char host[kBytes];
  void *graph = nullptr;
  auto inPlace = [&](void *input, size_t bytes = kBytes) {
    bool result = false;
    EXPECT_EQ(tgc_cuda_device_inputs(&graph, 1, &input, &bytes, &result), TGC_OK);
    return result;
  };
  EXPECT_TRUE(inPlace(a));
  EXPECT_TRUE(inPlace(b + 16, kBytes - 16));
  EXPECT_FALSE(inPlace(host));
  EXPECT_FALSE(inPlace(a + 4, 4)); // the kernels assume 16-byte aligned buffers
  // A graph each for at most two bindings; others are copied.
  EXPECT_EQ(inPlace(c), !graphsEnabled());
  EXPECT_TRUE(inPlace(a));
  EXPECT_TRUE(inPlace(b + 16, kBytes - 16));

  bool result = false;
  void *inputs[] = {a, host};
  size_t bytes[] = {kBytes, kBytes};
  EXPECT_EQ(tgc_cuda_device_inputs(&graph, 2, inputs, bytes, &result), TGC_OK);
  EXPECT_FALSE(result) << "not all in device memory";

  // A device buffer too small for the input is an error, not a copy.
  size_t tooMany = 1 << 20;
  EXPECT_EQ(tgc_cuda_device_inputs(&graph, 1, inputs, &tooMany, &result), TGC_ERROR_ARGUMENT);
  EXPECT_THAT(tgc_last_error(), testing::HasSubstr("input 0 is device memory at"));
  EXPECT_THAT(tgc_last_error(), testing::HasSubstr("less than the 1048576 bytes the model reads"));
  for (char *buffer : {a, b, c})
    tgc_cuda_free(buffer);
}

TEST_F(CudaBlas, EachInputBindingGetsAGraphAndTheyShareTheirBlocks) {
  float identity[16] = {2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2};
  float first[4] = {1, 2, 3, 4}, second[4] = {-1, 5, 7, 0.5f};
  Doubling::twoI = static_cast<float *>(tgc_cuda_alloc(sizeof(identity)));
  Doubling::feedBack = false;
  Doubling::calls = 0;
  float *inputs[] = {static_cast<float *>(tgc_cuda_alloc(sizeof(first))),
                     static_cast<float *>(tgc_cuda_alloc(sizeof(second)))};
  ASSERT_EQ(tgc_cuda_copy_to_device(Doubling::twoI, identity, sizeof(identity)), TGC_OK);
  ASSERT_EQ(tgc_cuda_copy_to_device(inputs[0], first, sizeof(first)), TGC_OK);
  ASSERT_EQ(tgc_cuda_copy_to_device(inputs[1], second, sizeof(second)), TGC_OK);

  void *graph = nullptr;
  tgc_memory_stats afterFirstCapture = {};
  void *results[2] = {};
  // Eager, capture of the first binding, capture of the second, replays;
  // the data changes between replays.
  const int bindings[] = {0, 0, 1, 0, 1, 1, 0};
  for (int call = 0; call < 7; ++call) {
    int which = bindings[call];
    if (call == 5)
      second[1] = 9;
    ASSERT_EQ(tgc_cuda_copy_to_device(inputs[which], which ? second : first, sizeof(first)),
              TGC_OK);
    Doubling::input = inputs[which];
    tgc_memref3_f32 result;
    void *bound = inputs[which];
    tgc_cuda_run(&graph, 1, &bound, Doubling::body, &result, sizeof(result));
    float values[4];
    ASSERT_EQ(tgc_cuda_copy_to_host(values, result.aligned, sizeof(values)), TGC_OK);
    for (int i = 0; i < 4; ++i)
      ASSERT_EQ(values[i], 2 * (which ? second : first)[i]) << "call " << call << ", element " << i;
    if (call == 1)
      tgc_cuda_memory_get_stats(&afterFirstCapture);
    results[which] = result.allocated;
    tgc_cuda_free(result.allocated);
  }
  tgc_memory_stats stats;
  tgc_cuda_memory_get_stats(&stats);
  if (graphsEnabled()) {
    EXPECT_EQ(Doubling::calls, 3);
    // The second graph works in the first one's blocks.
    EXPECT_EQ(results[0], results[1]);
    EXPECT_EQ(stats.bytes_reserved, afterFirstCapture.bytes_reserved);
  } else {
    EXPECT_EQ(Doubling::calls, 7);
  }
  for (float *buffer : {Doubling::twoI, inputs[0], inputs[1]})
    tgc_cuda_free(buffer);
}

/// The body of an entry point with a concurrent branch: with x = state,
/// y = 3x on the side stream while z = 2x on the main one; then, after the
/// main stream waited for y, z = 2y = 6x, the result and the next state.
/// (The fake driver runs the side stream's work only when waited for: a
/// missing wait leaves y unwritten, NaN.)
struct Branching {
  static float *state, *twoI, *threeI;
  static constexpr int64_t kN = 4;

  static tgc_memref3_f32 column(float *data) { return {data, data, 0, {1, kN, 1}, {0, 1, 1}}; }
  static tgc_memref3_f32 square(float *data) { return {data, data, 0, {1, kN, kN}, {0, kN, 1}}; }

  static void body(void *result) {
    auto *out = static_cast<tgc_memref3_f32 *>(result);
    float *y = static_cast<float *>(tgc_cuda_alloc(kN * sizeof(float)));
    float *z = static_cast<float *>(tgc_cuda_alloc(kN * sizeof(float)));
    tgc_memref3_f32 x = column(state), yView = column(y), zView = column(z);
    tgc_memref3_f32 two = square(twoI), three = square(threeI);
    tgc_cuda_fork();
    tgc_cuda_use_stream(1);
    _mlir_ciface_tgc_cuda_matmul_f32(&three, &x, &yView, 0);
    tgc_cuda_signal(0);
    tgc_cuda_use_stream(0);
    _mlir_ciface_tgc_cuda_matmul_f32(&two, &x, &zView, 0);
    tgc_cuda_wait(0);
    _mlir_ciface_tgc_cuda_matmul_f32(&two, &yView, &zView, 0);
    tgc_cuda_free(y); // while forked: reused only after the join
    tgc_cuda_join();
    *out = zView;
    tgc_cuda_copy_to_device(state, z, kN * sizeof(float));
  }
};
float *Branching::state, *Branching::twoI, *Branching::threeI;

TEST_F(CudaBlas, BranchesRunOnASideStreamOrderedByEvents) {
  float two[16] = {2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2};
  float three[16] = {3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 3}, start[4] = {1, 2, 3, 4};
  Branching::state = static_cast<float *>(tgc_cuda_alloc(sizeof(start)));
  Branching::twoI = static_cast<float *>(tgc_cuda_alloc(sizeof(two)));
  Branching::threeI = static_cast<float *>(tgc_cuda_alloc(sizeof(three)));
  ASSERT_EQ(tgc_cuda_copy_to_device(Branching::state, start, sizeof(start)), TGC_OK);
  ASSERT_EQ(tgc_cuda_copy_to_device(Branching::twoI, two, sizeof(two)), TGC_OK);
  ASSERT_EQ(tgc_cuda_copy_to_device(Branching::threeI, three, sizeof(three)), TGC_OK);
  // Eager, captured (the side stream joins the capture), replayed.
  void *graph = nullptr;
  float expected = 1;
  for (int call = 0; call < 4; ++call) {
    tgc_memref3_f32 result;
    tgc_cuda_run(&graph, 0, nullptr, Branching::body, &result, sizeof(result));
    expected *= 6;
    float values[4];
    ASSERT_EQ(tgc_cuda_copy_to_host(values, result.aligned, sizeof(values)), TGC_OK);
    for (int i = 0; i < 4; ++i)
      ASSERT_EQ(values[i], expected * start[i]) << "call " << call << ", element " << i;
    tgc_cuda_free(result.allocated);
  }
  for (float *buffer : {Branching::state, Branching::twoI, Branching::threeI})
    tgc_cuda_free(buffer);
}

TEST_F(CudaBlas, MemoryReleasedInABranchWaitsForTheJoin) {
  const char *branches = std::getenv("TGC_CUDA_BRANCHES");
  bool enabled = !(branches && std::string(branches) == "0");
  tgc_cuda_fork();
  void *released = tgc_cuda_alloc(1000);
  tgc_cuda_free(released);
  void *next = tgc_cuda_alloc(1000);
  tgc_cuda_join();
  void *afterJoin = tgc_cuda_alloc(1000);
  if (enabled) {
    // The block may be in use on the other stream until the join.
    EXPECT_NE(next, released);
    EXPECT_EQ(afterJoin, released);
  } else {
    EXPECT_EQ(next, released); // one stream: reused at once
  }
  tgc_cuda_free(next);
  tgc_cuda_free(afterJoin);
}

TEST_F(CudaBlas, ABranchEventMustBeSignalledFirst) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const char *branches = std::getenv("TGC_CUDA_BRANCHES");
  if (branches && std::string(branches) == "0")
    GTEST_SKIP() << "TGC_CUDA_BRANCHES=0: branch calls do nothing";
  EXPECT_EXIT(
      {
        tgc_cuda_fork();
        tgc_cuda_wait(1000);
      },
      testing::ExitedWithCode(1), "a wait for branch event 1000, which was never signalled");
}

} // namespace
