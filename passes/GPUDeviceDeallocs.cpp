//===- GPUDeviceDeallocs.cpp - free device buffers on the device ----------===//
//
// Once tg-gpu-launch has moved every program buffer to the device, the only
// memref.alloc left are the host lists that the lowering of
// bufferization.dealloc builds (base pointers, ownership flags). A
// memref.dealloc frees a device buffer unless it frees one of those.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGGPUDEVICEDEALLOCS
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

/// Whether `buffer` is (a view of) a host allocation.
bool isHostBuffer(Value buffer) {
  while (Operation *def = buffer.getDefiningOp()) {
    if (isa<memref::AllocOp>(def))
      return true;
    if (auto metadata = dyn_cast<memref::ExtractStridedMetadataOp>(def))
      buffer = metadata.getSource();
    else if (auto cast = dyn_cast<memref::CastOp>(def))
      buffer = cast.getSource();
    else if (auto view = dyn_cast<ViewLikeOpInterface>(def))
      buffer = view.getViewSource();
    else
      return false;
  }
  return false;
}

struct TGGPUDeviceDeallocsPass : tg::impl::TGGPUDeviceDeallocsBase<TGGPUDeviceDeallocsPass> {
  void runOnOperation() override {
    getOperation()->walk([](memref::DeallocOp dealloc) {
      if (isHostBuffer(dealloc.getMemref()))
        return;
      OpBuilder b(dealloc);
      gpu::DeallocOp::create(b, dealloc.getLoc(), TypeRange(), ValueRange(), dealloc.getMemref());
      dealloc.erase();
    });
  }
};

} // namespace
