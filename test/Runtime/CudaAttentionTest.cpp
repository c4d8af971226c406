//===- CudaAttentionTest.cpp - the fused attention kernels ----------------===//
//
// tgc_cuda_attention_{forward,backward}_{bf16,f32} against attention computed
// in double from the same inputs: causal and not, more keys than queries,
// several batches and heads, q, k, v as interleaved slices of one buffer
// (strided rows), and heads transposed as the compiler passes GPT-2's
// activations ([B, T, H, 64] viewed as [B, H, T, 64]). On a GPU, and in
// tgc-cuda-fake-tests on FakeCuda.cpp, which runs the kernels on the host;
// skipped elsewhere, except the checks of bad views, which fail before any
// device work.
//
//===----------------------------------------------------------------------===//

#include "Attention.h"
#include "AttentionReference.h"

#include "tgc/runtime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

using tgc::bf16ToFloat;
using tgc::floatToBF16;

constexpr int64_t kHead = 64;

/// [batch, heads, rows, 64] bf16 on the device, row `row` of slice s =
/// (s / heads, s % heads) at offset + (s / heads) * strides[0] +
/// (s % heads) * strides[1] + row * strides[2].
struct Tensor {
  int64_t batch, heads, rows;
  int64_t strides[3]; // along B, H and T
  int64_t offset;
  uint16_t *device;

  float at(const std::vector<uint16_t> &data, int64_t slice, int64_t row, int64_t d) const {
    return bf16ToFloat(data[offset + slice / heads * strides[0] + slice % heads * strides[1] +
                            row * strides[2] + d]);
  }
  tgc_memref4_bf16 view() const {
    return {device,
            device,
            offset,
            {batch, heads, rows, kHead},
            {strides[0], strides[1], strides[2], 1}};
  }
};

enum class Layout {
  Separate,        // [B, H, T, 64] each, one after another
  Interleaved,     // [B, H, T, count, 64]: as q, k, v sliced out of one projection
  TransposedHeads, // [B, T, H, 64] each, one after another, viewed as [B, H, T, 64]
};

/// One device buffer holding `count` tensors of [batch, heads, rows, 64].
struct Buffer {
  std::vector<uint16_t> host;
  uint16_t *device = nullptr;
  std::vector<Tensor> tensors;

  Buffer(int count, int64_t batch, int64_t heads, int64_t rows, Layout layout,
         std::mt19937 &random) {
    std::normal_distribution<float> normal(0, 1);
    int64_t size = batch * heads * rows * kHead;
    host.resize(count * size);
    for (uint16_t &x : host)
      x = floatToBF16(normal(random));
    device = static_cast<uint16_t *>(tgc_cuda_alloc(host.size() * 2));
    tgc_cuda_copy_to_device(device, host.data(), host.size() * 2);
    // Strides along B, H and T, and how far apart the tensors start.
    int64_t strides[3] = {heads * rows * kHead, rows * kHead, kHead}, distance = size;
    if (layout == Layout::Interleaved) {
      for (int64_t &stride : strides)
        stride *= count;
      distance = kHead;
    } else if (layout == Layout::TransposedHeads) {
      strides[1] = kHead;
      strides[2] = heads * kHead;
    }
    for (int i = 0; i < count; ++i)
      tensors.push_back(
          {batch, heads, rows, {strides[0], strides[1], strides[2]}, i * distance, device});
  }
  ~Buffer() { tgc_cuda_free(device); }
  std::vector<uint16_t> download() const {
    std::vector<uint16_t> data(host.size());
    tgc_cuda_copy_to_host(data.data(), device, data.size() * 2);
    return data;
  }
};

/// Largest |actual - expected| over largest |expected|.
struct Error {
  double difference = 0, magnitude = 0;
  void add(double expected, double actual) {
    difference = std::max(difference, std::fabs(expected - actual));
    magnitude = std::max(magnitude, std::fabs(expected));
  }
  double relative() const { return difference / magnitude; }
};

class CudaAttention
    : public testing::TestWithParam<std::tuple<int64_t, int64_t, int64_t, int64_t, bool, Layout>> {
protected:
  void SetUp() override {
    if (tgc_cuda_init() != TGC_OK)
      GTEST_SKIP() << "SKIPPED: no CUDA device (" << tgc_last_error() << ")";
  }
};

TEST_P(CudaAttention, MatchesDoublePrecision) {
  auto [batch, heads, queries, keys, causal, layout] = GetParam();
  std::mt19937 random(unsigned(batch * 7 + heads * 5 + queries + keys * 3 + causal));
  // The results as the inputs, except that interleaving applies to inputs.
  Layout resultLayout = layout == Layout::Interleaved ? Layout::Separate : layout;
  Buffer queryGrad(2, batch, heads, queries, layout, random);     // q and dout
  Buffer keyValue(2, batch, heads, keys, layout, random);         // k and v
  Buffer results(2, batch, heads, queries, resultLayout, random); // out and dq
  Buffer keyGrads(2, batch, heads, keys, resultLayout, random);   // dk and dv
  const Tensor &q = queryGrad.tensors[0], &dout = queryGrad.tensors[1];
  const Tensor &k = keyValue.tensors[0], &v = keyValue.tensors[1];
  int64_t slices = batch * heads;
  float *lse = static_cast<float *>(tgc_cuda_alloc(slices * queries * 4));
  float *delta = static_cast<float *>(tgc_cuda_alloc(slices * queries * 4));
  tgc_memref3_f32 lseView{lse, lse, 0, {batch, heads, queries}, {heads * queries, queries, 1}};
  tgc_memref3_f32 deltaView{
      delta, delta, 0, {batch, heads, queries}, {heads * queries, queries, 1}};
  float scale = 1.0f / 8;
  tgc_memref4_bf16 qv = q.view(), kv = k.view(), vv = v.view(), ov = results.tensors[0].view(),
                   gv = dout.view(), dqv = results.tensors[1].view(),
                   dkv = keyGrads.tensors[0].view(), dvv = keyGrads.tensors[1].view();
  _mlir_ciface_tgc_cuda_attention_forward_bf16(&qv, &kv, &vv, &ov, &lseView, causal, scale);
  _mlir_ciface_tgc_cuda_attention_backward_bf16(&qv, &kv, &vv, &ov, &gv, &lseView, &dqv, &dkv, &dvv,
                                                &deltaView, causal, scale);
  ASSERT_EQ(tgc_cuda_synchronize(), TGC_OK) << tgc_last_error();
  std::vector<uint16_t> result = results.download(), keyGrad = keyGrads.download();
  std::vector<float> lseResult(slices * queries);
  tgc_cuda_copy_to_host(lseResult.data(), lse, lseResult.size() * 4);
  tgc_cuda_free(lse);
  tgc_cuda_free(delta);

  const std::vector<uint16_t> &qs = queryGrad.host, &kvs = keyValue.host;
  Error out, logSumExp, dq, dk, dv;
  int64_t offset = keys - queries;
  for (int64_t b = 0; b < slices; ++b) {
    std::vector<double> p(queries * keys, 0), ds(queries * keys, 0), o(queries * kHead, 0);
    for (int64_t i = 0; i < queries; ++i) {
      double maximum = -INFINITY, sum = 0;
      std::vector<double> s(keys, -INFINITY);
      for (int64_t j = 0; j < keys; ++j) {
        if (causal && j > i + offset)
          continue;
        double dot = 0;
        for (int64_t d = 0; d < kHead; ++d)
          dot += double(q.at(qs, b, i, d)) * k.at(kvs, b, j, d);
        s[j] = dot * scale;
        maximum = std::max(maximum, s[j]);
      }
      for (int64_t j = 0; j < keys; ++j)
        sum += p[i * keys + j] = std::exp(s[j] - maximum);
      for (int64_t j = 0; j < keys; ++j)
        p[i * keys + j] /= sum;
      logSumExp.add(maximum + std::log(sum), lseResult[b * queries + i]);
      for (int64_t d = 0; d < kHead; ++d) {
        for (int64_t j = 0; j < keys; ++j)
          o[i * kHead + d] += p[i * keys + j] * v.at(kvs, b, j, d);
        out.add(o[i * kHead + d], results.tensors[0].at(result, b, i, d));
      }
      double rowDelta = 0;
      for (int64_t d = 0; d < kHead; ++d)
        rowDelta += dout.at(qs, b, i, d) * o[i * kHead + d];
      for (int64_t j = 0; j < keys; ++j) {
        double dp = 0;
        for (int64_t d = 0; d < kHead; ++d)
          dp += double(dout.at(qs, b, i, d)) * v.at(kvs, b, j, d);
        ds[i * keys + j] = p[i * keys + j] * (dp - rowDelta);
      }
    }
    for (int64_t i = 0; i < queries; ++i)
      for (int64_t d = 0; d < kHead; ++d) {
        double sum = 0;
        for (int64_t j = 0; j < keys; ++j)
          sum += ds[i * keys + j] * k.at(kvs, b, j, d);
        dq.add(sum * scale, results.tensors[1].at(result, b, i, d));
      }
    for (int64_t j = 0; j < keys; ++j)
      for (int64_t d = 0; d < kHead; ++d) {
        double key = 0, value = 0;
        for (int64_t i = 0; i < queries; ++i) {
          key += ds[i * keys + j] * q.at(qs, b, i, d);
          value += p[i * keys + j] * dout.at(qs, b, i, d);
        }
        dk.add(key * scale, keyGrads.tensors[0].at(keyGrad, b, j, d));
        dv.add(value, keyGrads.tensors[1].at(keyGrad, b, j, d));
      }
  }
  // bf16 results, and bf16 probabilities and score gradients in the
  // products: a few bf16 ulps of the largest value.
  EXPECT_LT(out.relative(), 1e-2);
  EXPECT_LT(logSumExp.difference, 1e-4);
  EXPECT_LT(dq.relative(), 2e-2);
  EXPECT_LT(dk.relative(), 2e-2);
  EXPECT_LT(dv.relative(), 2e-2);
}

INSTANTIATE_TEST_SUITE_P(Shapes, CudaAttention,
                         testing::Values(std::make_tuple(2, 1, 128, 128, true, Layout::Separate),
                                         std::make_tuple(1, 3, 64, 192, true, Layout::Separate),
                                         std::make_tuple(2, 1, 128, 64, false, Layout::Separate),
                                         std::make_tuple(2, 1, 192, 192, true, Layout::Interleaved),
                                         std::make_tuple(1, 2, 64, 128, false, Layout::Interleaved),
                                         std::make_tuple(2, 3, 128, 128, true,
                                                         Layout::TransposedHeads)));

/// A host view's elements copied to the device, and back when it goes.
template <typename View> struct OnDevice {
  View &host, device;
  size_t bytes;

  explicit OnDevice(View &host) : host(host), device(host) {
    size_t elements = size_t(host.offset) + 1;
    for (size_t d = 0; d < std::size(host.sizes); ++d)
      elements += size_t((host.sizes[d] - 1) * host.strides[d]);
    bytes = elements * sizeof(*host.aligned);
    device.allocated = device.aligned = static_cast<decltype(host.aligned)>(tgc_cuda_alloc(bytes));
    tgc_cuda_copy_to_device(device.aligned, host.aligned, bytes);
  }
  ~OnDevice() {
    tgc_cuda_copy_to_host(host.aligned, device.aligned, bytes);
    tgc_cuda_free(device.aligned);
  }
};

void forwardF32OnDevice(tgc_memref4_f32 *q, tgc_memref4_f32 *k, tgc_memref4_f32 *v,
                        tgc_memref4_f32 *out, tgc_memref3_f32 *lse, int64_t causal, float scale) {
  OnDevice<tgc_memref4_f32> dq(*q), dk(*k), dv(*v), dout(*out);
  OnDevice<tgc_memref3_f32> dlse(*lse);
  _mlir_ciface_tgc_cuda_attention_forward_f32(&dq.device, &dk.device, &dv.device, &dout.device,
                                              &dlse.device, causal, scale);
  ASSERT_EQ(tgc_cuda_synchronize(), TGC_OK) << tgc_last_error();
}

void backwardF32OnDevice(tgc_memref4_f32 *q, tgc_memref4_f32 *k, tgc_memref4_f32 *v,
                         tgc_memref4_f32 *out, tgc_memref4_f32 *dout, tgc_memref3_f32 *lse,
                         tgc_memref4_f32 *dq, tgc_memref4_f32 *dk, tgc_memref4_f32 *dv,
                         tgc_memref3_f32 *delta, int64_t causal, float scale) {
  OnDevice<tgc_memref4_f32> q_(*q), k_(*k), v_(*v), out_(*out), dout_(*dout), dq_(*dq), dk_(*dk),
      dv_(*dv);
  OnDevice<tgc_memref3_f32> lse_(*lse), delta_(*delta);
  _mlir_ciface_tgc_cuda_attention_backward_f32(
      &q_.device, &k_.device, &v_.device, &out_.device, &dout_.device, &lse_.device, &dq_.device,
      &dk_.device, &dv_.device, &delta_.device, causal, scale);
  ASSERT_EQ(tgc_cuda_synchronize(), TGC_OK) << tgc_last_error();
}

/// The f32 kernels (CudaAttentionF32.cu) against double, as their host runs
/// in AttentionF32KernelsTest.cpp: f32 throughout, so within f32 rounding.
class CudaAttentionF32 : public testing::TestWithParam<tgc::test::Problem> {
protected:
  void SetUp() override {
    if (tgc_cuda_init() != TGC_OK)
      GTEST_SKIP() << "SKIPPED: no CUDA device (" << tgc_last_error() << ")";
  }
};

TEST_P(CudaAttentionF32, ForwardMatchesDouble) {
  tgc::test::expectForwardMatchesDouble<float>(GetParam(), 1e-5, forwardF32OnDevice);
}

TEST_P(CudaAttentionF32, BackwardMatchesDouble) {
  tgc::test::expectBackwardMatchesDouble<float>(GetParam(), 1e-5, forwardF32OnDevice,
                                                backwardF32OnDevice);
}

class CudaAttentionF32Modes : public testing::Test {
protected:
  void SetUp() override {
    if (tgc_cuda_init() != TGC_OK)
      GTEST_SKIP() << "SKIPPED: no CUDA device (" << tgc_last_error() << ")";
  }
};

INSTANTIATE_TEST_SUITE_P(Shapes, CudaAttentionF32, testing::ValuesIn(tgc::test::kKernelProblems),
                         tgc::test::problemName);

/// Exits with 0 when f32 attention under TGC_CUDA_MATMUL=`mode` runs the
/// kernels whose names end in `suffix` (the profile says) and, forward and
/// backward on every kernel problem, stays within `tolerance` of double.
/// Run in a fresh process: the runtime reads the mode once.
[[noreturn]] void exitWithAttentionModeAccuracy(const char *mode, const char *suffix,
                                                double tolerance) {
  setenv("TGC_CUDA_MATMUL", mode, 1);
  tgc_cuda_profile(true);
  for (const tgc::test::Problem &problem : tgc::test::kKernelProblems)
    tgc::test::expectBackwardMatchesDouble<float>(problem, tolerance, forwardF32OnDevice,
                                                  backwardF32OnDevice);
  std::string report = tgc_cuda_profile_report();
  bool ran = true;
  for (const char *kernel : {"forward", "backward_queries", "backward_keys"})
    ran = ran &&
          report.find(std::string("tgc_attention_") + kernel + "_" + suffix) != std::string::npos;
  std::fprintf(stderr, "profile:\n%s\n", report.c_str());
  std::exit(ran && !testing::Test::HasFailure() ? 0 : 1);
}

/// TGC_CUDA_MATMUL picks the f32 kernels: exact FP32 on CUDA cores, 3xTF32
/// (f32's accuracy) or one TF32 pass on tensor cores
/// (CudaAttentionTF32.cu, whose host runs are AttentionTF32KernelsTest.cpp).
TEST_F(CudaAttentionF32Modes, FollowTheMatmulPrecision) {
  if (const char *tuning = std::getenv("TGC_CUDA_GEMM_TUNING"); tuning && *tuning != '0')
    GTEST_SKIP() << "under TGC_CUDA_GEMM_TUNING the 3xtf32 kernels are chosen by their time "
                    "(fake-device-host-side.test checks that choice)";
  GTEST_FLAG_SET(death_test_style, "threadsafe"); // a fresh process: CUDA does not survive fork
  EXPECT_EXIT(exitWithAttentionModeAccuracy("fp32", "f32", 1e-5), testing::ExitedWithCode(0), "");
  EXPECT_EXIT(exitWithAttentionModeAccuracy("3xtf32", "3xtf32", 2e-5), testing::ExitedWithCode(0),
              "");
  EXPECT_EXIT(exitWithAttentionModeAccuracy("tf32", "tf32", 1e-2), testing::ExitedWithCode(0), "");
}

/// Views the kernels cannot take are rejected before any device work. (A
/// DeathTest suite runs first, before other tests start threads that a
/// fork would not carry.)
TEST(CudaAttentionDeathTest, BadViewsAreFatal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  alignas(16) uint16_t data[8] = {};
  float stats[8] = {};
  auto view = [&](int64_t rows, int64_t head, int64_t rowStride) {
    return tgc_memref4_bf16{
        data, data, 0, {1, 1, rows, head}, {rows * rowStride, rows * rowStride, rowStride, 1}};
  };
  auto statistics = [&](int64_t heads, int64_t rows) {
    return tgc_memref3_f32{stats, stats, 0, {1, heads, rows}, {heads * rows, rows, 1}};
  };
  tgc_memref3_f32 lse = statistics(1, 64);
  tgc_memref4_bf16 good = view(64, 64, 64), head32 = view(64, 32, 32), rows48 = view(48, 64, 64),
                   unaligned = view(64, 64, 68);
  EXPECT_EXIT(_mlir_ciface_tgc_cuda_attention_forward_bf16(&head32, &head32, &head32, &head32, &lse,
                                                           0, 1.f),
              testing::ExitedWithCode(1), "attention forward \\(CUDA\\): D is 32, expected 64");
  tgc_memref3_f32 lse48 = statistics(1, 48);
  EXPECT_EXIT(_mlir_ciface_tgc_cuda_attention_forward_bf16(&rows48, &rows48, &rows48, &rows48,
                                                           &lse48, 0, 1.f),
              testing::ExitedWithCode(1), "Tq = 48 and Tk = 48 must be multiples of 64");
  EXPECT_EXIT(
      _mlir_ciface_tgc_cuda_attention_forward_bf16(&unaligned, &good, &good, &good, &lse, 0, 1.f),
      testing::ExitedWithCode(1),
      "q has strides \\[4352, 4352, 68, 1\\]: the kernels need 16-byte aligned rows");
  // Two heads 64 * 64 + 4 elements apart: the second head's rows are not
  // 16-byte aligned.
  tgc_memref4_bf16 twoHeads = good;
  twoHeads.sizes[1] = 2;
  twoHeads.strides[1] = 64 * 64 + 4;
  twoHeads.strides[0] = 2 * twoHeads.strides[1];
  tgc_memref3_f32 lse2 = statistics(2, 64);
  EXPECT_EXIT(_mlir_ciface_tgc_cuda_attention_forward_bf16(&twoHeads, &twoHeads, &twoHeads,
                                                           &twoHeads, &lse2, 0, 1.f),
              testing::ExitedWithCode(1),
              "q has strides \\[8200, 4100, 64, 1\\]: the kernels need 16-byte aligned rows");
  tgc_memref4_bf16 keys = view(64, 64, 64), queries = good;
  queries.sizes[2] = 128;
  tgc_memref3_f32 lse128 = statistics(1, 128);
  EXPECT_EXIT(_mlir_ciface_tgc_cuda_attention_forward_bf16(&queries, &keys, &keys, &queries,
                                                           &lse128, 1, 1.f),
              testing::ExitedWithCode(1), "causal with 128 queries but only 64 keys");
  // f32 rows move 16 bytes (4 elements) at a time too.
  alignas(16) float words[8] = {};
  tgc_memref4_f32 f32Good = {words, words, 0, {1, 1, 64, 64}, {64 * 64, 64 * 64, 64, 1}},
                  f32Unaligned = {words, words, 0, {1, 1, 64, 64}, {64 * 66, 64 * 66, 66, 1}};
  EXPECT_EXIT(_mlir_ciface_tgc_cuda_attention_forward_f32(&f32Good, &f32Unaligned, &f32Good,
                                                          &f32Good, &lse, 0, 1.f),
              testing::ExitedWithCode(1),
              "k has strides \\[4224, 4224, 66, 1\\]: the kernels need 16-byte aligned rows");
}

} // namespace
