//===- GradcheckCases.h - small tg functions shared by the unit tests ---*- C++ -*-===//
//
// GradcheckCases.inc defines `kGradcheckCases`: for every differentiable op
// and composite, a small f64 function @f (and sometimes a @reference). The
// gradcheck differentiates them; CompiledVsInterpreterTest compiles them.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_TEST_UNIT_GRADCHECKCASES_H
#define TGC_TEST_UNIT_GRADCHECKCASES_H

#include <cstdint>
#include <ostream>

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

} // namespace tgc::test

#endif // TGC_TEST_UNIT_GRADCHECKCASES_H
