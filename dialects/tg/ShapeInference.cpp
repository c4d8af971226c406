//===- ShapeInference.cpp - shape rules of tg ops -------------------------===//

#include "tg/ShapeInference.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

using llvm::ArrayRef;

namespace mlir::tg {

namespace {
bool isDynamic(int64_t dim) { return dim == kDynamic; }

std::string formatDim(int64_t dim) {
  return isDynamic(dim) ? "?" : std::to_string(dim);
}

/// Sets `error` and returns std::nullopt, so rules can `return fail(...)`.
std::nullopt_t fail(std::string &error, const llvm::Twine &message) {
  error = message.str();
  return std::nullopt;
}
} // namespace

std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  llvm::raw_string_ostream os(text);
  llvm::interleaveComma(shape, os, [&](int64_t dim) { os << formatDim(dim); });
  os << "]";
  return text;
}

std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank,
                                     std::string &error) {
  if (axis < -rank || axis >= rank)
    return fail(error, "axis " + llvm::Twine(axis) + " is out of range for rank " +
                           llvm::Twine(rank) + " (expected in [" +
                           llvm::Twine(-rank) + ", " + llvm::Twine(rank) + "))");
  return axis < 0 ? axis + rank : axis;
}

ShapeOrError broadcastShapes(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs,
                             std::string &error) {
  size_t rank = std::max(lhs.size(), rhs.size());
  Shape result(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Walk from the trailing dimension; a missing dimension acts as 1.
    int64_t l = i < lhs.size() ? lhs[lhs.size() - 1 - i] : 1;
    int64_t r = i < rhs.size() ? rhs[rhs.size() - 1 - i] : 1;
    int64_t &out = result[rank - 1 - i];
    if (l == 1)
      out = r;
    else if (r == 1)
      out = l;
    else if (isDynamic(l))
      out = r;
    else if (isDynamic(r) || l == r)
      out = l;
    else
      return fail(error, "shapes " + formatShape(lhs) + " and " + formatShape(rhs) +
                             " do not broadcast: dimension " +
                             llvm::Twine(-int64_t(i) - 1) + " is " +
                             formatDim(l) + " vs " + formatDim(r));
  }
  return result;
}

bool isBroadcastableTo(ArrayRef<int64_t> from, ArrayRef<int64_t> to,
                       std::string &error) {
  if (from.size() > to.size()) {
    error = "cannot broadcast shape " + formatShape(from) + " to " +
            formatShape(to) + ": the target has fewer dimensions";
    return false;
  }
  size_t offset = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i) {
    int64_t f = from[i], t = to[offset + i];
    if (f == 1 || f == t || isDynamic(f) || isDynamic(t))
      continue;
    error = "cannot broadcast shape " + formatShape(from) + " to " +
            formatShape(to) + ": operand dimension " + std::to_string(i) +
            " is " + formatDim(f) + ", expected 1 or " + formatDim(t);
    return false;
  }
  return true;
}

ShapeOrError reduceShape(ArrayRef<int64_t> shape, ArrayRef<int64_t> axes,
                         bool keepdim, std::string &error) {
  int64_t rank = shape.size();
  llvm::SmallVector<bool> reduced(rank, false);
  for (int64_t axis : axes) {
    std::optional<int64_t> normalized = normalizeAxis(axis, rank, error);
    if (!normalized)
      return std::nullopt;
    if (reduced[*normalized])
      return fail(error, "axis " + llvm::Twine(axis) + " is reduced twice");
    reduced[*normalized] = true;
  }
  Shape result;
  for (int64_t i = 0; i < rank; ++i) {
    if (!reduced[i])
      result.push_back(shape[i]);
    else if (keepdim)
      result.push_back(1);
  }
  return result;
}

ShapeOrError matmulShape(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs,
                         bool transposeLhs, bool transposeRhs,
                         std::string &error) {
  if (lhs.size() < 2 || rhs.size() < 2)
    return fail(error, "operands must have rank >= 2, got lhs " +
                           formatShape(lhs) + " and rhs " + formatShape(rhs));
  size_t lr = lhs.size(), rr = rhs.size();
  int64_t m = transposeLhs ? lhs[lr - 1] : lhs[lr - 2];
  int64_t kl = transposeLhs ? lhs[lr - 2] : lhs[lr - 1];
  int64_t kr = transposeRhs ? rhs[rr - 1] : rhs[rr - 2];
  int64_t n = transposeRhs ? rhs[rr - 2] : rhs[rr - 1];
  if (!isDynamic(kl) && !isDynamic(kr) && kl != kr)
    return fail(error, "contracting dimensions differ: lhs has " + formatDim(kl) +
                           " (dim " + llvm::Twine(transposeLhs ? lr - 2 : lr - 1) +
                           "), rhs has " + formatDim(kr) + " (dim " +
                           llvm::Twine(transposeRhs ? rr - 1 : rr - 2) + ")");
  std::string batchError;
  ShapeOrError batch =
      broadcastShapes(lhs.drop_back(2), rhs.drop_back(2), batchError);
  if (!batch)
    return fail(error, "batch dimensions " + formatShape(lhs.drop_back(2)) +
                           " and " + formatShape(rhs.drop_back(2)) +
                           " do not broadcast");
  batch->push_back(m);
  batch->push_back(n);
  return batch;
}

ShapeOrError transposeShape(ArrayRef<int64_t> shape,
                            ArrayRef<int64_t> permutation, std::string &error) {
  int64_t rank = shape.size();
  if (int64_t(permutation.size()) != rank)
    return fail(error, "permutation has " + llvm::Twine(permutation.size()) +
                           " entries but the operand has rank " +
                           llvm::Twine(rank));
  llvm::SmallVector<bool> seen(rank, false);
  Shape result;
  for (int64_t p : permutation) {
    if (p < 0 || p >= rank || seen[p])
      return fail(error, "permutation " + formatShape(permutation) +
                             " is not a permutation of [0, " +
                             llvm::Twine(rank) + ")");
    seen[p] = true;
    result.push_back(shape[p]);
  }
  return result;
}

ShapeOrError sliceShape(ArrayRef<int64_t> shape, ArrayRef<int64_t> start,
                        ArrayRef<int64_t> limit, ArrayRef<int64_t> step,
                        std::string &error) {
  size_t rank = shape.size();
  if (start.size() != rank || limit.size() != rank ||
      (!step.empty() && step.size() != rank))
    return fail(error, "start, limit and step need one entry per dimension (" +
                           llvm::Twine(rank) + ")");
  Shape result;
  for (size_t d = 0; d < rank; ++d) {
    int64_t s = step.empty() ? 1 : step[d];
    if (s <= 0)
      return fail(error, "step of dimension " + llvm::Twine(d) +
                             " must be positive, got " + llvm::Twine(s));
    if (start[d] < 0 || start[d] > limit[d] ||
        (!isDynamic(shape[d]) && limit[d] > shape[d]))
      return fail(error, "dimension " + llvm::Twine(d) + ": range [" +
                             llvm::Twine(start[d]) + ", " + llvm::Twine(limit[d]) +
                             ") is not within [0, " + formatDim(shape[d]) + "]");
    // ceil((limit - start) / s) without overflow when limit is near INT64_MAX
    // (allowed for a dynamic dimension).
    int64_t extent = limit[d] - start[d];
    result.push_back(extent / s + (extent % s != 0));
  }
  return result;
}

ShapeOrError padShape(ArrayRef<int64_t> shape, ArrayRef<int64_t> low,
                      ArrayRef<int64_t> high, ArrayRef<int64_t> interior,
                      std::string &error) {
  size_t rank = shape.size();
  if (low.size() != rank || high.size() != rank ||
      (!interior.empty() && interior.size() != rank))
    return fail(error, "low, high and interior need one entry per dimension (" +
                           llvm::Twine(rank) + ")");
  Shape result;
  for (size_t d = 0; d < rank; ++d) {
    int64_t between = interior.empty() ? 0 : interior[d];
    if (low[d] < 0 || high[d] < 0 || between < 0)
      return fail(error, "padding of dimension " + llvm::Twine(d) +
                             " must be non-negative");
    int64_t padded = shape[d];
    if (isDynamic(padded)) {
      result.push_back(padded);
      continue;
    }
    int64_t gaps = padded > 0 ? padded - 1 : 0;
    if (llvm::MulOverflow(gaps, between, gaps) ||
        llvm::AddOverflow(padded, gaps, padded) ||
        llvm::AddOverflow(padded, low[d], padded) ||
        llvm::AddOverflow(padded, high[d], padded))
      return fail(error, "padded size of dimension " + llvm::Twine(d) +
                             " does not fit in 64 bits");
    result.push_back(padded);
  }
  return result;
}

ShapeOrError concatShape(ArrayRef<llvm::SmallVector<int64_t>> shapes,
                         int64_t axis, std::string &error) {
  if (shapes.empty())
    return fail(error, "needs at least one input");
  int64_t rank = shapes.front().size();
  std::optional<int64_t> dim = normalizeAxis(axis, rank, error);
  if (!dim)
    return std::nullopt;
  Shape result(shapes.front());
  result[*dim] = 0;
  for (auto [i, shape] : llvm::enumerate(shapes)) {
    if (int64_t(shape.size()) != rank)
      return fail(error, "input " + llvm::Twine(i) + " has rank " +
                             llvm::Twine(shape.size()) + ", input 0 has rank " +
                             llvm::Twine(rank));
    for (int64_t d = 0; d < rank; ++d) {
      if (d == *dim) {
        if (isDynamic(result[d]) || isDynamic(shape[d]))
          result[d] = kDynamic;
        else if (llvm::AddOverflow(result[d], shape[d], result[d]))
          return fail(error, "concatenated size does not fit in 64 bits");
        continue;
      }
      if (!isDynamic(shape[d]) && !isDynamic(result[d]) && shape[d] != result[d])
        return fail(error, "input " + llvm::Twine(i) + " has shape " +
                               formatShape(shape) + ", which differs from " +
                               formatShape(shapes.front()) + " in dimension " +
                               llvm::Twine(d) + " (not the concat axis)");
      if (isDynamic(result[d]))
        result[d] = shape[d];
    }
  }
  return result;
}

ShapeOrError gatherShape(ArrayRef<int64_t> input, ArrayRef<int64_t> indices,
                         int64_t axis, std::string &error) {
  std::optional<int64_t> dim = normalizeAxis(axis, input.size(), error);
  if (!dim)
    return std::nullopt;
  Shape result(input.begin(), input.begin() + *dim);
  result.append(indices.begin(), indices.end());
  result.append(input.begin() + *dim + 1, input.end());
  return result;
}

ShapeOrError conv2dShape(ArrayRef<int64_t> input, ArrayRef<int64_t> weight,
                         ArrayRef<int64_t> stride, ArrayRef<int64_t> padding,
                         ArrayRef<int64_t> dilation, std::string &error) {
  if (input.size() != 4)
    return fail(error, "input must be [N, C, H, W], got " + formatShape(input));
  if (weight.size() != 4)
    return fail(error, "weight must be [O, C, KH, KW], got " + formatShape(weight));
  if (stride.size() != 2 || padding.size() != 2 || dilation.size() != 2)
    return fail(error, "stride, padding and dilation must have 2 entries [h, w]");
  if (!isDynamic(input[1]) && !isDynamic(weight[1]) && input[1] != weight[1])
    return fail(error, "input has " + formatDim(input[1]) +
                           " channels but weight expects " + formatDim(weight[1]));
  Shape result = {input[0], weight[0]};
  for (int i = 0; i < 2; ++i) {
    if (stride[i] <= 0 || dilation[i] <= 0 || padding[i] < 0)
      return fail(error, "stride and dilation must be positive and padding "
                         "non-negative");
    int64_t size = input[2 + i], kernel = weight[2 + i];
    if (isDynamic(size) || isDynamic(kernel)) {
      result.push_back(kDynamic);
      continue;
    }
    int64_t span = dilation[i] * (kernel - 1) + 1;
    int64_t padded = size + 2 * padding[i];
    if (padded < span)
      return fail(error, llvm::Twine(i == 0 ? "height" : "width") + " " +
                             llvm::Twine(size) + " with padding " +
                             llvm::Twine(padding[i]) + " is smaller than the kernel span " +
                             llvm::Twine(span));
    result.push_back((padded - span) / stride[i] + 1);
  }
  return result;
}

bool shapesCompatible(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  if (a.size() != b.size())
    return false;
  for (auto [x, y] : llvm::zip(a, b))
    if (!isDynamic(x) && !isDynamic(y) && x != y)
      return false;
  return true;
}

} // namespace mlir::tg
