//===- ThreadPool.cpp - tgc_parallel_for on persistent workers ------------===//
//
// One job at a time: the caller publishes (body, ctx, n) under a new
// generation number, wakes the workers, takes ranges itself, and returns
// once every worker has checked in for that generation, so that no worker
// can still be reading the job when the next one is published. Workers spin
// briefly before they sleep: a training step issues many short parallel
// loops back to back, and a condition-variable wake-up costs tens of us.
//
//===----------------------------------------------------------------------===//

#include "ThreadPool.h"

#include "tgc/runtime.h"

#include <sched.h>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace tgc {

std::optional<int> parseThreadCount(const char *text) {
  if (!text || *text < '0' || *text > '9')
    return std::nullopt;
  char *end = nullptr;
  long count = std::strtol(text, &end, 10);
  if (*end != '\0' || count < 1 || count > 4096)
    return std::nullopt;
  return int(count);
}

namespace {

int defaultThreadCount() {
  if (std::optional<int> requested = parseThreadCount(std::getenv("TGC_NUM_THREADS")))
    return *requested;
  cpu_set_t cpus;
  if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0)
    return std::max(1, CPU_COUNT(&cpus));
  return std::max(1u, std::thread::hardware_concurrency());
}

/// Tells the core we are spinning (frees issue slots for its SMT sibling).
inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

/// The floating-point control state of this thread (x86: MXCSR, which holds
/// rounding and flush-denormals modes). Jobs carry their caller's, so that a
/// loop computes the same on every thread whatever mode the caller chose.
inline uint32_t getFPControl() {
#if defined(__x86_64__) || defined(__i386__)
  return _mm_getcsr();
#else
  return 0;
#endif
}

inline void setFPControl([[maybe_unused]] uint32_t control) {
#if defined(__x86_64__) || defined(__i386__)
  _mm_setcsr(control);
#endif
}

/// True on pool workers and inside a running job: nested loops run inline.
thread_local bool insideParallelLoop = false;

/// Range `index` of the `numRanges` splits of [0, n), whose sizes differ
/// by at most one.
void runRange(tgc_parallel_body body, void *ctx, int64_t n, int64_t numRanges, int64_t index) {
  int64_t size = n / numRanges, remainder = n % numRanges;
  int64_t begin = index * size + std::min(index, remainder);
  int64_t end = begin + size + (index < remainder ? 1 : 0);
  if (begin < end)
    body(ctx, begin, end);
}

class ThreadPool {
public:
  explicit ThreadPool(int numThreads) : numThreads(numThreads) {
    for (int i = 1; i < numThreads; ++i)
      workers.emplace_back([this] { workerLoop(); });
  }

  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(wakeMutex);
      stopping = true;
    }
    wake.notify_all();
    for (std::thread &worker : workers)
      worker.join();
  }

  int size() const { return numThreads; }

  void parallelFor(int64_t n, tgc_parallel_body body, void *ctx) {
    if (n <= 0)
      return;
    int64_t numRanges = std::min<int64_t>(n, numThreads);
    // Nested loops, loops while another thread's job runs, and one-range
    // loops run here, over the same ranges, so that results do not depend
    // on where they ran.
    std::unique_lock<std::mutex> jobLock(jobMutex, std::defer_lock);
    if (numRanges == 1 || insideParallelLoop || !jobLock.try_lock()) {
      for (int64_t index = 0; index < numRanges; ++index)
        runRange(body, ctx, n, numRanges, index);
      return;
    }
    job = {body, ctx, n, numRanges, getFPControl()};
    nextRange.store(0, std::memory_order_relaxed);
    workersDone.store(0, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(wakeMutex);
      generation.fetch_add(1, std::memory_order_release);
    }
    wake.notify_all();
    insideParallelLoop = true;
    runRanges();
    insideParallelLoop = false;
    while (workersDone.load(std::memory_order_acquire) != int(workers.size()))
      std::this_thread::yield();
  }

private:
  struct Job {
    tgc_parallel_body body;
    void *ctx;
    int64_t n;
    int64_t numRanges;
    uint32_t fpControl;
  };

  void runRanges() {
    for (;;) {
      int64_t index = nextRange.fetch_add(1, std::memory_order_relaxed);
      if (index >= job.numRanges)
        return;
      runRange(job.body, job.ctx, job.n, job.numRanges, index);
    }
  }

  void workerLoop() {
    insideParallelLoop = true;
    uint64_t seen = 0;
    for (;;) {
      if (!waitForJob(seen))
        return;
      seen = generation.load(std::memory_order_acquire);
      setFPControl(job.fpControl);
      runRanges();
      workersDone.fetch_add(1, std::memory_order_release);
    }
  }

  /// Waits until a generation after `seen` is published; false on shutdown.
  bool waitForJob(uint64_t seen) {
    constexpr int kSpinIterations = 2000; // some tens of microseconds
    for (int spin = 0; spin < kSpinIterations; ++spin) {
      if (generation.load(std::memory_order_acquire) != seen)
        return true;
      cpuRelax();
    }
    std::unique_lock<std::mutex> lock(wakeMutex);
    wake.wait(lock, [&] { return stopping || generation.load(std::memory_order_acquire) != seen; });
    return !stopping;
  }

  const int numThreads;
  std::vector<std::thread> workers;
  std::mutex jobMutex; // held by the thread whose job runs on the pool
  Job job = {};
  std::atomic<int64_t> nextRange{0};
  std::atomic<int> workersDone{0};
  std::atomic<uint64_t> generation{0};
  std::mutex wakeMutex;
  std::condition_variable wake;
  bool stopping = false;
};

ThreadPool &pool() {
  static ThreadPool instance(defaultThreadCount());
  return instance;
}

} // namespace
} // namespace tgc

extern "C" {

void tgc_parallel_for(int64_t n, tgc_parallel_body body, void *ctx) {
  tgc::pool().parallelFor(n, body, ctx);
}

int32_t tgc_num_threads(void) { return tgc::pool().size(); }

uint32_t tgc_fp_flush_denormals(void) {
  uint32_t saved = tgc::getFPControl();
#if defined(__x86_64__) || defined(__i386__)
  constexpr uint32_t kFlushToZero = 1u << 15, kDenormalsAreZero = 1u << 6;
  tgc::setFPControl(saved | kFlushToZero | kDenormalsAreZero);
#endif
  return saved;
}

void tgc_fp_restore(uint32_t saved) {
  // The modes only: the exception flags (the low six bits) the work raised
  // stay raised, as they would without the mode change.
  constexpr uint32_t kExceptionFlags = 0x3f;
  tgc::setFPControl((saved & ~kExceptionFlags) | (tgc::getFPControl() & kExceptionFlags));
}

} // extern "C"
