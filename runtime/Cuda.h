//===- Cuda.h - the CUDA layer's internals for other runtime files -*- C++ -*-===//
//
// What CudaBlas.cpp and CudaAttention.cpp need of Cuda.cpp: the one stream,
// the arena and kernel launches. Each throws a RuntimeError when there is no
// device.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_RUNTIME_CUDA_H
#define TGC_RUNTIME_CUDA_H

#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace tgc::cuda {

/// The runtime's stream (a CUstream), with its context current on this thread.
void *stream();

/// Device memory from the arena (see tgc_cuda_alloc), freed with release.
void *allocate(size_t size);
void release(void *pointer);

/// The device's SMs (multiprocessors).
int multiprocessors();

/// How FP32 products run (TGC_CUDA_MATMUL, read once): exact FP32 (fp32, the
/// default); on tensor cores from operands rounded to TF32 (tf32) or bf16
/// (bf16); or split for 3xTF32 (3xtf32: three TF32 products per product,
/// FP32's accuracy). Throws on any other value.
enum class Fp32Products { Exact, TF32, BF16, Split3xTF32 };
Fp32Products fp32Products();

/// TGC_CUDA_GEMM_TUNING=1 (read once): where products have several ways to
/// run, each shape takes the fastest, timed at its first eager call.
bool gemmTuning();

/// Launches `kernel` of the PTX or cubin `image` (static: its module is
/// loaded at the first launch and kept) on the stream, with `sharedBytes` of
/// dynamic shared memory (beyond 48 KiB the kernel's limit is raised first).
void launch(const void *image, const char *kernel, const unsigned grid[3], const unsigned block[3],
            void **params, unsigned sharedBytes = 0);

/// Runs `body`, device work queued on the stream; with TGC_CUDA_PROFILE=1
/// its device time is counted under `name`.
void profiled(const std::string &name, const std::function<void()> &body);

/// The device time of one run of `body` (work queued on the current stream),
/// in microseconds: the mean of `runs` runs captured into a CUDA graph,
/// after one untimed eager run, waited for; not profiled. Nullopt while a
/// graph is being captured (nothing would run).
std::optional<float> timeMicroseconds(const std::function<void()> &body, int runs);

/// Under TGC_CUDA_GEMM_TUNING=1, a choice between two ways of running the
/// same work, made by timing both at the first eager call of each `Key` and
/// kept.
template <typename Key> class TimedChoice {
public:
  /// The choice made for `key`, if any: whether the candidate was faster.
  std::optional<bool> known(const Key &key) {
    std::lock_guard<std::mutex> lock(mutex);
    auto choice = faster.find(key);
    return choice == faster.end() ? std::nullopt : std::optional<bool>(choice->second);
  }

  /// Whether `candidate()` runs faster than `baseline()` for `key`: known,
  /// or both timed now (timeMicroseconds, 10 runs). A candidate that
  /// returns false cannot run this work: never chosen. Nullopt inside a
  /// capture (nothing ran: a later eager call decides).
  template <typename Candidate, typename Baseline>
  std::optional<bool> candidateFaster(const Key &key, const Candidate &candidate,
                                      const Baseline &baseline) {
    if (std::optional<bool> choice = known(key))
      return choice;
    bool runs = true;
    std::optional<float> candidateTime = timeMicroseconds([&] { runs = candidate() && runs; }, 10);
    std::optional<float> baselineTime = timeMicroseconds(baseline, 10);
    if (runs && (!candidateTime || !baselineTime))
      return std::nullopt;
    std::lock_guard<std::mutex> lock(mutex);
    return faster[key] = runs && *candidateTime < *baselineTime;
  }

private:
  std::mutex mutex;
  std::map<Key, bool> faster;
};

} // namespace tgc::cuda

#endif // TGC_RUNTIME_CUDA_H
