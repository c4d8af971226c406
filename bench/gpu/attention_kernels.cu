// attention_kernels.cu - the runtime's fused attention kernels on their own:
// each output checked against attention computed in double on small shapes,
// then GPT-2's shape (8 x 12 heads, T = 1024, D = 64, causal, bf16) timed
// with CUDA events. bench/gpu/run.sh runs it beside PyTorch's
// scaled_dot_product_attention (peers.py); scripts/gpu-check-build.sh builds
// it with nvcc (CUDA runtime linked statically).
//
//   bench-attention-kernels        prints "check ... OK|FAIL" lines, then
//                                  "forward US backward US" (medians)
//
// The kernels are compiled from runtime/CudaAttention.cu itself, launched
// as runtime/CudaAttention.cpp launches them.
#include "../../runtime/CudaAttention.cu"
#include "cuda_timing.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

namespace {

float fromBF16(uint16_t bits) {
  uint32_t word = uint32_t(bits) << 16;
  float value;
  std::memcpy(&value, &word, 4);
  return value;
}

uint16_t toBF16(float value) {
  uint32_t word;
  std::memcpy(&word, &value, 4);
  word += 0x7fff + ((word >> 16) & 1);
  return uint16_t(word >> 16);
}

/// Contiguous [batch, heads, rows, 64] bf16 on the device, random, with its
/// host copy; at() takes slice b = batch * heads + head.
struct Tensor {
  std::vector<uint16_t> host;
  void *device = nullptr;
  int heads, rows;
  Tensor(int batch, int heads, int rows, std::mt19937 &random)
      : host(size_t(batch) * heads * rows * 64), heads(heads), rows(rows) {
    std::normal_distribution<float> normal(0, 1);
    for (uint16_t &x : host)
      x = toBF16(normal(random));
    CHECK(cudaMalloc(&device, host.size() * 2));
    CHECK(cudaMemcpy(device, host.data(), host.size() * 2, cudaMemcpyHostToDevice));
  }
  ~Tensor() { cudaFree(device); }
  AttentionView view() const {
    return {device, (long long)heads * rows * 64, (long long)rows * 64, 64};
  }
  float at(int b, int row, int d) const {
    return fromBF16(host[(size_t(b) * rows + row) * 64 + d]);
  }
  std::vector<uint16_t> download() const {
    std::vector<uint16_t> data(host.size());
    CHECK(cudaMemcpy(data.data(), device, data.size() * 2, cudaMemcpyDeviceToHost));
    return data;
  }
};

struct Problem {
  int slices, queries, keys, causal;
  std::mt19937 random{7};
  Tensor q, k, v, dout, out, dq, dk, dv;
  float *lse = nullptr, *delta = nullptr;
  AttentionParams params{};

  Problem(int batch, int heads, int queries, int keys, int causal, float scale)
      : slices(batch * heads), queries(queries), keys(keys), causal(causal),
        q(batch, heads, queries, random), k(batch, heads, keys, random),
        v(batch, heads, keys, random), dout(batch, heads, queries, random),
        out(batch, heads, queries, random), dq(batch, heads, queries, random),
        dk(batch, heads, keys, random), dv(batch, heads, keys, random) {
    CHECK(cudaMalloc(&lse, size_t(slices) * queries * 4));
    CHECK(cudaMalloc(&delta, size_t(slices) * queries * 4));
    long long headStride = queries, batchStride = (long long)heads * queries;
    params = {q.view(),
              k.view(),
              v.view(),
              out.view(),
              dout.view(),
              dq.view(),
              dk.view(),
              dv.view(),
              {lse, batchStride, headStride},
              {delta, batchStride, headStride},
              heads,
              queries,
              keys,
              causal,
              scale};
  }
  ~Problem() {
    cudaFree(lse);
    cudaFree(delta);
  }
  void forward() {
    tgc_attention_forward_bf16<<<dim3(queries / kTile, slices), kThreads,
                                 kAttentionBF16ForwardShared>>>(params);
  }
  void backward() {
    tgc_attention_backward_queries_bf16<<<dim3(queries / kTile, slices), kThreads,
                                          kAttentionBF16QueriesShared>>>(params);
    tgc_attention_backward_keys_bf16<<<dim3(keys / kTile, slices), kThreads,
                                       kAttentionBF16KeysShared>>>(params);
  }
};

/// Largest |error| over the largest |value|.
struct Error {
  double difference = 0, magnitude = 0;
  void add(double expected, double actual) {
    difference = std::max(difference, std::fabs(expected - actual));
    magnitude = std::max(magnitude, std::fabs(expected));
  }
  double relative() const { return difference / magnitude; }
};

/// Runs both directions and compares every output with double precision.
bool checkAgainstDouble(int batch, int heads, int queries, int keys, int causal, float scale) {
  Problem p(batch, heads, queries, keys, causal, scale);
  int slices = p.slices;
  p.forward();
  p.backward();
  CHECK(cudaDeviceSynchronize());
  std::vector<uint16_t> out = p.out.download(), dq = p.dq.download(), dk = p.dk.download(),
                        dv = p.dv.download();
  std::vector<float> lse(size_t(slices) * queries);
  CHECK(cudaMemcpy(lse.data(), p.lse, lse.size() * 4, cudaMemcpyDeviceToHost));
  Error eOut, eLse, eDq, eDk, eDv;
  int offset = keys - queries;
  for (int b = 0; b < slices; ++b) {
    std::vector<double> prob(size_t(queries) * keys, 0), ds(prob.size(), 0), o(queries * 64, 0);
    for (int i = 0; i < queries; ++i) {
      std::vector<double> s(keys, -INFINITY);
      double maximum = -INFINITY, sum = 0;
      for (int j = 0; j < keys; ++j) {
        if (causal && j > i + offset)
          continue;
        double dot = 0;
        for (int d = 0; d < 64; ++d)
          dot += double(p.q.at(b, i, d)) * p.k.at(b, j, d);
        maximum = std::max(maximum, s[j] = dot * scale);
      }
      for (int j = 0; j < keys; ++j)
        sum += prob[size_t(i) * keys + j] = std::exp(s[j] - maximum);
      eLse.add(maximum + std::log(sum), lse[size_t(b) * queries + i]);
      double rowDelta = 0;
      for (int d = 0; d < 64; ++d) {
        for (int j = 0; j < keys; ++j)
          o[i * 64 + d] += prob[size_t(i) * keys + j] / sum * p.v.at(b, j, d);
        eOut.add(o[i * 64 + d], fromBF16(out[(size_t(b) * queries + i) * 64 + d]));
        rowDelta += p.dout.at(b, i, d) * o[i * 64 + d];
      }
      for (int j = 0; j < keys; ++j) {
        double &pij = prob[size_t(i) * keys + j], dp = 0;
        pij /= sum;
        for (int d = 0; d < 64; ++d)
          dp += double(p.dout.at(b, i, d)) * p.v.at(b, j, d);
        ds[size_t(i) * keys + j] = pij * (dp - rowDelta);
      }
    }
    for (int i = 0; i < queries; ++i)
      for (int d = 0; d < 64; ++d) {
        double sum = 0;
        for (int j = 0; j < keys; ++j)
          sum += ds[size_t(i) * keys + j] * p.k.at(b, j, d);
        eDq.add(sum * scale, fromBF16(dq[(size_t(b) * queries + i) * 64 + d]));
      }
    for (int j = 0; j < keys; ++j)
      for (int d = 0; d < 64; ++d) {
        double key = 0, value = 0;
        for (int i = 0; i < queries; ++i) {
          key += ds[size_t(i) * keys + j] * p.q.at(b, i, d);
          value += prob[size_t(i) * keys + j] * p.dout.at(b, i, d);
        }
        eDk.add(key * scale, fromBF16(dk[(size_t(b) * keys + j) * 64 + d]));
        eDv.add(value, fromBF16(dv[(size_t(b) * keys + j) * 64 + d]));
      }
  }
  bool ok = eOut.relative() < 1e-2 && eLse.difference < 1e-4 && eDq.relative() < 2e-2 &&
            eDk.relative() < 2e-2 && eDv.relative() < 2e-2;
  std::printf("check %d x %d heads, %d queries, %d keys%s: out %.1e, lse %.1e, dq %.1e, "
              "dk %.1e, dv %.1e %s\n",
              batch, heads, queries, keys, causal ? ", causal" : "", eOut.relative(),
              eLse.difference, eDq.relative(), eDk.relative(), eDv.relative(), ok ? "OK" : "FAIL");
  return ok;
}

} // namespace

int main() {
  bool ok =
      checkAgainstDouble(2, 1, 128, 128, 1, 0.125f) & checkAgainstDouble(1, 3, 64, 192, 1, 0.2f) &
      checkAgainstDouble(2, 3, 128, 64, 0, 0.125f) & checkAgainstDouble(1, 1, 256, 256, 1, 0.125f);
  Problem gpt2(8, 12, 1024, 1024, 1, 0.125f);
  double forward = medianMicroseconds([&] { gpt2.forward(); });
  double backward = medianMicroseconds([&] { gpt2.backward(); });
  CHECK(cudaGetLastError());
  std::printf("forward %.1f backward %.1f\n", forward, backward);
  return ok ? 0 : 1;
}
