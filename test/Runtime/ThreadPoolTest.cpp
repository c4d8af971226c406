//===- ThreadPoolTest.cpp - tgc_parallel_for ------------------------------===//

#include "ThreadPool.h"

#include "tgc/runtime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace {

struct Coverage {
  std::vector<std::atomic<int>> hits;
  explicit Coverage(int64_t n) : hits(size_t(n)) {}
  static void body(void *ctx, int64_t begin, int64_t end) {
    auto *coverage = static_cast<Coverage *>(ctx);
    for (int64_t i = begin; i < end; ++i)
      coverage->hits[size_t(i)] += 1;
  }
  bool eachOnce() const {
    return std::all_of(hits.begin(), hits.end(), [](const std::atomic<int> &h) { return h == 1; });
  }
};

TEST(ThreadPool, CoversEveryIndexExactlyOnce) {
  for (int64_t n : {1, 2, 3, 7, 64, 1000, 100003}) {
    Coverage coverage(n);
    tgc_parallel_for(n, Coverage::body, &coverage);
    EXPECT_TRUE(coverage.eachOnce()) << "n = " << n;
  }
}

TEST(ThreadPool, EmptyAndNegativeRangesCallNothing) {
  int calls = 0;
  auto count = [](void *ctx, int64_t, int64_t) { ++*static_cast<int *>(ctx); };
  tgc_parallel_for(0, count, &calls);
  tgc_parallel_for(-5, count, &calls);
  EXPECT_EQ(calls, 0);
}

struct RangeLog {
  std::mutex mutex;
  std::vector<std::pair<int64_t, int64_t>> ranges;
  static void body(void *ctx, int64_t begin, int64_t end) {
    auto *log = static_cast<RangeLog *>(ctx);
    std::lock_guard<std::mutex> lock(log->mutex);
    log->ranges.emplace_back(begin, end);
  }
  std::vector<std::pair<int64_t, int64_t>> sorted() {
    std::sort(ranges.begin(), ranges.end());
    return ranges;
  }
};

// Partial sums per range are reproducible only if the ranges are.
TEST(ThreadPool, RangesDependOnlyOnTheSizeAndThreadCount) {
  for (int64_t n : {5, 1001}) {
    RangeLog first, second;
    tgc_parallel_for(n, RangeLog::body, &first);
    tgc_parallel_for(n, RangeLog::body, &second);
    EXPECT_EQ(first.sorted(), second.sorted());
    EXPECT_EQ(int64_t(first.ranges.size()), std::min<int64_t>(n, tgc_num_threads()));
  }
}

TEST(ThreadPool, NestedLoopsRunInlineOverTheSameRanges) {
  struct Outer {
    std::vector<RangeLog> inner = std::vector<RangeLog>(4);
    static void body(void *ctx, int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i)
        tgc_parallel_for(10, RangeLog::body, &static_cast<Outer *>(ctx)->inner[size_t(i)]);
    }
  } outer;
  tgc_parallel_for(4, Outer::body, &outer);
  RangeLog reference;
  tgc_parallel_for(10, RangeLog::body, &reference);
  for (RangeLog &log : outer.inner)
    EXPECT_EQ(log.sorted(), reference.sorted());
}

TEST(ThreadPool, CallersOnSeveralThreadsEachGetTheirWork) {
  auto caller = [] {
    for (int round = 0; round < 300; ++round) {
      Coverage coverage(257);
      tgc_parallel_for(257, Coverage::body, &coverage);
      ASSERT_TRUE(coverage.eachOnce());
    }
  };
  std::thread a(caller), b(caller);
  a.join();
  b.join();
}

// Each range waits until all have started: this finishes only if the pool
// really runs them at the same time.
TEST(ThreadPool, RangesRunConcurrently) {
  int threads = tgc_num_threads();
  if (threads < 2)
    GTEST_SKIP() << "one thread: nothing runs concurrently";
  struct Rendezvous {
    std::atomic<int> arrived{0};
    int expected;
    std::atomic<bool> timedOut{false};
    static void body(void *ctx, int64_t, int64_t) {
      auto *r = static_cast<Rendezvous *>(ctx);
      r->arrived += 1;
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (r->arrived < r->expected)
        if (std::chrono::steady_clock::now() > deadline)
          return void(r->timedOut = true);
        else
          std::this_thread::yield();
    }
  } rendezvous;
  rendezvous.expected = threads;
  tgc_parallel_for(threads, Rendezvous::body, &rendezvous);
  EXPECT_FALSE(rendezvous.timedOut);
}

#if defined(__x86_64__) || defined(__i386__)
// Every range, on whichever thread, computes in the caller's floating-point
// mode: a denormal product flushes to zero after tgc_fp_flush_denormals,
// and is kept again after tgc_fp_restore. Ranges meet as above, so that
// each thread runs one.
TEST(ThreadPool, RangesRunInTheCallersFloatingPointMode) {
  struct Product {
    std::atomic<int> arrived{0}, denormal{0};
    int expected;
    static void body(void *ctx, int64_t, int64_t) {
      auto *p = static_cast<Product *>(ctx);
      volatile float small = 1e-20f;
      if (small * small != 0.0f)
        p->denormal += 1;
      p->arrived += 1;
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (p->arrived < p->expected && std::chrono::steady_clock::now() < deadline)
        std::this_thread::yield();
    }
  };
  int threads = tgc_num_threads();
  uint32_t saved = tgc_fp_flush_denormals();
  Product flushed;
  flushed.expected = threads;
  tgc_parallel_for(threads, Product::body, &flushed);
  tgc_fp_restore(saved);
  EXPECT_EQ(flushed.denormal, 0);
  Product kept;
  kept.expected = threads;
  tgc_parallel_for(threads, Product::body, &kept);
  EXPECT_EQ(kept.denormal, threads);
}
#endif

// A number to watch, not a check: the median is robust to a shared,
// noisy machine stealing the workers' CPUs now and then.
TEST(ThreadPool, CallOverhead) {
  auto nothing = [](void *, int64_t, int64_t) {};
  constexpr int kBatches = 50, kCallsPerBatch = 200;
  std::vector<double> microseconds;
  for (int batch = 0; batch < kBatches; ++batch) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kCallsPerBatch; ++i)
      tgc_parallel_for(1024, nothing, nullptr);
    std::chrono::duration<double, std::micro> elapsed = std::chrono::steady_clock::now() - start;
    microseconds.push_back(elapsed.count() / kCallsPerBatch);
  }
  std::sort(microseconds.begin(), microseconds.end());
  std::printf("[ stats    ] %d threads: %.2f us per tgc_parallel_for of an empty body (median), "
              "%.2f at best\n",
              tgc_num_threads(), microseconds[kBatches / 2], microseconds[0]);
}

TEST(ThreadPool, ParsesThreadCounts) {
  EXPECT_EQ(tgc::parseThreadCount("3"), 3);
  EXPECT_EQ(tgc::parseThreadCount("64"), 64);
  for (const char *bad : {"", "0", "-2", "two", "3x", " 3"})
    EXPECT_FALSE(tgc::parseThreadCount(bad).has_value()) << "'" << bad << "'";
  EXPECT_FALSE(tgc::parseThreadCount(nullptr).has_value());
}

// The pool is sized once per process, so this runs in a fresh one.
TEST(ThreadPoolDeathTest, EnvironmentSetsTheThreadCount) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("TGC_NUM_THREADS", "3", 1);
        std::exit(tgc_num_threads());
      },
      testing::ExitedWithCode(3), "");
}

} // namespace
