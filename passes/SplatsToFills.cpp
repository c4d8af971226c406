//===- SplatsToFills.cpp - large splat constants as fills -----------------===//
//
// A tensor of one repeated value (the zeros an optimizer's moments start
// from, a layer norm's ones) that is still a constant at bufferization
// becomes a global holding every element: 2.4 MB of zeros in the binary for
// a 768x768 moment, and on the GPU a copy of them to the device. As
// tensor.empty and linalg.fill it is a loop instead (a kernel on the GPU).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGSPLATSTOFILLS
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

struct TGSplatsToFills : tg::impl::TGSplatsToFillsBase<TGSplatsToFills> {
  using Base::Base;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<arith::ConstantOp> splats;
    getOperation()->walk([&](arith::ConstantOp constant) {
      auto value = dyn_cast<SplatElementsAttr>(constant.getValue());
      auto type = dyn_cast<RankedTensorType>(constant.getType());
      if (value && type && type.hasStaticShape() && type.getNumElements() >= minElements)
        splats.push_back(constant);
    });
    for (arith::ConstantOp constant : splats) {
      auto value = cast<SplatElementsAttr>(constant.getValue());
      auto type = cast<RankedTensorType>(constant.getType());
      rewriter.setInsertionPoint(constant);
      Location loc = constant.getLoc();
      Value element = arith::ConstantOp::create(rewriter, loc, value.getSplatValue<TypedAttr>());
      Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(), type.getElementType());
      rewriter.replaceOpWithNewOp<linalg::FillOp>(constant, element, empty);
    }
  }
};

} // namespace
