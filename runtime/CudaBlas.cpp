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
// tgc_cuda_matmul_bf16_f32 takes bf16 operands (cublasGemmStridedBatchedEx,
// FP32 accumulation and result): what autocast's matmuls become;
// tgc_cuda_matmul_bf16_bf16 also writes a bf16 result, the FP32
// accumulation rounded once (those whose product is only read rounded).
//
// tgc_cuda_matmul_bias_f32 (a linear layer: matmul, bias and activation) is
// one cublasLtMatmul with a bias epilogue, libcublasLt loaded the same way.
//
// libcublas is loaded with dlopen at the first matmul, like the driver. FP32
// stays FP32 (no tensor cores) unless TGC_CUDA_MATMUL=tf32 or bf16 asks for
// FP32 products on tensor cores from inputs rounded to TF32 or bf16 (the
// parameters stay FP32: bf16 compute with FP32 master weights), or
// TGC_CUDA_MATMUL=3xtf32 for FP32's accuracy from TF32 tensor cores: each
// operand split in two by the runtime's kernels (CudaSplitTF32.cu), three
// TF32 products in one GEMM over a reduction three times as long (under
// GEMM tuning, where that timed faster than the exact FP32 GEMM).
//
// TGC_CUDA_GEMM_TUNING=1 sends every FP32 matmul cuBLASLt can take to it
// and gives each shape the fastest of the heuristic's first 8 algorithms,
// timed at its first call (a small model's GEMMs fill a few SMs each, and
// the heuristic's first choice for them is not always the fastest).
//
// Exact FP32 products small enough (planSmallGemm) that fit in one wave of
// blocks run in the runtime's own kernels instead, one kernel each
// (CudaSmallGemm.cu), epilogue included; TGC_CUDA_SMALL_GEMM=1 sends every
// product they take there, =0 none; under TGC_CUDA_GEMM_TUNING=1 they are
// one more candidate, timed against cuBLAS at each shape's first call.
//
//===----------------------------------------------------------------------===//

#include "Cuda.h"
#include "CudaSmallGemm.h"
#include "CudaSplitTF32.h"
#include "Error.h"

#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>

namespace tgc {
namespace {

using cublasStatus = int;
using cublasHandle = struct cublasContext *;
constexpr int CUBLAS_OP_N = 0, CUBLAS_OP_T = 1;
// cuBLAS's recommendation for Hopper; also what makes capture in a CUDA
// graph safe (no allocation inside cuBLAS).
constexpr size_t kWorkspaceBytes = TGC_CUDA_CUBLAS_WORKSPACE_BYTES;

template <typename T>
using Gemm = cublasStatus (*)(cublasHandle, int, int, int, int, int, const T *, const T *, int,
                              long long, const T *, int, long long, const T *, T *, int, long long,
                              int);
template <typename T> using Copy = cublasStatus (*)(cublasHandle, int, const T *, int, T *, int);
using GemmEx = cublasStatus (*)(cublasHandle, int, int, int, int, int, const void *, const void *,
                                int, int, long long, const void *, int, int, long long,
                                const void *, void *, int, int, long long, int, int, int);
constexpr int CUDA_R_32F = 0, CUDA_R_16BF = 14, CUBLAS_GEMM_DEFAULT = -1;
constexpr int CUBLAS_COMPUTE_32F = 68, CUBLAS_COMPUTE_32F_FAST_16BF = 75,
              CUBLAS_COMPUTE_32F_FAST_TF32 = 77;

struct BlasApi {
  cublasStatus (*create)(cublasHandle *);
  cublasStatus (*setStream)(cublasHandle, void *);
  cublasStatus (*setWorkspace)(cublasHandle, void *, size_t);
  const char *(*statusName)(cublasStatus); // optional
  Gemm<float> sgemm;
  Gemm<double> dgemm;
  Copy<float> scopy;
  Copy<double> dcopy;
  GemmEx gemmEx; // optional: bf16 operands, TGC_CUDA_MATMUL=bf16 or tf32
};

/// The library `name` (libcublas or libcublasLt): $<variable>, else
/// <name>.so.13 or .12 on the loader's path, else in the CUDA toolkit's
/// directories.
void *openLibrary(const char *variable, const std::string &name, std::string &tried) {
  if (const char *library = std::getenv(variable); library && *library) {
    tried = library;
    return dlopen(library, RTLD_NOW | RTLD_LOCAL);
  }
  std::string home = std::getenv("CUDA_HOME") ? std::getenv("CUDA_HOME") : "/usr/local/cuda";
  tried = name + ".so.13, .12";
  for (const std::string &directory : {std::string(), home + "/lib64/",
                                       std::string("/usr/local/cuda/lib64/"),
                                       home + "/targets/x86_64-linux/lib/"})
    for (const char *suffix : {".so.13", ".so.12", ".so"})
      if (void *handle = dlopen((directory + name + suffix).c_str(), RTLD_NOW | RTLD_LOCAL))
        return handle;
  return nullptr;
}

/// Binds `entry` to `symbol` of `library`; a missing required one is fatal.
template <typename Entry>
void bindSymbol(void *library, const std::string &path, Entry &entry, const char *symbol,
                bool required = true) {
  entry = reinterpret_cast<Entry>(dlsym(library, symbol));
  if (!entry && required)
    fail(TGC_ERROR_DEVICE, "the cuBLAS library %s lacks %s: it is too old", path.c_str(), symbol);
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

  /// The handle bound to the runtime's current stream (the main one, or a
  /// concurrent branch's: see tgc_cuda_fork), each with a workspace of its
  /// own; cuBLAS is loaded at the first call.
  cublasHandle handle() { return current().handle; }

  /// The current stream's workspace: kWorkspaceBytes of device memory,
  /// which its cuBLAS and cuBLASLt calls share (they run in order).
  void *workspace() { return current().workspace; }

  void check(cublasStatus status, const char *what) {
    if (status == 0)
      return;
    const char *name = api.statusName ? api.statusName(status) : nullptr;
    fail(TGC_ERROR_DEVICE, "cuBLAS failure in %s: %s", what,
         name ? name : format("status %d", status).c_str());
  }

private:
  struct StreamBlas {
    cublasHandle handle = nullptr;
    void *workspace = nullptr;
  };

  StreamBlas &current() {
    std::lock_guard<std::mutex> lock(mutex);
    void *stream = cuda::stream(); // also makes the context current
    if (!loaded)
      load();
    StreamBlas &blas = streams[stream];
    if (!blas.handle) {
      cublasHandle created = nullptr;
      check(api.create(&created), "cublasCreate");
      check(api.setStream(created, stream), "cublasSetStream");
      blas.workspace = cuda::allocate(kWorkspaceBytes);
      check(api.setWorkspace(created, blas.workspace, kWorkspaceBytes), "cublasSetWorkspace");
      blas.handle = created;
    }
    return blas;
  }

  void load() {
    std::string tried;
    void *library = openLibrary("TGC_CUBLAS_LIBRARY", "libcublas", tried);
    if (!library)
      fail(TGC_ERROR_DEVICE,
           "no cuBLAS (%s not found): CUDA models need it for matmuls; set TGC_CUBLAS_LIBRARY "
           "to its path",
           tried.c_str());
    auto bind = [&](auto &entry, const char *name, bool required = true) {
      bindSymbol(library, tried, entry, name, required);
    };
    bind(api.create, "cublasCreate_v2");
    bind(api.setStream, "cublasSetStream_v2");
    bind(api.setWorkspace, "cublasSetWorkspace_v2");
    bind(api.statusName, "cublasGetStatusName", /*required=*/false);
    bind(api.sgemm, "cublasSgemmStridedBatched");
    bind(api.dgemm, "cublasDgemmStridedBatched");
    bind(api.scopy, "cublasScopy_v2");
    bind(api.dcopy, "cublasDcopy_v2");
    bind(api.gemmEx, "cublasGemmStridedBatchedEx", /*required=*/false);
    cuda::Fp32Products products = cuda::fp32Products();
    if (products != cuda::Fp32Products::Exact) {
      const char *mode = products == cuda::Fp32Products::BF16   ? "bf16"
                         : products == cuda::Fp32Products::TF32 ? "tf32"
                                                                : "3xtf32";
      if (!api.gemmEx)
        fail(TGC_ERROR_DEVICE,
             "TGC_CUDA_MATMUL=%s needs cublasGemmStridedBatchedEx, which %s lacks", mode,
             tried.c_str());
      fastCompute = products == cuda::Fp32Products::BF16 ? CUBLAS_COMPUTE_32F_FAST_16BF
                                                         : CUBLAS_COMPUTE_32F_FAST_TF32;
      splitTF32 = products == cuda::Fp32Products::Split3xTF32;
#ifndef TGC_CUDA_KERNELS_PTX
      if (splitTF32)
        fail(TGC_ERROR_DEVICE,
             "TGC_CUDA_MATMUL=3xtf32 needs the runtime's CUDA kernels: this runtime was built "
             "without nvcc");
#endif
    }
    gemmTuning = cuda::gemmTuning();
    const char *small = std::getenv("TGC_CUDA_SMALL_GEMM");
    if (small && *small) {
      if (std::strcmp(small, "0") != 0 && std::strcmp(small, "1") != 0)
        fail(TGC_ERROR_ARGUMENT, "TGC_CUDA_SMALL_GEMM=%s: expected 0 or 1", small);
      smallGemm = *small == '1' ? SmallGemm::Always : SmallGemm::Never;
    }
    loaded = true;
  }

public:
  /// The compute type of FP32 products under TGC_CUDA_MATMUL=bf16, tf32
  /// or 3xtf32 (inputs rounded to bf16 or tf32 for tensor cores, FP32
  /// accumulation and results); 0: plain FP32.
  int fastCompute = 0;
  /// TGC_CUDA_MATMUL=3xtf32: cuBLAS's FP32 products take split operands
  /// (splitForTF32), for FP32's accuracy.
  bool splitTF32 = false;
  /// The compute type of an FP32 product (0: plain FP32): fastCompute,
  /// but under 3xtf32 only for split operands; the others stay exact.
  int fp32Compute(bool splitOperands) const {
    return splitTF32 && !splitOperands ? 0 : fastCompute;
  }
  /// TGC_CUDA_GEMM_TUNING=1: every FP32 matmul cuBLASLt can take goes to it,
  /// with tuned algorithms (BlasLt::plan).
  bool gemmTuning = false;
  /// Which exact FP32 products small enough for CudaSmallGemm.cu's kernels
  /// (planSmallGemm) run there, not in cuBLAS: by default those of one wave
  /// (smallGemmByDefault), or the faster under GEMM tuning;
  /// TGC_CUDA_SMALL_GEMM=1 all, =0 none.
  enum class SmallGemm { Default, Always, Never } smallGemm = SmallGemm::Default;

private:
  std::mutex mutex;
  BlasApi api = {};
  bool loaded = false;
  std::map<void *, StreamBlas> streams;
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

/// The matrices of a rank-3 view (a memref descriptor of the runtime's ABI).
template <typename View> auto matrixOf(const View &view) {
  using Element = std::remove_pointer_t<decltype(view.aligned)>;
  return Matrix<Element>{view.aligned + view.offset,
                         view.sizes[1],
                         view.sizes[2],
                         view.strides[1],
                         view.strides[2],
                         view.strides[0]};
}

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

/// Device memory for `count` elements of T for the length of a call.
template <typename T> struct ScratchBlock {
  T *data;
  explicit ScratchBlock(size_t count)
      : data(static_cast<T *>(cuda::allocate(sizeof(T) * std::max<size_t>(count, 1)))) {}
  ScratchBlock(const ScratchBlock &) = delete;
  ~ScratchBlock() { cuda::release(data); }
};

/// A contiguous row-major copy of a matrix batch that cuBLAS cannot address.
template <typename T> struct Scratch {
  ScratchBlock<T> block;
  Matrix<T> matrix;

  Scratch(const Matrix<T> &original, int64_t batch, bool copyIn)
      : block(size_t(batch * original.rows * original.cols)), matrix{
                                                                  block.data,
                                                                  original.rows,
                                                                  original.cols,
                                                                  original.cols,
                                                                  1,
                                                                  original.rows * original.cols} {
    if (copyIn)
      copyMatrices(original, block.data, batch, /*toContiguous=*/true);
  }
};

#ifdef TGC_CUDA_KERNELS_PTX
extern "C" const char tgc_split_tf32_ptx[];
#endif

/// A product's operand split for 3xTF32 (CudaSplitTF32.cu): the matrix
/// batch `x`, whose rows or columns are contiguous, as `blocks` (3, or 2
/// for two GEMMs) blocks along its reduction (its columns where
/// reductionAlongCols, else its rows), `small` in block smallBlock and `big`
/// in the others, queued into a fresh block (`split`) that keeps x's
/// contiguous dimension contiguous.
Matrix<float> splitForTF32(Matrix<float> x, bool reductionAlongCols, int smallBlock, int blocks,
                           int64_t batch, std::optional<ScratchBlock<float>> &split) {
  // The kernels' view: columns contiguous.
  bool columnsContiguous = x.colStride == 1 || x.cols == 1;
  if (!columnsContiguous) {
    x = x.transposed();
    reductionAlongCols = !reductionAlongCols;
  }
  int64_t items = x.batchStride == 0 ? 1 : batch;
  split.emplace(size_t(blocks * items * x.rows * x.cols));
  SplitTF32Params params;
  params.source = x.data;
  params.target = split->data;
  params.sourceRowStride = x.rowStride;
  params.sourceBatchStride = x.batchStride;
  params.targetRowStride = reductionAlongCols ? blocks * x.cols : x.cols;
  params.targetBatchStride = blocks * x.rows * x.cols;
  params.blockStride = reductionAlongCols ? x.cols : x.rows * x.cols;
  params.batch = items;
  params.rows = x.rows;
  params.cols = x.cols;
  params.smallBlock = smallBlock;
  params.blocks = blocks;
#ifdef TGC_CUDA_KERNELS_PTX
  bool vectorized = splitTF32Vectorized(params);
  const unsigned grid[3] = {splitTF32Blocks(params, vectorized, 16 * cuda::multiprocessors()), 1,
                            1};
  const unsigned block[3] = {kSplitTF32Threads, 1, 1};
  void *arguments[] = {&params};
  cuda::launch(tgc_split_tf32_ptx, vectorized ? kSplitTF32Kernel4 : kSplitTF32Kernel, grid, block,
               arguments);
#endif
  Matrix<float> result = {split->data,
                          reductionAlongCols ? x.rows : blocks * x.rows,
                          reductionAlongCols ? blocks * x.cols : x.cols,
                          params.targetRowStride,
                          1,
                          x.batchStride == 0 ? 0 : params.targetBatchStride};
  return columnsContiguous ? result : result.transposed();
}

/// A plain product: no bias, no activation (a plain matmul under tuning).
constexpr int64_t kNoEpilogue = -1;

/// bf16's bits: device data the host never reads.
using BF16 = uint16_t;

bool tunedMatmul(const Matrix<float> &lhs, bool lhsT, int64_t lda, const Matrix<float> &rhs,
                 bool rhsT, int64_t ldb, const Matrix<float> &out, int64_t ldc, int64_t batch,
                 float beta, int compute);

/// A view like `view` of a fresh block of device memory (the caller
/// releases `.allocated`); nullopt when a stride is negative.
std::optional<tgc_memref3_f32> scratchLike(const tgc_memref3_f32 &view) {
  int64_t span = 1;
  for (int d = 0; d < 3; ++d) {
    if (view.strides[d] < 0)
      return std::nullopt;
    span += (view.sizes[d] - 1) * view.strides[d];
  }
  auto *block = static_cast<float *>(cuda::allocate(sizeof(float) * size_t(span)));
  tgc_memref3_f32 scratch = view;
  scratch.allocated = scratch.aligned = block;
  scratch.offset = 0;
  return scratch;
}

/// runSmallGemm, except that where the kernels do not load (a driver older
/// than their PTX) it says so once on stderr and leaves every product to
/// cuBLAS (returns false) instead of failing.
bool runSmallGemmIfLoadable(const tgc_memref3_f32 &a, const tgc_memref3_f32 &b,
                            const tgc_memref3_f32 &c, const tgc_memref1_f32 *bias, int64_t epilogue,
                            int64_t accumulate) {
  static std::atomic<bool> loaded{false}, unavailable{false};
  if (loaded)
    return runSmallGemm(a, b, c, bias, epilogue, accumulate);
  if (unavailable)
    return false;
  try {
    bool ran = runSmallGemm(a, b, c, bias, epilogue, accumulate);
    loaded = ran;
    return ran;
  } catch (const RuntimeError &error) {
    std::fprintf(stderr, "tgc: the small GEMM kernels do not load, cuBLAS does every product: %s\n",
                 error.what());
    unavailable = true;
    return false;
  }
}

/// Under TGC_CUDA_GEMM_TUNING=1, a choice between two ways of running an
/// FP32 product C (+)= A B or C = act(A B + bias) (cuda::TimedChoice), per
/// shape: sizes, strides, epilogue and accumulation.
class TimedChoice {
public:
  /// Whether `candidate(out)` is faster than `baseline(out)`, each writing
  /// the product into `out`: known, or both timed now into a scratch result
  /// like c. A candidate that returns false cannot run this product: never
  /// chosen. False without a choice kept inside a capture and for results
  /// with a negative stride.
  template <typename Candidate, typename Baseline>
  bool candidateFaster(const tgc_memref3_f32 &a, const tgc_memref3_f32 &b, const tgc_memref3_f32 &c,
                       int64_t epilogue, int64_t accumulate, const Candidate &candidate,
                       const Baseline &baseline) {
    Key key = {c.sizes[0], c.sizes[1], c.sizes[2], a.sizes[2], epilogue, accumulate};
    for (int d = 0; d < 3; ++d) {
      key[6 + d] = a.strides[d];
      key[9 + d] = b.strides[d];
      key[12 + d] = c.strides[d];
    }
    if (std::optional<bool> known = choice.known(key))
      return *known;
    std::optional<tgc_memref3_f32> scratch = scratchLike(c);
    if (!scratch)
      return false;
    std::optional<bool> faster = choice.candidateFaster(
        key, [&] { return candidate(*scratch); }, [&] { baseline(*scratch); });
    cuda::release(scratch->allocated);
    return faster.value_or(false);
  }

private:
  using Key = std::array<int64_t, 15>; // sizes, epilogue, accumulate, strides
  cuda::TimedChoice<Key> choice;
};

/// Whether an FP32 product C (+)= A B or C = act(A B + bias) ran in the
/// small GEMM kernels (runSmallGemm), where they take it (planSmallGemm):
/// always under TGC_CUDA_SMALL_GEMM=1, never under =0; by default, under
/// TGC_CUDA_GEMM_TUNING=1 where they were faster than `cublas(out)` (the
/// product as cuBLAS runs it, into `out`: TimedChoice), and otherwise where
/// smallGemmByDefault takes them; never under TGC_CUDA_MATMUL=tf32 or bf16
/// (the kernels compute exact FP32, what 3xtf32 asks for).
template <typename Cublas>
bool smallGemmFirst(const tgc_memref3_f32 &a, const tgc_memref3_f32 &b, const tgc_memref3_f32 &c,
                    const tgc_memref1_f32 *bias, int64_t epilogue, int64_t accumulate,
                    const Cublas &cublas) {
  Blas &settings = blas();
  settings.handle(); // reads the settings
  using SmallGemm = Blas::SmallGemm;
  if ((settings.fastCompute && !settings.splitTF32) || settings.smallGemm == SmallGemm::Never)
    return false;
  if (settings.smallGemm == SmallGemm::Always)
    return runSmallGemm(a, b, c, bias, epilogue, accumulate);
  SmallGemmLaunch launch;
  if (!planSmallGemm(c.sizes[0], c.sizes[1], c.sizes[2], a.sizes[2], launch))
    return false;
  if (!settings.gemmTuning)
    return smallGemmByDefault(launch, cuda::multiprocessors()) &&
           runSmallGemmIfLoadable(a, b, c, bias, epilogue, accumulate);
  static TimedChoice *smallKernels = new TimedChoice; // never destroyed, like the device
  return smallKernels->candidateFaster(
             a, b, c, epilogue, accumulate,
             [&](const tgc_memref3_f32 &out) {
               return runSmallGemmIfLoadable(a, b, out, bias, epilogue, accumulate);
             },
             cublas) &&
         runSmallGemm(a, b, c, bias, epilogue, accumulate);
}

/// How cuBLAS runs an FP32 product under TGC_CUDA_MATMUL=3xtf32: with
/// split operands (`Always`), as an exact FP32 GEMM (`Never`), or as the
/// settings say (`AsSet`: split, unless GEMM tuning timed the exact GEMM
/// faster at the shape's first call: TimedChoice; both have FP32's
/// accuracy).
enum class Split { AsSet, Always, Never };

/// Whether an FP32 product of `k` terms gets split operands (3xtf32, as
/// `split` says; under GEMM tuning `run(out, how)` runs the product into
/// `out` for the timing); its tripled reduction must fit cuBLAS's int.
template <typename Run>
bool splitsOperands(const tgc_memref3_f32 &a, const tgc_memref3_f32 &b, const tgc_memref3_f32 &c,
                    int64_t epilogue, int64_t accumulate, Split split, const Run &run) {
  int64_t k = a.sizes[2];
  blas().handle(); // loads cuBLAS, which reads TGC_CUDA_MATMUL
  if (!blas().splitTF32 || k == 0 || split == Split::Never)
    return false;
  if (3 * k > INT_MAX)
    fail(TGC_ERROR_ARGUMENT, "matmul reduction of %lld too long for 3xTF32", (long long)k);
  if (split == Split::Always || !blas().gemmTuning)
    return true;
  static TimedChoice *splitOperands = new TimedChoice; // never destroyed, like the device
  return splitOperands->candidateFaster(
      a, b, c, epilogue, accumulate,
      [&](const tgc_memref3_f32 &out) {
        run(out, Split::Always);
        return true;
      },
      [&](const tgc_memref3_f32 &out) { run(out, Split::Never); });
}

/// C = A B (+ C) for operands of type In and results of type Out: float or
/// double throughout, or bf16 operands with an FP32 or bf16 result
/// (cublasGemmStridedBatchedEx, FP32 accumulation).
template <typename In, typename Out, typename MemrefIn, typename MemrefOut>
void matmul(const MemrefIn &a, const MemrefIn &b, const MemrefOut &c, int64_t accumulate,
            bool smallKernels = true, Split split = Split::AsSet) {
  using T = Out;
  // alpha and beta: FP32 for bf16 (CUBLAS_COMPUTE_32F's scale type).
  using Scale = std::conditional_t<std::is_same_v<T, double>, double, float>;
  int64_t batch = c.sizes[0], m = c.sizes[1], n = c.sizes[2], k = a.sizes[2];
  if (batch == 0 || m == 0 || n == 0)
    return;
  if (std::max({batch, m, n, k}) > INT_MAX)
    fail(TGC_ERROR_ARGUMENT, "matmul [%lld, %lld, %lld] x %lld too large for cuBLAS",
         (long long)batch, (long long)m, (long long)n, (long long)k);
  bool splitOperands = false;
  if constexpr (std::is_same_v<In, float> && std::is_same_v<Out, float>) {
    if (smallKernels &&
        smallGemmFirst(a, b, c, nullptr, kNoEpilogue, accumulate, [&](const tgc_memref3_f32 &out) {
          matmul<In, Out>(a, b, out, accumulate, false);
        }))
      return;
    splitOperands = splitsOperands(a, b, c, kNoEpilogue, accumulate, split,
                                   [&](const tgc_memref3_f32 &out, Split how) {
                                     matmul<In, Out>(a, b, out, accumulate, false, how);
                                   });
  }
  Matrix<In> lhs = matrixOf(a), rhs = matrixOf(b);
  Matrix<Out> out = matrixOf(c);
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
  std::optional<Scratch<In>> lhsCopy, rhsCopy;
  std::optional<Scratch<Out>> outCopy;
  bool lhsT, rhsT, outT;
  int64_t lda, ldb, ldc;
  // cuBLAS has no bf16 copy; the compiler passes bf16 operands whose rows
  // or columns are contiguous (fresh buffers).
  auto contiguousCopy = [&](Matrix<In> &x, std::optional<Scratch<In>> &copy) {
    if constexpr (std::is_same_v<In, BF16>)
      fail(TGC_ERROR_ARGUMENT, "a bf16 matmul operand with neither rows nor columns contiguous");
    else
      x = copy.emplace(x, batch, true).matrix;
    return x.cols;
  };
  if (!asColumnMajor(lhs, lhsT, lda))
    lda = contiguousCopy(lhs, lhsCopy), lhsT = true;
  if (!asColumnMajor(rhs, rhsT, ldb))
    ldb = contiguousCopy(rhs, rhsCopy), rhsT = true;
  Matrix<T> target = out;
  if (!asColumnMajor(out, outT, ldc) || outT) {
    // Row-major scratch, seen transposed: the product transposed as above.
    // No bf16 copy either: the compiler writes bf16 results to buffers
    // with contiguous rows or columns.
    if constexpr (std::is_same_v<Out, BF16>) {
      fail(TGC_ERROR_ARGUMENT, "a bf16 matmul result with neither rows nor columns contiguous");
    } else {
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
  }
  Scale one = 1, beta = accumulate ? 1 : 0;
  cublasHandle handle = blas().handle(); // loads cuBLAS: before gemm<T>()
  // Under 3xtf32, where the result is small beside its operands (weight
  // gradients), two blocks of each, [As Ab] [Bb; Bs] and then Ab Bb onto
  // it, write a third less split data than [As Ab Ab] [Bb; Bs; Bb], for two
  // more passes over C. (Not under GEMM tuning, which times one GEMM.)
  std::optional<ScratchBlock<float>> lhsSplit, rhsSplit;
  bool twoGemms = false;
  Matrix<In> bigLhs = lhs, bigRhs = rhs;
  if constexpr (std::is_same_v<In, float> && std::is_same_v<Out, float>)
    if (splitOperands) {
      auto elements = [&](const auto &x) {
        return (x.batchStride == 0 ? 1 : batch) * x.rows * x.cols;
      };
      twoGemms = !blas().gemmTuning && 2 * elements(out) < elements(lhs) + elements(rhs);
      int blocks = twoGemms ? 2 : 3;
      lhs =
          splitForTF32(lhs, /*reductionAlongCols=*/true, /*smallBlock=*/0, blocks, batch, lhsSplit);
      rhs = splitForTF32(rhs, /*reductionAlongCols=*/false, /*smallBlock=*/1, blocks, batch,
                         rhsSplit);
      // The big parts: lhs's second block of columns, rhs's first of rows.
      bigLhs = {
          lhs.data + k * lhs.colStride, lhs.rows, k, lhs.rowStride, lhs.colStride, lhs.batchStride};
      bigRhs = {rhs.data, k, rhs.cols, rhs.rowStride, rhs.colStride, rhs.batchStride};
      asColumnMajor(lhs, lhsT, lda);
      asColumnMajor(rhs, rhsT, ldb);
    }
  constexpr bool bf16 = std::is_same_v<In, BF16>;
  int fast = bf16                       ? CUBLAS_COMPUTE_32F
             : std::is_same_v<T, float> ? blas().fp32Compute(splitOperands)
                                        : 0;
  if (bf16 && !blas().gemmEx())
    fail(TGC_ERROR_DEVICE, "bf16 matmuls need cublasGemmStridedBatchedEx, which cuBLAS lacks");
  int inType = bf16 ? CUDA_R_16BF : CUDA_R_32F;
  int outType = std::is_same_v<Out, BF16> ? CUDA_R_16BF : CUDA_R_32F;
  bool tuned = false;
  if constexpr (std::is_same_v<In, float> && std::is_same_v<Out, float>)
    if (!twoGemms)
      tuned = tunedMatmul(lhs, lhsT, lda, rhs, rhsT, ldb, out, ldc, batch, float(beta),
                          fast ? fast : CUBLAS_COMPUTE_32F);
  // out = left right + scaleC out, one cuBLAS call.
  auto gemm = [&](const Matrix<In> &left, const Matrix<In> &right, const Scale &scaleC) {
    bool leftT, rightT;
    int64_t ldLeft, ldRight;
    asColumnMajor(left, leftT, ldLeft);
    asColumnMajor(right, rightT, ldRight);
    int opA = leftT ? CUBLAS_OP_T : CUBLAS_OP_N, opB = rightT ? CUBLAS_OP_T : CUBLAS_OP_N;
    cuda::profiled(format("cublas gemm %c%c %lldx%lldx%lld batch %lld%s", leftT ? 'T' : 'N',
                          rightT ? 'T' : 'N', (long long)out.rows, (long long)out.cols,
                          (long long)left.cols, (long long)batch,
                          std::is_same_v<Out, BF16>              ? " bf16 operands and result"
                          : bf16                                 ? " bf16 operands"
                          : fast == CUBLAS_COMPUTE_32F_FAST_16BF ? " bf16"
                          : fast ? (blas().splitTF32 ? " 3xtf32" : " tf32")
                                 : ""),
                   [&] {
                     if (fast)
                       blas().check(
                           blas().gemmEx()(handle, opA, opB, int(out.rows), int(out.cols),
                                           int(left.cols), &one, left.data, inType, int(ldLeft),
                                           left.batchStride, right.data, inType, int(ldRight),
                                           right.batchStride, &scaleC, out.data, outType, int(ldc),
                                           out.batchStride, int(batch), fast, CUBLAS_GEMM_DEFAULT),
                           "gemmStridedBatchedEx");
                     else if constexpr (!bf16)
                       blas().check(blas().gemm<T>()(handle, opA, opB, int(out.rows), int(out.cols),
                                                     int(left.cols), &one, left.data, int(ldLeft),
                                                     left.batchStride, right.data, int(ldRight),
                                                     right.batchStride, &scaleC, out.data, int(ldc),
                                                     out.batchStride, int(batch)),
                                    "gemmStridedBatched");
                   });
  };
  if (!tuned)
    gemm(lhs, rhs, beta);
  if (twoGemms)
    gemm(bigLhs, bigRhs, one);
  if constexpr (!std::is_same_v<Out, BF16>)
    if (outCopy)
      copyMatrices(target, outCopy->block.data, batch, /*toContiguous=*/false);
}

//===----------------------------------------------------------------------===//
// cuBLASLt: matmuls with a bias and activation epilogue
//===----------------------------------------------------------------------===//

using LtHandle = struct cublasLtContext *;
using LtDesc = struct cublasLtMatmulDescOpaque *;
using LtLayout = struct cublasLtMatrixLayoutOpaque *;
using LtPreference = struct cublasLtMatmulPreferenceOpaque *;
struct LtAlgo {
  uint64_t data[8];
};
struct LtHeuristicResult {
  LtAlgo algo;
  size_t workspaceSize;
  cublasStatus state;
  float wavesCount;
  int reserved[4];
};
constexpr int CUBLASLT_MATMUL_DESC_TRANSA = 3, CUBLASLT_MATMUL_DESC_TRANSB = 4,
              CUBLASLT_MATMUL_DESC_EPILOGUE = 7, CUBLASLT_MATMUL_DESC_BIAS_POINTER = 8;
constexpr int CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT = 5,
              CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET = 6;
constexpr int CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES = 1,
              CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES = 5;
constexpr int CUBLASLT_EPILOGUE_DEFAULT = 1, CUBLASLT_EPILOGUE_BIAS = 4,
              CUBLASLT_EPILOGUE_RELU_BIAS = 6, CUBLASLT_EPILOGUE_GELU_BIAS = 36;
/// How many of the heuristic's algorithms TGC_CUDA_GEMM_TUNING=1 times.
constexpr int kTuningCandidates = 8;

struct LtApi {
  cublasStatus (*create)(LtHandle *);
  cublasStatus (*descCreate)(LtDesc *, int computeType, int scaleType);
  cublasStatus (*descSetAttribute)(LtDesc, int, const void *, size_t);
  cublasStatus (*layoutCreate)(LtLayout *, int type, uint64_t rows, uint64_t cols, int64_t ld);
  cublasStatus (*layoutSetAttribute)(LtLayout, int, const void *, size_t);
  cublasStatus (*preferenceCreate)(LtPreference *);
  cublasStatus (*preferenceSetAttribute)(LtPreference, int, const void *, size_t);
  cublasStatus (*heuristic)(LtHandle, LtDesc, LtLayout, LtLayout, LtLayout, LtLayout, LtPreference,
                            int, LtHeuristicResult *, int *);
  cublasStatus (*matmul)(LtHandle, LtDesc, const void *alpha, const void *a, LtLayout,
                         const void *b, LtLayout, const void *beta, const void *c, LtLayout,
                         void *d, LtLayout, const LtAlgo *, void *workspace, size_t, void *stream);
  const char *(*statusName)(cublasStatus); // optional
};

/// One column-major operand of a cuBLASLt call: `rows` x `cols` as stored
/// (before its transpose), `batch` of them `batchStride` apart.
struct LtOperand {
  bool transposed;
  int64_t rows, cols, ld, batchStride;
  unsigned alignment; // of its address, up to 256 bytes

  auto key() const { return std::make_tuple(transposed, rows, cols, ld, batchStride, alignment); }
};

/// Everything a cached descriptor and algorithm depend on.
struct LtShape {
  LtOperand a, b, d;
  int64_t batch, epilogue;
  int compute;
  int type = CUDA_R_32F; // of the matrices and the bias: CUDA_R_32F or CUDA_R_16BF
  unsigned biasAlignment;

  bool operator<(const LtShape &other) const {
    return std::make_tuple(a.key(), b.key(), d.key(), batch, epilogue, compute, type,
                           biasAlignment) <
           std::make_tuple(other.a.key(), other.b.key(), other.d.key(), other.batch, other.epilogue,
                           other.compute, other.type, other.biasAlignment);
  }
};

struct LtPlan {
  LtDesc desc;
  LtLayout a, b, d;
  LtAlgo algo;
};

/// The bytes a column-major operand's batch of `type` elements spans.
size_t bytesSpanned(const LtOperand &operand, int64_t batch, int type) {
  size_t elementBytes = type == CUDA_R_16BF ? 2 : 4;
  return elementBytes *
         size_t((batch - 1) * operand.batchStride + (operand.cols - 1) * operand.ld + operand.rows);
}

unsigned alignmentOf(const void *pointer) {
  auto address = reinterpret_cast<uintptr_t>(pointer);
  unsigned alignment = 256;
  while (alignment > 1 && address % alignment)
    alignment /= 2;
  return alignment;
}

class BlasLt {
public:
  /// The plan for `shape`: descriptors, layouts and the heuristic's first
  /// algorithm, made at its first use (with these operands) and kept (a
  /// step's shapes repeat). With TGC_CUDA_GEMM_TUNING=1, the fastest of the
  /// heuristic's first kTuningCandidates algorithms instead, each timed on
  /// the operands (the result into scratch memory), unless a graph is being
  /// captured; which algorithm is fastest may differ between runs, and with
  /// it the result's last bits.
  const LtPlan &plan(const LtShape &shape, const void *a, const void *b, const void *bias) {
    std::lock_guard<std::mutex> lock(mutex);
    if (!handle)
      open();
    auto found = plans.find(shape);
    if (found != plans.end())
      return found->second;
    LtPlan plan;
    check(api.descCreate(&plan.desc, shape.compute, CUDA_R_32F), "cublasLtMatmulDescCreate");
    int32_t transA = shape.a.transposed ? CUBLAS_OP_T : CUBLAS_OP_N;
    int32_t transB = shape.b.transposed ? CUBLAS_OP_T : CUBLAS_OP_N;
    int32_t epilogue = shape.epilogue == kNoEpilogue              ? CUBLASLT_EPILOGUE_DEFAULT
                       : shape.epilogue == TGC_EPILOGUE_BIAS      ? CUBLASLT_EPILOGUE_BIAS
                       : shape.epilogue == TGC_EPILOGUE_BIAS_RELU ? CUBLASLT_EPILOGUE_RELU_BIAS
                                                                  : CUBLASLT_EPILOGUE_GELU_BIAS;
    setDesc(plan.desc, CUBLASLT_MATMUL_DESC_TRANSA, transA);
    setDesc(plan.desc, CUBLASLT_MATMUL_DESC_TRANSB, transB);
    setDesc(plan.desc, CUBLASLT_MATMUL_DESC_EPILOGUE, epilogue);
    // The heuristic reads the bias pointer's alignment, part of the shape.
    if (bias)
      setDesc(plan.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, bias);
    plan.a = layout(shape.a, shape.batch, shape.type);
    plan.b = layout(shape.b, shape.batch, shape.type);
    plan.d = layout(shape.d, shape.batch, shape.type);
    LtPreference preference;
    check(api.preferenceCreate(&preference), "cublasLtMatmulPreferenceCreate");
    uint64_t workspaceBytes = kWorkspaceBytes;
    check(api.preferenceSetAttribute(preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                     &workspaceBytes, sizeof(workspaceBytes)),
          "cublasLtMatmulPreferenceSetAttribute");
    // Alignments of A, B, C and D: C is D.
    const unsigned alignments[] = {shape.a.alignment, shape.b.alignment, shape.d.alignment,
                                   shape.d.alignment};
    for (int i = 0; i < 4; ++i) {
      uint32_t bytes = alignments[i];
      check(api.preferenceSetAttribute(preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES + i,
                                       &bytes, sizeof(bytes)),
            "cublasLtMatmulPreferenceSetAttribute");
    }
    LtHeuristicResult results[kTuningCandidates] = {};
    int count = 0;
    check(api.heuristic(handle, plan.desc, plan.a, plan.b, plan.d, plan.d, preference,
                        blas().gemmTuning ? kTuningCandidates : 1, results, &count),
          "cublasLtMatmulAlgoGetHeuristic");
    if (count == 0)
      fail(TGC_ERROR_DEVICE,
           "cuBLASLt has no algorithm for a %lldx%lldx%lld matmul with epilogue "
           "%lld",
           (long long)shape.d.rows, (long long)shape.d.cols,
           (long long)(shape.a.transposed ? shape.a.rows : shape.a.cols),
           (long long)shape.epilogue);
    plan.algo = results[0].algo;
    if (count > 1) {
      void *scratch = cuda::allocate(bytesSpanned(shape.d, shape.batch, shape.type));
      float fastest = 0;
      for (int candidate = 0; candidate < count; ++candidate) {
        std::optional<float> microseconds = cuda::timeMicroseconds(
            [&] { runLocked(plan, results[candidate].algo, a, b, bias, scratch, 0); }, 10);
        if (!microseconds)
          break;
        if (candidate == 0 || *microseconds < fastest) {
          fastest = *microseconds;
          plan.algo = results[candidate].algo;
        }
      }
      cuda::release(scratch);
    }
    return plans.emplace(shape, plan).first->second;
  }

  /// D = act(A B + bias) + beta D (no bias or activation for a plain product).
  void run(const LtPlan &plan, const void *a, const void *b, const void *bias, void *d,
           float beta = 0) {
    std::lock_guard<std::mutex> lock(mutex);
    runLocked(plan, plan.algo, a, b, bias, d, beta);
  }

private:
  void runLocked(const LtPlan &plan, const LtAlgo &algo, const void *a, const void *b,
                 const void *bias, void *d, float beta) {
    if (bias)
      setDesc(plan.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, bias);
    float one = 1;
    check(api.matmul(handle, plan.desc, &one, a, plan.a, b, plan.b, &beta, d, plan.d, d, plan.d,
                     &algo, blas().workspace(), kWorkspaceBytes, cuda::stream()),
          "cublasLtMatmul");
  }

  void open() {
    blas().handle(); // the stream, the workspace and TGC_CUDA_MATMUL
    std::string tried;
    void *library = openLibrary("TGC_CUBLASLT_LIBRARY", "libcublasLt", tried);
    if (!library)
      fail(TGC_ERROR_DEVICE,
           "no cuBLASLt (%s not found): CUDA models need it for matmuls with a bias; set "
           "TGC_CUBLASLT_LIBRARY to its path",
           tried.c_str());
    auto bind = [&](auto &entry, const char *name, bool required = true) {
      bindSymbol(library, tried, entry, name, required);
    };
    bind(api.create, "cublasLtCreate");
    bind(api.descCreate, "cublasLtMatmulDescCreate");
    bind(api.descSetAttribute, "cublasLtMatmulDescSetAttribute");
    bind(api.layoutCreate, "cublasLtMatrixLayoutCreate");
    bind(api.layoutSetAttribute, "cublasLtMatrixLayoutSetAttribute");
    bind(api.preferenceCreate, "cublasLtMatmulPreferenceCreate");
    bind(api.preferenceSetAttribute, "cublasLtMatmulPreferenceSetAttribute");
    bind(api.heuristic, "cublasLtMatmulAlgoGetHeuristic");
    bind(api.matmul, "cublasLtMatmul");
    bind(api.statusName, "cublasLtGetStatusName", /*required=*/false);
    LtHandle created = nullptr;
    check(api.create(&created), "cublasLtCreate");
    handle = created;
  }

  template <typename T> void setDesc(LtDesc desc, int attribute, const T &value) {
    check(api.descSetAttribute(desc, attribute, &value, sizeof(value)),
          "cublasLtMatmulDescSetAttribute");
  }

  LtLayout layout(const LtOperand &operand, int64_t batch, int type) {
    LtLayout created;
    check(api.layoutCreate(&created, type, operand.rows, operand.cols, operand.ld),
          "cublasLtMatrixLayoutCreate");
    if (batch > 1) {
      int32_t count = int32_t(batch);
      int64_t stride = operand.batchStride;
      check(api.layoutSetAttribute(created, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count,
                                   sizeof(count)),
            "cublasLtMatrixLayoutSetAttribute");
      check(api.layoutSetAttribute(created, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride,
                                   sizeof(stride)),
            "cublasLtMatrixLayoutSetAttribute");
    }
    return created;
  }

  void check(cublasStatus status, const char *what) {
    if (status == 0)
      return;
    const char *name = api.statusName ? api.statusName(status) : nullptr;
    fail(TGC_ERROR_DEVICE, "cuBLASLt failure in %s: %s", what,
         name ? name : format("status %d", status).c_str());
  }

  std::mutex mutex;
  LtApi api = {};
  LtHandle handle = nullptr;
  std::map<LtShape, LtPlan> plans;
};

// Never destroyed, like the device.
BlasLt &blasLt() {
  static BlasLt *instance = new BlasLt;
  return *instance;
}

/// Under TGC_CUDA_GEMM_TUNING=1, the plain product C = A B + beta C of
/// matmul() (its operands as cuBLAS sees them) as a cuBLASLt matmul with a
/// tuned algorithm; false when tuning is off, for an empty sum (k = 0), or
/// when the batch shares an operand (stride 0), which cuBLASLt's strided
/// batches cannot express.
bool tunedMatmul(const Matrix<float> &lhs, bool lhsT, int64_t lda, const Matrix<float> &rhs,
                 bool rhsT, int64_t ldb, const Matrix<float> &out, int64_t ldc, int64_t batch,
                 float beta, int compute) {
  int64_t m = out.rows, n = out.cols, k = lhs.cols;
  if (!blas().gemmTuning || k == 0 ||
      (batch > 1 && (!lhs.batchStride || !rhs.batchStride || !out.batchStride)))
    return false;
  LtShape shape;
  shape.a = {lhsT, lhsT ? k : m, lhsT ? m : k, lda, lhs.batchStride, alignmentOf(lhs.data)};
  shape.b = {rhsT, rhsT ? n : k, rhsT ? k : n, ldb, rhs.batchStride, alignmentOf(rhs.data)};
  shape.d = {false, m, n, ldc, out.batchStride, alignmentOf(out.data)};
  shape.batch = batch;
  shape.epilogue = kNoEpilogue;
  shape.compute = compute;
  shape.biasAlignment = 0;
  const LtPlan &plan = blasLt().plan(shape, lhs.data, rhs.data, nullptr);
  cuda::profiled(
      format("cublasLt gemm %c%c %lldx%lldx%lld batch %lld%s (tuned)", lhsT ? 'T' : 'N',
             rhsT ? 'T' : 'N', (long long)m, (long long)n, (long long)k, (long long)batch,
             compute == CUBLAS_COMPUTE_32F_FAST_16BF   ? " bf16"
             : compute == CUBLAS_COMPUTE_32F_FAST_TF32 ? (blas().splitTF32 ? " 3xtf32" : " tf32")
                                                       : ""),
      [&] { blasLt().run(plan, lhs.data, rhs.data, nullptr, out.data, beta); });
  return true;
}

/// Views [batch, rows, cols] whose batches follow each other like rows
/// (a linear layer on [batch, rows, features]) as one matrix of batch x rows
/// rows; `weights` has batch stride 0.
template <typename T>
bool collapseBatch(Matrix<T> &x, Matrix<T> &weights, Matrix<T> &out, int64_t &batch) {
  auto stacked = [&](const Matrix<T> &view) {
    return view.batchStride == view.rows * view.rowStride;
  };
  if (batch == 1 || weights.batchStride != 0 || !stacked(x) || !stacked(out))
    return false;
  x.rows *= batch;
  out.rows *= batch;
  batch = 1;
  return true;
}

/// C = act(A B + bias) (see runtime.h) as one cublasLtMatmul, for float
/// or bf16 (T) matrices and bias: cuBLASLt adds the bias to each row of its
/// column-major D, so D is C^T = B^T A^T, stored where C's rows are
/// contiguous (a scratch block otherwise, for float; bf16 has no copies).
template <typename T, typename View3, typename View1>
void matmulBias(const View3 &a, const View3 &b, const View1 &bias, const View3 &c, int64_t epilogue,
                bool smallKernels = true, Split split = Split::AsSet) {
  constexpr bool bf16 = std::is_same_v<T, BF16>;
  if (epilogue < TGC_EPILOGUE_BIAS || epilogue > TGC_EPILOGUE_BIAS_GELU_TANH)
    fail(TGC_ERROR_ARGUMENT, "matmul epilogue %lld: expected 0 (bias), 1 (relu) or 2 (gelu)",
         (long long)epilogue);
  int64_t batch = c.sizes[0], m = c.sizes[1], n = c.sizes[2], k = a.sizes[2];
  if (batch == 0 || m == 0 || n == 0)
    return;
  if (std::max({batch, m, n, k}) > INT_MAX)
    fail(TGC_ERROR_ARGUMENT, "matmul [%lld, %lld, %lld] x %lld too large for cuBLASLt",
         (long long)batch, (long long)m, (long long)n, (long long)k);
  bool splitOperands = false;
  if constexpr (!bf16) {
    if (smallKernels &&
        smallGemmFirst(a, b, c, &bias, epilogue, /*accumulate=*/0, [&](const tgc_memref3_f32 &out) {
          matmulBias<T>(a, b, bias, out, epilogue, false);
        }))
      return;
    splitOperands = splitsOperands(a, b, c, epilogue, /*accumulate=*/0, split,
                                   [&](const tgc_memref3_f32 &out, Split how) {
                                     matmulBias<T>(a, b, bias, out, epilogue, false, how);
                                   });
  }
  Matrix<T> lhs = matrixOf(a), rhs = matrixOf(b), out = matrixOf(c);
  collapseBatch(lhs, rhs, out, batch);
  std::optional<Scratch<T>> lhsCopy, rhsCopy, outCopy, biasCopy;
  // cuBLAS has no bf16 copy: the compiler passes bf16 views cuBLASLt
  // addresses as they are.
  auto copy = [&](std::optional<Scratch<T>> &scratch, const Matrix<T> &x, bool copyIn,
                  const char *what) -> Matrix<T> {
    if constexpr (bf16)
      fail(TGC_ERROR_ARGUMENT, "a bf16 matmul-with-bias %s cuBLASLt cannot address", what);
    else
      return scratch.emplace(x, batch, copyIn).matrix;
  };
  // D = C^T needs C's rows contiguous: columns at stride 1.
  Matrix<T> target = out;
  bool outT;
  int64_t ldd;
  if (!asColumnMajor(out.transposed(), outT, ldd) || outT)
    out = copy(outCopy, out, /*copyIn=*/false, "result");
  Matrix<T> d = out.transposed(), first = rhs.transposed(), second = lhs.transposed();
  asColumnMajor(d, outT, ldd);
  // Operands cuBLASLt cannot address are copied to row-major blocks.
  // Under 3xtf32 they are split (the first's reduction is along its
  // columns, the second's along its rows).
  std::optional<ScratchBlock<float>> firstSplit, secondSplit;
  auto operand = [&](Matrix<T> &x, std::optional<Scratch<T>> &scratch,
                     std::optional<ScratchBlock<float>> &splitBlock, bool first) {
    LtOperand result;
    if (!asColumnMajor(x, result.transposed, result.ld))
      x = copy(scratch, x, /*copyIn=*/true, "operand");
    if constexpr (!bf16)
      if (splitOperands)
        x = splitForTF32(x, /*reductionAlongCols=*/first, /*smallBlock=*/first ? 0 : 1,
                         /*blocks=*/3, batch, splitBlock);
    asColumnMajor(x, result.transposed, result.ld);
    result.rows = result.transposed ? x.cols : x.rows;
    result.cols = result.transposed ? x.rows : x.cols;
    result.batchStride = x.batchStride;
    result.alignment = alignmentOf(x.data);
    return result;
  };
  LtShape shape;
  shape.a = operand(first, rhsCopy, firstSplit, /*first=*/true);
  shape.b = operand(second, lhsCopy, secondSplit, /*first=*/false);
  shape.d = {false, d.rows, d.cols, ldd, d.batchStride, alignmentOf(d.data)};
  const T *biasData = bias.aligned + bias.offset;
  if (bias.strides[0] != 1 && n > 1) {
    Matrix<T> column = {const_cast<T *>(biasData), n, 1, bias.strides[0], 1, 0};
    biasData = copy(biasCopy, column, /*copyIn=*/true, "bias").data;
  }
  shape.batch = batch;
  shape.epilogue = epilogue;
  shape.type = bf16 ? CUDA_R_16BF : CUDA_R_32F;
  // bf16 matrices accumulate in FP32; TGC_CUDA_MATMUL is for FP32 ones.
  int fast = bf16 ? 0 : blas().fp32Compute(splitOperands);
  shape.compute = fast ? fast : CUBLAS_COMPUTE_32F;
  shape.biasAlignment = alignmentOf(biasData);
  // A batch stride of 0 (a shared operand that collapseBatch could not
  // fold) is no strided batch for cuBLASLt: one call per batch item.
  bool perItem = batch > 1 && (shape.a.batchStride == 0 || shape.b.batchStride == 0);
  int64_t calls = perItem ? batch : 1;
  if (perItem)
    shape.batch = 1;
  const LtPlan &plan = blasLt().plan(shape, first.data, second.data, biasData);
  static const char *const kNames[] = {"bias", "bias+relu", "bias+gelu"};
  cuda::profiled(format("cublasLt gemm+%s %c%c %lldx%lldx%lld batch %lld%s%s", kNames[epilogue],
                        shape.a.transposed ? 'T' : 'N', shape.b.transposed ? 'T' : 'N',
                        (long long)d.rows, (long long)d.cols, (long long)k, (long long)batch,
                        bf16                                   ? " bf16->bf16"
                        : fast == CUBLAS_COMPUTE_32F_FAST_16BF ? " bf16"
                        : fast ? (blas().splitTF32 ? " 3xtf32" : " tf32")
                               : "",
                        blas().gemmTuning ? " (tuned)" : ""),
                 [&] {
                   for (int64_t item = 0; item < calls; ++item)
                     blasLt().run(plan, first.data + item * first.batchStride,
                                  second.data + item * second.batchStride, biasData,
                                  d.data + item * d.batchStride);
                 });
  if constexpr (!bf16)
    if (outCopy)
      copyMatrices(target, outCopy->block.data, batch, /*toContiguous=*/false);
}

} // namespace
} // namespace tgc

using namespace tgc;

extern "C" {

void _mlir_ciface_tgc_cuda_matmul_f32(tgc_memref3_f32 *a, tgc_memref3_f32 *b, tgc_memref3_f32 *c,
                                      int64_t accumulate) {
  orExit([&] { matmul<float, float>(*a, *b, *c, accumulate); });
}

void _mlir_ciface_tgc_cuda_matmul_bf16_f32(tgc_memref3_bf16 *a, tgc_memref3_bf16 *b,
                                           tgc_memref3_f32 *c, int64_t accumulate) {
  orExit([&] { matmul<BF16, float>(*a, *b, *c, accumulate); });
}

void _mlir_ciface_tgc_cuda_matmul_bf16_bf16(tgc_memref3_bf16 *a, tgc_memref3_bf16 *b,
                                            tgc_memref3_bf16 *c, int64_t accumulate) {
  orExit([&] { matmul<BF16, BF16>(*a, *b, *c, accumulate); });
}

void _mlir_ciface_tgc_cuda_matmul_f64(tgc_memref3_f64 *a, tgc_memref3_f64 *b, tgc_memref3_f64 *c,
                                      int64_t accumulate) {
  orExit([&] { matmul<double, double>(*a, *b, *c, accumulate); });
}

void _mlir_ciface_tgc_cuda_matmul_bias_f32(tgc_memref3_f32 *a, tgc_memref3_f32 *b,
                                           tgc_memref1_f32 *bias, tgc_memref3_f32 *c,
                                           int64_t epilogue) {
  orExit([&] { matmulBias<float>(*a, *b, *bias, *c, epilogue); });
}

void _mlir_ciface_tgc_cuda_matmul_bias_bf16(tgc_memref3_bf16 *a, tgc_memref3_bf16 *b,
                                            tgc_memref1_bf16 *bias, tgc_memref3_bf16 *c,
                                            int64_t epilogue) {
  orExit([&] { matmulBias<BF16>(*a, *b, *bias, *c, epilogue); });
}

} // extern "C"
