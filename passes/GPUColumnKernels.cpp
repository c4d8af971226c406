//===- GPUColumnKernels.cpp - a tile of columns per block -----------------===//
//
// A reduction over the rows of a matrix (a bias's gradient: the sum of the
// output gradient's rows) that tg-split-reductions leaves whole becomes,
// in tg-gpu-launch, a thread per column looping over every row: the MLP's
// 512 columns are 2 blocks, each thread 128 loads long. Its elementwise
// producer (relu's derivative applied to the gradient) is a kernel of its
// own before it. Here both are one kernel: a block takes 32 columns, its G
// warps' threads the column's rows in turn (row r on warp r mod G, so a
// warp's loads and stores are one contiguous row segment; G from 8 to 32,
// at least 4 rows a thread); each thread computes the producer's elements
// of its rows, stores them and folds them into a partial result; the G
// partials of a column meet in shared memory after a barrier, where the
// first warp combines them in order
// (deterministic) with the reduction's initial value and does what the
// loop did after the reduction.
//
//   scf.parallel (i, j) in (R, C) { y[i, j] = f(...) }          (optional)
//   scf.parallel (j) in (C) {
//     pre-ops (the initial value: store init, load it)
//     %r = scf.for %i = 0 to R iter_args(%a = init) { a (+) g(y[i, j]) }
//     post-ops (store %r at j)
//   }
//
// The reduction's combining operations must have a neutral element (a sum,
// a product, a max...). The producer writes only element [i, j] of its
// outputs, which the loop over the rows reads only at [i, j]; neither reads
// what the reduction's loop writes. The producer may contain loops that
// only load and compute (a matmul over a short reduction, K = 10, fused
// into its consumer).
//
//===----------------------------------------------------------------------===//

#include "passes/MatmulViews.h"
#include "passes/Passes.h"
#include "passes/StaticLoops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGGPUCOLUMNKERNELS
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

/// A block's columns (a warp's width) and its groups of rows (warps): 8,
/// doubled up to 32 (1024 threads) while every thread keeps at least
/// kMinRowsPerThread rows. The grid has only a block per 32 columns (16
/// for the MLP's 512), so its blocks had better be large: at 8 groups the
/// MLP's first column kernel took 8.9 us on an H200 (ncu), each thread
/// going through 16 rows of a K = 10 product in turn.
constexpr int64_t kColumnsPerBlock = 32, kMinRowGroups = 8, kMaxRowGroups = 32,
                  kMinRowsPerThread = 4;
/// The producer's elements a thread computes at most: a larger producer
/// keeps its own kernel, whose threads fill the GPU.
constexpr int64_t kMaxProducerRowsPerThread = 64;
/// A thread's rows are unrolled when at most this many: their loads are
/// then in flight together (LLVM would not unroll a body with loops, a
/// matmul over a short reduction fused into the producer).
constexpr int64_t kMaxUnrolledRows = 16;

/// Whether `indices` are exactly `expected`, in order.
bool indexedBy(ValueRange indices, ArrayRef<Value> expected) {
  return llvm::equal(indices, expected);
}

struct ColumnReduction {
  scf::ParallelOp loop;             // over the columns
  scf::ForOp rows;                  // the reduction over the rows
  SmallVector<Operation *> pre;     // before `rows` in `loop`
  SmallVector<Operation *> post;    // after it
  SmallVector<Operation *> combine; // each iteration argument's combining op
  int64_t numRows, numColumns;
  int64_t rowGroups;        // G: the warps a column's rows are dealt to
  scf::ParallelOp producer; // over the rows and columns, or null
};

/// Buffers `ops` (and the ops nested in them) store into.
SmallVector<Value> storedBuffers(ArrayRef<Operation *> ops) {
  SmallVector<Value> buffers;
  for (Operation *op : ops)
    op->walk([&](memref::StoreOp store) { buffers.push_back(store.getMemRef()); });
  return buffers;
}

/// `loop` as a column reduction, without its producer.
std::optional<ColumnReduction> matchReduction(scf::ParallelOp loop, int64_t minColumns) {
  std::optional<SmallVector<int64_t>> columns = tg::staticTripCounts(loop);
  if (!columns || columns->size() != 1 || (*columns)[0] < minColumns || !loop.getInitVals().empty())
    return std::nullopt;
  ColumnReduction match{loop, {}, {}, {}, {}, 0, (*columns)[0], kMinRowGroups, {}};
  for (Operation &op : loop.getBody()->without_terminator()) {
    if (auto rows = dyn_cast<scf::ForOp>(op); rows && !match.rows) {
      match.rows = rows;
      continue;
    }
    if (op.getNumRegions() != 0 ||
        (!isMemoryEffectFree(&op) && !isa<memref::LoadOp, memref::StoreOp>(op)))
      return std::nullopt;
    (match.rows ? match.post : match.pre).push_back(&op);
  }
  scf::ForOp rows = match.rows;
  if (!rows || rows.getNumRegionIterArgs() == 0)
    return std::nullopt;
  std::optional<int64_t> lower = getConstantIntValue(rows.getLowerBound()),
                         upper = getConstantIntValue(rows.getUpperBound()),
                         step = getConstantIntValue(rows.getStep());
  if (lower != 0 || step != 1 || !upper || *upper < kMinRowGroups)
    return std::nullopt;
  match.numRows = *upper;
  while (match.rowGroups < kMaxRowGroups &&
         match.numRows / (2 * match.rowGroups) >= kMinRowsPerThread)
    match.rowGroups *= 2;
  // Straight-line loads and arithmetic, at least one load of a column
  // element (else it is no column reduction).
  Value row = rows.getInductionVar(), column = loop.getInductionVars()[0];
  bool readsColumn = false;
  for (Operation &op : rows.getBody()->without_terminator()) {
    if (op.getNumRegions() != 0 || (!isMemoryEffectFree(&op) && !isa<memref::LoadOp>(op)))
      return std::nullopt;
    if (auto load = dyn_cast<memref::LoadOp>(op))
      readsColumn |= indexedBy(load.getIndices(), {row, column});
    // Values of the pre-ops only through the iteration arguments.
    for (Value operand : op.getOperands())
      if (Operation *def = operand.getDefiningOp();
          def && def->getBlock() == loop.getBody() && def != rows)
        return std::nullopt;
  }
  if (!readsColumn)
    return std::nullopt;
  // Each iteration argument combined once, by an op with a neutral element.
  auto yield = cast<scf::YieldOp>(rows.getBody()->getTerminator());
  for (auto [argument, yielded] : llvm::zip(rows.getRegionIterArgs(), yield.getOperands())) {
    Operation *combine = yielded.getDefiningOp();
    if (!combine || combine->getBlock() != rows.getBody() || combine->getNumOperands() != 2 ||
        !combine->hasTrait<OpTrait::IsCommutative>() || !arith::getNeutralElement(combine) ||
        !argument.hasOneUse() || argument.getUses().begin()->getOwner() != combine ||
        !yielded.hasOneUse())
      return std::nullopt;
    match.combine.push_back(combine);
  }
  // The rows' loads must not read what the pre-ops store (the initial
  // value is then read once, after the barrier).
  SmallVector<Value> preStores = storedBuffers(match.pre);
  bool conflict = false;
  rows.walk([&](memref::LoadOp load) {
    conflict |= llvm::any_of(preStores, [&](Value b) { return tg::mayAlias(b, load.getMemRef()); });
  });
  if (conflict)
    return std::nullopt;
  return match;
}

/// Whether `producer` (before `match.loop`) can run inside the reduction's
/// loop over the rows: it goes over the same rows and columns, writes only
/// its own element [i, j] of 2-D buffers, reads those only there, and the
/// reduction reads them only at [i, j] in its loop over the rows; the
/// producer reads nothing the reduction writes.
bool canFuseProducer(scf::ParallelOp producer, ColumnReduction &match) {
  std::optional<SmallVector<int64_t>> counts = tg::staticTripCounts(producer);
  if (!counts || *counts != SmallVector<int64_t>{match.numRows, match.numColumns} ||
      !producer.getInitVals().empty() ||
      match.numRows > kMaxProducerRowsPerThread * match.rowGroups)
    return false;
  SmallVector<Value> element(producer.getInductionVars());
  SmallVector<Value> written;
  for (Operation &op : producer.getBody()->without_terminator()) {
    if (auto store = dyn_cast<memref::StoreOp>(op)) {
      if (!indexedBy(store.getIndices(), element))
        return false;
      written.push_back(store.getMemRef());
    } else if (!isa<scf::ForOp>(op) && op.getNumRegions() != 0) {
      return false;
    }
    // Loops (a short matmul's reduction) only load and compute.
    WalkResult nested = op.walk([&](Operation *inner) {
      if (inner != &op && isa<memref::StoreOp>(inner))
        return WalkResult::interrupt();
      bool allowed = isa<memref::LoadOp, memref::StoreOp, scf::ForOp, scf::YieldOp>(inner) ||
                     (isMemoryEffectFree(inner) && inner->getNumRegions() == 0);
      return allowed ? WalkResult::advance() : WalkResult::interrupt();
    });
    if (nested.wasInterrupted())
      return false;
  }
  auto writtenByProducer = [&](Value buffer) {
    return llvm::any_of(written, [&](Value w) { return tg::mayAlias(w, buffer); });
  };
  bool ownElements = true;
  producer.walk([&](memref::LoadOp load) {
    ownElements &= !writtenByProducer(load.getMemRef()) || indexedBy(load.getIndices(), element);
  });
  if (!ownElements)
    return false;
  // The reduction: the producer's outputs only as [row, column] in the
  // loop over the rows.
  Value row = match.rows.getInductionVar(), column = match.loop.getInductionVars()[0];
  bool ok = true;
  match.loop.walk([&](Operation *op) {
    Value buffer;
    ValueRange indices;
    if (auto load = dyn_cast<memref::LoadOp>(op))
      buffer = load.getMemRef(), indices = load.getIndices();
    else if (auto store = dyn_cast<memref::StoreOp>(op))
      buffer = store.getMemRef(), indices = store.getIndices();
    if (!buffer || !writtenByProducer(buffer))
      return;
    ok &= isa<memref::LoadOp>(op) && op->getParentOp() == match.rows &&
          indexedBy(indices, {row, column});
  });
  // The producer reads nothing the reduction writes: another block's
  // producer may run after this block's results are stored.
  SmallVector<Value> reductionStores = storedBuffers({match.loop.getOperation()});
  producer.walk([&](memref::LoadOp load) {
    ok &=
        llvm::none_of(reductionStores, [&](Value b) { return tg::mayAlias(b, load.getMemRef()); });
  });
  return ok;
}

/// The producer right before `loop`, past allocations and pure ops.
scf::ParallelOp producerBefore(scf::ParallelOp loop) {
  for (Operation *op = loop->getPrevNode(); op; op = op->getPrevNode()) {
    if (auto producer = dyn_cast<scf::ParallelOp>(op))
      return producer;
    if (!(isa<memref::AllocOp>(op) && op->getNumOperands() == 0) &&
        !(isMemoryEffectFree(op) && op->getNumRegions() == 0))
      return {};
  }
  return {};
}

struct TGGPUColumnKernels : tg::impl::TGGPUColumnKernelsBase<TGGPUColumnKernels> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<scf::ParallelOp> loops;
    getOperation()->walk([&](scf::ParallelOp loop) {
      if (!loop->getParentOfType<scf::ParallelOp>() && !loop->getParentOfType<gpu::LaunchOp>())
        loops.push_back(loop);
    });
    for (scf::ParallelOp loop : loops) {
      std::optional<ColumnReduction> match = matchReduction(loop, minColumns);
      if (!match)
        continue;
      if (scf::ParallelOp producer = producerBefore(loop);
          producer && canFuseProducer(producer, *match))
        match->producer = producer;
      build(*match);
    }
  }

  void build(ColumnReduction &match) {
    scf::ParallelOp loop = match.loop;
    Location loc = loop.getLoc();
    // Allocations between the producer and the reduction go before both.
    if (match.producer)
      for (Operation *op = loop->getPrevNode(); op != match.producer;) {
        Operation *previous = op->getPrevNode();
        if (isa<memref::AllocOp>(op))
          op->moveBefore(match.producer);
        op = previous;
      }
    OpBuilder b(loop);
    auto index = [&](OpBuilder &builder, int64_t value) -> Value {
      return arith::ConstantIndexOp::create(builder, loc, value);
    };
    int64_t blocks = llvm::divideCeil(match.numColumns, kColumnsPerBlock);
    // One shared array per combined value: a partial per row group and
    // column of the block.
    auto workgroup = gpu::AddressSpaceAttr::get(&getContext(), gpu::AddressSpace::Workgroup);
    SmallVector<Type> partialTypes;
    for (Operation *combine : match.combine)
      partialTypes.push_back(MemRefType::get({match.rowGroups, kColumnsPerBlock},
                                             combine->getResult(0).getType(), nullptr, workgroup));
    auto launch = gpu::LaunchOp::create(
        b, loc, index(b, blocks), index(b, 1), index(b, 1), index(b, kColumnsPerBlock),
        index(b, match.rowGroups), index(b, 1), /*dynamicSharedMemorySize=*/nullptr,
        /*asyncTokenType=*/nullptr, /*asyncDependencies=*/{}, partialTypes);
    Block &body = launch.getBody().front();
    OpBuilder k = OpBuilder::atBlockBegin(&body);
    gpu::TerminatorOp::create(k, loc);
    k.setInsertionPointToStart(&body);
    Value lane = launch.getThreadIds().x, group = launch.getThreadIds().y;
    Value column = arith::AddIOp::create(
        k, loc, arith::MulIOp::create(k, loc, launch.getBlockIds().x, index(k, kColumnsPerBlock)),
        lane);
    Value inRange = match.numColumns % kColumnsPerBlock == 0
                        ? arith::ConstantIntOp::create(k, loc, 1, 1).getResult()
                        : arith::CmpIOp::create(k, loc, arith::CmpIPredicate::ult, column,
                                                index(k, match.numColumns))
                              .getResult();
    ArrayRef<BlockArgument> partials = launch.getWorkgroupAttributions();

    // Each thread: its rows' producer elements and partial results.
    auto mine = scf::IfOp::create(k, loc, inRange, /*withElseRegion=*/false);
    {
      OpBuilder t = OpBuilder::atBlockBegin(mine.thenBlock());
      SmallVector<Value> identities;
      for (Operation *combine : match.combine)
        identities.push_back(arith::ConstantOp::create(t, loc, *arith::getNeutralElement(combine)));
      // Rows group, group + rowGroups, ...: with a static trip count when the
      // groups divide the rows, so that the loop can be unrolled and a
      // thread's loads are in flight together (here when short).
      bool even = match.numRows % match.rowGroups == 0;
      auto rows =
          even ? scf::ForOp::create(t, loc, index(t, 0), index(t, match.numRows / match.rowGroups),
                                    index(t, 1), identities)
               : scf::ForOp::create(t, loc, group, index(t, match.numRows),
                                    index(t, match.rowGroups), identities);
      OpBuilder r = OpBuilder::atBlockBegin(rows.getBody());
      Value row = even ? arith::AddIOp::create(r, loc,
                                               arith::MulIOp::create(r, loc, rows.getInductionVar(),
                                                                     index(r, match.rowGroups)),
                                               group)
                             .getResult()
                       : rows.getInductionVar();
      IRMapping mapping;
      mapping.map(loop.getInductionVars()[0], column);
      if (match.producer) {
        mapping.map(match.producer.getInductionVars()[0], row);
        mapping.map(match.producer.getInductionVars()[1], column);
        for (Operation &op : match.producer.getBody()->without_terminator())
          r.clone(op, mapping);
      }
      mapping.map(match.rows.getInductionVar(), row);
      for (auto [argument, partial] :
           llvm::zip(match.rows.getRegionIterArgs(), rows.getRegionIterArgs()))
        mapping.map(argument, partial);
      for (Operation &op : match.rows.getBody()->without_terminator())
        r.clone(op, mapping);
      auto yield = cast<scf::YieldOp>(match.rows.getBody()->getTerminator());
      scf::YieldOp::create(r, loc, llvm::map_to_vector(yield.getOperands(), [&](Value v) {
                             return mapping.lookup(v);
                           }));
      for (auto [partial, shared] : llvm::zip(rows.getResults(), partials))
        memref::StoreOp::create(t, loc, partial, shared, ValueRange{group, lane});
      if (even && match.numRows / match.rowGroups <= kMaxUnrolledRows &&
          failed(loopUnrollFull(rows)))
        return signalPassFailure();
    }
    gpu::BarrierOp::create(k, loc);

    // The first row group: the initial value, the partials in order, and
    // what followed the reduction.
    Value first = arith::AndIOp::create(
        k, loc, inRange,
        arith::CmpIOp::create(k, loc, arith::CmpIPredicate::eq, group, index(k, 0)));
    auto finish = scf::IfOp::create(k, loc, first, /*withElseRegion=*/false);
    OpBuilder f = OpBuilder::atBlockBegin(finish.thenBlock());
    IRMapping mapping;
    mapping.map(loop.getInductionVars()[0], column);
    for (Operation *op : match.pre)
      f.clone(*op, mapping);
    for (auto [position, combine] : llvm::enumerate(match.combine)) {
      Value result = mapping.lookupOrDefault(match.rows.getInitArgs()[position]);
      BlockArgument argument = match.rows.getRegionIterArgs()[position];
      for (int64_t g = 0; g < match.rowGroups; ++g) {
        Value partial =
            memref::LoadOp::create(f, loc, partials[position], ValueRange{index(f, g), lane});
        IRMapping operands;
        for (Value operand : combine->getOperands())
          operands.map(operand, operand == argument ? result : partial);
        result = f.clone(*combine, operands)->getResult(0);
      }
      mapping.map(match.rows.getResult(position), result);
    }
    for (Operation *op : match.post)
      f.clone(*op, mapping);

    loop.erase();
    if (match.producer)
      match.producer.erase();
  }
};

} // namespace
