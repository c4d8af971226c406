//===- TGDialect.h - the tg dialect ----------------------------*- C++ -*-===//

#ifndef TG_TGDIALECT_H
#define TG_TGDIALECT_H

#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/IR/Dialect.h"

#include "tg/TGDialect.h.inc"

#endif // TG_TGDIALECT_H
