//===- MemoryTest.cpp - the caching allocator -----------------------------===//

#include "tgc/runtime.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

namespace {

tgc_memory_stats stats() {
  tgc_memory_stats current;
  tgc_memory_get_stats(&current);
  return current;
}

bool isAligned(const void *ptr, size_t alignment) { return uintptr_t(ptr) % alignment == 0; }

TEST(Memory, BlocksAreAlignedAndUsable) {
  for (size_t size : {size_t(0), size_t(1), size_t(63), size_t(64), size_t(1000), size_t(300000),
                      size_t(5) << 20}) {
    for (size_t alignment :
         {size_t(0), size_t(16), size_t(64), size_t(128), size_t(4096), size_t(2) << 20}) {
      void *ptr = tgc_alloc(size, alignment);
      ASSERT_NE(ptr, nullptr) << size << " bytes aligned to " << alignment;
      EXPECT_TRUE(isAligned(ptr, alignment < 64 ? 64 : alignment))
          << size << " bytes aligned to " << alignment << " at " << ptr;
      std::memset(ptr, 0xAB, size);
      tgc_free(ptr);
    }
  }
}

TEST(Memory, FreedBlockServesTheNextRequestOfItsClass) {
  void *first = tgc_alloc(1000, 0);
  tgc_free(first);
  tgc_memory_stats before = stats();
  // 1000 and 1010 bytes round to the same size class.
  void *second = tgc_alloc(1010, 0);
  tgc_memory_stats after = stats();
  EXPECT_EQ(second, first);
  EXPECT_EQ(after.num_cache_hits, before.num_cache_hits + 1);
  EXPECT_EQ(after.num_allocations, before.num_allocations + 1);
  EXPECT_EQ(after.bytes_reserved, before.bytes_reserved);
  tgc_free(second);
}

TEST(Memory, StatsCountBytesInUseAndPeak) {
  tgc_memory_reset_peak();
  tgc_memory_stats base = stats();
  void *a = tgc_alloc(1 << 20, 0);
  void *b = tgc_alloc(3 << 20, 0);
  EXPECT_EQ(stats().bytes_in_use, base.bytes_in_use + (4 << 20));
  tgc_free(b);
  tgc_memory_stats afterFree = stats();
  EXPECT_EQ(afterFree.bytes_in_use, base.bytes_in_use + (1 << 20));
  EXPECT_EQ(afterFree.peak_bytes_in_use, base.bytes_in_use + (4 << 20));
  EXPECT_GE(afterFree.bytes_reserved, afterFree.bytes_in_use);
  tgc_free(a);
  tgc_memory_reset_peak();
  EXPECT_EQ(stats().peak_bytes_in_use, base.bytes_in_use);
}

// The point of the allocator: a loop that allocates the same buffers each
// step maps memory in its first step only.
TEST(Memory, StepLoopIsServedFromTheCacheAfterItsFirstStep) {
  const size_t sizes[] = {
      128 * 784 * 4, 784 * 512 * 4, 128 * 512 * 4, 512 * 10 * 4, 128 * 10 * 4, 4, 512 * 4, 10 * 4};
  constexpr int kSteps = 200;
  auto runStep = [&] {
    std::vector<void *> live;
    for (size_t size : sizes) {
      live.push_back(tgc_alloc(size, 0));
      std::memset(live.back(), 1, size); // touch, as a kernel would
    }
    for (void *ptr : live)
      tgc_free(ptr);
  };
  runStep();
  tgc_memory_stats afterFirst = stats();
  auto start = std::chrono::steady_clock::now();
  for (int step = 1; step < kSteps; ++step)
    runStep();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  tgc_memory_stats end = stats();
  uint64_t allocations = end.num_allocations - afterFirst.num_allocations;
  uint64_t hits = end.num_cache_hits - afterFirst.num_cache_hits;
  EXPECT_EQ(allocations, uint64_t(kSteps - 1) * std::size(sizes));
  EXPECT_EQ(hits, allocations);
  EXPECT_EQ(end.bytes_reserved, afterFirst.bytes_reserved);
  std::printf("[ stats    ] steps 2-%d: %llu allocations, %.1f%% from the cache, %.1f us/step\n",
              kSteps, (unsigned long long)allocations, 100.0 * double(hits) / double(allocations),
              1e6 * seconds / (kSteps - 1));
}

TEST(Memory, MlirEntryPointsAllocateAlignedAndFree) {
  void *plain = _mlir_memref_to_llvm_alloc(100);
  void *aligned = _mlir_memref_to_llvm_aligned_alloc(4096, 100);
  ASSERT_NE(plain, nullptr);
  ASSERT_NE(aligned, nullptr);
  EXPECT_TRUE(isAligned(plain, 64));
  EXPECT_TRUE(isAligned(aligned, 4096));
  tgc_memory_stats before = stats();
  _mlir_memref_to_llvm_free(aligned);
  _mlir_memref_to_llvm_free(plain);
  EXPECT_EQ(stats().bytes_in_use, before.bytes_in_use - 200);
  _mlir_memref_to_llvm_free(nullptr);
}

TEST(Memory, RefusesBadAlignmentAndAbsurdSizes) {
  EXPECT_EQ(tgc_alloc(100, 96), nullptr);
  EXPECT_EQ(tgc_alloc(size_t(1) << 60, 0), nullptr);
  EXPECT_EQ(tgc_alloc(SIZE_MAX, 0), nullptr);
}

TEST(Memory, ConcurrentThreadsKeepTheirBlocksApart) {
  tgc_memory_stats before = stats();
  auto work = [](unsigned id) {
    std::vector<std::pair<unsigned char *, size_t>> live;
    for (unsigned i = 0; i < 20000; ++i) {
      size_t size = 1 + (i * 2654435761u + id) % 5000;
      auto *ptr = static_cast<unsigned char *>(tgc_alloc(size, 0));
      std::memset(ptr, int(id), size);
      live.emplace_back(ptr, size);
      if (live.size() > 8) {
        auto [old, oldSize] = live.front();
        for (size_t b = 0; b < oldSize; ++b)
          ASSERT_EQ(old[b], id) << "another thread wrote into this block";
        tgc_free(old);
        live.erase(live.begin());
      }
    }
    for (auto &[ptr, size] : live)
      tgc_free(ptr);
  };
  std::vector<std::thread> threads;
  for (unsigned id = 1; id <= 4; ++id)
    threads.emplace_back(work, id);
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(stats().bytes_in_use, before.bytes_in_use);
}

TEST(MemoryDeathTest, DoubleFreeAborts) {
  void *ptr = tgc_alloc(10, 0);
  tgc_free(ptr);
  EXPECT_DEATH(tgc_free(ptr), "freed twice");
}

} // namespace
