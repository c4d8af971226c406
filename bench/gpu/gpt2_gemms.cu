// gpt2_gemms.cu - the GPT-2 block benchmark's 12 dense FP32 GEMMs (d 768,
// 8192 tokens: the forward's, the input gradients' and the weight
// gradients'), each timed and checked three ways on this GPU:
//
//  - exact FP32 (cublasSgemm: SIMT FMAs, what tgc and torch.compile run by
//    default);
//  - 3xTF32 as TGC_CUDA_MATMUL=3xtf32 runs it: the runtime's split kernels
//    (runtime/CudaSplitTF32.cu) on both operands, then one TF32 GEMM over
//    the tripled reduction (cublasGemmEx, CUBLAS_COMPUTE_32F_FAST_TF32),
//    also each part alone (the split kernels' bandwidth; the GEMM's
//    TFLOP/s counted as its 3x work), and with two blocks and two GEMMs
//    ([As Ab] [Bb; Bs], then Ab Bb), which the runtime runs where the
//    result is smaller than half the operands (the weight gradients);
//  - TF32 alone (the operands as they are: 10 mantissa bits);
//  - an alternative 3xTF32 that writes the small parts only, x - tf32(x),
//    and lets the GEMMs read the original operands for the big parts:
//    C = As B + A Bs + A B in three TF32 GEMMs (the last two accumulating).
//    It is exact only where tf32(x) is how the tensor cores read x, so it
//    is run with tf32 as truncation and as rounding to nearest: its error
//    tells which conversion cuBLAS's TF32 GEMMs make, its time whether
//    half the split traffic (and two more passes over C) would pay.
//
// Accuracy: 256 sampled outputs of each against the product in double,
// the error relative to the sum of the terms' magnitudes (the largest).
// Times are medians (cuda_timing.h). The totals are what a step's dense
// GEMMs take each way.
//
//   /usr/local/cuda/bin/nvcc -O3 -std=c++17 -arch=sm_90 bench/gpu/gpt2_gemms.cu \
//     -lcublas -o gpt2_gemms
//   ./gpt2_gemms      (on the GPU machine)
#include <cublas_v2.h>

#include "../../runtime/CudaSplitTF32.cu"
#include "cuda_timing.h"

#include <cmath>
#include <random>

namespace {

void checkBlas(cublasStatus_t status, const char *what) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    std::fprintf(stderr, "gpt2_gemms: %s: cuBLAS status %d\n", what, int(status));
    std::exit(1);
  }
}

/// Column-major C [m, n] = A [m, k] B [k, n], all plain (no transposes):
/// cuBLAS's view of tgc's products, whose transposes cost it little.
struct Gemm {
  const char *name;
  int m, n, k;
};

constexpr int kTokens = 8192, kModel = 768;
const Gemm kGemms[] = {
    {"qkv forward", 3 * kModel, kTokens, kModel},
    {"proj forward", kModel, kTokens, kModel},
    {"fc1 forward", 4 * kModel, kTokens, kModel},
    {"fc2 forward", kModel, kTokens, 4 * kModel},
    {"qkv input grad", kModel, kTokens, 3 * kModel},
    {"proj input grad", kModel, kTokens, kModel},
    {"fc1 input grad", kModel, kTokens, 4 * kModel},
    {"fc2 input grad", 4 * kModel, kTokens, kModel},
    {"qkv weight grad", kModel, 3 * kModel, kTokens},
    {"proj weight grad", kModel, kModel, kTokens},
    {"fc1 weight grad", kModel, 4 * kModel, kTokens},
    {"fc2 weight grad", 4 * kModel, kModel, kTokens},
};

/// Queues the split of a column-major rows x cols matrix (rows contiguous)
/// whose reduction runs along its columns (A) or rows (B) into `target`, in
/// `blocks` blocks, as CudaBlas.cpp does (the kernels see the columns
/// contiguous).
void split(const float *source, float *target, int rows, int cols, bool reductionAlongCols,
           int smallBlock, int multiprocessors, int blocks = 3) {
  // The kernels' view: the transpose, `cols` lines of `rows`.
  bool alongKernelCols = !reductionAlongCols;
  SplitTF32Params params;
  params.source = source;
  params.target = target;
  params.sourceRowStride = rows;
  params.sourceBatchStride = 0;
  params.targetRowStride = alongKernelCols ? blocks * rows : rows;
  params.targetBatchStride = 0;
  params.blockStride = alongKernelCols ? rows : (long long)rows * cols;
  params.batch = 1;
  params.rows = cols;
  params.cols = rows;
  params.smallBlock = smallBlock;
  params.blocks = blocks;
  bool vectorized = splitTF32Vectorized(params);
  unsigned grid = splitTF32Blocks(params, vectorized, 16 * multiprocessors);
  if (vectorized)
    tgc_split_tf32x3_vec4<<<grid, kSplitTF32Threads>>>(params);
  else
    tgc_split_tf32x3<<<grid, kSplitTF32Threads>>>(params);
  CHECK(cudaGetLastError());
}

/// small[i] = x[i] - tf32(x[i]), tf32 truncating or rounding as the split
/// kernels do (roundToTF32).
__global__ void smallParts(const float *x, float *small, long long n, bool truncating) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
       i += (long long)gridDim.x * blockDim.x) {
    float big = truncating ? __uint_as_float(__float_as_uint(x[i]) & 0xffffe000u) : roundToTF32(x[i]);
    small[i] = x[i] - big;
  }
}

/// The largest error of 256 sampled outputs of `c` against A B in double.
double sampledError(const std::vector<float> &a, const std::vector<float> &b, const float *c,
                    const Gemm &g) {
  std::vector<float> host((size_t)g.m * g.n);
  CHECK(cudaMemcpy(host.data(), c, host.size() * sizeof(float), cudaMemcpyDeviceToHost));
  std::mt19937 random(11);
  double worst = 0;
  for (int s = 0; s < 256; ++s) {
    int i = int(random() % g.m), j = int(random() % g.n);
    double sum = 0, magnitude = 0;
    for (int l = 0; l < g.k; ++l) {
      double term = double(a[(size_t)l * g.m + i]) * b[(size_t)j * g.k + l];
      sum += term;
      magnitude += std::fabs(term);
    }
    worst = std::max(worst, std::fabs(host[(size_t)j * g.m + i] - sum) / magnitude);
  }
  return worst;
}

} // namespace

int main() {
  int device = 0, multiprocessors = 0;
  CHECK(cudaGetDevice(&device));
  CHECK(cudaDeviceGetAttribute(&multiprocessors, cudaDevAttrMultiProcessorCount, device));
  cublasHandle_t handle;
  checkBlas(cublasCreate(&handle), "cublasCreate");
  size_t most = 0;
  for (const Gemm &g : kGemms)
    most = std::max({most, (size_t)g.m * g.k, (size_t)g.k * g.n, (size_t)g.m * g.n});
  float *a, *b, *c, *a3, *b3;
  CHECK(cudaMalloc(&a, most * sizeof(float)));
  CHECK(cudaMalloc(&b, most * sizeof(float)));
  CHECK(cudaMalloc(&c, most * sizeof(float)));
  CHECK(cudaMalloc(&a3, 3 * most * sizeof(float)));
  CHECK(cudaMalloc(&b3, 3 * most * sizeof(float)));
  std::mt19937 random(5);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::printf("%-17s %9s %9s %9s %9s %9s %9s | %9s %9s %9s\n", "GEMM (m n k)", "fp32 us",
              "3xtf32 us", "split us", "tf32x3k", "tf32 us", "speedup", "fp32 err", "3xtf32 err",
              "tf32 err");
  double totals[5] = {};
  for (const Gemm &g : kGemms) {
    std::vector<float> ha((size_t)g.m * g.k), hb((size_t)g.k * g.n);
    for (float &x : ha)
      x = uniform(random);
    for (float &x : hb)
      x = uniform(random);
    CHECK(cudaMemcpy(a, ha.data(), ha.size() * sizeof(float), cudaMemcpyHostToDevice));
    CHECK(cudaMemcpy(b, hb.data(), hb.size() * sizeof(float), cudaMemcpyHostToDevice));
    const float one = 1, zero = 0;
    auto sgemm = [&] {
      checkBlas(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, g.m, g.n, g.k, &one, a, g.m, b, g.k,
                            &zero, c, g.m),
                "cublasSgemm");
    };
    auto splits = [&] {
      split(a, a3, g.m, g.k, /*reductionAlongCols=*/true, 0, multiprocessors);
      split(b, b3, g.k, g.n, /*reductionAlongCols=*/false, 1, multiprocessors);
    };
    auto tf32 = [&](const float *x, const float *y, int k, const float *beta = nullptr,
                    int ldy = 0) {
      checkBlas(cublasGemmEx(handle, CUBLAS_OP_N, CUBLAS_OP_N, g.m, g.n, k, &one, x, CUDA_R_32F,
                             g.m, y, CUDA_R_32F, ldy ? ldy : k, beta ? beta : &zero, c,
                             CUDA_R_32F, g.m, CUBLAS_COMPUTE_32F_FAST_TF32, CUBLAS_GEMM_DEFAULT),
                "cublasGemmEx");
    };
    // Two blocks and two GEMMs, as the runtime runs a product whose result
    // is small beside its operands: [As Ab] [Bb; Bs] over 2k, then Ab Bb.
    auto twoGemms = [&] {
      split(a, a3, g.m, g.k, /*reductionAlongCols=*/true, 0, multiprocessors, 2);
      split(b, b3, g.k, g.n, /*reductionAlongCols=*/false, 1, multiprocessors, 2);
      tf32(a3, b3, 2 * g.k);
      tf32(a3 + (size_t)g.m * g.k, b3, g.k, &one, 2 * g.k);
    };
    // The small-parts-only variant: As in a3, Bs in b3.
    auto smallOnly = [&](bool truncating) {
      long long aSize = (long long)g.m * g.k, bSize = (long long)g.k * g.n;
      unsigned blocks = 16 * multiprocessors;
      smallParts<<<blocks, 256>>>(a, a3, aSize, truncating);
      smallParts<<<blocks, 256>>>(b, b3, bSize, truncating);
      CHECK(cudaGetLastError());
      tf32(a3, b, g.k);
      tf32(a, b3, g.k, &one);
      tf32(a, b, g.k, &one);
    };
    double fp32Time = medianMicroseconds(sgemm);
    sgemm();
    double fp32Error = sampledError(ha, hb, c, g);
    double splitTime = medianMicroseconds(splits);
    double gemm3Time = medianMicroseconds([&] { tf32(a3, b3, 3 * g.k); });
    double splitGemmTime = medianMicroseconds([&] {
      splits();
      tf32(a3, b3, 3 * g.k);
    });
    double splitError = sampledError(ha, hb, c, g);
    double tf32Time = medianMicroseconds([&] { tf32(a, b, g.k); });
    double tf32Error = sampledError(ha, hb, c, g);
    double truncatedTime = medianMicroseconds([&] { smallOnly(true); });
    double truncatedError = sampledError(ha, hb, c, g);
    double roundedTime = medianMicroseconds([&] { smallOnly(false); });
    double roundedError = sampledError(ha, hb, c, g);
    double twoTime = medianMicroseconds(twoGemms);
    double twoError = sampledError(ha, hb, c, g);
    bool smallResult = 2.0 * g.m * g.n < (double)g.m * g.k + (double)g.k * g.n;
    char label[64];
    std::snprintf(label, sizeof label, "%s (%d %d %d)", g.name, g.m, g.n, g.k);
    std::printf("%-34s\n%-17s %9.1f %9.1f %9.1f %9.1f %9.1f %8.2fx | %9.1e %9.1e %9.1e\n", label,
                "", fp32Time, splitGemmTime, splitTime, gemm3Time, tf32Time,
                fp32Time / splitGemmTime, fp32Error, splitError, tf32Error);
    double flops = 2.0 * g.m * g.n * g.k, bytes = 16.0 * ((double)g.m * g.k + (double)g.k * g.n);
    std::printf("%-17s fp32 %.1f TFLOP/s, 3xtf32's GEMM %.1f TFLOP/s (of its 3x work), split "
                "%.0f GB/s (16 bytes an element)\n",
                "", flops / fp32Time / 1e6, 3 * flops / gemm3Time / 1e6, bytes / splitTime / 1e3);
    std::printf("%-17s small parts only, 3 GEMMs: tf32 as truncation %.1f us (error %.1e), as "
                "rounding %.1f us (error %.1e)\n",
                "", truncatedTime, truncatedError, roundedTime, roundedError);
    std::printf("%-17s two blocks, two GEMMs: %.1f us (error %.1e)%s\n", "", twoTime, twoError,
                smallResult ? ": the runtime's choice for this shape" : "");
    totals[0] += fp32Time, totals[1] += splitGemmTime, totals[2] += splitTime,
        totals[3] += tf32Time, totals[4] += smallResult ? twoTime : splitGemmTime;
  }
  std::printf("total: fp32 %.1f us, 3xtf32 %.1f us (%.2fx; %.1f us of it splitting), tf32 %.1f "
              "us; 3xtf32 with two GEMMs where the result is small %.1f us (%.2fx)\n",
              totals[0], totals[1], totals[0] / totals[1], totals[2], totals[3], totals[4],
              totals[0] / totals[4]);
  return 0;
}
