//===- CudaBlas.cpp - matmuls of CUDA models through cuBLAS ---------------===//
//
// The CUDA pipeline calls tgc_cuda_matmul_f32/_f64 for every matmul, with
// the rank-3 strided views of the CPU's tgc_matmul_* (see runtime.h). Here
// they become one cublas<T>gemmStridedBatched on the runtime's stream: cuBLAS
// is column-major, so a view whose columns are contiguous is a plain operand,
// one whose rows are contiguous a transposed one, and when C's rows are
// contiguous (the usual row-major case) the whole product is transposed,
// C^T = B^T A^T. A view that is neither (a strided slice) is copied to a
// contiguous scratch block first.
//
// libcublas is loaded with dlopen at the first matmul, like the driver. FP32
// stays FP32 (no tensor cores) unless TGC_CUDA_MATMUL=tf32 or bf16 asks for
// FP32 products on tensor cores from inputs rounded to TF32 or bf16 (the
// parameters stay FP32: bf16 compute with FP32 master weights).
//
//===----------------------------------------------------------------------===//

#include "Cuda.h"
#include "Error.h"

#include <dlfcn.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>

namespace tgc {
namespace {

using cublasStatus = int;
using cublasHandle = struct cublasContext *;
constexpr int CUBLAS_OP_N = 0, CUBLAS_OP_T = 1;
// cuBLAS's recommendation for Hopper; also what makes capture in a CUDA
// graph safe (no allocation inside cuBLAS).
constexpr size_t kWorkspaceBytes = size_t(32) << 20;

template <typename T>
using Gemm = cublasStatus (*)(cublasHandle, int, int, int, int, int, const T *, const T *, int,
                              long long, const T *, int, long long, const T *, T *, int, long long,
                              int);
template <typename T> using Copy = cublasStatus (*)(cublasHandle, int, const T *, int, T *, int);
using GemmEx = cublasStatus (*)(cublasHandle, int, int, int, int, int, const void *, const void *,
                                int, int, long long, const void *, int, int, long long,
                                const void *, void *, int, int, long long, int, int, int);
constexpr int CUDA_R_32F = 0, CUBLAS_GEMM_DEFAULT = -1;
constexpr int CUBLAS_COMPUTE_32F_FAST_16BF = 75, CUBLAS_COMPUTE_32F_FAST_TF32 = 77;

struct BlasApi {
  cublasStatus (*create)(cublasHandle *);
  cublasStatus (*setStream)(cublasHandle, void *);
  cublasStatus (*setWorkspace)(cublasHandle, void *, size_t);
  const char *(*statusName)(cublasStatus); // optional
  Gemm<float> sgemm;
  Gemm<double> dgemm;
  Copy<float> scopy;
  Copy<double> dcopy;
  GemmEx gemmEx; // optional: TGC_CUDA_MATMUL=bf16 or tf32
};

/// The library: $TGC_CUBLAS_LIBRARY, else the usual names on the loader's
/// path, else the CUDA toolkit's directories.
void *openCublas(std::string &tried) {
  if (const char *library = std::getenv("TGC_CUBLAS_LIBRARY"); library && *library) {
    tried = library;
    return dlopen(library, RTLD_NOW | RTLD_LOCAL);
  }
  std::string home = std::getenv("CUDA_HOME") ? std::getenv("CUDA_HOME") : "/usr/local/cuda";
  tried = "libcublas.so.13, .12";
  for (const std::string &directory : {std::string(), home + "/lib64/",
                                       std::string("/usr/local/cuda/lib64/"),
                                       home + "/targets/x86_64-linux/lib/"})
    for (const char *name : {"libcublas.so.13", "libcublas.so.12", "libcublas.so"})
      if (void *handle = dlopen((directory + name).c_str(), RTLD_NOW | RTLD_LOCAL))
        return handle;
  return nullptr;
}

class Blas {
public:
  template <typename T> Gemm<T> gemm() {
    if constexpr (std::is_same_v<T, float>)
      return api.sgemm;
    else
      return api.dgemm;
  }
  GemmEx gemmEx() { return api.gemmEx; }
  template <typename T> Copy<T> copy() {
    if constexpr (std::is_same_v<T, float>)
      return api.scopy;
    else
      return api.dcopy;
  }

  /// The handle, bound to the runtime's stream; created at the first call.
  cublasHandle handle() {
    std::lock_guard<std::mutex> lock(mutex);
    void *stream = cuda::stream(); // also makes the context current
    if (!blasHandle)
      open(stream);
    return blasHandle;
  }

  void check(cublasStatus status, const char *what) {
    if (status == 0)
      return;
    const char *name = api.statusName ? api.statusName(status) : nullptr;
    fail(TGC_ERROR_DEVICE, "cuBLAS failure in %s: %s", what,
         name ? name : format("status %d", status).c_str());
  }

private:
  void open(void *stream) {
    std::string tried;
    void *library = openCublas(tried);
    if (!library)
      fail(TGC_ERROR_DEVICE,
           "no cuBLAS (%s not found): CUDA models need it for matmuls; set TGC_CUBLAS_LIBRARY "
           "to its path",
           tried.c_str());
    auto bind = [&](auto &entry, const char *name, bool required = true) {
      entry = reinterpret_cast<std::remove_reference_t<decltype(entry)>>(dlsym(library, name));
      if (!entry && required)
        fail(TGC_ERROR_DEVICE, "the cuBLAS library %s lacks %s: it is too old", tried.c_str(),
             name);
    };
    bind(api.create, "cublasCreate_v2");
    bind(api.setStream, "cublasSetStream_v2");
    bind(api.setWorkspace, "cublasSetWorkspace_v2");
    bind(api.statusName, "cublasGetStatusName", /*required=*/false);
    bind(api.sgemm, "cublasSgemmStridedBatched");
    bind(api.dgemm, "cublasDgemmStridedBatched");
    bind(api.scopy, "cublasScopy_v2");
    bind(api.dcopy, "cublasDcopy_v2");
    cublasHandle created = nullptr;
    check(api.create(&created), "cublasCreate");
    check(api.setStream(created, stream), "cublasSetStream");
    check(api.setWorkspace(created, cuda::allocate(kWorkspaceBytes), kWorkspaceBytes),
          "cublasSetWorkspace");
    bind(api.gemmEx, "cublasGemmStridedBatchedEx", /*required=*/false);
    const char *precision = std::getenv("TGC_CUDA_MATMUL");
    std::string mode = precision && *precision ? precision : "fp32";
    if (mode == "bf16" || mode == "tf32") {
      if (!api.gemmEx)
        fail(TGC_ERROR_DEVICE,
             "TGC_CUDA_MATMUL=%s needs cublasGemmStridedBatchedEx, which %s lacks", mode.c_str(),
             tried.c_str());
      fastCompute = mode == "bf16" ? CUBLAS_COMPUTE_32F_FAST_16BF : CUBLAS_COMPUTE_32F_FAST_TF32;
    } else if (mode != "fp32") {
      fail(TGC_ERROR_ARGUMENT, "TGC_CUDA_MATMUL=%s: expected fp32, tf32 or bf16", mode.c_str());
    }
    blasHandle = created;
  }

public:
  /// The compute type of FP32 products under TGC_CUDA_MATMUL=bf16 or tf32
  /// (inputs rounded to bf16 or tf32 for tensor cores, FP32 accumulation
  /// and results); 0: plain FP32.
  int fastCompute = 0;

private:
  std::mutex mutex;
  BlasApi api = {};
  cublasHandle blasHandle = nullptr;
};

// Never destroyed, like the device.
Blas &blas() {
  static Blas *instance = new Blas;
  return *instance;
}

/// A matrix of a view: `rows` x `cols` elements, strided.
template <typename T> struct Matrix {
  T *data;
  int64_t rows, cols, rowStride, colStride, batchStride;

  Matrix transposed() const { return {data, cols, rows, colStride, rowStride, batchStride}; }
};

/// How cuBLAS (column-major) sees a matrix: stored with leading dimension
/// `ld`, transposed or not. False when neither its rows nor its columns are
/// contiguous.
template <typename T> bool asColumnMajor(const Matrix<T> &x, bool &transposed, int64_t &ld) {
  int64_t rows = std::max<int64_t>(x.rows, 1), cols = std::max<int64_t>(x.cols, 1);
  if ((x.rowStride == 1 || rows == 1) && (cols == 1 || x.colStride >= rows)) {
    transposed = false;
    ld = cols == 1 ? rows : x.colStride;
  } else if ((x.colStride == 1 || cols == 1) && (rows == 1 || x.rowStride >= cols)) {
    transposed = true;
    ld = rows == 1 ? cols : x.rowStride;
  } else {
    return false;
  }
  return ld <= INT_MAX;
}

/// Copies between a strided matrix batch and a contiguous row-major one,
/// a vector copy per row or per column (whichever makes fewer calls).
template <typename T>
void copyMatrices(const Matrix<T> &strided, T *contiguous, int64_t batch, bool toContiguous) {
  cublasHandle handle = blas().handle();
  bool byRow = strided.cols >= strided.rows;
  int64_t vectors = byRow ? strided.rows : strided.cols;
  int64_t length = byRow ? strided.cols : strided.rows;
  int64_t stride = byRow ? strided.colStride : strided.rowStride;
  int64_t packedStride = byRow ? 1 : strided.cols;
  cuda::profiled(format("cublas strided copy: %lld vectors", (long long)(batch * vectors)), [&] {
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t v = 0; v < vectors; ++v) {
        T *view = strided.data + b * strided.batchStride +
                  v * (byRow ? strided.rowStride : strided.colStride);
        T *packed = contiguous + b * strided.rows * strided.cols + v * (byRow ? strided.cols : 1);
        blas().check(toContiguous ? blas().copy<T>()(handle, int(length), view, int(stride), packed,
                                                     int(packedStride))
                                  : blas().copy<T>()(handle, int(length), packed, int(packedStride),
                                                     view, int(stride)),
                     "a strided copy");
      }
  });
}

/// A contiguous row-major copy of a matrix batch that cuBLAS cannot address.
template <typename T> struct Scratch {
  Matrix<T> matrix;
  T *block = nullptr;

  Scratch(const Matrix<T> &original, int64_t batch, bool copyIn) : matrix(original) {
    block = static_cast<T *>(
        cuda::allocate(sizeof(T) * std::max<int64_t>(batch * original.rows * original.cols, 1)));
    if (copyIn)
      copyMatrices(original, block, batch, /*toContiguous=*/true);
    matrix = {block, original.rows, original.cols, original.cols, 1,
              original.rows * original.cols};
  }
  ~Scratch() { cuda::release(block); }
};

template <typename T, typename Memref>
void matmul(const Memref &a, const Memref &b, const Memref &c, int64_t accumulate) {
  int64_t batch = c.sizes[0], m = c.sizes[1], n = c.sizes[2], k = a.sizes[2];
  if (batch == 0 || m == 0 || n == 0)
    return;
  if (std::max({batch, m, n, k}) > INT_MAX)
    fail(TGC_ERROR_ARGUMENT, "matmul [%lld, %lld, %lld] x %lld too large for cuBLAS",
         (long long)batch, (long long)m, (long long)n, (long long)k);
  auto matrix = [](const Memref &view) {
    return Matrix<T>{view.aligned + view.offset, view.sizes[1],     view.sizes[2],
                     view.strides[1],            view.strides[2],   view.strides[0]};
  };
  Matrix<T> lhs = matrix(a), rhs = matrix(b), out = matrix(c);
  bool transposed;
  int64_t ld;
  // cuBLAS writes C column-major: transpose the product when C's rows are
  // the contiguous ones.
  if (asColumnMajor(out, transposed, ld) && transposed) {
    std::swap(lhs, rhs);
    lhs = lhs.transposed();
    rhs = rhs.transposed();
    out = out.transposed();
  }
  std::optional<Scratch<T>> lhsCopy, rhsCopy, outCopy;
  bool lhsT, rhsT, outT;
  int64_t lda, ldb, ldc;
  if (!asColumnMajor(lhs, lhsT, lda))
    lda = (lhs = lhsCopy.emplace(lhs, batch, true).matrix).cols, lhsT = true;
  if (!asColumnMajor(rhs, rhsT, ldb))
    ldb = (rhs = rhsCopy.emplace(rhs, batch, true).matrix).cols, rhsT = true;
  Matrix<T> target = out;
  if (!asColumnMajor(out, outT, ldc) || outT) {
    // Row-major scratch, seen transposed: the product transposed as above.
    out = outCopy.emplace(out, batch, accumulate != 0).matrix;
    std::swap(lhs, rhs);
    std::swap(lhsT, rhsT);
    std::swap(lda, ldb);
    lhsT = !lhsT;
    rhsT = !rhsT;
    lhs = lhs.transposed();
    rhs = rhs.transposed();
    out = out.transposed();
    ldc = out.colStride;
  }
  T one = 1, beta = accumulate ? 1 : 0;
  cublasHandle handle = blas().handle(); // loads cuBLAS: before gemm<T>()
  int fast = std::is_same_v<T, float> ? blas().fastCompute : 0;
  int opA = lhsT ? CUBLAS_OP_T : CUBLAS_OP_N, opB = rhsT ? CUBLAS_OP_T : CUBLAS_OP_N;
  cuda::profiled(
      format("cublas gemm %c%c %lldx%lldx%lld batch %lld%s", lhsT ? 'T' : 'N', rhsT ? 'T' : 'N',
             (long long)out.rows, (long long)out.cols, (long long)lhs.cols, (long long)batch,
             fast == CUBLAS_COMPUTE_32F_FAST_16BF ? " bf16"
             : fast                               ? " tf32"
                                                  : ""),
      [&] {
        if (fast)
          blas().check(blas().gemmEx()(handle, opA, opB, int(out.rows), int(out.cols),
                                       int(lhs.cols), &one, lhs.data, CUDA_R_32F, int(lda),
                                       lhs.batchStride, rhs.data, CUDA_R_32F, int(ldb),
                                       rhs.batchStride, &beta, out.data, CUDA_R_32F, int(ldc),
                                       out.batchStride, int(batch), fast, CUBLAS_GEMM_DEFAULT),
                       "gemmStridedBatchedEx");
        else
          blas().check(blas().gemm<T>()(handle, opA, opB, int(out.rows), int(out.cols),
                                        int(lhs.cols), &one, lhs.data, int(lda), lhs.batchStride,
                                        rhs.data, int(ldb), rhs.batchStride, &beta, out.data,
                                        int(ldc), out.batchStride, int(batch)),
                       "gemmStridedBatched");
      });
  if (outCopy)
    copyMatrices(target, outCopy->block, batch, /*toContiguous=*/false);
}

} // namespace
} // namespace tgc

using namespace tgc;

extern "C" {

void _mlir_ciface_tgc_cuda_matmul_f32(tgc_memref3_f32 *a, tgc_memref3_f32 *b, tgc_memref3_f32 *c,
                                      int64_t accumulate) {
  if (catchErrors([&] { matmul<float>(*a, *b, *c, accumulate); }) != TGC_OK)
    tgc_cuda_fail();
}

void _mlir_ciface_tgc_cuda_matmul_f64(tgc_memref3_f64 *a, tgc_memref3_f64 *b, tgc_memref3_f64 *c,
                                      int64_t accumulate) {
  if (catchErrors([&] { matmul<double>(*a, *b, *c, accumulate); }) != TGC_OK)
    tgc_cuda_fail();
}

} // extern "C"
