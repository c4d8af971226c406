//===- Composite.h - helpers shared by composite tg ops ---------*- C++ -*-===//
//
// Small pieces that the layer and loss ops (LayerOps.cpp, LossOps.cpp) share:
// element-type checks for their verifiers and rank-0 constants for their
// decompositions.
//
//===----------------------------------------------------------------------===//

#ifndef TG_COMPOSITE_H
#define TG_COMPOSITE_H

#include "tg/TGOps.h"

#include <cstdio>
#include <string>

namespace mlir::tg::composite {

/// Whether two dimensions can be equal at run time.
inline bool dimsCompatible(int64_t a, int64_t b) {
  return a == b || ShapedType::isDynamic(a) || ShapedType::isDynamic(b);
}

/// A dimension for a diagnostic: "128", or "?" when dynamic.
inline std::string formatDim(int64_t dim) {
  return ShapedType::isDynamic(dim) ? "?" : std::to_string(dim);
}

/// Checks that `value` (called `name`) has the element type of `reference`
/// (called `referenceName`): "weight has element type f16 but input has f32".
inline LogicalResult verifySameElementType(Operation *op, StringRef name,
                                           Type value, StringRef referenceName,
                                           Type reference) {
  Type actual = cast<ShapedType>(value).getElementType();
  Type expected = cast<ShapedType>(reference).getElementType();
  if (actual == expected)
    return success();
  return op->emitOpError() << name << " has element type " << actual << " but "
                           << referenceName << " has " << expected;
}

/// A rank-0 `tg.constant` of `elementType` holding `value`.
inline Value scalarConstant(OpBuilder &builder, Location loc, Type elementType,
                            Attribute value) {
  auto type = RankedTensorType::get({}, elementType);
  return ConstantOp::create(builder, loc, DenseElementsAttr::get(type, value));
}

/// A rank-0 constant of the float type `elementType` holding `value`
/// rounded to that type.
inline Value scalarConstant(OpBuilder &builder, Location loc, Type elementType,
                            double value) {
  return scalarConstant(builder, loc, elementType,
                        builder.getFloatAttr(elementType, value));
}

} // namespace mlir::tg::composite

#endif // TG_COMPOSITE_H
