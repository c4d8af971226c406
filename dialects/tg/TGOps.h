//===- TGOps.h - ops and attributes of the tg dialect ----------*- C++ -*-===//

#ifndef TG_TGOPS_H
#define TG_TGOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "tg/ShapeInference.h"
#include "tg/TGDialect.h"

#include "tg/TGEnums.h.inc"

namespace mlir::tg {
/// Parses `true` or `false` (attribute parameters).
FailureOr<bool> parseBoolKeyword(AsmParser &parser);
/// A number for a diagnostic: "0.1", "1e-05", "inf".
std::string formatNumber(double value);
/// The shortest decimal that the parser (which reads a double and then rounds
/// to the float's own semantics) turns back into `value`: `0.05`, `1.0e-05`.
std::string formatShortestFloat(const llvm::APFloat &value);
/// Prints formatShortestFloat of a finite `value` (MLIR's form otherwise).
void printShortestFloat(AsmPrinter &printer, const llvm::APFloat &value);
} // namespace mlir::tg

namespace mlir::tg {
/// What an initializer draws: every element equal to `a` (Constant), uniform
/// on [a, b) (Uniform), or normal with mean `a` and standard deviation `b`
/// (Normal). Random draws use Philox keyed by the seed, with the stream
/// tgc::philoxStreamForName(global name) as counter (include/tgc/Philox.h).
struct InitialDistribution {
  enum Kind { Constant, Uniform, Normal } kind;
  double a, b;
};

/// One piece of optimizer state that a train step keeps for every parameter
/// in a global `@<param>_<name>`: parameter-shaped, or a rank-0 tensor when
/// `scalar` (NAdam's running product of momentum coefficients). Its element
/// type is the update's, and it holds `initialValue` before the first step.
struct OptimizerStateSlot {
  StringRef name;
  double initialValue = 0;
  bool scalar = false;
};
} // namespace mlir::tg

#include "tg/TGAttrInterfaces.h.inc"

namespace mlir::tg {
/// A scalar hyperparameter of an optimizer or gradient transform: a number
/// (`lr = 1.0e-3`) or a schedule attribute implementing
/// ScheduleAttrInterface (`lr = #tg.cosine<peak = 1.0e-3, total = 1000>`),
/// which the update evaluates from the step counter.
class Hyperparameter {
public:
  Hyperparameter(llvm::APFloat value) : value(value) {}
  Hyperparameter(double value) : value(value) {}
  Hyperparameter(ScheduleAttrInterface schedule)
      : value(0.0), schedule(schedule) {}

  bool isScheduled() const { return bool(schedule); }
  ScheduleAttrInterface getSchedule() const { return schedule; }
  /// The number; only for hyperparameters that are not scheduled.
  double convertToDouble() const;
  const llvm::APFloat &getValue() const { return value; }
  /// True for the number 0 only: a schedule may pass through 0.
  bool isZero() const { return !schedule && value.isZero(); }
  /// The values it takes (a number, or the values a schedule starts, peaks
  /// and ends at), for range checks: a schedule stays between them.
  llvm::SmallVector<double> getRangeEnds() const;

  bool operator==(const Hyperparameter &other) const {
    return schedule == other.schedule && value.bitwiseIsEqual(other.value);
  }

private:
  llvm::APFloat value;
  ScheduleAttrInterface schedule;
};
llvm::hash_code hash_value(const Hyperparameter &value);
FailureOr<Hyperparameter> parseHyperparameter(AsmParser &parser);
void printHyperparameter(AsmPrinter &printer, const Hyperparameter &value);
} // namespace mlir::tg

#define GET_ATTRDEF_CLASSES
#include "tg/TGAttributes.h.inc"

#include "tg/TGOpInterfaces.h.inc"

namespace mlir::tg {
/// Result type of a NumPy-broadcasting binary op on `lhs` and `rhs`
/// (a null type if they do not broadcast; the verifier reports why).
Type inferBroadcastType(Type lhs, Type rhs);
/// Verifies a broadcasting op: operand and result element types agree and
/// the result shape is the broadcast of all operand shapes.
LogicalResult verifyBroadcastOp(Operation *op);

Type inferReduceType(Type input, ArrayRef<int64_t> axes, bool keepdim);
LogicalResult verifyReduceOp(Operation *op, ArrayRef<int64_t> axes,
                             bool keepdim);

/// `value * derivative()` for a unary rule, or null when `value` (a tangent
/// or cotangent) or the derivative is null (zero).
Value scaleByDerivative(OpBuilder &builder, Location loc, Value value,
                        function_ref<Value()> derivative);

/// Checks `actual` against the shape a rule inferred, reporting a mismatch
/// as "result type T does not match the inferred shape [..]".
LogicalResult verifyResultShape(Operation *op, ShapedType actual,
                                ArrayRef<int64_t> inferred);
} // namespace mlir::tg

#define GET_OP_CLASSES
#include "tg/TGOps.h.inc"

#endif // TG_TGOPS_H
