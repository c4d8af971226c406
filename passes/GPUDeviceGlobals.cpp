//===- GPUDeviceGlobals.cpp - host code sees the device copy of globals ---===//
//
// Globals (parameters, optimizer state, constants) are host symbols: the
// runtime saves and loads checkpoints through them. Kernels need device
// memory, so host code asks the runtime for each global's device copy,
// which the runtime creates from the host data at first use:
//
//   void *tgc_cuda_global(void *host, int64_t bytes, bool constant);
//
// The result is wrapped in a memref descriptor of the global's type
// (an unrealized cast that the memref-to-LLVM lowering folds away).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Conversion/LLVMCommon/MemRefBuilder.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGGPUDEVICEGLOBALS
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

constexpr StringLiteral kLookupName = "tgc_cuda_global";

struct TGGPUDeviceGlobalsPass : tg::impl::TGGPUDeviceGlobalsBase<TGGPUDeviceGlobalsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    LLVMTypeConverter converter(context);
    Type ptr = LLVM::LLVMPointerType::get(context);
    Type i64 = IntegerType::get(context, 64), i1 = IntegerType::get(context, 1);

    SmallVector<memref::GetGlobalOp> uses;
    for (auto func : module.getOps<func::FuncOp>())
      func.walk([&](memref::GetGlobalOp op) { uses.push_back(op); });
    if (uses.empty())
      return;

    auto lookup = module.lookupSymbol<LLVM::LLVMFuncOp>(kLookupName);
    if (!lookup) {
      OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
      lookup = LLVM::LLVMFuncOp::create(b, module.getLoc(), kLookupName,
                                        LLVM::LLVMFunctionType::get(ptr, {ptr, i64, i1}));
    }

    for (memref::GetGlobalOp op : uses) {
      MemRefType type = op.getType();
      auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(op, op.getNameAttr());
      if (!type.hasStaticShape() || !type.getLayout().isIdentity() || !global) {
        op.emitError("a global on the GPU needs a static shape and the identity layout");
        return signalPassFailure();
      }
      Type element = type.getElementType();
      int64_t elementBytes = element.isIndex() ? 8 : (element.getIntOrFloatBitWidth() + 7) / 8;

      OpBuilder b(context);
      b.setInsertionPointAfter(op);
      Location loc = op.getLoc();
      Value address = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, op.getResult());
      Value hostAddress = arith::IndexCastOp::create(b, loc, i64, address);
      Value hostPointer = LLVM::IntToPtrOp::create(b, loc, ptr, hostAddress);
      Value bytes =
          LLVM::ConstantOp::create(b, loc, i64, int64_t(type.getNumElements() * elementBytes));
      Value constant = LLVM::ConstantOp::create(b, loc, i1, int64_t(global.getConstant()));
      Value devicePointer =
          LLVM::CallOp::create(b, loc, lookup, ValueRange{hostPointer, bytes, constant})
              .getResult();
      Value descriptor = MemRefDescriptor::fromStaticShape(b, loc, converter, type, devicePointer);
      Value device = UnrealizedConversionCastOp::create(b, loc, type, descriptor).getResult(0);
      op.getResult().replaceUsesWithIf(
          device, [&](OpOperand &use) { return use.getOwner() != address.getDefiningOp(); });
    }
  }
};

} // namespace
