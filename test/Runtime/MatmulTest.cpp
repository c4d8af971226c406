//===- MatmulTest.cpp - the batched matmul against a naive reference ------===//

#include "Matmul.h"

#include "tgc/runtime.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

template <typename T> struct MemrefOf;
template <> struct MemrefOf<float> {
  using Type = tgc_memref3_f32;
};
template <> struct MemrefOf<double> {
  using Type = tgc_memref3_f64;
};

/// How a [batch, rows, cols] operand lies in memory.
struct Layout {
  bool transposed = false; // column-major matrices: swapped strides
  int64_t padding = 0;     // elements past each row (column when transposed)
  int64_t offset = 0;      // elements before the first
  bool broadcast = false;  // one matrix for every item: batch stride 0
  bool reversed = false;   // rows in reverse order: a negative row stride
};

/// Sentinel in C's storage outside its view, which must survive.
constexpr double kUntouched = 1234.5;

template <typename T> struct Operand {
  std::vector<T> storage;
  typename MemrefOf<T>::Type view;

  Operand(int64_t batch, int64_t rows, int64_t cols, const Layout &layout, std::mt19937_64 &rng,
          bool fillOutsideWithSentinel = false) {
    int64_t inner = layout.transposed ? rows : cols, outer = layout.transposed ? cols : rows;
    int64_t leading = inner + layout.padding;
    int64_t matrixSize = outer * leading;
    int64_t matrices = layout.broadcast ? 1 : batch;
    storage.assign(size_t(layout.offset + matrices * matrixSize + 1), T(kUntouched));
    int64_t rowStride = layout.transposed ? 1 : leading;
    int64_t colStride = layout.transposed ? leading : 1;
    int64_t offset = layout.offset;
    if (layout.reversed) {
      offset += (rows - 1) * rowStride;
      rowStride = -rowStride;
    }
    view = {storage.data(), storage.data(), offset,
            {batch, rows, cols}, {layout.broadcast ? 0 : matrixSize, rowStride, colStride}};
    std::normal_distribution<double> normal;
    if (!fillOutsideWithSentinel) {
      for (T &value : storage)
        value = T(normal(rng));
      return;
    }
    forEach([&](T &value) { value = T(normal(rng)); });
  }

  /// A copy has its own storage.
  Operand(const Operand &other) : storage(other.storage), view(other.view) {
    view.allocated = view.aligned = storage.data();
  }
  Operand &operator=(const Operand &) = delete;

  int64_t batch() const { return view.sizes[0]; }
  int64_t rows() const { return view.sizes[1]; }
  int64_t cols() const { return view.sizes[2]; }

  T &at(int64_t item, int64_t i, int64_t j) {
    return view.aligned[view.offset + item * view.strides[0] + i * view.strides[1] +
                        j * view.strides[2]];
  }

  template <typename Fn> void forEach(Fn fn) {
    for (int64_t item = 0; item < batch(); ++item)
      for (int64_t i = 0; i < rows(); ++i)
        for (int64_t j = 0; j < cols(); ++j)
          fn(at(item, i, j));
  }
};

struct Case {
  int64_t batch, m, n, k;
  Layout a, b, c;
  bool accumulate = false;

  std::string describe() const {
    std::ostringstream out;
    auto layout = [&](const char *name, const Layout &l) {
      out << " " << name << (l.transposed ? "^T" : "") << (l.padding ? " padded" : "")
          << (l.offset ? " offset" : "") << (l.broadcast ? " broadcast" : "")
          << (l.reversed ? " reversed" : "");
    };
    out << batch << " x [" << m << " x " << k << "] x [" << k << " x " << n << "]";
    layout("A", a);
    layout("B", b);
    layout("C", c);
    out << (accumulate ? " accumulate" : "");
    return out.str();
  }
};

std::string describe(const tgc::MatmulOptions &options) {
  std::string isa = options.isa == tgc::MatmulIsa::Avx512 ? "AVX-512"
                    : options.isa == tgc::MatmulIsa::Avx2 ? "AVX2"
                                                          : "portable";
  const char *path = options.path == tgc::MatmulPath::Direct   ? "direct"
                     : options.path == tgc::MatmulPath::Packed ? "packed"
                                                               : "auto";
  return isa + ", " + path + ", " + std::to_string(options.numThreads) + " threads";
}

tgc::MatmulOptions optionsFor(tgc::MatmulIsa isa, int numThreads,
                              tgc::MatmulPath path = tgc::MatmulPath::Auto) {
  tgc::MatmulOptions options;
  options.isa = isa;
  options.numThreads = numThreads;
  options.path = path;
  return options;
}

/// The kernel sets this CPU can run.
std::vector<tgc::MatmulIsa> isas() {
  std::vector<tgc::MatmulIsa> result = {tgc::MatmulIsa::Portable};
  if (tgc::bestMatmulIsa() != tgc::MatmulIsa::Portable) // AVX-512 CPUs have AVX2 and FMA too
    result.push_back(tgc::MatmulIsa::Avx2);
  if (tgc::bestMatmulIsa() == tgc::MatmulIsa::Avx512)
    result.push_back(tgc::MatmulIsa::Avx512);
  return result;
}

/// The operands of a case, drawn from a fixed seed, and C's expected value:
/// sums of products in double, with a tolerance of (k + 2) roundings of the
/// sum of magnitudes.
template <typename T> struct Inputs {
  std::mt19937_64 rng{1};
  Operand<T> a, b, c;
  std::vector<double> expected, tolerance;

  explicit Inputs(const Case &testCase)
      : a(testCase.batch, testCase.m, testCase.k, testCase.a, rng),
        b(testCase.batch, testCase.k, testCase.n, testCase.b, rng),
        c(testCase.batch, testCase.m, testCase.n, testCase.c, rng, true) {
    double eps = std::numeric_limits<T>::epsilon();
    for (int64_t item = 0; item < testCase.batch; ++item) {
      for (int64_t i = 0; i < testCase.m; ++i) {
        for (int64_t j = 0; j < testCase.n; ++j) {
          double old = testCase.accumulate ? double(c.at(item, i, j)) : 0;
          double sum = old, magnitude = std::fabs(old);
          for (int64_t p = 0; p < testCase.k; ++p) {
            double product = double(a.at(item, i, p)) * double(b.at(item, p, j));
            sum += product;
            magnitude += std::fabs(product);
          }
          expected.push_back(sum);
          tolerance.push_back(double(testCase.k + 2) * eps * magnitude);
        }
      }
    }
  }

  /// C after the matmul.
  Operand<T> run(const Case &testCase, const tgc::MatmulOptions &options) const {
    Operand<T> result = c;
    tgc::matmul(a.view, b.view, result.view, testCase.accumulate, options);
    return result;
  }

  /// Checks every element of `result` and that C's storage outside the view
  /// is untouched.
  void check(Operand<T> result) const {
    int failures = 0;
    size_t index = 0;
    for (int64_t item = 0; item < result.batch(); ++item) {
      for (int64_t i = 0; i < result.rows(); ++i) {
        for (int64_t j = 0; j < result.cols(); ++j, ++index) {
          double got = double(result.at(item, i, j));
          if (!(std::fabs(got - expected[index]) <= tolerance[index]) && ++failures <= 5)
            ADD_FAILURE() << "C[" << item << "][" << i << "][" << j << "] = " << got
                          << ", expected " << expected[index] << " within " << tolerance[index];
        }
      }
    }
    // Mark the view; then all of the storage must be the sentinel.
    result.forEach([](T &value) { value = T(kUntouched); });
    for (size_t offset = 0; offset < result.storage.size(); ++offset)
      if (result.storage[offset] != T(kUntouched) && ++failures <= 5)
        ADD_FAILURE() << "C's storage at " << offset << ", outside the view, was overwritten";
  }
};

/// Checks `testCase` with every kernel set, packed and in place.
template <typename T> void checkAllIsas(const Case &testCase, int numThreads = 2) {
  Inputs<T> inputs(testCase);
  for (tgc::MatmulIsa isa : isas()) {
    for (tgc::MatmulPath path : {tgc::MatmulPath::Direct, tgc::MatmulPath::Packed}) {
      tgc::MatmulOptions options = optionsFor(isa, numThreads, path);
      SCOPED_TRACE(testCase.describe() + ", " + describe(options));
      inputs.check(inputs.run(testCase, options));
    }
  }
}

Layout transposedIf(bool transposed) {
  Layout layout;
  layout.transposed = transposed;
  return layout;
}

/// Every transpose combination of A and B.
template <typename T> void checkTransposes(int64_t batch, int64_t m, int64_t n, int64_t k) {
  for (bool transposeA : {false, true})
    for (bool transposeB : {false, true})
      checkAllIsas<T>({batch, m, n, k, transposedIf(transposeA), transposedIf(transposeB), {}});
}

TEST(Matmul, SweepsOfEachSizeFromOneTo70) {
  for (int64_t size = 1; size <= 70; ++size) {
    checkTransposes<float>(1, size, 37, 29);
    checkTransposes<float>(1, 23, size, 41);
    checkTransposes<float>(1, 19, 33, size);
    checkTransposes<float>(1, size, size, size);
  }
}

TEST(Matmul, PrimeOneAndZeroSizes) {
  const int64_t sizes[] = {0, 1, 2, 13, 31, 97, 131};
  for (int64_t m : sizes)
    for (int64_t n : sizes)
      for (int64_t k : sizes)
        checkTransposes<float>(1, m, n, k);
}

TEST(Matmul, ZeroDepthSetsCToZeroOrLeavesIt) {
  for (bool accumulate : {false, true}) {
    Case testCase = {2, 5, 7, 0, {}, {}, {}, accumulate};
    checkAllIsas<float>(testCase);
    checkAllIsas<double>(testCase);
  }
}

// Sizes past every cache block: k > kc (unequal blocks), m > mc, n > nc.
TEST(Matmul, LargeSizesCrossEveryBlock) {
  checkTransposes<float>(1, 389, 523, 601);
  checkAllIsas<float>({1, 200, 2100, 300, {}, {}, {}});
  checkAllIsas<float>({1, 200, 2100, 300, transposedIf(true), transposedIf(true), {}});
  checkAllIsas<double>({1, 173, 1100, 531, {}, transposedIf(true), {}});
}

TEST(Matmul, TrainingShapes) {
  checkTransposes<float>(1, 128, 512, 784);
  checkTransposes<float>(1, 784, 512, 128);
  checkTransposes<float>(1, 128, 784, 512);
  checkTransposes<float>(4, 128, 64, 128);
  checkTransposes<float>(1, 128, 10, 512);
  checkTransposes<float>(1, 512, 10, 128);
  checkTransposes<float>(1, 128, 512, 10);
  checkTransposes<float>(1, 32, 64, 64);
  checkTransposes<float>(8, 128, 128, 64);
}

TEST(Matmul, AccumulateAddsToC) {
  for (int64_t size : {1, 5, 17, 64, 150}) {
    for (bool transposeA : {false, true}) {
      for (bool transposeB : {false, true}) {
        Case testCase = {2, size, size + 3, 2 * size + 1, transposedIf(transposeA),
                         transposedIf(transposeB), {}, true};
        checkAllIsas<float>(testCase);
        checkAllIsas<double>(testCase);
      }
    }
  }
}

TEST(Matmul, PaddedOffsetAndStridedViews) {
  Layout padded;
  padded.padding = 5;
  padded.offset = 3;
  Layout paddedTransposed = padded;
  paddedTransposed.transposed = true;
  for (int64_t size : {7, 40, 300}) {
    for (bool accumulate : {false, true}) {
      for (const Layout &c : {padded, paddedTransposed}) {
        checkAllIsas<float>({3, size, size + 1, size + 2, padded, paddedTransposed, c, accumulate});
        checkAllIsas<float>({3, size + 2, size, size + 1, paddedTransposed, padded, c, accumulate});
        checkAllIsas<double>({3, size, size + 2, size + 1, padded, padded, c, accumulate});
      }
    }
  }
}

TEST(Matmul, BroadcastBatch) {
  Layout broadcast;
  broadcast.broadcast = true;
  Layout broadcastTransposed = broadcast;
  broadcastTransposed.transposed = true;
  for (int64_t size : {3, 33, 200}) {
    for (bool accumulate : {false, true}) {
      // A shared B over contiguous A and C folds the batch into the rows.
      checkAllIsas<float>({4, size, size + 5, size + 1, {}, broadcast, {}, accumulate});
      checkAllIsas<float>({4, size, size + 5, size + 1, {}, broadcastTransposed, {}, accumulate});
      checkAllIsas<float>({3, size + 1, size, size, broadcast, {}, {}, accumulate});
      checkAllIsas<float>({3, size, size, size + 2, broadcastTransposed, transposedIf(true), {},
                           accumulate});
      checkAllIsas<double>({5, size, size + 2, size, {}, broadcast, {}, accumulate});
    }
  }
}

TEST(Matmul, NegativeStrides) {
  Layout reversed;
  reversed.reversed = true;
  Layout reversedTransposed = reversed;
  reversedTransposed.transposed = true;
  for (int64_t size : {9, 100}) {
    checkAllIsas<float>({2, size, size + 3, size + 1, reversed, reversedTransposed, reversed});
    checkAllIsas<double>({2, size, size + 3, size + 1, reversedTransposed, reversed, {}});
  }
}

TEST(Matmul, Double) {
  for (int64_t size = 1; size <= 40; ++size)
    checkTransposes<double>(1, size, 2 * size + 1, size + 7);
  checkTransposes<double>(1, 128, 512, 784);
  checkTransposes<double>(16, 64, 64, 64);
}

template <typename T>
void expectSameBitsForAnyThreadCount(const Case &testCase, tgc::MatmulIsa isa) {
  Inputs<T> inputs(testCase);
  for (tgc::MatmulPath path :
       {tgc::MatmulPath::Auto, tgc::MatmulPath::Direct, tgc::MatmulPath::Packed}) {
    tgc::MatmulOptions options = optionsFor(isa, 1, path);
    SCOPED_TRACE(testCase.describe() + ", " + describe(options));
    Operand<T> oneThread = inputs.run(testCase, options);
    inputs.check(oneThread);
    for (int numThreads : {2, 3, 4}) {
      Operand<T> more = inputs.run(testCase, optionsFor(isa, numThreads, path));
      EXPECT_EQ(std::memcmp(oneThread.storage.data(), more.storage.data(),
                            oneThread.storage.size() * sizeof(T)),
                0)
          << "1 and " << numThreads << " threads differ";
    }
  }
}

// Threads split C, never a sum: the thread count must not change one bit.
TEST(Matmul, ThreadCountDoesNotChangeTheBits) {
  const Case cases[] = {
      {1, 600, 500, 300, {}, {}, {}},
      {1, 129, 515, 784, transposedIf(true), {}, {}},
      {1, 128, 784, 512, {}, transposedIf(true), {}, true},
      {1, 100, 10, 512, {}, {}, {}},
      {3, 100, 70, 50, {}, {}, {}},
      {7, 64, 64, 64, {}, transposedIf(true), {}},
      {64, 32, 64, 64, {}, {}, {}},
  };
  for (const Case &testCase : cases) {
    for (tgc::MatmulIsa isa : isas())
      expectSameBitsForAnyThreadCount<float>(testCase, isa);
    expectSameBitsForAnyThreadCount<double>(testCase, tgc::bestMatmulIsa());
  }
}

TEST(Matmul, CInterface) {
  std::mt19937_64 rng(7);
  Operand<float> a(2, 30, 40, {}, rng), b(2, 40, 50, transposedIf(true), rng);
  Operand<float> c(2, 30, 50, {}, rng), expected = c;
  tgc::matmul(a.view, b.view, expected.view, true,
              optionsFor(tgc::bestMatmulIsa(), tgc_num_threads()));
  _mlir_ciface_tgc_matmul_f32(&a.view, &b.view, &c.view, 1);
  EXPECT_EQ(c.storage, expected.storage);

  Operand<double> a64(1, 3, 4, {}, rng), b64(1, 4, 5, {}, rng), c64(1, 3, 5, {}, rng);
  Operand<double> expected64 = c64;
  tgc::matmul(a64.view, b64.view, expected64.view, false, optionsFor(tgc::bestMatmulIsa(), 1));
  _mlir_ciface_tgc_matmul_f64(&a64.view, &b64.view, &c64.view, 0);
  EXPECT_EQ(c64.storage, expected64.storage);
}

} // namespace
