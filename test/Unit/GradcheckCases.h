//===- GradcheckCases.h - small tg functions shared by the unit tests ---*- C++ -*-===//
//
// GradcheckCases.inc defines `kGradcheckCases`: for every differentiable op
// and composite, a small f64 function @f (and sometimes a @reference). The
// gradcheck differentiates them; CompiledVsInterpreterTest compiles them.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_TEST_UNIT_GRADCHECKCASES_H
#define TGC_TEST_UNIT_GRADCHECKCASES_H

#include "Interpreter/Interpreter.h"

#include <cmath>
#include <cstdint>
#include <ostream>
#include <random>

namespace tgc::test {

/// Where random float inputs are drawn: a standard normal, or |normal| + 0.5
/// (for log, sqrt, division...).
enum class Domain { Any, Positive };

struct GradcheckCase {
  const char *name;
  const char *op;     // the op this case covers
  const char *source; // func.func @f (and optionally @reference)
  Domain domain = Domain::Any;
  int64_t integerBound = 1; // integer inputs are drawn from [0, integerBound)
};

inline std::ostream &operator<<(std::ostream &os, const GradcheckCase &c) { return os << c.name; }

/// A random input of `type`: floats from `domain` (rounded to the element
/// type), integers uniform in [0, integerBound).
inline mlir::tg::HostTensor drawInput(mlir::Type type, Domain domain, int64_t integerBound,
                                      std::mt19937_64 &rng) {
  mlir::tg::HostTensor tensor(mlir::cast<mlir::RankedTensorType>(type));
  std::normal_distribution<double> normal;
  std::uniform_int_distribution<int64_t> integer(0, integerBound - 1);
  bool floatType = mlir::isa<mlir::FloatType>(tensor.type.getElementType());
  for (double &x : tensor.data) {
    x = floatType ? normal(rng) : double(integer(rng));
    if (floatType && domain == Domain::Positive)
      x = std::fabs(x) + 0.5;
  }
  mlir::tg::roundToElementType(tensor);
  return tensor;
}

} // namespace tgc::test

#endif // TGC_TEST_UNIT_GRADCHECKCASES_H
