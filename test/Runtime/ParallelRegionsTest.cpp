//===- ParallelRegionsTest.cpp - the OpenMP entry points of generated code ===//
//
// Calls tgc_omp_* the way code from OpenMPIRBuilder does: fork a region,
// ask for this member's static share of a loop, run it.

#include "tgc/runtime.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdarg>
#include <vector>

namespace {

struct Loop {
  uint64_t lower, upper; // inclusive, as OpenMPIRBuilder passes them
  std::vector<std::atomic<int>> hits;
  std::vector<std::atomic<int>> members;
  std::atomic<int> lastIterationOwners{0};
  Loop(uint64_t lower, uint64_t upper)
      : lower(lower), upper(upper), hits(upper + 1), members(size_t(tgc_num_threads())) {}
};

/// The body of an outlined region: one member's share of the loop.
void runShare(int32_t thread, Loop &loop) {
  EXPECT_EQ(tgc_omp_global_thread_num(nullptr), thread);
  loop.members[size_t(thread)] += 1;
  int32_t isLast = 0;
  uint64_t lower = loop.lower, upper = loop.upper;
  int64_t stride = 0;
  tgc_omp_for_static_init_8u(nullptr, thread, /*kmp_sch_static*/ 34, &isLast, &lower, &upper,
                             &stride, 1, 0);
  for (uint64_t i = lower; i <= upper && lower <= upper; ++i)
    loop.hits[i] += 1;
  if (isLast)
    loop.lastIterationOwners += 1;
  tgc_omp_for_static_fini(nullptr, thread);
}

/// An outlined region: OpenMPIRBuilder passes the captured values as one
/// aggregate after the two thread ids.
void microtask(int32_t *globalThread, int32_t *boundThread, ...) {
  va_list args;
  va_start(args, boundThread);
  Loop *loop = va_arg(args, Loop *);
  va_end(args);
  runShare(*globalThread, *loop);
}

TEST(ParallelRegions, EveryMemberRunsOnceAndEveryIterationOnce) {
  for (uint64_t tripCount : {1, 2, 3, 5, 64, 1000, 100003}) {
    Loop loop(0, tripCount - 1);
    tgc_omp_fork_call(nullptr, 1, microtask, &loop);
    for (const std::atomic<int> &member : loop.members)
      EXPECT_EQ(member, 1) << "trip count " << tripCount;
    for (uint64_t i = 0; i < tripCount; ++i)
      ASSERT_EQ(loop.hits[i], 1) << "iteration " << i << " of " << tripCount;
    EXPECT_EQ(loop.lastIterationOwners, 1) << "trip count " << tripCount;
  }
}

TEST(ParallelRegions, OutsideARegionTheCallerGetsTheWholeLoop) {
  uint64_t lower = 0, upper = 9;
  int64_t stride = 0;
  int32_t isLast = 0;
  tgc_omp_for_static_init_8u(nullptr, 0, 34, &isLast, &lower, &upper, &stride, 1, 0);
  EXPECT_EQ(lower, 0u);
  EXPECT_EQ(upper, 9u);
  EXPECT_EQ(isLast, 1);
}

} // namespace
