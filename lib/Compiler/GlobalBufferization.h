//===- GlobalBufferization.h - bufferizing ml_program globals --*- C++ -*-===//

#ifndef TGC_COMPILER_GLOBALBUFFERIZATION_H
#define TGC_COMPILER_GLOBALBUFFERIZATION_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::tg {

/// One-shot bufferization models for ml_program.global, global_load and
/// global_store, used instead of upstream's (MLIR 22), whose global_store
/// claims to write its value operand and not read it: storing a constant
/// then copies an uninitialized buffer into the global.
void registerGlobalBufferizationModels(DialectRegistry &registry);

} // namespace mlir::tg

#endif // TGC_COMPILER_GLOBALBUFFERIZATION_H
