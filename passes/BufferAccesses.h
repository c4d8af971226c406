//===- BufferAccesses.h - which memory operations on buffers touch -*- C++ -*-===//
//
// The memory behind a memref value (its root: an allocation of the
// function, a global, an argument, or unknown) and the buffers an
// operation reads and writes, through views and into the functions it
// calls. tg-update-globals-in-place, tg-fuse-parallel-loops and the
// grouping of independent loops (tg-group-parallel-loops,
// tg-gpu-group-parallel-loops) decide with it whether moving or merging
// operations can change what any of them reads, and
// tg-gpu-concurrent-branches which device work may run concurrently.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_PASSES_BUFFERACCESSES_H
#define TGC_PASSES_BUFFERACCESSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"

#include <optional>

namespace mlir::tg {

/// On an external function (the runtime's matmuls and attention kernels):
/// it touches only the buffers its memref operands view, no global and no
/// other memory.
inline constexpr llvm::StringLiteral kOperandsOnlyAttrName = "tg.operands_only";

/// On such a function: the positions of the arguments whose buffers it only
/// reads (a GEMM's operands), as an array<i64>.
inline constexpr llvm::StringLiteral kReadOnlyOperandsAttrName = "tg.read_only_operands";

/// Whether `op` calls such a function (a GEMM of the runtime's).
bool isOperandsOnlyCall(Operation *op);

/// Where the memory behind a memref value comes from.
struct BufferRoot {
  enum Kind {
    Allocation, // a memref.alloc/alloca or gpu.alloc of the function, or a fresh
                // callee result
    Global,     // memref.get_global @name
    Argument,   // an argument of the function: anything but its own allocations
                // (an out-parameter of a private function: an Allocation)
    Input,      // an argument of a public function (an entry point): the
                // caller's memory, never the module's globals (the runtime
                // passes its own batch buffers)
    Unknown,    // may be any memory
  } kind;
  Value allocation; // an Allocation's value; an Input's argument
  StringAttr global;

  static BufferRoot unknown() { return {Unknown, {}, {}}; }

  /// Whether the two may share memory.
  bool mayAlias(const BufferRoot &other) const;
};

struct BufferAccess {
  BufferRoot root;
  bool write;
};

/// Whether work with accesses `a` and work with accesses `b` may not run in
/// either order or at the same time: one writes memory the other touches.
bool dependent(ArrayRef<BufferAccess> a, ArrayRef<BufferAccess> b);

/// Roots and accesses in one module. Function summaries (the globals a
/// function uses, the roots of its results) are computed on demand and
/// cached: rebuild the analysis after changing callees.
class BufferAccessAnalysis {
public:
  explicit BufferAccessAnalysis(ModuleOp module) : module(module) {}

  /// The memory `value` lives in.
  BufferRoot rootOf(Value value);

  /// Every access of `op` and the operations nested in it (a call: every
  /// global its callee uses, read and written, and its memref operands);
  /// nullopt when some effect is unknown.
  std::optional<SmallVector<BufferAccess>> accesses(Operation *op);

  /// Whether `op` may read (or, with `writesOnly`, write) memory of `root`.
  bool mayAccess(Operation *op, const BufferRoot &root, bool writesOnly = false);

private:
  struct FunctionSummary {
    llvm::DenseSet<StringAttr> globals; // used, so maybe read and written
    bool touchesAnything = false;       // calls something we cannot see
    SmallVector<bool> readOnly;         // per argument: only read (kReadOnlyOperandsAttrName)
    SmallVector<BufferRoot> results;    // an allocation, a global, or unknown
  };
  const FunctionSummary &summary(StringRef name);
  /// Whether every call of `argument`'s private function passes an
  /// allocation of the caller there that no other operand may alias (an
  /// out-parameter): then the argument is an allocation of its own.
  bool callersPassFreshBuffer(BlockArgument argument);

  ModuleOp module;
  llvm::StringMap<FunctionSummary> summaries;
  llvm::DenseMap<Value, bool> freshArguments; // (false while computed)
};

} // namespace mlir::tg

#endif // TGC_PASSES_BUFFERACCESSES_H
