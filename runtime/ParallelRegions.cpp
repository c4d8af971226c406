//===- ParallelRegions.cpp - the OpenMP entry points generated code calls -===//
//
// tgc lowers parallel loops to the OpenMP dialect and lets LLVM's
// OpenMPIRBuilder outline them, which emits calls to a handful of libomp
// entry points (__kmpc_fork_call, __kmpc_for_static_init_8u, ...). The
// compiler renames those calls to tgc_omp_* (lib/Compiler/Pipeline.cpp), and
// this file implements them on tgc_parallel_for: no libomp at run time, one
// thread pool for generated loops and runtime kernels alike, and no clash
// with an OpenMP runtime in a process that embeds a compiled model.
//
// Only what tgc emits is supported: static schedules without chunks, and
// worksharing loops marked nowait (so no barriers inside a region).
//
//===----------------------------------------------------------------------===//

#include "tgc/runtime.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

namespace {

/// The team member running on this thread and the team's size: a parallel
/// region runs one member per range of tgc_parallel_for(team size), so the
/// iterations a member gets depend only on its index, not on the thread.
thread_local int32_t teamIndex = 0;
thread_local int32_t teamSize = 1;

using Microtask = void (*)(int32_t *globalThread, int32_t *boundThread, ...);

struct Region {
  Microtask microtask;
  int32_t numArgs;
  void *args[2];
};

void runTeamMembers(void *ctx, int64_t begin, int64_t end) {
  const Region &region = *static_cast<const Region *>(ctx);
  int32_t savedIndex = teamIndex, savedSize = teamSize;
  teamSize = tgc_num_threads();
  for (int64_t member = begin; member < end; ++member) {
    teamIndex = int32_t(member);
    int32_t globalThread = teamIndex, boundThread = teamIndex;
    if (region.numArgs == 0)
      region.microtask(&globalThread, &boundThread);
    else if (region.numArgs == 1)
      region.microtask(&globalThread, &boundThread, region.args[0]);
    else
      region.microtask(&globalThread, &boundThread, region.args[0], region.args[1]);
  }
  teamIndex = savedIndex;
  teamSize = savedSize;
}

/// This member's share of the iterations [*lower, *upper] (inclusive, as
/// libomp's static schedule gets them): contiguous blocks whose sizes differ
/// by at most one.
template <typename T>
void staticInit(int32_t *isLast, T *lower, T *upper, T *stride, T increment) {
  T tripCount = (*upper - *lower) / increment + 1;
  T members = T(teamSize), index = T(teamIndex);
  T size = tripCount / members, remainder = tripCount % members;
  T begin = index * size + (index < remainder ? index : remainder);
  T count = size + (index < remainder ? 1 : 0);
  T first = *lower + begin * increment;
  if (count == 0) {
    // An empty range: upper below lower tells the loop to run no iteration.
    *lower = 1;
    *upper = 0;
  } else {
    *lower = first;
    *upper = first + (count - 1) * increment;
  }
  *stride = tripCount * increment;
  if (isLast)
    *isLast = count != 0 && begin + count == tripCount;
}

} // namespace

extern "C" {

int32_t tgc_omp_global_thread_num(void *) { return teamIndex; }

void tgc_omp_fork_call(void *, int32_t numArgs, Microtask microtask, ...) {
  // OpenMPIRBuilder passes the captured values as one aggregate (numArgs 1),
  // or none.
  if (numArgs < 0 || numArgs > 2) {
    std::fprintf(stderr, "tgc: internal error: a parallel region with %d arguments\n", numArgs);
    std::abort();
  }
  Region region = {microtask, numArgs, {nullptr, nullptr}};
  va_list args;
  va_start(args, microtask);
  for (int32_t i = 0; i < numArgs; ++i)
    region.args[i] = va_arg(args, void *);
  va_end(args);
  tgc_parallel_for(tgc_num_threads(), runTeamMembers, &region);
}

void tgc_omp_for_static_init_4u(void *, int32_t, int32_t, int32_t *isLast, uint32_t *lower,
                                uint32_t *upper, int32_t *stride, int32_t increment, int32_t) {
  uint32_t unsignedStride = 0;
  staticInit<uint32_t>(isLast, lower, upper, &unsignedStride, uint32_t(increment));
  *stride = int32_t(unsignedStride);
}

void tgc_omp_for_static_init_8u(void *, int32_t, int32_t, int32_t *isLast, uint64_t *lower,
                                uint64_t *upper, int64_t *stride, int64_t increment, int64_t) {
  uint64_t unsignedStride = 0;
  staticInit<uint64_t>(isLast, lower, upper, &unsignedStride, uint64_t(increment));
  *stride = int64_t(unsignedStride);
}

void tgc_omp_for_static_fini(void *, int32_t) {}

// Regions have no barriers (their loops are nowait, and the fork joins), so
// a barrier can only come from a single-member team.
void tgc_omp_barrier(void *, int32_t) {
  if (teamSize != 1) {
    std::fprintf(stderr, "tgc: internal error: a barrier inside a parallel region\n");
    std::abort();
  }
}

} // extern "C"
