//===- ShapeInference.h - shape rules of tg ops ----------------*- C++ -*-===//
//
// The shape rules of tg ops as plain functions on dimension lists, shared by
// the op verifiers, the builders that infer result types, and unit tests.
// A rule returns the result shape, or std::nullopt with `error` saying in the
// user's terms why the operands do not fit. Dynamic dimensions are kDynamic
// (printed `?`) and are assumed to match at run time.
//
//===----------------------------------------------------------------------===//

#ifndef TG_SHAPEINFERENCE_H
#define TG_SHAPEINFERENCE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace mlir::tg {

/// Same value as mlir::ShapedType::kDynamic.
constexpr int64_t kDynamic = std::numeric_limits<int64_t>::min();

using Shape = llvm::SmallVector<int64_t>;
using ShapeOrError = std::optional<Shape>;

/// "[128, ?, 10]"
std::string formatShape(llvm::ArrayRef<int64_t> shape);

/// Maps a possibly negative axis into [0, rank).
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank,
                                     std::string &error);

/// NumPy broadcasting of two shapes.
ShapeOrError broadcastShapes(llvm::ArrayRef<int64_t> lhs,
                             llvm::ArrayRef<int64_t> rhs, std::string &error);

/// Whether `from` broadcasts to exactly `to` (NumPy rules, one direction).
bool isBroadcastableTo(llvm::ArrayRef<int64_t> from, llvm::ArrayRef<int64_t> to,
                       std::string &error);

/// Reduction over `axes` (negative axes count from the end).
ShapeOrError reduceShape(llvm::ArrayRef<int64_t> shape,
                         llvm::ArrayRef<int64_t> axes, bool keepdim,
                         std::string &error);

/// Batched matrix product; batch dimensions broadcast.
ShapeOrError matmulShape(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs,
                         bool transposeLhs, bool transposeRhs,
                         std::string &error);

ShapeOrError transposeShape(llvm::ArrayRef<int64_t> shape,
                            llvm::ArrayRef<int64_t> permutation,
                            std::string &error);

/// Strided slice of [start, limit) with `step` (empty step: all ones).
ShapeOrError sliceShape(llvm::ArrayRef<int64_t> shape,
                        llvm::ArrayRef<int64_t> start,
                        llvm::ArrayRef<int64_t> limit,
                        llvm::ArrayRef<int64_t> step, std::string &error);

/// Edge padding `low`/`high` and `interior` padding between neighbours
/// (empty interior: none).
ShapeOrError padShape(llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<int64_t> low,
                      llvm::ArrayRef<int64_t> high, llvm::ArrayRef<int64_t> interior,
                      std::string &error);

ShapeOrError concatShape(llvm::ArrayRef<llvm::SmallVector<int64_t>> shapes,
                         int64_t axis, std::string &error);

/// input.shape[:axis] ++ indices.shape ++ input.shape[axis+1:]
ShapeOrError gatherShape(llvm::ArrayRef<int64_t> input,
                         llvm::ArrayRef<int64_t> indices, int64_t axis,
                         std::string &error);

/// NCHW input, OIHW weight; stride, padding and dilation are [h, w].
ShapeOrError conv2dShape(llvm::ArrayRef<int64_t> input,
                         llvm::ArrayRef<int64_t> weight,
                         llvm::ArrayRef<int64_t> stride,
                         llvm::ArrayRef<int64_t> padding,
                         llvm::ArrayRef<int64_t> dilation, std::string &error);

/// Whether two shapes can describe the same tensor (equal where both static).
bool shapesCompatible(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);

} // namespace mlir::tg

#endif // TG_SHAPEINFERENCE_H
