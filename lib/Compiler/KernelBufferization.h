//===- KernelBufferization.h - bufferizing tg's kernel ops ------*- C++ -*-===//

#ifndef TGC_COMPILER_KERNELBUFFERIZATION_H
#define TGC_COMPILER_KERNELBUFFERIZATION_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::tg {

/// One-shot bufferization models for tg's kernel ops
/// (tg.fused_attention_forward/_backward): destination-passing style, each
/// output in place of its tied result, the op on buffers without results.
void registerKernelBufferizationModels(DialectRegistry &registry);

} // namespace mlir::tg

#endif // TGC_COMPILER_KERNELBUFFERIZATION_H
