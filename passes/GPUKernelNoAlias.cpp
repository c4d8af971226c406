//===- GPUKernelNoAlias.cpp - kernel buffers that no other one overlaps ---===//
//
// A kernel's buffers arrive as pointers that LLVM must assume may overlap:
// it cannot keep a loaded value across a store into another buffer, hoist a
// loop-invariant load out of a loop that stores, or read a buffer the
// kernel never writes through the non-coherent cache (ld.global.nc), and
// ptxas then keeps each load after the stores before it, so a thread's
// loads wait for memory one after another. Where the host code shows that
// a buffer's memory belongs to no other operand of the launch (another
// allocation, global or function argument), its pointer gets `noalias`, as
// a CUDA programmer writes __restrict__.
//
// Runs after convert-gpu-to-nvvm, while the host code is still on memrefs:
// a memref operand of gpu.launch_func is the kernel's unpacked descriptor
// (allocated and aligned pointers, offset, sizes, strides), of which only
// the aligned pointer is accessed; it gets the attribute.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include "llvm/ADT/MapVector.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGGPUKERNELNOALIAS
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

/// The memory `buffer` views, through view-like ops: an allocation, a
/// global (by name: each memref.get_global of it is the same memory) or an
/// argument of the function; null when it is anything else.
const void *memoryOf(Value buffer) {
  while (true) {
    if (auto argument = dyn_cast<BlockArgument>(buffer)) {
      Block *block = argument.getOwner();
      bool functionArgument =
          block->isEntryBlock() && isa<FunctionOpInterface>(block->getParentOp());
      return functionArgument ? buffer.getAsOpaquePointer() : nullptr;
    }
    Operation *definition = buffer.getDefiningOp();
    if (auto global = dyn_cast<memref::GetGlobalOp>(definition))
      return global.getNameAttr().getAsOpaquePointer();
    if (isa<gpu::AllocOp, memref::AllocOp, memref::AllocaOp>(definition))
      return buffer.getAsOpaquePointer();
    auto view = dyn_cast<ViewLikeOpInterface>(definition);
    if (!view)
      return nullptr;
    buffer = view.getViewSource();
  }
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
      SmallVector<const void *> memories;
      SmallVector<unsigned> positions;
      unsigned position = 0;
      for (Value operand : operands) {
        std::optional<unsigned> count = loweredArgumentCount(operand.getType());
        if (!count) {
          unmatched.insert(kernel);
          return;
        }
        memories.push_back(isa<MemRefType>(operand.getType()) ? memoryOf(operand) : nullptr);
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
        // Another memref operand on the same or unknown memory may overlap.
        bool own = memories[i] != nullptr;
        for (size_t j = 0; j < operands.size() && own; ++j)
          if (j != i && isa<MemRefType>(operands[j].getType()))
            own = memories[j] && memories[j] != memories[i];
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
