//===- MemoryReport.cpp - the memory a training step needs ----------------===//

#include "Driver/MemoryReport.h"

#include "tgc/runtime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <set>

using namespace mlir;

namespace tgc {
namespace {

/// Bytes of a statically shaped memref, or nothing.
std::optional<int64_t> staticBytes(MemRefType type) {
  Type element = type.getElementType();
  if (!type.hasStaticShape() || !(element.isIntOrIndexOrFloat()))
    return std::nullopt;
  int64_t bits = element.isIndex() ? 64 : element.getIntOrFloatBitWidth();
  return type.getNumElements() * int64_t(llvm::divideCeil(bits, 8));
}

/// Plays a step's allocations and deallocations back in program order,
/// into the functions it calls; nested regions count once (the step is
/// straight-line code but for loops, whose iterations reuse their buffers).
class Playback {
public:
  Playback(ModuleOp module, MemoryReport &report) : module(module), report(report) {}

  /// Plays `function`; returns, per result, the buffer it returns (or -1).
  SmallVector<int> play(func::FuncOp function, int depth = 0) {
    llvm::DenseMap<Value, int> buffers; // this call's buffers, by value
    auto bufferOf = [&](Value value) {
      // Through views, casts and strided metadata to an allocation.
      for (;;) {
        if (auto it = buffers.find(value); it != buffers.end())
          return it->second;
        Operation *def = value.getDefiningOp();
        if (auto metadata = dyn_cast_or_null<memref::ExtractStridedMetadataOp>(def))
          value = metadata.getSource();
        else if (auto view = dyn_cast_or_null<ViewLikeOpInterface>(def))
          value = view.getViewSource();
        else if (auto cast = dyn_cast_or_null<memref::CastOp>(def))
          value = cast.getSource();
        else
          return -1;
      }
    };
    auto allocate = [&](Value buffer) {
      ++report.numAllocations;
      std::optional<int64_t> bytes = staticBytes(cast<MemRefType>(buffer.getType()));
      if (!bytes) {
        ++report.numDynamicAllocations;
        return;
      }
      int id = int(sizes.size());
      sizes.push_back(*bytes);
      live.insert(id);
      buffers[buffer] = id;
      liveBytes += *bytes;
      report.peakBufferBytes = std::max(report.peakBufferBytes, liveBytes);
    };
    auto free = [&](Value buffer) {
      int id = bufferOf(buffer);
      if (id >= 0 && live.erase(id))
        liveBytes -= sizes[id];
    };
    // Host buffers on the CPU, device buffers (gpu.alloc) on the GPU.
    function.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        allocate(alloc.getResult());
      } else if (auto alloc = dyn_cast<gpu::AllocOp>(op)) {
        allocate(alloc.getMemref());
      } else if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
        free(dealloc.getMemref());
      } else if (auto dealloc = dyn_cast<gpu::DeallocOp>(op)) {
        free(dealloc.getMemref());
      } else if (auto call = dyn_cast<func::CallOp>(op)) {
        auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
        if (!callee || callee.isExternal() || depth > 16)
          return;
        for (auto [result, id] : llvm::zip(call.getResults(), play(callee, depth + 1)))
          if (id >= 0)
            buffers[result] = id;
      }
    });
    SmallVector<int> returned;
    for (Value value : function.getBody().back().getTerminator()->getOperands())
      returned.push_back(bufferOf(value));
    return returned;
  }

private:
  ModuleOp module;
  MemoryReport &report;
  std::vector<int64_t> sizes; // of every buffer allocated, by id
  std::set<int> live;
  int64_t liveBytes = 0;
};

std::string withCommas(int64_t value) {
  std::string digits = std::to_string(value), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return out;
}

} // namespace

MemoryReport measureStepMemory(ModuleOp module, StringRef step,
                               const std::vector<std::string> &parameters) {
  MemoryReport report;
  std::set<std::string> parameterSymbols;
  for (const std::string &name : parameters)
    parameterSymbols.insert("tgc_g_" + name);
  for (auto global : module.getOps<memref::GlobalOp>()) {
    if (global.getConstant())
      continue;
    int64_t bytes = staticBytes(global.getType()).value_or(0);
    if (parameterSymbols.count(global.getSymName().str())) {
      report.parameterBytes += bytes;
      ++report.numParameters;
    } else {
      report.stateBytes += bytes;
      ++report.numState;
    }
  }
  if (auto function = module.lookupSymbol<func::FuncOp>(step)) {
    for (Type input : function.getArgumentTypes())
      if (auto type = dyn_cast<MemRefType>(input))
        report.inputBytes += staticBytes(type).value_or(0);
    Playback(module, report).play(function);
  }
  return report;
}

void printMemoryReport(llvm::raw_ostream &os, StringRef modelName, const MemoryReport &report,
                       bool device) {
  auto line = [&](StringRef what, int64_t bytes, StringRef note) {
    os << llvm::formatv("  {0,-24} {1,14} bytes  {2}\n", what, withCommas(bytes), note);
  };
  os << "memory of a training step of '" << modelName << "' (compile time"
     << (device ? ", GPU memory" : "") << "):\n";
  line("parameters", report.parameterBytes, llvm::formatv("{0} tensors", report.numParameters).str());
  line("optimizer state", report.stateBytes,
       llvm::formatv("{0} tensors (with counters)", report.numState).str());
  line("batch", report.inputBytes, "the step's inputs");
  line("activations, temporaries", report.peakBufferBytes,
       llvm::formatv("peak of the step's {0} buffers live at once", report.numAllocations).str());
  line("total at the peak", report.total(), "");
  if (report.numDynamicAllocations)
    os << "  (" << report.numDynamicAllocations << " allocations of dynamic size not counted)\n";
  if (device)
    os << llvm::formatv("  (the runtime adds cuBLAS's workspace, {0} MiB a stream, and rounds "
                        "each buffer up to {1} bytes)\n",
                        TGC_CUDA_CUBLAS_WORKSPACE_BYTES >> 20, TGC_CUDA_ALLOCATION_GRANULE);
}

} // namespace tgc
