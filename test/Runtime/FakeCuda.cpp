//===- FakeCuda.cpp - a CUDA driver and cuBLAS on the host, for tests -----===//
//
// Enough of libcuda and libcublas for runtime/Cuda.cpp and CudaBlas.cpp to
// run without a GPU (TGC_CUDA_LIBRARY and TGC_CUBLAS_LIBRARY name this
// library in tgc-cuda-fake-tests): "device" memory is host memory that the
// host cannot read at its device address (a second mapping of the same
// pages, PROT_NONE: a host access segfaults, as with a GPU; the fake reads
// and writes through the first one), filled with NaNs so that reading what
// nobody wrote shows. Stream work runs at once,
// or is recorded while a graph is captured and run by cuGraphLaunch. A
// synchronization during a capture fails as on a GPU. Kernels cannot run:
// their launch fails, or with FAKE_CUDA_SKIP_KERNELS=1 does nothing, which
// lets a compiled CUDA model's host side run here (values are garbage):
// its cuBLAS arguments, allocations and graphs. FAKE_CUDA_STATS=1 prints
// counts of what ran at exit. Each piece of stream work takes a millisecond
// of the events' clock.
// The gemm is the column-major reference definition, with cuBLAS's argument
// checks.
//
//===----------------------------------------------------------------------===//

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <vector>

namespace {

using Work = std::function<void()>;
using Graph = std::vector<Work>;

constexpr int kSuccess = 0, kOutOfMemory = 2, kNotSupported = 801, kCaptureUnsupported = 900,
              kCaptureInvalidated = 901;
constexpr size_t kTotalMemory = size_t(4) << 30;

bool capturing = false;
Graph captured;
size_t inUse = 0;

/// Device memory: kTotalMemory bytes mapped twice, at `device` (no access)
/// and at `view` (read and write). Allocation bumps `inUse`, never freed:
/// enough for the tests.
struct DeviceMemory {
  char *device = nullptr, *view = nullptr;
  DeviceMemory() {
    int file = memfd_create("fake-cuda-memory", 0);
    if (file < 0 || ftruncate(file, kTotalMemory) != 0)
      std::abort();
    device = static_cast<char *>(mmap(nullptr, kTotalMemory, PROT_NONE, MAP_SHARED, file, 0));
    view = static_cast<char *>(
        mmap(nullptr, kTotalMemory, PROT_READ | PROT_WRITE, MAP_SHARED, file, 0));
    if (device == MAP_FAILED || view == MAP_FAILED)
      std::abort();
    close(file);
  }
};

DeviceMemory &memory() {
  static DeviceMemory instance;
  return instance;
}

/// Where the fake reads or writes `address`: its view of device memory, or
/// host memory as it is.
template <typename T> T *access(T *address) {
  auto at = reinterpret_cast<uintptr_t>(address), base = uintptr_t(memory().device);
  if (at >= base && at < base + kTotalMemory)
    return reinterpret_cast<T *>(memory().view + (at - base));
  return address;
}
template <typename T> T *access(unsigned long long address) {
  return access(reinterpret_cast<T *>(address));
}

bool skipKernels() {
  static bool skip = std::getenv("FAKE_CUDA_SKIP_KERNELS") &&
                     std::strcmp(std::getenv("FAKE_CUDA_SKIP_KERNELS"), "1") == 0;
  return skip;
}

struct Stats {
  long kernels = 0, gemms = 0, captures = 0, graphLaunches = 0, allocations = 0;
  ~Stats() {
    if (std::getenv("FAKE_CUDA_STATS"))
      std::fprintf(stderr,
                   "fake CUDA: %ld kernels, %ld gemms (eager), %ld captures, %ld graph "
                   "launches, %ld cuMemAlloc\n",
                   kernels, gemms, captures, graphLaunches, allocations);
  }
} stats;

float clockMs = 0;

int enqueue(Work work, bool takesTime = true) {
  Work timed = [work = std::move(work), takesTime] {
    work();
    clockMs += takesTime ? 1 : 0;
  };
  if (capturing)
    captured.push_back(std::move(timed));
  else
    timed();
  return kSuccess;
}

template <typename T> int fill(unsigned long long target, T value, size_t count) {
  return enqueue([=] {
    T *data = access<T>(target);
    for (size_t i = 0; i < count; ++i)
      data[i] = value;
  });
}

} // namespace

extern "C" {

int cuInit(unsigned) { return kSuccess; }
int cuDeviceGetCount(int *count) { return *count = 1, kSuccess; }
int cuDeviceGet(int *device, int) { return *device = 0, kSuccess; }
int cuDeviceGetName(char *name, int length, int) {
  std::strncpy(name, "fake CUDA device", length);
  return kSuccess;
}
int cuDeviceGetAttribute(int *value, int attribute, int) {
  *value = attribute == 75 ? 9 : 0; // sm_90
  return kSuccess;
}
int cuDeviceTotalMem_v2(size_t *bytes, int) { return *bytes = kTotalMemory, kSuccess; }
int cuDevicePrimaryCtxRetain(void **context, int) {
  static int theContext;
  return *context = &theContext, kSuccess;
}
int cuCtxSetCurrent(void *) { return kSuccess; }
int cuStreamCreate(void **stream, unsigned) {
  static int theStream;
  return *stream = &theStream, kSuccess;
}
int cuStreamSynchronize(void *) { return capturing ? kCaptureUnsupported : kSuccess; }

int cuMemAlloc_v2(unsigned long long *pointer, size_t size) {
  size_t rounded = (size + 511) / 512 * 512;
  if (inUse + rounded > kTotalMemory)
    return kOutOfMemory;
  char *block = memory().device + inUse;
  float *floats = access(reinterpret_cast<float *>(block));
  std::fill(floats, floats + size / sizeof(float), std::numeric_limits<float>::quiet_NaN());
  inUse += rounded;
  ++stats.allocations;
  *pointer = reinterpret_cast<unsigned long long>(block);
  return kSuccess;
}
int cuMemFree_v2(unsigned long long) { return kSuccess; }
int cuMemGetInfo_v2(size_t *free, size_t *total) {
  *free = kTotalMemory - inUse;
  *total = kTotalMemory;
  return kSuccess;
}
int cuMemcpyAsync(unsigned long long target, unsigned long long source, size_t size, void *) {
  return enqueue([=] {
    std::memmove(access<char>(target), access<char>(source), size);
  });
}
int cuMemsetD32Async(unsigned long long target, unsigned value, size_t count, void *) {
  return fill<uint32_t>(target, value, count);
}
int cuMemsetD16Async(unsigned long long target, unsigned short value, size_t count, void *) {
  return fill<uint16_t>(target, value, count);
}
int cuModuleLoadDataEx(void **module, const void *, unsigned, int *, void **) {
  static int theModule;
  return skipKernels() ? (*module = &theModule, kSuccess) : kNotSupported;
}
int cuModuleGetFunction(void **function, void *, const char *) {
  static int theFunction;
  return skipKernels() ? (*function = &theFunction, kSuccess) : kNotSupported;
}
int cuLaunchKernel(void *, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                   void *, void **, void **) {
  if (!skipKernels())
    return kNotSupported;
  return enqueue([] { ++stats.kernels; });
}
int cuGetErrorName(int result, const char **name) {
  *name = result == kCaptureUnsupported ? "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"
          : result == kOutOfMemory      ? "CUDA_ERROR_OUT_OF_MEMORY"
                                        : "CUDA_ERROR_FAKE";
  return kSuccess;
}

int cuStreamBeginCapture_v2(void *, int) {
  if (capturing)
    return kCaptureInvalidated;
  capturing = true;
  captured.clear();
  ++stats.captures;
  return kSuccess;
}
int cuStreamEndCapture(void *, void **graph) {
  if (!capturing)
    return kCaptureInvalidated;
  capturing = false;
  *graph = new Graph(std::move(captured));
  return kSuccess;
}
int cuGraphInstantiateWithFlags(void **exec, void *graph, unsigned long long) {
  *exec = new Graph(*static_cast<Graph *>(graph));
  return kSuccess;
}
int cuGraphLaunch(void *exec, void *) {
  if (capturing)
    return kCaptureUnsupported;
  ++stats.graphLaunches;
  for (const Work &work : *static_cast<Graph *>(exec))
    work();
  return kSuccess;
}
int cuGraphDestroy(void *graph) {
  delete static_cast<Graph *>(graph);
  return kSuccess;
}
int cuGraphExecDestroy(void *exec) {
  delete static_cast<Graph *>(exec);
  return kSuccess;
}

int cuEventCreate(void **event, unsigned) {
  *event = new float(0);
  return kSuccess;
}
int cuEventRecord(void *event, void *) {
  return enqueue([event] { *static_cast<float *>(event) = clockMs; }, /*takesTime=*/false);
}
int cuEventSynchronize(void *) { return capturing ? kCaptureUnsupported : kSuccess; }
int cuEventElapsedTime_v2(float *milliseconds, void *start, void *end) {
  *milliseconds = *static_cast<float *>(end) - *static_cast<float *>(start);
  return kSuccess;
}

} // extern "C"

//===----------------------------------------------------------------------===//
// cuBLAS
//===----------------------------------------------------------------------===//

namespace {

constexpr int kBlasSuccess = 0, kBlasInvalidValue = 7;

template <typename T>
int gemm(int transA, int transB, int m, int n, int k, const T *alpha, const T *a, int lda,
         long long strideA, const T *b, int ldb, long long strideB, const T *beta, T *c, int ldc,
         long long strideC, int batch) {
  auto atLeast = [](int rows) { return rows > 1 ? rows : 1; };
  if (m < 0 || n < 0 || k < 0 || batch < 0 || lda < atLeast(transA ? k : m) ||
      ldb < atLeast(transB ? n : k) || ldc < atLeast(m))
    return kBlasInvalidValue;
  T alphaValue = *alpha, betaValue = *beta;
  if (!capturing)
    ++stats.gemms;
  enqueue([=, a = access(a), b = access(b), c = access(c)] {
    for (int p = 0; p < batch; ++p)
      for (int j = 0; j < n; ++j)
        for (int i = 0; i < m; ++i) {
          T sum = 0;
          for (int l = 0; l < k; ++l) {
            T x = transA ? a[p * strideA + l + i * lda] : a[p * strideA + i + l * lda];
            T y = transB ? b[p * strideB + j + l * ldb] : b[p * strideB + l + j * ldb];
            sum += x * y;
          }
          T &out = c[p * strideC + i + j * ldc];
          out = alphaValue * sum + (betaValue == 0 ? T(0) : betaValue * out);
        }
  });
  return kBlasSuccess;
}

template <typename T> int copy(int n, const T *x, int incx, T *y, int incy) {
  return enqueue([=, x = access(x), y = access(y)] {
    for (int i = 0; i < n; ++i)
      y[i * incy] = x[i * incx];
  });
}
} // namespace

extern "C" {

int cublasCreate_v2(void **handle) {
  static int theHandle;
  return *handle = &theHandle, kBlasSuccess;
}
int cublasSetStream_v2(void *, void *) { return kBlasSuccess; }
int cublasSetWorkspace_v2(void *, void *, size_t) { return kBlasSuccess; }
const char *cublasGetStatusName(int status) {
  return status == kBlasInvalidValue ? "CUBLAS_STATUS_INVALID_VALUE" : "CUBLAS_STATUS_FAKE";
}

int cublasSgemmStridedBatched(void *, int transA, int transB, int m, int n, int k,
                              const float *alpha, const float *a, int lda, long long strideA,
                              const float *b, int ldb, long long strideB, const float *beta,
                              float *c, int ldc, long long strideC, int batch) {
  return gemm(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc,
              strideC, batch);
}
int cublasDgemmStridedBatched(void *, int transA, int transB, int m, int n, int k,
                              const double *alpha, const double *a, int lda, long long strideA,
                              const double *b, int ldb, long long strideB, const double *beta,
                              double *c, int ldc, long long strideC, int batch) {
  return gemm(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc,
              strideC, batch);
}

// FP32 only, the compute type (bf16 or TF32 rounding) ignored.
int cublasGemmStridedBatchedEx(void *, int transA, int transB, int m, int n, int k,
                               const void *alpha, const void *a, int aType, int lda,
                               long long strideA, const void *b, int bType, int ldb,
                               long long strideB, const void *beta, void *c, int cType, int ldc,
                               long long strideC, int batch, int, int) {
  if (aType != 0 || bType != 0 || cType != 0) // CUDA_R_32F
    return kBlasInvalidValue;
  return gemm(transA, transB, m, n, k, static_cast<const float *>(alpha),
              static_cast<const float *>(a), lda, strideA, static_cast<const float *>(b), ldb,
              strideB, static_cast<const float *>(beta), static_cast<float *>(c), ldc, strideC,
              batch);
}

int cublasScopy_v2(void *, int n, const float *x, int incx, float *y, int incy) {
  return copy(n, x, incx, y, incy);
}
int cublasDcopy_v2(void *, int n, const double *x, int incx, double *y, int incy) {
  return copy(n, x, incx, y, incy);
}

} // extern "C"
