//===- Memory.cpp - the caching allocator of compiled code ----------------===//
//
// A first touch of a fresh page is expensive on the machines we train on
// (about 10 us per 4 KiB page), and a training step allocates the same
// buffers every time. So freed blocks are kept on per-size-class free lists
// and handed out again; memory is never returned to the operating system.
//
// Every block starts with a 64-byte header (its size class and a magic
// number), so user pointers are 64-byte aligned and free needs no lookup.
// Blocks up to 256 KiB are carved from 2 MiB chunks; bigger ones get their
// own mapping. Both are 2 MiB aligned and advised MADV_HUGEPAGE, which makes
// first touches about 3x cheaper per byte.
//
//===----------------------------------------------------------------------===//

#include "tgc/runtime.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace {

constexpr size_t kHeaderSize = 64;
constexpr size_t kHugePageSize = size_t(2) << 20;
constexpr size_t kChunkSize = kHugePageSize;
constexpr size_t kMaxChunkBlockSize = size_t(256) << 10;
// Bigger requests are bugs or overflowed size computations: refuse them.
constexpr size_t kMaxBlockSize = size_t(1) << 46;
constexpr uint32_t kLiveMagic = 0x4c434754; // "TGCL"
constexpr uint32_t kFreeMagic = 0x46434754; // "TGCF"

struct alignas(kHeaderSize) BlockHeader {
  uint32_t magic;
  uint32_t sizeClass;
  uint64_t requestedSize;
  // Non-zero only in the second header of an over-aligned allocation, which
  // sits just before the aligned pointer: the distance back to the block.
  uint64_t offsetFromBlock;
  BlockHeader *nextFree;
};
static_assert(sizeof(BlockHeader) == kHeaderSize, "the header is one cache line");

// Block sizes, header included: 64, 128, 192, 256, then four classes per
// power of two (320, 384, 448, 512, 640, 768, ...), so rounding up wastes
// less than a quarter of a block.
constexpr int kNumSmallClasses = 4;
constexpr int kClassesPerDoubling = 4;
constexpr int kNumClasses = kNumSmallClasses + kClassesPerDoubling * 40;

int sizeClassOf(size_t blockSize) {
  if (blockSize <= 256)
    return blockSize <= 64 ? 0 : int((blockSize - 1) / 64);
  int log2Floor = 63 - __builtin_clzll(blockSize - 1); // 2^log2Floor < size
  size_t base = size_t(1) << log2Floor, step = base / kClassesPerDoubling;
  int stepsAboveBase = int((blockSize - base + step - 1) / step); // 1..4
  return kNumSmallClasses + kClassesPerDoubling * (log2Floor - 8) + stepsAboveBase - 1;
}

size_t blockSizeOfClass(int sizeClass) {
  if (sizeClass < kNumSmallClasses)
    return size_t(sizeClass + 1) * 64;
  int doublings = (sizeClass - kNumSmallClasses) / kClassesPerDoubling;
  int steps = (sizeClass - kNumSmallClasses) % kClassesPerDoubling + 1;
  size_t base = size_t(256) << doublings;
  return base + steps * (base / kClassesPerDoubling);
}

/// `size` bytes of fresh memory starting on a 2 MiB boundary, advised to
/// use huge pages; nullptr when the system has none left.
char *mapHugePageAligned(size_t size) {
  size_t mappedSize = size + kHugePageSize;
  void *mapped =
      mmap(nullptr, mappedSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED)
    return nullptr;
  uintptr_t begin = uintptr_t(mapped);
  uintptr_t aligned = (begin + kHugePageSize - 1) & ~uintptr_t(kHugePageSize - 1);
  if (aligned > begin)
    munmap(mapped, aligned - begin);
  uintptr_t end = begin + mappedSize, alignedEnd = aligned + size;
  if (end > alignedEnd)
    munmap(reinterpret_cast<void *>(alignedEnd), end - alignedEnd);
  // Only advice: without transparent huge pages the memory still works.
  madvise(reinterpret_cast<void *>(aligned), size, MADV_HUGEPAGE);
  return reinterpret_cast<char *>(aligned);
}

[[noreturn]] void abortOnBadFree(const void *ptr) {
  std::fprintf(stderr, "tgc_free: %p was not returned by tgc_alloc, or was freed twice\n", ptr);
  std::abort();
}

class CachingAllocator {
public:
  void *allocate(size_t size, size_t alignment) {
    if (alignment < kHeaderSize)
      alignment = kHeaderSize;
    if ((alignment & (alignment - 1)) != 0 || size > kMaxBlockSize || alignment > kMaxBlockSize)
      return nullptr;
    // Room for the header and, when over-aligned, for sliding the user
    // pointer up to the next multiple of `alignment`.
    size_t blockSize = size + alignment;
    int sizeClass = sizeClassOf(blockSize);

    std::lock_guard<std::mutex> lock(mutex);
    BlockHeader *block = takeBlock(sizeClass);
    if (!block)
      return nullptr;
    *block = {kLiveMagic, uint32_t(sizeClass), size, 0, nullptr};
    char *user = reinterpret_cast<char *>(block) + kHeaderSize;
    if (alignment > kHeaderSize) {
      uintptr_t aligned = (uintptr_t(user) + alignment - 1) & ~uintptr_t(alignment - 1);
      user = reinterpret_cast<char *>(aligned);
      auto *userHeader = reinterpret_cast<BlockHeader *>(user - kHeaderSize);
      if (userHeader != block)
        *userHeader = {
            kLiveMagic, uint32_t(sizeClass), size,
            uint64_t(reinterpret_cast<char *>(userHeader) - reinterpret_cast<char *>(block)),
            nullptr};
    }
    stats.num_allocations += 1;
    stats.bytes_in_use += size;
    if (stats.bytes_in_use > stats.peak_bytes_in_use)
      stats.peak_bytes_in_use = stats.bytes_in_use;
    return user;
  }

  void release(void *ptr) {
    if (!ptr)
      return;
    auto *header = reinterpret_cast<BlockHeader *>(static_cast<char *>(ptr) - kHeaderSize);
    std::lock_guard<std::mutex> lock(mutex);
    if (header->magic != kLiveMagic)
      abortOnBadFree(ptr);
    BlockHeader *block = header;
    if (header->offsetFromBlock != 0) {
      block = reinterpret_cast<BlockHeader *>(reinterpret_cast<char *>(header) -
                                              header->offsetFromBlock);
      header->magic = kFreeMagic;
      if (block->magic != kLiveMagic)
        abortOnBadFree(ptr);
    }
    stats.bytes_in_use -= block->requestedSize;
    block->magic = kFreeMagic;
    block->nextFree = freeLists[block->sizeClass];
    freeLists[block->sizeClass] = block;
  }

  tgc_memory_stats getStats() {
    std::lock_guard<std::mutex> lock(mutex);
    return stats;
  }

  void resetPeak() {
    std::lock_guard<std::mutex> lock(mutex);
    stats.peak_bytes_in_use = stats.bytes_in_use;
  }

private:
  /// A block of `sizeClass`: a cached one, else fresh memory.
  BlockHeader *takeBlock(int sizeClass) {
    if (BlockHeader *cached = freeLists[sizeClass]) {
      freeLists[sizeClass] = cached->nextFree;
      stats.num_cache_hits += 1;
      return cached;
    }
    size_t blockSize = blockSizeOfClass(sizeClass);
    char *memory =
        blockSize <= kMaxChunkBlockSize ? carveFromChunk(blockSize) : mapHugePageAligned(blockSize);
    if (memory && blockSize > kMaxChunkBlockSize)
      stats.bytes_reserved += blockSize;
    return reinterpret_cast<BlockHeader *>(memory);
  }

  /// Bump-allocates from the current chunk. The tail of a chunk too small
  /// for the request is left unused (at most 256 KiB of 2 MiB).
  char *carveFromChunk(size_t blockSize) {
    if (size_t(chunkEnd - chunkCursor) < blockSize) {
      char *chunk = mapHugePageAligned(kChunkSize);
      if (!chunk)
        return nullptr;
      stats.bytes_reserved += kChunkSize;
      chunkCursor = chunk;
      chunkEnd = chunk + kChunkSize;
    }
    char *block = chunkCursor;
    chunkCursor += blockSize;
    return block;
  }

  std::mutex mutex;
  BlockHeader *freeLists[kNumClasses] = {};
  char *chunkCursor = nullptr;
  char *chunkEnd = nullptr;
  tgc_memory_stats stats = {};
};

// Never destroyed: compiled code and static destructors may free blocks
// during exit, after a static allocator object would be gone.
CachingAllocator &allocator() {
  static CachingAllocator *instance = new CachingAllocator;
  return *instance;
}

} // namespace

extern "C" {

void *tgc_alloc(size_t size, size_t alignment) { return allocator().allocate(size, alignment); }

void tgc_free(void *ptr) { allocator().release(ptr); }

void tgc_memory_get_stats(tgc_memory_stats *stats) { *stats = allocator().getStats(); }

void tgc_memory_reset_peak(void) { allocator().resetPeak(); }

void *_mlir_memref_to_llvm_alloc(size_t size) { return tgc_alloc(size, 0); }

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size) {
  return tgc_alloc(size, alignment);
}

void _mlir_memref_to_llvm_free(void *ptr) { tgc_free(ptr); }

void tgc_advise_huge_pages(void *ptr, size_t bytes) {
  // From the page that holds ptr: the advice covers whole pages, and
  // neighbouring globals get it too. Only advice, so failures are ignored.
  uintptr_t begin = uintptr_t(ptr) & ~uintptr_t(sysconf(_SC_PAGESIZE) - 1);
  madvise(reinterpret_cast<void *>(begin), uintptr_t(ptr) + bytes - begin, MADV_HUGEPAGE);
}

} // extern "C"
