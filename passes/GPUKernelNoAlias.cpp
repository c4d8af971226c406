//===- GPUKernelNoAlias.cpp - kernel buffers that no other one overlaps ---===//
//
// A kernel's buffers arrive as pointers that LLVM must assume may overlap:
// it cannot keep a loaded value across a store into another buffer, hoist a
// loop-invariant load out of a loop that stores, or read a buffer the
// kernel never writes through the non-coherent cache (ld.global.nc), and
// ptxas then keeps each load after the stores before it, so a thread's
// loads wait for memory one after another. Where the host code shows that
// a buffer's memory belongs to no other operand of the launch (by
// BufferAccessAnalysis's roots: another allocation or global, or the
// caller's memory beside the module's own), its pointer gets `noalias`, as
// a CUDA programmer writes __restrict__.
//
// Runs after convert-gpu-to-nvvm, while the host code is still on memrefs:
// a memref operand of gpu.launch_func is the kernel's unpacked descriptor
// (allocated and aligned pointers, offset, sizes, strides), of which only
// the aligned pointer is accessed; it gets the attribute.
//
//===----------------------------------------------------------------------===//

#include "passes/BufferAccesses.h"
#include "passes/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

#include "llvm/ADT/MapVector.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGGPUKERNELNOALIAS
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;
using mlir::tg::BufferAccessAnalysis;
using mlir::tg::BufferRoot;

namespace {

/// Whether operands of a launch in `host` with these roots may share
/// memory. Two arguments of `host` itself, an entry point, do not: tgc's
/// entry points take buffers that do not overlap (docs/design.md), which
/// BufferRoot, made for dependences between any code, does not assume.
bool mayOverlap(const BufferRoot &a, const BufferRoot &b, Operation *host) {
  auto argumentOfHost = [&](const BufferRoot &root) {
    auto argument = dyn_cast_or_null<BlockArgument>(root.allocation);
    return root.kind == BufferRoot::Input && argument && argument.getOwner()->getParentOp() == host;
  };
  if (argumentOfHost(a) && argumentOfHost(b))
    return a.allocation == b.allocation;
  return a.mayAlias(b);
}

/// The LLVM arguments a kernel operand of this type lowers to.
std::optional<unsigned> loweredArgumentCount(Type type) {
  if (auto memref = dyn_cast<MemRefType>(type))
    return 3 + 2 * unsigned(memref.getRank());
  if (isa<BaseMemRefType>(type))
    return std::nullopt; // unranked
  return 1;
}

struct TGGPUKernelNoAliasPass : tg::impl::TGGPUKernelNoAliasBase<TGGPUKernelNoAliasPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    BufferAccessAnalysis buffers(module);
    // Per kernel, the LLVM argument of each memref operand's aligned
    // pointer, and whether every launch gives it memory of its own.
    llvm::MapVector<LLVM::LLVMFuncOp, llvm::SmallMapVector<unsigned, bool, 8>> kernels;
    // Kernels launched with operands that cannot be matched to their
    // arguments: none of those gets the attribute.
    llvm::DenseSet<LLVM::LLVMFuncOp> unmatched;
    module.walk([&](gpu::LaunchFuncOp launch) {
      auto kernel =
          SymbolTable::lookupNearestSymbolFrom<LLVM::LLVMFuncOp>(launch, launch.getKernelAttr());
      if (!kernel)
        return;
      ValueRange operands = launch.getKernelOperands();
      Operation *host = launch->getParentOfType<FunctionOpInterface>();
      SmallVector<BufferRoot> roots;
      SmallVector<unsigned> positions;
      unsigned position = 0;
      for (Value operand : operands) {
        std::optional<unsigned> count = loweredArgumentCount(operand.getType());
        if (!count) {
          unmatched.insert(kernel);
          return;
        }
        roots.push_back(isa<MemRefType>(operand.getType()) ? buffers.rootOf(operand)
                                                           : BufferRoot::unknown());
        positions.push_back(position + 1); // the aligned pointer
        position += *count;
      }
      if (position != kernel.getNumArguments()) {
        unmatched.insert(kernel);
        return;
      }
      auto &arguments = kernels[kernel];
      for (size_t i = 0; i < operands.size(); ++i) {
        if (!isa<MemRefType>(operands[i].getType()))
          continue;
        bool own = roots[i].kind != BufferRoot::Unknown;
        for (size_t j = 0; j < operands.size() && own; ++j)
          if (j != i && isa<MemRefType>(operands[j].getType()))
            own = !mayOverlap(roots[i], roots[j], host);
        auto [entry, inserted] = arguments.try_emplace(positions[i], own);
        if (!inserted)
          entry->second = entry->second && own;
      }
    });
    for (auto &[kernel, arguments] : kernels) {
      if (unmatched.contains(kernel))
        continue;
      for (auto [position, own] : arguments) {
        if (own && isa<LLVM::LLVMPointerType>(kernel.getArgument(position).getType()))
          kernel.setArgAttr(position, LLVM::LLVMDialect::getNoAliasAttrName(),
                            UnitAttr::get(&getContext()));
      }
    }
  }
};

} // namespace
