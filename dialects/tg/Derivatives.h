//===- Derivatives.h - building blocks of derivative rules -----*- C++ -*-===//

#ifndef TG_DERIVATIVES_H
#define TG_DERIVATIVES_H

#include "tg/TGOps.h"

namespace mlir::tg {

/// Sums `value`, which has a NumPy broadcast of `type`'s shape, back down to
/// `type`: the reverse of broadcasting, used for every gradient of a
/// broadcasting operand.
Value sumToType(OpBuilder &builder, Location loc, Value value, Type type);

/// Broadcasts `value` to `type` (no op when it already has that type).
Value broadcastToType(OpBuilder &builder, Location loc, Value value, Type type);

/// A tensor of `type` filled with `value`.
Value splat(OpBuilder &builder, Location loc, Type type, double value);

/// A rank-0 tensor of `elementType` holding `value`.
Value scalar(OpBuilder &builder, Location loc, Type elementType, double value);

/// Attaches derivative rules to the upstream ops that tg programs use inside
/// loops (tensor.extract_slice and tensor.insert_slice). Every tool and test
/// that differentiates registers them, like upstream's external models.
void registerDerivativeExternalModels(DialectRegistry &registry);

} // namespace mlir::tg

#endif // TG_DERIVATIVES_H
