//===- SimtHost.h - CUDA C++ kernels run on the host, for tests -*- C++ -*-===//
//
// Enough of CUDA's device language to compile a portable kernel file
// (no inline PTX, no device libraries) as host C++ and run its kernels
// here: `simt::launch` runs the grid's blocks one after another and each of
// a block's threads as a fiber (ucontext) on this thread, switching at
// __syncthreads and warp shuffles. A barrier releases only when every
// thread of the block (or warp) has reached it; a block whose threads wait
// at different barriers, or where some have returned, is a divergence that
// the GPU would hang on or leave undefined: launch throws. Shared memory is
// one buffer, filled with NaNs before each block so that reading what no
// thread wrote shows in the results.
//
// Asynchronous copies to shared memory (cuda_pipeline_primitives.h's
// __pipeline_memcpy_async, _commit and _wait_prior) are written when the
// thread waits for them, as late as a GPU may, or with
// simt::copiesLandEarly when issued, as early as it may.
//
// Tensor cores: simt::mmaTF32 is mma.sync.aligned.m16n8k8 with TF32
// operands (read as the hardware reads them, the low 13 bits dropped) and
// f32 accumulation, simt::mmaBF16 mma.sync.aligned.m16n8k16 with bf16
// operands, and simt::loadMatrices ldmatrix.sync.aligned.m8n8.x4 (.trans),
// each collective over the warp as on the GPU. cuda_bf16.h's types and
// conversions are here as the kernels use them.
//
// Include it before the kernel source, and define the kernel file's
// `extern __shared__` array (its size is the launch's dynamic shared memory).
// Threads run in lock step only at barriers: a race that a GPU would show
// need not show here, and timing means nothing.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_TEST_RUNTIME_SIMT_HOST_H
#define TGC_TEST_RUNTIME_SIMT_HOST_H

#include <ucontext.h>

#include "Attention.h" // the runtime's bf16 conversions

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <stdexcept>
#include <vector>

#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
};

struct alignas(16) float4 {
  float x, y, z, w;
};

inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }

struct alignas(8) float2 {
  float x, y;
};

inline float2 make_float2(float x, float y) { return {x, y}; }

inline unsigned __float_as_uint(float x) {
  unsigned bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits;
}
inline float __uint_as_float(unsigned bits) {
  float x;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

/// cuda_bf16.h's bf16 and its pairs: the bits of a float's upper half.
struct __nv_bfloat16 {
  uint16_t bits;
};
struct alignas(4) __nv_bfloat162 {
  __nv_bfloat16 x, y;
};

/// x rounded to bf16, to nearest with ties to even (NaNs stay NaNs): the
/// runtime's conversions.
inline __nv_bfloat16 __float2bfloat16_rn(float x) { return {tgc::floatToBF16(x)}; }
inline __nv_bfloat162 __floats2bfloat162_rn(float low, float high) {
  return {__float2bfloat16_rn(low), __float2bfloat16_rn(high)};
}
inline float __bfloat162float(__nv_bfloat16 x) { return tgc::bf16ToFloat(x.bits); }
inline float2 __bfloat1622float2(__nv_bfloat162 pair) {
  return {__bfloat162float(pair.x), __bfloat162float(pair.y)};
}

using std::max;
using std::min;

/// The running thread's and its block's coordinates.
inline dim3 threadIdx, blockIdx, blockDim, gridDim;

namespace simt {

enum class State { Ready, AtBlockBarrier, AtWarpBarrier, Done };

/// An asynchronous copy to shared memory (__pipeline_memcpy_async): the
/// bytes it will write, read from global memory when it was issued.
struct AsyncCopy {
  void *target;
  std::vector<char> bytes;
};

struct Fiber {
  ucontext_t context;
  std::unique_ptr<char[]> stack;
  State state = State::Ready;
  unsigned index = 0;
  // Its copies not yet written: committed groups, oldest first, then the
  // open group.
  std::vector<std::vector<AsyncCopy>> copyGroups;
  std::vector<AsyncCopy> openGroup;
};

/// The block being run.
struct Block {
  std::vector<Fiber> fibers;
  ucontext_t scheduler;
  Fiber *running = nullptr;
  const std::function<void()> *body = nullptr;
  std::vector<double> lanes;           // values the warps exchange, by thread
  std::vector<uint32_t> fragments;     // mma operands, kFragment a thread
  std::vector<const void *> rowsGiven; // ldmatrix's row addresses, by thread
};

/// The 32-bit registers of one thread's mma operands: a[4], b[2].
constexpr unsigned kFragment = 6;

inline Block *block;

/// Whether asynchronous copies land in shared memory when issued (else
/// when their thread waits for them): the earliest and the latest a GPU
/// may write them.
inline bool copiesLandEarly = false;

/// Back to the scheduler, waiting in `state`.
inline void wait(State state) {
  Fiber *fiber = block->running;
  fiber->state = state;
  swapcontext(&fiber->context, &block->scheduler);
}

inline void run() {
  (*block->body)();
  block->running->state = State::Done; // then uc_link returns to the scheduler
}

/// Runs one block of `threads` threads to completion.
inline void runBlock(unsigned threads, const std::function<void()> &body) {
  constexpr size_t kStack = 256 * 1024;
  Block current;
  current.body = &body;
  current.lanes.assign(threads, 0.0);
  current.fragments.assign(threads * kFragment, 0u);
  current.rowsGiven.assign(threads, nullptr);
  current.fibers.resize(threads);
  block = &current;
  for (unsigned t = 0; t < threads; ++t) {
    Fiber &fiber = current.fibers[t];
    fiber.index = t;
    fiber.stack.reset(new char[kStack]);
    getcontext(&fiber.context);
    fiber.context.uc_stack.ss_sp = fiber.stack.get();
    fiber.context.uc_stack.ss_size = kStack;
    fiber.context.uc_link = &current.scheduler;
    makecontext(&fiber.context, run, 0);
  }
  for (;;) {
    for (Fiber &fiber : current.fibers) {
      if (fiber.state != State::Ready)
        continue;
      current.running = &fiber;
      threadIdx = {fiber.index, 0, 0};
      swapcontext(&current.scheduler, &fiber.context);
    }
    // Nothing is ready: release a barrier that every thread it needs has
    // reached.
    size_t done = 0, atBlock = 0;
    for (const Fiber &fiber : current.fibers) {
      done += fiber.state == State::Done;
      atBlock += fiber.state == State::AtBlockBarrier;
    }
    if (done == threads)
      break;
    bool released = false;
    if (atBlock == threads) {
      for (Fiber &fiber : current.fibers)
        fiber.state = State::Ready;
      released = true;
    }
    for (unsigned warp = 0; !released && warp * 32 < threads; ++warp) {
      unsigned end = std::min(threads, warp * 32 + 32);
      bool all = true;
      for (unsigned t = warp * 32; t < end; ++t)
        all = all && current.fibers[t].state == State::AtWarpBarrier;
      if (!all)
        continue;
      for (unsigned t = warp * 32; t < end; ++t)
        current.fibers[t].state = State::Ready;
      released = true;
    }
    if (!released)
      throw std::runtime_error("simt: threads wait at different barriers (or some returned)");
  }
  block = nullptr;
}

/// Runs `kernel(arguments...)` on a grid of `grid` blocks of `threads`
/// threads, with `shared` (the kernel's extern __shared__ array, of
/// `sharedBytes`) filled with NaNs before each block.
template <typename Kernel, typename... Arguments>
void launch(dim3 grid, unsigned threads, void *shared, size_t sharedBytes, Kernel kernel,
            Arguments... arguments) {
  gridDim = grid;
  blockDim = {threads, 1, 1};
  std::function<void()> body = [&] { kernel(arguments...); };
  for (unsigned z = 0; z < grid.z; ++z)
    for (unsigned y = 0; y < grid.y; ++y)
      for (unsigned x = 0; x < grid.x; ++x) {
        blockIdx = {x, y, z};
        float *words = static_cast<float *>(shared);
        std::fill(words, words + sharedBytes / sizeof(float),
                  std::numeric_limits<float>::quiet_NaN());
        runBlock(threads, body);
      }
}

} // namespace simt

// cuda_pipeline_primitives.h: a thread's copies land in shared memory when
// it waits for their group (or, copiesLandEarly, when issued), so reading a
// stage before the wait (or refilling it before every thread read it)
// shows in the results.

/// Copies `bytes - zeros` bytes from `source` to `target`, then `zeros`
/// zero bytes, once this thread waits for the group.
inline void __pipeline_memcpy_async(void *target, const void *source, size_t bytes,
                                    size_t zeros = 0) {
  simt::AsyncCopy copy{target, std::vector<char>(bytes, 0)};
  std::memcpy(copy.bytes.data(), source, bytes - zeros);
  if (simt::copiesLandEarly)
    std::memcpy(target, copy.bytes.data(), bytes);
  else
    simt::block->running->openGroup.push_back(std::move(copy));
}

/// Closes this thread's open group of copies.
inline void __pipeline_commit() {
  simt::Fiber &fiber = *simt::block->running;
  fiber.copyGroups.push_back(std::move(fiber.openGroup));
  fiber.openGroup.clear();
}

/// Writes every group of this thread's copies but the latest `pending`.
inline void __pipeline_wait_prior(size_t pending) {
  auto &groups = simt::block->running->copyGroups;
  while (groups.size() > pending) {
    for (const simt::AsyncCopy &copy : groups.front())
      std::memcpy(copy.target, copy.bytes.data(), copy.bytes.size());
    groups.erase(groups.begin());
  }
}

inline void __syncthreads() { simt::wait(simt::State::AtBlockBarrier); }

/// Every lane of the warp must call it, as the kernels do.
inline void __syncwarp(unsigned = 0xffffffffu) { simt::wait(simt::State::AtWarpBarrier); }

/// The value of lane (this lane ^ laneMask) of this warp; every lane of the
/// warp must call it (the kernels' shuffles are convergent).
template <typename T> T __shfl_xor_sync(unsigned, T value, int laneMask) {
  unsigned thread = threadIdx.x, warp = thread / 32 * 32;
  std::vector<double> &lanes = simt::block->lanes;
  lanes[thread] = double(value);
  simt::wait(simt::State::AtWarpBarrier); // every lane has written
  T result = T(lanes[warp + ((thread % 32) ^ unsigned(laneMask))]);
  simt::wait(simt::State::AtWarpBarrier); // every lane has read
  return result;
}

namespace simt {

/// x as a TF32 operand of an mma: its low 13 bits dropped.
inline float asTF32Operand(float x) { return __uint_as_float(__float_as_uint(x) & 0xffffe000u); }

/// One lane's part of a warp's mma.sync.aligned.m16n8kK with f32
/// accumulators: every lane of the warp must call it. The lanes exchange
/// their A and B registers (a[4], b0, b1); then each lane's d[i], at (row,
/// column) = (g + 8 (i / 2), 2t + i % 2) for lane 4 g + t, becomes
/// `terms(d[i], row, column, of)`, its sum with the products of A's row and
/// B's column, `of(lane, r)` being register r of that lane's A (0-3) or B
/// (4-5).
template <typename Terms>
void warpMma(float *d, const uint32_t *a, uint32_t b0, uint32_t b1, Terms terms) {
  unsigned thread = threadIdx.x, warp = thread / 32 * 32, lane = thread % 32;
  std::vector<uint32_t> &fragments = block->fragments;
  uint32_t *mine = &fragments[thread * kFragment];
  std::copy(a, a + 4, mine);
  mine[4] = b0;
  mine[5] = b1;
  wait(State::AtWarpBarrier); // every lane has written
  auto of = [&](unsigned owner, unsigned r) { return fragments[(warp + owner) * kFragment + r]; };
  float result[4];
  for (unsigned i = 0; i < 4; ++i)
    result[i] = terms(d[i], lane / 4 + 8 * (i / 2), lane % 4 * 2 + i % 2, of);
  wait(State::AtWarpBarrier); // every lane has read
  std::copy(result, result + 4, d);
}

/// mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {d}, {a}, {b0, b1},
/// {d}: every lane of the warp must call it. Lane 4 g + t holds A (16 x 8)
/// at (g, t), (g + 8, t), (g, t + 4), (g + 8, t + 4), B (8 x 8) at (t, g)
/// and (t + 4, g), and C at (g, 2t), (g, 2t + 1), (g + 8, 2t), (g + 8,
/// 2t + 1). Products of TF32 values are exact in f32; they are summed in
/// f32, in order of the reduction.
inline void mmaTF32(float (&d)[4], const float (&a)[4], float b0, float b1) {
  const uint32_t bits[4] = {__float_as_uint(a[0]), __float_as_uint(a[1]), __float_as_uint(a[2]),
                            __float_as_uint(a[3])};
  warpMma(d, bits, __float_as_uint(b0), __float_as_uint(b1),
          [](float sum, unsigned row, unsigned column, auto of) {
            for (unsigned k = 0; k < 8; ++k) {
              float left = __uint_as_float(of(row % 8 * 4 + k % 4, row / 8 + 2 * (k / 4)));
              float right = __uint_as_float(of(column * 4 + k % 4, 4 + k / 4));
              sum += asTF32Operand(left) * asTF32Operand(right);
            }
            return sum;
          });
}

/// bf16 element `half` (0: the low 16 bits) of a 32-bit register, as f32.
inline float bf16Half(uint32_t pair, unsigned half) {
  return __uint_as_float(pair >> 16 * half << 16);
}

/// mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {d}, {a}, {b0, b1},
/// {d}: every lane of the warp must call it. Lane 4 g + t holds A (16 x 16)
/// at (g, 2t..2t+1), (g + 8, 2t..2t+1), (g, 2t+8..2t+9), (g + 8,
/// 2t+8..2t+9), two bf16 a register, the lower column in the low half; B (16
/// x 8) at (2t..2t+1, g) and (2t+8..2t+9, g); C as mmaTF32's. Products of
/// bf16 values are exact in f32; they are summed in f32, in order of the
/// reduction.
inline void mmaBF16(float *d, const uint32_t *a, uint32_t b0, uint32_t b1) {
  warpMma(d, a, b0, b1, [](float sum, unsigned row, unsigned column, auto of) {
    for (unsigned k = 0; k < 16; ++k) {
      float left = bf16Half(of(row % 8 * 4 + k % 8 / 2, row / 8 + 2 * (k / 8)), k % 2);
      float right = bf16Half(of(column * 4 + k % 8 / 2, 4 + k / 8), k % 2);
      sum += left * right;
    }
    return sum;
  });
}

/// ldmatrix.sync.aligned.m8n8.x4(.trans).shared.b16 {r}, [row]: every lane
/// of the warp must call it. Lanes 8 m to 8 m + 7 give the rows of matrix
/// m (8 b16 each, at `row`); lane 4 g + t receives in r[m] matrix m's (g,
/// 2t) and (g, 2t + 1), the first in the low half, or `transposed` its (2t,
/// g) and (2t + 1, g).
inline void loadMatrices(uint32_t *r, const void *row, bool transposed) {
  unsigned thread = threadIdx.x, warp = thread / 32 * 32, lane = thread % 32;
  std::vector<const void *> &rows = block->rowsGiven;
  rows[thread] = row;
  wait(State::AtWarpBarrier); // every lane has given its row
  auto element = [&](unsigned matrix, unsigned i, unsigned j) -> uint32_t {
    return static_cast<const uint16_t *>(rows[warp + matrix * 8 + i])[j];
  };
  uint32_t result[4];
  unsigned g = lane / 4, t = lane % 4;
  for (unsigned m = 0; m < 4; ++m)
    result[m] = transposed ? element(m, 2 * t, g) | element(m, 2 * t + 1, g) << 16
                           : element(m, g, 2 * t) | element(m, g, 2 * t + 1) << 16;
  wait(State::AtWarpBarrier); // every lane has read
  std::copy(result, result + 4, r);
}

} // namespace simt

#endif // TGC_TEST_RUNTIME_SIMT_HOST_H
