//===- Matmul.cpp - batched matmul for compiled code ----------------------===//
//
// The GotoBLAS/BLIS structure: per thread, B is packed kc x nc at a time
// and A mc x kc at a time into buffers that stay in cache and keep the
// micro-kernel's loads sequential whatever the operands' strides (a
// transposed operand costs only its packing). Small problems skip the
// packing and the thread pool: at 32x64x64 either would cost more than the
// arithmetic.
//
// Threads split C into rectangles (and batch items), never the k sum, and
// the sums are blocked by kc whatever the thread count, so results do not
// depend on the thread count.
//
//===----------------------------------------------------------------------===//

#include "Matmul.h"

#include <cstdlib>
#include <utility>

namespace tgc {
namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t roundUp(int64_t a, int64_t b) { return ceilDiv(a, b) * b; }
int64_t min(int64_t a, int64_t b) { return a < b ? a : b; }

//===----------------------------------------------------------------------===//
// Portable kernels: plain loops over fixed-size tiles that compilers
// vectorize for whatever the runtime is compiled for.
//===----------------------------------------------------------------------===//

namespace portable {

// A 4 x 8 tile of floats fits the 16 registers of baseline x86-64 (SSE2).
constexpr int64_t kMr = 4;
constexpr int64_t kNr = 8;

template <typename T>
void pack(T *dst, int64_t width, const T *src, int64_t indexStride, int64_t depthStride,
          int64_t count, int64_t depth) {
  for (int64_t first = 0; first < count; first += width, dst += width * depth) {
    int64_t panelCount = min(width, count - first);
    const T *panelSrc = src + first * indexStride;
    for (int64_t p = 0; p < depth; ++p)
      for (int64_t i = 0; i < width; ++i)
        dst[p * width + i] = i < panelCount ? panelSrc[i * indexStride + p * depthStride] : T(0);
  }
}

/// acc = A x B for one kMr x kNr tile, A's element (r, p) at
/// a[r * aRowStride + p * aColStride] and B's (p, s) at b[p * bRowStride + s].
/// Full tiles run constant trip counts, which compilers vectorize.
template <typename T, bool Full>
void multiplyTile(T (&acc)[kMr][kNr], int64_t rows, int64_t cols, int64_t k, const T *a,
                  int64_t aRowStride, int64_t aColStride, const T *b, int64_t bRowStride) {
  for (int64_t p = 0; p < k; ++p) {
    for (int64_t r = 0; r < (Full ? kMr : rows); ++r) {
      T aElement = a[r * aRowStride + p * aColStride];
      for (int64_t s = 0; s < (Full ? kNr : cols); ++s)
        acc[r][s] += aElement * b[p * bRowStride + s];
    }
  }
}

template <typename T>
void updateC(const T (&acc)[kMr][kNr], int64_t rows, int64_t cols, T *c, int64_t rowStride,
             int64_t colStride, bool overwrite) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t s = 0; s < cols; ++s) {
      T &element = c[r * rowStride + s * colStride];
      element = overwrite ? acc[r][s] : element + acc[r][s];
    }
  }
}

template <typename T>
void packedBlock(int64_t mc, int64_t nc, int64_t kc, const T *packedA, const T *packedB, T *c,
                 int64_t rowStride, int64_t colStride, bool overwrite) {
  for (int64_t j = 0; j < nc; j += kNr) {
    for (int64_t i = 0; i < mc; i += kMr) {
      // Packing padded the edge tiles with zeros: compute them whole.
      T acc[kMr][kNr] = {};
      multiplyTile<T, true>(acc, kMr, kNr, kc, packedA + i * kc, 1, kMr, packedB + j * kc, kNr);
      updateC(acc, min(kMr, mc - i), min(kNr, nc - j), c + i * rowStride + j * colStride,
              rowStride, colStride, overwrite);
    }
  }
}

template <typename T>
void directBlock(int64_t m, int64_t n, int64_t k, const T *a, int64_t aRowStride,
                 int64_t aColStride, const T *b, int64_t bRowStride, T *c, int64_t rowStride,
                 int64_t colStride, bool overwrite) {
  for (int64_t j = 0; j < n; j += kNr) {
    for (int64_t i = 0; i < m; i += kMr) {
      int64_t rows = min(kMr, m - i), cols = min(kNr, n - j);
      const T *aTile = a + i * aRowStride, *bTile = b + j;
      T acc[kMr][kNr] = {};
      if (rows == kMr && cols == kNr)
        multiplyTile<T, true>(acc, rows, cols, k, aTile, aRowStride, aColStride, bTile, bRowStride);
      else
        multiplyTile<T, false>(acc, rows, cols, k, aTile, aRowStride, aColStride, bTile,
                               bRowStride);
      updateC(acc, rows, cols, c + i * rowStride + j * colStride, rowStride, colStride, overwrite);
    }
  }
}

template <typename T> constexpr MatmulKernels<T> kernels() {
  return {kMr, kNr, 32 * kMr, 256, 64 * kNr, pack<T>, packedBlock<T>, kMr, kNr, directBlock<T>};
}

} // namespace portable


template <typename T> const MatmulKernels<T> &kernelsFor(MatmulIsa isa);

template <> const MatmulKernels<float> &kernelsFor(MatmulIsa isa) {
  static constexpr MatmulKernels<float> kPortable = portable::kernels<float>();
#ifdef TGC_MATMUL_X86_KERNELS
  if (isa == MatmulIsa::Avx512)
    return kAvx512MatmulKernelsF32;
  if (isa == MatmulIsa::Avx2)
    return kAvx2MatmulKernelsF32;
#endif
  (void)isa;
  return kPortable;
}

template <> const MatmulKernels<double> &kernelsFor(MatmulIsa isa) {
  static constexpr MatmulKernels<double> kPortable = portable::kernels<double>();
#ifdef TGC_MATMUL_X86_KERNELS
  if (isa == MatmulIsa::Avx512)
    return kAvx512MatmulKernelsF64;
  if (isa == MatmulIsa::Avx2)
    return kAvx2MatmulKernelsF64;
#endif
  (void)isa;
  return kPortable;
}

//===----------------------------------------------------------------------===//
// The driver
//===----------------------------------------------------------------------===//

/// A and B are read in place (B copied row-major first when its rows are
/// strided) when B has at most this many bytes: it then stays in cache
/// while the row blocks of A pass over it. Measured on one core: in place
/// is faster up to 160^3 (100 KiB of f32 B), packing from 192^3 (144 KiB).
constexpr int64_t kDirectMaxBBytes = int64_t(128) << 10;
/// ... or when C has at most this many rows or columns and B's rows are
/// contiguous: packing the big operand would cost more than the
/// multiply-adds it feeds (2x slower at 128x512x10).
constexpr int64_t kDirectMaxThinSize = 16;
/// Problems of fewer multiply-adds in all stay on the calling thread: a
/// parallel loop costs about a microsecond. Two threads were faster from
/// 64^3 (2^18), slower at 48^3.
constexpr int64_t kParallelMinFmas = int64_t(1) << 18;

/// A rank-3 view: element (i, j, l) at data[i*batchStride + j*rowStride + l*colStride].
template <typename T> struct Operand {
  T *data;
  int64_t batchStride, rowStride, colStride;
};

template <typename T> struct Problem {
  int64_t batch, m, n, k;
  Operand<T> a, b, c;
  bool accumulate;
};

/// How the work is cut into tasks: each batch item into rowParts x colParts
/// rectangles of C.
struct Split {
  int64_t rowParts = 1, colParts = 1;
  int64_t parts() const { return rowParts * colParts; }
};

/// The split of `batch` items of mTiles x nTiles register tiles for
/// `numThreads` that gives the busiest thread the least work; among those,
/// the one whose rectangles pack the fewest elements twice.
Split chooseSplit(int64_t batch, int64_t mTiles, int64_t nTiles, int64_t mr, int64_t nr,
                  int numThreads) {
  Split best;
  double bestLoad = 0, bestCost = 0;
  for (int64_t parts = 1; parts <= numThreads; ++parts) {
    // The busiest thread's share, in whole items.
    double load = double(ceilDiv(batch * parts, numThreads)) / double(parts);
    for (int64_t rowParts = 1; rowParts <= parts; ++rowParts) {
      int64_t colParts = parts / rowParts;
      if (rowParts * colParts != parts || rowParts > mTiles || colParts > nTiles)
        continue;
      // Per step of k, a rectangle's multiply-adds (two FMA vectors of 16
      // a cycle) and the elements it packs (about one a cycle).
      double rows = double(ceilDiv(mTiles, rowParts) * mr);
      double cols = double(ceilDiv(nTiles, colParts) * nr);
      double cost = load * (rows * cols / 32 + rows + cols);
      if (parts == 1 || load < bestLoad || (load == bestLoad && cost < bestCost)) {
        best = {rowParts, colParts};
        bestLoad = load;
        bestCost = cost;
      }
    }
  }
  return best;
}

/// Memory a thread packs into, kept for its later calls: a first touch of a
/// fresh page is expensive here. Not from tgc_alloc: it is the runtime's
/// scratch, not a buffer of the step, and which threads take part in a
/// matmul (so which have a buffer yet) depends on timing; the allocator's
/// statistics, which --memory-report is checked against, count the step's.
class PackingBuffer {
public:
  ~PackingBuffer() { std::free(memory); }

  void *get(size_t bytes) {
    if (bytes > capacity) {
      std::free(memory);
      memory = std::aligned_alloc(64, (bytes + 63) & ~size_t(63));
      // A matmul cannot fail; without a few MiB nothing else could go on.
      if (!memory)
        std::abort();
      capacity = bytes;
    }
    return memory;
  }

private:
  void *memory = nullptr;
  size_t capacity = 0;
};

thread_local PackingBuffer packingBuffer;

template <typename T> struct Job {
  const Problem<T> &problem;
  const MatmulKernels<T> &kernels;
  bool direct;
  /// The register tile of the kernel used, the unit of the split.
  int64_t tileRows, tileCols;
  Split split;
};

/// C (+)= A x B for rows x cols of C, packing A and B block by block.
template <typename T>
void multiplyPacked(const Job<T> &job, const T *a, const T *b, T *c, int64_t rows, int64_t cols) {
  const Problem<T> &problem = job.problem;
  const MatmulKernels<T> &kernels = job.kernels;
  const Operand<T> &opA = problem.a, &opB = problem.b, &opC = problem.c;
  // Near-equal blocks: k = 784 is 4 x 196 rather than 3 x 256 + 16, and no
  // block of rows streams all of packed B through L1 for a sliver of A.
  int64_t kc = ceilDiv(problem.k, ceilDiv(problem.k, kernels.kc));
  int64_t mc = roundUp(ceilDiv(rows, ceilDiv(rows, kernels.mc)), kernels.mr);
  int64_t nc = roundUp(ceilDiv(cols, ceilDiv(cols, kernels.nc)), kernels.nr);
  size_t bBytes = size_t(roundUp(kc * nc * int64_t(sizeof(T)), 64));
  size_t aBytes = size_t(kc * mc * int64_t(sizeof(T)));
  auto *buffer = static_cast<char *>(packingBuffer.get(bBytes + aBytes));
  T *packedB = reinterpret_cast<T *>(buffer), *packedA = reinterpret_cast<T *>(buffer + bBytes);
  for (int64_t jc = 0; jc < cols; jc += nc) {
    int64_t ncBlock = min(nc, cols - jc);
    for (int64_t pc = 0; pc < problem.k; pc += kc) {
      int64_t kcBlock = min(kc, problem.k - pc);
      kernels.pack(packedB, kernels.nr, b + pc * opB.rowStride + jc * opB.colStride, opB.colStride,
                   opB.rowStride, ncBlock, kcBlock);
      bool overwrite = pc == 0 && !problem.accumulate;
      for (int64_t ic = 0; ic < rows; ic += mc) {
        int64_t mcBlock = min(mc, rows - ic);
        kernels.pack(packedA, kernels.mr, a + ic * opA.rowStride + pc * opA.colStride,
                     opA.rowStride, opA.colStride, mcBlock, kcBlock);
        kernels.packedBlock(mcBlock, ncBlock, kcBlock, packedA, packedB,
                            c + ic * opC.rowStride + jc * opC.colStride, opC.rowStride,
                            opC.colStride, overwrite);
      }
    }
  }
}

/// [begin, end) of part `part` of `parts` near-equal runs of `tiles` tiles
/// of `tileSize`, clipped to `size`.
std::pair<int64_t, int64_t> partRange(int64_t part, int64_t parts, int64_t tiles,
                                      int64_t tileSize, int64_t size) {
  return {min(part * tiles / parts * tileSize, size),
          min((part + 1) * tiles / parts * tileSize, size)};
}

template <typename T> void runTasks(void *context, int64_t begin, int64_t end) {
  const Job<T> &job = *static_cast<const Job<T> *>(context);
  const Problem<T> &problem = job.problem;
  const MatmulKernels<T> &kernels = job.kernels;
  const Operand<T> &opA = problem.a, &opB = problem.b, &opC = problem.c;
  int64_t mTiles = ceilDiv(problem.m, job.tileRows), nTiles = ceilDiv(problem.n, job.tileCols);
  for (int64_t task = begin; task < end; ++task) {
    int64_t item = task / job.split.parts(), part = task % job.split.parts();
    auto [rowBegin, rowEnd] = partRange(part / job.split.colParts, job.split.rowParts, mTiles,
                                        job.tileRows, problem.m);
    auto [colBegin, colEnd] = partRange(part % job.split.colParts, job.split.colParts, nTiles,
                                        job.tileCols, problem.n);
    if (rowBegin == rowEnd || colBegin == colEnd)
      continue;
    const T *a = opA.data + item * opA.batchStride + rowBegin * opA.rowStride;
    const T *b = opB.data + item * opB.batchStride + colBegin * opB.colStride;
    T *c = opC.data + item * opC.batchStride + rowBegin * opC.rowStride + colBegin * opC.colStride;
    int64_t rows = rowEnd - rowBegin, cols = colEnd - colBegin;
    if (!job.direct) {
      multiplyPacked(job, a, b, c, rows, cols);
      continue;
    }
    int64_t bRowStride = opB.rowStride;
    if (opB.colStride != 1) {
      // The direct kernel reads B by contiguous rows: lay a transposed B out
      // so first (Auto takes this path only for a small one).
      T *copy = static_cast<T *>(packingBuffer.get(size_t(problem.k * cols) * sizeof(T)));
      kernels.pack(copy, cols, b, opB.colStride, opB.rowStride, cols, problem.k);
      b = copy;
      bRowStride = cols;
    }
    kernels.directBlock(rows, cols, problem.k, a, opA.rowStride, opA.colStride, b, bRowStride, c,
                        opC.rowStride, opC.colStride, !problem.accumulate);
  }
}

template <typename T> void zero(const Problem<T> &problem) {
  const Operand<T> &c = problem.c;
  for (int64_t item = 0; item < problem.batch; ++item)
    for (int64_t i = 0; i < problem.m; ++i)
      for (int64_t j = 0; j < problem.n; ++j)
        c.data[item * c.batchStride + i * c.rowStride + j * c.colStride] = T(0);
}

template <typename T, typename Memref> Operand<T> operandOf(const Memref &memref) {
  return {memref.aligned + memref.offset, memref.strides[0], memref.strides[1], memref.strides[2]};
}

/// Whether to read A and B in place rather than pack them.
template <typename T> bool isDirect(const Problem<T> &problem, MatmulPath path) {
  if (path != MatmulPath::Auto)
    return path == MatmulPath::Direct;
  bool thin = problem.m <= kDirectMaxThinSize || problem.n <= kDirectMaxThinSize;
  return problem.k * problem.n * int64_t(sizeof(T)) <= kDirectMaxBBytes ||
         (thin && problem.b.colStride == 1);
}

template <typename T, typename Memref>
void matmulImpl(const Memref &a, const Memref &b, const Memref &c, bool accumulate,
                const MatmulOptions &options) {
  Problem<T> problem = {c.sizes[0],        c.sizes[1],        c.sizes[2], a.sizes[2],
                        operandOf<T>(a), operandOf<T>(b), operandOf<T>(c), accumulate};
  if (problem.batch <= 0 || problem.m <= 0 || problem.n <= 0)
    return;
  // Strides of dimensions of size 1 are arbitrary: make a single column
  // contiguous, which the direct kernel and vector stores want.
  if (problem.n == 1)
    problem.b.colStride = problem.c.colStride = 1;
  if (problem.k <= 0) {
    if (!accumulate)
      zero(problem);
    return;
  }
  // One B for every item, and the items' rows of A and C evenly spaced: one
  // taller matrix, which packs B once.
  if (problem.b.batchStride == 0 && problem.a.batchStride == problem.m * problem.a.rowStride &&
      problem.c.batchStride == problem.m * problem.c.rowStride) {
    problem.m *= problem.batch;
    problem.batch = 1;
  }
  const MatmulKernels<T> &kernels = kernelsFor<T>(options.isa);
  bool direct = isDirect(problem, options.path);
  int64_t tileRows = direct ? kernels.directMr : kernels.mr;
  int64_t tileCols = direct ? kernels.directNr : kernels.nr;
  int numThreads =
      problem.batch * problem.m * problem.n * problem.k < kParallelMinFmas ? 1 : options.numThreads;
  Split split = chooseSplit(problem.batch, ceilDiv(problem.m, tileRows),
                            ceilDiv(problem.n, tileCols), tileRows, tileCols, numThreads);
  Job<T> job = {problem, kernels, direct, tileRows, tileCols, split};
  int64_t numTasks = problem.batch * split.parts();
  if (numThreads == 1)
    runTasks<T>(&job, 0, numTasks);
  else
    tgc_parallel_for(numTasks, runTasks<T>, &job);
}

} // namespace

MatmulIsa bestMatmulIsa() {
#ifdef TGC_MATMUL_X86_KERNELS
  static const bool hasAvx512 = (__builtin_cpu_init(), __builtin_cpu_supports("avx512f"));
  static const bool hasAvx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (hasAvx512)
    return MatmulIsa::Avx512;
  if (hasAvx2)
    return MatmulIsa::Avx2;
#endif
  return MatmulIsa::Portable;
}

void matmul(const tgc_memref3_f32 &a, const tgc_memref3_f32 &b, const tgc_memref3_f32 &c,
            bool accumulate, const MatmulOptions &options) {
  matmulImpl<float>(a, b, c, accumulate, options);
}

void matmul(const tgc_memref3_f64 &a, const tgc_memref3_f64 &b, const tgc_memref3_f64 &c,
            bool accumulate, const MatmulOptions &options) {
  matmulImpl<double>(a, b, c, accumulate, options);
}

} // namespace tgc

namespace {

template <typename Memref>
void matmulOnThePool(const Memref &a, const Memref &b, const Memref &c, int64_t accumulate) {
  tgc::MatmulOptions options;
  options.numThreads = tgc_num_threads();
  tgc::matmul(a, b, c, accumulate != 0, options);
}

} // namespace

extern "C" {

void _mlir_ciface_tgc_matmul_f32(tgc_memref3_f32 *a, tgc_memref3_f32 *b, tgc_memref3_f32 *c,
                                 int64_t accumulate) {
  matmulOnThePool(*a, *b, *c, accumulate);
}

void _mlir_ciface_tgc_matmul_f64(tgc_memref3_f64 *a, tgc_memref3_f64 *b, tgc_memref3_f64 *c,
                                 int64_t accumulate) {
  matmulOnThePool(*a, *b, *c, accumulate);
}

} // extern "C"
