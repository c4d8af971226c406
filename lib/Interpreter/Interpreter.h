//===- Interpreter.h - reference interpreter for tg programs ---*- C++ -*-===//
//
// Evaluates tg functions on host tensors with plain loops. It is the oracle
// that decompositions, gradients and compiled code are checked against, so it
// favours obviousness over speed: every value is held as doubles and rounded
// to the element type after each op (f32 results are exactly what an f32
// computation with correctly rounded ops would give for + - * /).
//
//===----------------------------------------------------------------------===//

#ifndef TGC_INTERPRETER_H
#define TGC_INTERPRETER_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringMap.h"

#include <vector>

namespace mlir::tg {

/// A host tensor: a static-shaped type and row-major elements as doubles.
struct HostTensor {
  RankedTensorType type;
  std::vector<double> data;

  HostTensor() = default;
  HostTensor(RankedTensorType type, std::vector<double> data)
      : type(type), data(std::move(data)) {}
  /// All zeros.
  explicit HostTensor(RankedTensorType type);

  ArrayRef<int64_t> shape() const { return type.getShape(); }
  int64_t size() const { return data.size(); }
};

/// Interprets functions of one module. Globals start from their initial
/// value (dense data, or an initializer attribute drawn with `seed`) and
/// persist across calls, so a train step can be run repeatedly.
class Interpreter {
public:
  explicit Interpreter(ModuleOp module, uint64_t seed = 0);

  /// Runs function `name` on `args`. Emits a diagnostic at the offending op
  /// and fails on unsupported ops or bad inputs.
  FailureOr<std::vector<HostTensor>> call(StringRef name,
                                          ArrayRef<HostTensor> args);
  FailureOr<std::vector<HostTensor>> call(func::FuncOp func,
                                          ArrayRef<HostTensor> args);

  /// The current value of a global (loaded lazily from its initial value).
  FailureOr<HostTensor> getGlobal(StringRef name);
  void setGlobal(StringRef name, HostTensor value);

private:
  ModuleOp module;
  uint64_t seed;
  llvm::StringMap<HostTensor> globals;
};

/// Rounds every element to what `type`'s element type can hold.
void roundToElementType(HostTensor &tensor);

} // namespace mlir::tg

#endif // TGC_INTERPRETER_H
