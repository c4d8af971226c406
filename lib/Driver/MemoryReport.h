//===- MemoryReport.h - the memory a training step needs --------*- C++ -*-===//
//
// `tgc --memory-report` prints, at compile time, the bytes a step of the
// model holds at its peak: parameters, optimizer state, the batch, and the
// buffers of activations, gradients and temporaries live at once. It reads
// the bufferized module (explicit allocations and deallocations; device
// buffers for --target=cuda) and plays the step's allocations back in
// program order, into the functions it calls.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_DRIVER_MEMORYREPORT_H
#define TGC_DRIVER_MEMORYREPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace tgc {

struct MemoryReport {
  int64_t parameterBytes = 0, numParameters = 0;
  int64_t stateBytes = 0, numState = 0; // optimizer state, counters
  int64_t inputBytes = 0;               // the step's batch
  int64_t peakBufferBytes = 0;          // allocated by the step, live at once
  int64_t numAllocations = 0;
  int64_t numDynamicAllocations = 0;    // of unknown size: not counted
  int64_t total() const { return parameterBytes + stateBytes + inputBytes + peakBufferBytes; }
};

/// Measures step function `step` of a module after
/// buildCPUBufferizationPipeline (host buffers) or
/// buildCUDAKernelMappingPipeline (device buffers: gpu.alloc), and
/// prepareModelExport (globals are `tgc_g_<name>`); `parameters` names the
/// trainable globals.
MemoryReport measureStepMemory(mlir::ModuleOp module, llvm::StringRef step,
                               const std::vector<std::string> &parameters);

/// Prints `report`; `device`: of GPU memory, with what the CUDA runtime
/// adds.
void printMemoryReport(llvm::raw_ostream &os, llvm::StringRef modelName, const MemoryReport &report,
                       bool device = false);

} // namespace tgc

#endif // TGC_DRIVER_MEMORYREPORT_H
