//===- GPUPreciseSqrt.cpp - kernels' f32 square roots rounded correctly ---===//
//
// convert-gpu-to-nvvm calls libdevice's __nv_sqrtf for math.sqrt, which is
// sqrt.approx.f32 unless __nvvm_reflect("__CUDA_PREC_SQRT") says otherwise,
// and LLVM 22's NVVMReflect answers it only from its -nvvm-reflect-add
// command-line option (not from the nvvm-reflect-prec-sqrt module flag).
// The CPU, PyTorch (nvcc's default -prec-sqrt=true) and IEEE round a square
// root correctly: here an f32 math.sqrt in a kernel becomes a call of the
// intrinsic llvm.nvvm.sqrt.rn.f, sqrt.rn.f32 (convert-gpu-to-nvvm would
// not take llvm.intr.sqrt). f64 square roots are sqrt.rn.f64 either way.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGGPUPRECISESQRT
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

struct TGGPUPreciseSqrt : tg::impl::TGGPUPreciseSqrtBase<TGGPUPreciseSqrt> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    StringAttr roundedSqrt = rewriter.getStringAttr("llvm.nvvm.sqrt.rn.f");
    getOperation().walk([&](math::SqrtOp sqrt) {
      // Fast-math square roots stay libdevice's, and so do vectors' (none
      // in tgc's kernels today), which convert-gpu-to-nvvm unrolls.
      if (!sqrt.getType().isF32() || sqrt.getFastmath() != arith::FastMathFlags::none)
        return;
      rewriter.setInsertionPoint(sqrt);
      rewriter.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(sqrt, sqrt.getType(), roundedSqrt,
                                                         sqrt.getOperand());
    });
  }
};

} // namespace
