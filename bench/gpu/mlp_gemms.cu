// mlp_gemms.cu - how fast the MLP benchmark's 8 GEMMs (784-512-512-10,
// batch 128) can be on this GPU, in a CUDA graph as a step runs them:
//
//  - each GEMM as tgc issues it today (cublasSgemmStridedBatched for the
//    backward ones, cuBLASLt with the bias (+ relu) epilogue and the
//    heuristic's first algorithm for the forward ones), in FP32 and TF32;
//  - with cuBLASLt's best of its first 16 algorithms, timed here (what an
//    autotuner would pick);
//  - the backward's five GEMMs in a chain, against the weight gradients on
//    a second stream (what tgc --gpu-branches does), FP32;
//  - each GEMM in the runtime's small GEMM kernel (runtime/CudaSmallGemm.cu,
//    what TGC_CUDA_SMALL_GEMM=1 runs: one kernel, epilogue included);
//  - whether cuBLASLt takes the epilogues that would fuse relu's derivative
//    and the bias gradient into the input gradients' GEMMs in FP32 and
//    TF32 (RELU_AUX_BIAS forward, writing relu's mask; DRELU_BGRAD backward,
//    reading it), and how fast they are against the plain GEMMs.
//
// Shapes are cuBLAS's column-major m x n x k with the ops tgc's profile
// names (TGC_CUDA_PROFILE=1). Times are the median of 20 launches of a graph
// of 20 copies of the work, per copy.
//
//   /usr/local/cuda/bin/nvcc -O3 -std=c++17 -arch=sm_90 -Iinclude bench/gpu/mlp_gemms.cu \
//     -lcublas -lcublasLt -o mlp_gemms
//   ./mlp_gemms      (on the GPU machine)
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "../../runtime/CudaSmallGemm.cu"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

namespace {

void check(cudaError_t status, const char *what) {
  if (status != cudaSuccess) {
    std::fprintf(stderr, "mlp_gemms: %s: %s\n", what, cudaGetErrorString(status));
    std::exit(1);
  }
}
void check(cublasStatus_t status, const char *what) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    std::fprintf(stderr, "mlp_gemms: %s: cuBLAS status %d\n", what, int(status));
    std::exit(1);
  }
}

struct Gemm {
  const char *name;
  bool transA, transB;
  int m, n, k;
  cublasLtEpilogue_t epilogue; // the forward ones' (bias, bias + relu)
};

// The step's order: forward, then backward.
const Gemm kGemms[] = {
    {"fc1 forward (bias+relu)", true, false, 512, 128, 784, CUBLASLT_EPILOGUE_RELU_BIAS},
    {"fc2 forward (bias+relu)", true, false, 512, 128, 512, CUBLASLT_EPILOGUE_RELU_BIAS},
    {"fc3 forward (bias)", true, false, 10, 128, 512, CUBLASLT_EPILOGUE_BIAS},
    {"fc3 input gradient", false, false, 512, 128, 10, CUBLASLT_EPILOGUE_DEFAULT},
    {"fc3 weight gradient", false, true, 512, 10, 128, CUBLASLT_EPILOGUE_DEFAULT},
    {"fc2 input gradient", false, false, 512, 128, 512, CUBLASLT_EPILOGUE_DEFAULT},
    {"fc2 weight gradient", false, true, 512, 512, 128, CUBLASLT_EPILOGUE_DEFAULT},
    {"fc1 weight gradient", false, true, 784, 512, 128, CUBLASLT_EPILOGUE_DEFAULT},
};
constexpr int kCopies = 20, kLaunches = 20, kCandidates = 16;

float *a, *b, *c, *bias, *workspace[2];
void *mask; // relu's bit mask, 512 x 128 bits: RELU_AUX_BIAS writes it, DRELU_BGRAD reads it
constexpr size_t kElements = 784 * 512, kWorkspaceBytes = size_t(32) << 20;
cudaStream_t streams[2];
cublasHandle_t handles[2];
cublasLtHandle_t lt;

/// Median microseconds of one copy of `work` (queued on streams[0], may
/// fork to streams[1]) in a graph of kCopies copies.
float graphMicroseconds(const std::function<void()> &work) {
  cudaGraph_t graph;
  cudaGraphExec_t exec;
  check(cudaStreamBeginCapture(streams[0], cudaStreamCaptureModeGlobal), "begin capture");
  for (int i = 0; i < kCopies; ++i)
    work();
  check(cudaStreamEndCapture(streams[0], &graph), "end capture");
  check(cudaGraphInstantiate(&exec, graph, 0), "instantiate");
  cudaEvent_t start, end;
  cudaEventCreate(&start);
  cudaEventCreate(&end);
  std::vector<float> times;
  for (int i = 0; i < kLaunches + 3; ++i) {
    cudaEventRecord(start, streams[0]);
    cudaGraphLaunch(exec, streams[0]);
    cudaEventRecord(end, streams[0]);
    check(cudaEventSynchronize(end), "graph launch");
    float ms = 0;
    cudaEventElapsedTime(&ms, start, end);
    if (i >= 3)
      times.push_back(ms * 1000 / kCopies);
  }
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

/// The runtime's call (runtime/CudaBlas.cpp) on stream `s`: FP32
/// cublasSgemmStridedBatched, or TF32 cublasGemmStridedBatchedEx.
void classic(const Gemm &g, cublasComputeType_t compute, int s) {
  float one = 1, zero = 0;
  cublasOperation_t opA = g.transA ? CUBLAS_OP_T : CUBLAS_OP_N,
                    opB = g.transB ? CUBLAS_OP_T : CUBLAS_OP_N;
  int lda = g.transA ? g.k : g.m, ldb = g.transB ? g.n : g.k;
  if (compute == CUBLAS_COMPUTE_32F)
    check(cublasSgemmStridedBatched(handles[s], opA, opB, g.m, g.n, g.k, &one, a, lda, 0, b, ldb, 0,
                                    &zero, c, g.m, 0, 1),
          "cublasSgemmStridedBatched");
  else
    check(cublasGemmStridedBatchedEx(handles[s], opA, opB, g.m, g.n, g.k, &one, a, CUDA_R_32F, lda,
                                     0, b, CUDA_R_32F, ldb, 0, &zero, c, CUDA_R_32F, g.m, 0, 1,
                                     compute, CUBLAS_GEMM_DEFAULT),
          "cublasGemmStridedBatchedEx");
}

/// A cuBLASLt plan of `g` and up to kCandidates algorithms, best first by
/// the heuristic.
struct LtPlan {
  cublasLtMatmulDesc_t desc;
  cublasLtMatrixLayout_t la, lb, lc;
  std::vector<cublasLtMatmulHeuristicResult_t> algorithms;
};

LtPlan plan(const Gemm &g, cublasComputeType_t compute) {
  LtPlan p;
  check(cublasLtMatmulDescCreate(&p.desc, compute, CUDA_R_32F), "desc");
  cublasOperation_t opA = g.transA ? CUBLAS_OP_T : CUBLAS_OP_N,
                    opB = g.transB ? CUBLAS_OP_T : CUBLAS_OP_N;
  cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_TRANSA, &opA, sizeof(opA));
  cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_TRANSB, &opB, sizeof(opB));
  cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &g.epilogue,
                                 sizeof(g.epilogue));
  // (A bias pointer with an epilogue that takes none makes every algorithm
  // refuse the call: status 7.)
  if (g.epilogue != CUBLASLT_EPILOGUE_DEFAULT)
    cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof(bias));
  if (g.epilogue == CUBLASLT_EPILOGUE_RELU_AUX_BIAS ||
      g.epilogue == CUBLASLT_EPILOGUE_DRELU_BGRAD) {
    int64_t ld = (g.m + 127) / 128 * 128;
    cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_POINTER, &mask,
                                   sizeof(mask));
    cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_LD, &ld, sizeof(ld));
  }
  check(cublasLtMatrixLayoutCreate(&p.la, CUDA_R_32F, g.transA ? g.k : g.m, g.transA ? g.m : g.k,
                                   g.transA ? g.k : g.m),
        "layout A");
  check(cublasLtMatrixLayoutCreate(&p.lb, CUDA_R_32F, g.transB ? g.n : g.k, g.transB ? g.k : g.n,
                                   g.transB ? g.n : g.k),
        "layout B");
  check(cublasLtMatrixLayoutCreate(&p.lc, CUDA_R_32F, g.m, g.n, g.m), "layout C");
  cublasLtMatmulPreference_t preference;
  cublasLtMatmulPreferenceCreate(&preference);
  size_t bytes = kWorkspaceBytes;
  cublasLtMatmulPreferenceSetAttribute(preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &bytes,
                                       sizeof(bytes));
  p.algorithms.resize(kCandidates);
  int found = 0;
  // (An epilogue cuBLASLt does not take for these types: not supported.)
  if (cublasLtMatmulAlgoGetHeuristic(lt, p.desc, p.la, p.lb, p.lc, p.lc, preference, kCandidates,
                                     p.algorithms.data(), &found) != CUBLAS_STATUS_SUCCESS)
    found = 0;
  p.algorithms.resize(found);
  cublasLtMatmulPreferenceDestroy(preference);
  return p;
}

cublasStatus_t launch(const LtPlan &p, size_t algorithm, int s) {
  float one = 1, zero = 0;
  return cublasLtMatmul(lt, p.desc, &one, a, p.la, b, p.lb, &zero, c, p.lc, c, p.lc,
                        &p.algorithms[algorithm].algo, workspace[s], kWorkspaceBytes, streams[s]);
}

void run(const LtPlan &p, size_t algorithm, int s) {
  check(launch(p, algorithm, s), "cublasLtMatmul");
}

/// Whether `p`'s algorithm runs outside a graph (cuBLASLt's heuristic can
/// offer algorithms that then refuse the problem, e.g. status 7).
bool runs(const LtPlan &p, size_t algorithm) {
  return launch(p, algorithm, 0) == CUBLAS_STATUS_SUCCESS &&
         cudaStreamSynchronize(streams[0]) == cudaSuccess;
}

/// `g` in the runtime's small GEMM kernel on stream `s`, as its transpose
/// (C^T = op(B)^T op(A)^T: the kernels' bias runs along the result's
/// columns, cuBLASLt's along its column-major rows).
void small(const Gemm &g, int s) {
  SmallGemmLaunch launch;
  if (!planSmallGemm(1, g.n, g.m, g.k, launch)) {
    std::fprintf(stderr, "mlp_gemms: %s: too large for the small GEMM kernels\n", g.name);
    std::exit(1);
  }
  // op(A)(i, t) and op(B)(t, j) as stored column-major.
  long long aRow = g.transA ? g.k : 1, aTerm = g.transA ? 1 : g.m;
  long long bTerm = g.transB ? g.n : 1, bColumn = g.transB ? 1 : g.k;
  SmallGemmParams params = {};
  params.a = {b, bColumn, bTerm, 0};
  params.b = {a, aTerm, aRow, 0};
  params.c = {c, g.m, 1, 0};
  params.bias = bias;
  params.biasStride = 1;
  params.m = g.n;
  params.n = g.m;
  params.k = g.k;
  params.kPerWarp = launch.kPerWarp;
  params.epilogue = g.epilogue == CUBLASLT_EPILOGUE_RELU_BIAS ? TGC_EPILOGUE_BIAS_RELU
                    : g.epilogue == CUBLASLT_EPILOGUE_BIAS    ? TGC_EPILOGUE_BIAS
                                                              : -1;
  SmallGemmKernel kernel = kSmallGemmKernels[launch.tile - kSmallGemmTiles];
  check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                             launch.sharedBytes),
        "small GEMM shared memory");
  kernel<<<dim3(launch.grid[0], launch.grid[1], launch.grid[2]), launch.threads,
           launch.sharedBytes, streams[s]>>>(params);
  check(cudaGetLastError(), "small GEMM launch");
}

/// The index of `p`'s first algorithm that runs (its count if none does).
size_t firstThatRuns(const LtPlan &p) {
  size_t i = 0;
  while (i < p.algorithms.size() && !runs(p, i))
    ++i;
  return i;
}

/// The fastest of `p`'s algorithms that run, in a graph: its index and time
/// (1e30 where none runs).
std::pair<size_t, float> best(const LtPlan &p) {
  std::pair<size_t, float> fastest{0, 1e30f};
  for (size_t i = 0; i < p.algorithms.size(); ++i) {
    if (!runs(p, i))
      continue;
    float us = graphMicroseconds([&] { run(p, i, 0); });
    if (us < fastest.second)
      fastest = {i, us};
  }
  return fastest;
}

} // namespace

int main() {
  int device = 0;
  cudaDeviceProp properties;
  check(cudaGetDeviceProperties(&properties, device), "device");
  std::printf("# %s, %d SMs\n", properties.name, properties.multiProcessorCount);
  for (float **buffer : {&a, &b, &c, &bias})
    check(cudaMalloc(buffer, kElements * sizeof(float)), "cudaMalloc");
  check(cudaMalloc(&mask, kElements / 8), "cudaMalloc");
  check(cudaMemset(mask, 0x55, kElements / 8), "cudaMemset");
  std::vector<float> host(kElements);
  for (size_t i = 0; i < kElements; ++i)
    host[i] = float((i * 7919) % 23) / 8.0f - 1.0f;
  for (float *buffer : {a, b, c, bias})
    cudaMemcpy(buffer, host.data(), kElements * sizeof(float), cudaMemcpyHostToDevice);
  for (int s = 0; s < 2; ++s) {
    check(cudaStreamCreateWithFlags(&streams[s], cudaStreamNonBlocking), "stream");
    check(cudaMalloc(&workspace[s], kWorkspaceBytes), "workspace");
    check(cublasCreate(&handles[s]), "cublasCreate");
    cublasSetStream(handles[s], streams[s]);
    cublasSetWorkspace(handles[s], workspace[s], kWorkspaceBytes);
  }
  check(cublasLtCreate(&lt), "cublasLtCreate");

  std::printf("%-26s %-16s %9s %9s %9s %9s %9s %9s   (us per GEMM in a graph)\n", "GEMM",
              "m x n x k", "as today", "Lt first", "Lt best", "TF32 now", "TF32 best", "small");
  float totals[6] = {};
  for (const Gemm &g : kGemms) {
    bool forward = g.epilogue != CUBLASLT_EPILOGUE_DEFAULT;
    LtPlan fp32 = plan(g, CUBLAS_COMPUTE_32F), tf32 = plan(g, CUBLAS_COMPUTE_32F_FAST_TF32);
    // The heuristic's first algorithm that runs: what the runtime would take.
    size_t fp32First = firstThatRuns(fp32), tf32First = firstThatRuns(tf32);
    if (fp32First == fp32.algorithms.size() || tf32First == tf32.algorithms.size()) {
      std::printf("%-26s cuBLASLt has no algorithm that runs\n", g.name);
      continue;
    }
    float first = graphMicroseconds([&] { run(fp32, fp32First, 0); });
    float today = forward ? first : graphMicroseconds([&] { classic(g, CUBLAS_COMPUTE_32F, 0); });
    float tf32Today = forward
                          ? graphMicroseconds([&] { run(tf32, tf32First, 0); })
                          : graphMicroseconds([&] { classic(g, CUBLAS_COMPUTE_32F_FAST_TF32, 0); });
    auto [fp32Index, fp32Best] = best(fp32);
    auto [tf32Index, tf32Best] = best(tf32);
    float smallKernel = graphMicroseconds([&] { small(g, 0); });
    float row[6] = {today, first, fp32Best, tf32Today, tf32Best, smallKernel};
    char shape[32];
    std::snprintf(shape, sizeof(shape), "%c%c %dx%dx%d", g.transA ? 'T' : 'N', g.transB ? 'T' : 'N',
                  g.m, g.n, g.k);
    std::printf("%-26s %-16s %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f   (first that runs: #%zu, best: "
                "#%zu of %zu, TF32 #%zu, #%zu)\n",
                g.name, shape, row[0], row[1], row[2], row[3], row[4], row[5], fp32First,
                fp32Index, fp32.algorithms.size(), tf32First, tf32Index);
    for (int i = 0; i < 6; ++i)
      totals[i] += row[i];
  }
  std::printf("%-26s %-16s %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f\n", "all 8", "", totals[0],
              totals[1], totals[2], totals[3], totals[4], totals[5]);

  // The backward's GEMMs as tgc issues them (FP32), in one chain, and with
  // the weight gradients on a second stream: fc3's beside the input
  // gradients, fc2's after fc3's input gradient, fc1's after fc2's input
  // gradient (it feeds the update, so the main stream waits for it).
  const Gemm &dh2 = kGemms[3], &dw3 = kGemms[4], &dh1 = kGemms[5], &dw2 = kGemms[6],
             &dw1 = kGemms[7];
  float chain = graphMicroseconds([&] {
    for (const Gemm *g : {&dh2, &dw3, &dh1, &dw2, &dw1})
      classic(*g, CUBLAS_COMPUTE_32F, 0);
  });
  cudaEvent_t events[4];
  for (cudaEvent_t &event : events)
    cudaEventCreateWithFlags(&event, cudaEventDisableTiming);
  float branched = graphMicroseconds([&] {
    cudaEventRecord(events[0], streams[0]);
    cudaStreamWaitEvent(streams[1], events[0], 0);
    classic(dw3, CUBLAS_COMPUTE_32F, 1);
    classic(dh2, CUBLAS_COMPUTE_32F, 0);
    cudaEventRecord(events[1], streams[0]);
    cudaStreamWaitEvent(streams[1], events[1], 0);
    classic(dw2, CUBLAS_COMPUTE_32F, 1);
    classic(dh1, CUBLAS_COMPUTE_32F, 0);
    classic(dw1, CUBLAS_COMPUTE_32F, 0);
    cudaEventRecord(events[2], streams[1]);
    cudaStreamWaitEvent(streams[0], events[2], 0);
  });
  std::printf("backward's 5 GEMMs, FP32: one chain %.2f us, weight gradients of fc3 and fc2 on "
              "a second stream %.2f us\n",
              chain, branched);

  // Relu's derivative and the bias gradient in the epilogues: the forward
  // writes relu's mask (RELU_AUX_BIAS), the input gradient's GEMM applies it
  // and sums the bias gradient (DRELU_BGRAD), replacing the derivative's and
  // the bias gradient's kernels.
  std::printf("%-40s %-16s %9s %9s %9s %9s\n", "fused epilogue", "m x n x k", "plain", "fused",
              "TF32 plain", "TF32 fused");
  const Gemm fused[] = {
      {"fc1 forward, writing relu's mask", true, false, 512, 128, 784,
       CUBLASLT_EPILOGUE_RELU_AUX_BIAS},
      {"fc2 forward, writing relu's mask", true, false, 512, 128, 512,
       CUBLASLT_EPILOGUE_RELU_AUX_BIAS},
      {"fc2 input grad + drelu + bias grad", false, false, 512, 128, 10,
       CUBLASLT_EPILOGUE_DRELU_BGRAD},
      {"fc1 input grad + drelu + bias grad", false, false, 512, 128, 512,
       CUBLASLT_EPILOGUE_DRELU_BGRAD},
  };
  for (const Gemm &g : fused) {
    Gemm plainGemm = g;
    plainGemm.epilogue = g.epilogue == CUBLASLT_EPILOGUE_RELU_AUX_BIAS ? CUBLASLT_EPILOGUE_RELU_BIAS
                                                                       : CUBLASLT_EPILOGUE_DEFAULT;
    float row[4];
    int column = 0;
    const Gemm *variants[] = {&plainGemm, &g};
    for (cublasComputeType_t compute : {CUBLAS_COMPUTE_32F, CUBLAS_COMPUTE_32F_FAST_TF32})
      for (const Gemm *variant : variants) {
        LtPlan p = plan(*variant, compute);
        float us = best(p).second;
        row[column++] = us < 1e30f ? us : -1;
      }
    char shape[32];
    std::snprintf(shape, sizeof(shape), "%c%c %dx%dx%d", g.transA ? 'T' : 'N', g.transB ? 'T' : 'N',
                  g.m, g.n, g.k);
    std::printf("%-40s %-16s", g.name, shape);
    for (float us : row)
      us < 0 ? std::printf(" %9s", "none") : std::printf(" %9.2f", us);
    std::printf("   (us, best algorithm; none: cuBLASLt has no algorithm that runs)\n");
  }
  return 0;
}
