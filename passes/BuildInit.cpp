//===- BuildInit.cpp - the function that initializes every global ---------===//
//
// Builds `func.func @tgc_init(%seed: tensor<i64>)`, which stores every
// global's initial value: dense data as it is, initializer attributes drawn
// as tg ops (tg.fill-like constants, or tg.random on the global's own Philox
// stream, scaled and shifted). Compiled, it is what the runtime calls to
// start training from a seed; interpreted, it gives the same values as the
// interpreter's own initialization (both read InitializerAttrInterface).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "tg/Derivatives.h"
#include "tg/TGOps.h"
#include "tgc/Philox.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGBUILDINIT
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;
using namespace mlir::tg;

namespace {

/// The initial value of `global` as tg ops, or null if it has none.
Value buildInitialValue(OpBuilder &builder, ml_program::GlobalOp global, Value seed) {
  Location loc = global.getLoc();
  auto type = cast<RankedTensorType>(global.getType());
  Attribute value = global.getValue().value_or(Attribute());
  if (auto data = dyn_cast_or_null<ElementsAttr>(value))
    return ConstantOp::create(builder, loc, data);
  auto init = dyn_cast_or_null<InitializerAttrInterface>(value);
  if (!init)
    return {};
  InitialDistribution d = init.getDistribution(type);
  if (d.kind == InitialDistribution::Constant)
    return splat(builder, loc, type, d.a);
  uint64_t stream = tgc::philoxStreamForName(global.getSymName().str().c_str());
  Value counter = scalar(builder, loc, builder.getI64Type(), double(stream));
  bool uniform = d.kind == InitialDistribution::Uniform;
  Value draw = RandomOp::create(builder, loc, type,
                                uniform ? Distribution::uniform : Distribution::normal,
                                seed, counter);
  Type element = type.getElementType();
  // uniform: a + (b - a) u;  normal: a + b n
  Value scale = scalar(builder, loc, element, uniform ? d.b - d.a : d.b);
  Value shift = scalar(builder, loc, element, d.a);
  return AddOp::create(builder, loc, MulOp::create(builder, loc, draw, scale), shift);
}

struct TGBuildInitPass : tg::impl::TGBuildInitBase<TGBuildInitPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (module.lookupSymbol(kInitFunction)) {
      module.emitError() << "@" << kInitFunction << " already exists";
      return signalPassFailure();
    }
    OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
    auto seedType = RankedTensorType::get({}, builder.getI64Type());
    auto func = func::FuncOp::create(builder, module.getLoc(), kInitFunction,
                                     builder.getFunctionType({seedType}, {}));
    Block *body = func.addEntryBlock();
    builder.setInsertionPointToStart(body);
    for (auto global : module.getOps<ml_program::GlobalOp>()) {
      if (!global.getIsMutable())
        continue;
      auto type = dyn_cast<RankedTensorType>(global.getType());
      if (!type || !type.hasStaticShape()) {
        global.emitError() << "a global of type " << global.getType()
                           << " cannot be initialized: it needs a static tensor type";
        return signalPassFailure();
      }
      Value value = buildInitialValue(builder, global, body->getArgument(0));
      if (!value) {
        global.emitError("has no initial value to build: give it an initializer "
                         "such as #tg.zeros or dense data");
        return signalPassFailure();
      }
      ml_program::GlobalStoreOp::create(builder, global.getLoc(),
                                        FlatSymbolRefAttr::get(global.getSymNameAttr()),
                                        value);
    }
    func::ReturnOp::create(builder, module.getLoc());
  }

  static constexpr StringLiteral kInitFunction = "tgc_init";
};

} // namespace
