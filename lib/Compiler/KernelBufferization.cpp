//===- KernelBufferization.cpp - bufferizing tg's kernel ops --------------===//
//
// A kernel op (dialects/tg/TGKernelOps.td) is in destination-passing style:
// upstream's DstBufferizableOpInterfaceExternalModel gives the analysis
// (each output aliases its tied result), except that outputs are not read:
// the kernels overwrite them whole, so an output's old value never needs a
// copy. bufferize() rebuilds the op on the operands' buffers, without
// results, and the outputs' buffers take the results' place.
//
//===----------------------------------------------------------------------===//

#include "Compiler/KernelBufferization.h"

#include "tg/TGOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/IR/DstBufferizableOpInterfaceImpl.h"

using namespace mlir;
using namespace mlir::bufferization;

namespace {

template <typename Op>
struct KernelModel : DstBufferizableOpInterfaceExternalModel<KernelModel<Op>, Op> {
  bool bufferizesToMemoryRead(Operation *op, OpOperand &operand, const AnalysisState &) const {
    return !cast<DestinationStyleOpInterface>(op).isDpsInit(&operand);
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options, BufferizationState &state) const {
    auto kernel = cast<DestinationStyleOpInterface>(op);
    if (kernel.hasPureBufferSemantics())
      return success();
    SmallVector<Value> buffers;
    for (Value operand : op->getOperands()) {
      FailureOr<Value> buffer = getBuffer(rewriter, operand, options, state);
      if (failed(buffer))
        return failure();
      buffers.push_back(*buffer);
    }
    rewriter.setInsertionPoint(op);
    OperationState onBuffers(op->getLoc(), op->getName(), buffers, TypeRange(), op->getAttrs());
    rewriter.create(onBuffers);
    SmallVector<Value> outputs;
    for (OpOperand &init : kernel.getDpsInitsMutable())
      outputs.push_back(buffers[init.getOperandNumber()]);
    replaceOpWithBufferizedValues(rewriter, op, outputs);
    return success();
  }
};

} // namespace

void tg::registerKernelBufferizationModels(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *context, TGDialect *) {
    FusedAttentionForwardOp::attachInterface<KernelModel<FusedAttentionForwardOp>>(*context);
    FusedAttentionBackwardOp::attachInterface<KernelModel<FusedAttentionBackwardOp>>(*context);
  });
}
