//===- FakeCuda.cpp - a CUDA driver and cuBLAS on the host, for tests -----===//
//
// Enough of libcuda and libcublas for runtime/Cuda.cpp and CudaBlas.cpp to
// run without a GPU (TGC_CUDA_LIBRARY and TGC_CUBLAS_LIBRARY name this
// library in tgc-cuda-fake-tests): "device" memory is host memory that the
// host cannot read at its device address (a second mapping of the same
// pages, PROT_NONE: a host access segfaults, as with a GPU; the fake reads
// and writes through the first one), filled with NaNs so that reading what
// nobody wrote shows (zeros with FAKE_CUDA_ZERO_MEMORY=1, so that a compiled
// model's loss is finite). The first stream's work runs at once, or is
// recorded while that stream is captured into a graph and run by
// cuGraphLaunch. Later streams (the runtime's batch prefetches) defer their
// work until something waits for it: a synchronization of the stream, or of
// an event recorded on it, or another stream's cuStreamWaitEvent; so data
// that nobody waited for is not there yet, as on a GPU. A copy from pageable
// host memory reads it when queued (the driver stages it), one from pinned
// memory (cuMemHostAlloc) when it runs. A synchronization or a wait for an
// event in a captured stream fails as on a GPU; a stream that waits for an
// event of the capture joins it (its work is captured after the earlier
// work), and ending a capture before the capturing stream waited for all
// of a joined stream's work fails (CUDA_ERROR_STREAM_CAPTURE_UNJOINED). Kernels cannot run
// (their module does not load), except the runtime's 3xTF32 operand split
// (CudaSplitTF32.cu) and attention kernels (CudaAttention*.cu,
// FakeCudaAttention.h), run on the host with SimtHost.h (an attention
// launch with less dynamic shared memory than its kernel uses fails), or with
// FAKE_CUDA_SKIP_KERNELS=1 any kernel loads and its launch does nothing, which
// lets a compiled CUDA model's host side run here (values are garbage):
// its cuBLAS arguments, allocations and graphs (a kernel takes a
// millisecond of the events' clock, or FAKE_CUDA_KERNEL_MS; ten times that
// where its name contains FAKE_CUDA_SLOW_KERNELS). Other stream
// work takes a millisecond of it. FAKE_CUDA_STATS=1 prints counts of what
// ran at exit (device-to-device copies among them), and a hash of the bytes
// that reached the first stream's work, in order: those it copied into
// device memory, and those a later stream copied there from the host before
// an event the first stream waited for (a prefetched batch; hashed at the
// first stream's next work, unless that copies from them: then the copy is
// what is hashed). So the data the graphs read as their inputs hashes the
// same whether it was uploaded or prefetched. cuPointerGetAttributes knows
// cuMemAlloc's blocks and pinned memory. The device is an sm_90 of
// FAKE_CUDA_SMS multiprocessors (none unless set). A mutex makes every
// entry point thread-safe. The gemm is the column-major reference
// definition, with cuBLAS's argument checks; cuBLASLt's matmul the same,
// plus its bias, relu and (tanh) gelu epilogues. The fast FP32 compute
// types round the operands as tensor cores do (TF32 truncated to 10
// mantissa bits, bf16 to nearest even) and take an eighth of the time.
//
//===----------------------------------------------------------------------===//

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "SimtHost.h"

#include "CudaSplitTF32.cu"
#include "FakeCudaAttention.h"

namespace {

using Work = std::function<void()>;
using Graph = std::vector<Work>;

constexpr int kSuccess = 0, kInvalidValue = 1, kOutOfMemory = 2, kNotFound = 500,
              kNotSupported = 801, kCaptureUnsupported = 900, kCaptureInvalidated = 901,
              kCaptureUnjoined = 904, kCaptureIsolation = 906;
constexpr size_t kTotalMemory = size_t(4) << 30;

/// The first stream runs its work at once; the others queue it.
struct Stream {
  bool deferred = false;
  std::deque<Work> queued;
  // Joined to the capture by a wait for an event of it: its work is
  // captured too (after the capture's earlier work: one valid order), and
  // the capturing stream must wait for all of it before the capture ends.
  bool joinedCapture = false;
  long capturedWork = 0, rejoinedWork = 0;
  // Later streams: the copies from the host since the last event record
  // that followed such copies, and those of that record.
  std::vector<std::pair<unsigned long long, size_t>> copiesSinceRecord, lastCopies;
};

/// An event is done once the work queued before its latest record has run.
struct Event {
  float time = 0;
  Stream *stream = nullptr; // while its latest record is queued there
  long records = 0;
  bool captured = false; // recorded into a graph
  Stream *recordedOn = nullptr;
  long capturedWork = 0; // of recordedOn when recorded
  // Recorded on a later stream: the copies it follows (Stream::lastCopies),
  // hashed when the first stream waits for it.
  std::vector<std::pair<unsigned long long, size_t>> copies;
};

std::recursive_mutex fakeMutex;
using Lock = std::lock_guard<std::recursive_mutex>;
Stream *capturing = nullptr;
std::vector<Stream *> joinedStreams; // of the capture
Graph captured;
size_t inUse = 0;
std::map<const char *, size_t> pinned;    // cuMemHostAlloc's blocks and sizes
std::map<uintptr_t, size_t> deviceBlocks; // cuMemAlloc's blocks and sizes
int theContext;                           // the primary context's handle points here
std::thread::id initThread;

/// Device memory: kTotalMemory bytes mapped twice, at `device` (no access)
/// and at `view` (read and write). Allocation bumps `inUse`, never freed:
/// enough for the tests.
struct DeviceMemory {
  char *device = nullptr, *view = nullptr;
  DeviceMemory() {
    int file = memfd_create("fake-cuda-memory", 0);
    if (file < 0 || ftruncate(file, kTotalMemory) != 0)
      std::abort();
    device = static_cast<char *>(mmap(nullptr, kTotalMemory, PROT_NONE, MAP_SHARED, file, 0));
    view = static_cast<char *>(
        mmap(nullptr, kTotalMemory, PROT_READ | PROT_WRITE, MAP_SHARED, file, 0));
    if (device == MAP_FAILED || view == MAP_FAILED)
      std::abort();
    close(file);
  }
};

DeviceMemory &memory() {
  static DeviceMemory instance;
  return instance;
}

/// Where the fake reads or writes `address`: its view of device memory, or
/// host memory as it is.
template <typename T> T *access(T *address) {
  auto at = reinterpret_cast<uintptr_t>(address), base = uintptr_t(memory().device);
  if (at >= base && at < base + kTotalMemory)
    return reinterpret_cast<T *>(memory().view + (at - base));
  return address;
}
template <typename T> T *access(unsigned long long address) {
  return access(reinterpret_cast<T *>(address));
}

bool skipKernels() {
  static bool skip = std::getenv("FAKE_CUDA_SKIP_KERNELS") &&
                     std::strcmp(std::getenv("FAKE_CUDA_SKIP_KERNELS"), "1") == 0;
  return skip;
}

struct Stats {
  long kernels = 0, gemms = 0, captures = 0, graphLaunches = 0, allocations = 0;
  long deferredCopies = 0, deferredCopiesFromOtherThreads = 0, crossStreamWaits = 0;
  long largeSharedKernels = 0; // launched with more than 48 KiB of dynamic shared memory
  long deviceToDeviceCopies = 0;
  uint64_t lastLtAlgorithm = 0;
  uint64_t copiedToDeviceHash = 14695981039346656037ull; // FNV-1a
  ~Stats() {
    if (std::getenv("FAKE_CUDA_STATS"))
      std::fprintf(stderr,
                   "fake CUDA: %ld kernels, %ld gemms (eager), %ld captures, %ld graph "
                   "launches, %ld cuMemAlloc, %ld copies on later streams (%ld from threads "
                   "other than cuInit's), %ld waits for another stream's event, last "
                   "cuBLASLt algorithm %llu, first stream's copies to the device %016llx, %ld "
                   "kernels with more than 48 KiB of shared memory, %ld device-to-device "
                   "copies\n",
                   kernels, gemms, captures, graphLaunches, allocations, deferredCopies,
                   deferredCopiesFromOtherThreads, crossStreamWaits,
                   (unsigned long long)lastLtAlgorithm, (unsigned long long)copiedToDeviceHash,
                   largeSharedKernels, deviceToDeviceCopies);
  }
} stats;

float clockMs = 0;

/// Adds bytes that reached the first stream's device work to the hash.
void hashCopied(const char *bytes, size_t size) {
  for (size_t i = 0; i < size; ++i)
    stats.copiedToDeviceHash = (stats.copiedToDeviceHash ^ uint8_t(bytes[i])) * 1099511628211ull;
}

/// Copies from the host on a later stream that the first stream waited for,
/// not yet hashed: at the next work queued, unless the first stream copies
/// from one of them first (then that copy is what its work gets).
std::vector<std::pair<unsigned long long, size_t>> visibleCopies;

void hashVisibleCopies() {
  for (const auto &[target, size] : visibleCopies)
    hashCopied(access<char>(target), size);
  visibleCopies.clear();
}

bool isDevice(const void *address) {
  auto at = reinterpret_cast<uintptr_t>(address), base = uintptr_t(memory().device);
  return at >= base && at < base + kTotalMemory;
}

/// Runs `stream`'s queued work until `event` is done, or all of it.
void runQueued(Stream *stream, Event *event = nullptr) {
  while (!stream->queued.empty() && !(event && !event->stream)) {
    Work work = std::move(stream->queued.front());
    stream->queued.pop_front();
    work();
  }
}

/// Queues `work` on a stream; it takes `milliseconds` of the events' clock.
/// Work but event records may read what copies the first stream waited for
/// wrote.
int enqueue(void *streamHandle, Work work, float milliseconds = 1, bool record = false) {
  if (!record)
    hashVisibleCopies();
  Stream *stream = static_cast<Stream *>(streamHandle);
  Work timed = [work = std::move(work), milliseconds] {
    work();
    clockMs += milliseconds;
  };
  if (stream && (stream == capturing || stream->joinedCapture)) {
    captured.push_back(std::move(timed));
    stream->capturedWork += stream != capturing;
  } else if (stream && stream->deferred)
    stream->queued.push_back(std::move(timed));
  else
    timed();
  return kSuccess;
}

/// Whether work on `stream` goes into the graph being captured.
bool inCapture(void *stream) {
  auto *queue = static_cast<Stream *>(stream);
  return queue && (queue == capturing || queue->joinedCapture);
}

/// A cuBLAS handle: the stream its calls go to (cublasSetStream).
struct BlasHandle {
  void *stream = nullptr;
};

template <typename T> int fill(void *stream, unsigned long long target, T value, size_t count) {
  return enqueue(stream, [=] {
    T *data = access<T>(target);
    for (size_t i = 0; i < count; ++i)
      data[i] = value;
  });
}

} // namespace

extern "C" {

int cuInit(unsigned) {
  Lock lock(fakeMutex);
  initThread = std::this_thread::get_id();
  return kSuccess;
}
int cuDeviceGetCount(int *count) { return *count = 1, kSuccess; }
int cuDeviceGet(int *device, int) { return *device = 0, kSuccess; }
int cuDeviceGetName(char *name, int length, int) {
  std::strncpy(name, "fake CUDA device", length);
  return kSuccess;
}
int cuDeviceGetAttribute(int *value, int attribute, int) {
  const char *sms = std::getenv("FAKE_CUDA_SMS");
  *value = attribute == 75 ? 9 : attribute == 16 && sms ? std::atoi(sms) : 0;
  return kSuccess;
}
int cuDeviceTotalMem_v2(size_t *bytes, int) { return *bytes = kTotalMemory, kSuccess; }
int cuDevicePrimaryCtxRetain(void **context, int) { return *context = &theContext, kSuccess; }
int cuCtxSetCurrent(void *) { return kSuccess; }
int cuStreamCreate(void **stream, unsigned) {
  Lock lock(fakeMutex);
  static int created = 0;
  Stream *made = new Stream;
  made->deferred = created++ > 0;
  *stream = made;
  return kSuccess;
}
int cuStreamSynchronize(void *stream) {
  Lock lock(fakeMutex);
  if (stream == capturing || (stream && static_cast<Stream *>(stream)->joinedCapture))
    return kCaptureUnsupported;
  runQueued(static_cast<Stream *>(stream));
  return kSuccess;
}
int cuStreamWaitEvent(void *stream, void *eventHandle, unsigned) {
  Lock lock(fakeMutex);
  Event *event = static_cast<Event *>(eventHandle);
  Stream *waiting = static_cast<Stream *>(stream);
  stats.crossStreamWaits += event->recordedOn != waiting;
  // A captured stream may only wait for work of its own capture; another
  // stream that waits for such work joins the capture.
  if (waiting == capturing || waiting->joinedCapture) {
    if (!event->captured)
      return kCaptureIsolation;
    if (waiting == capturing && event->recordedOn && event->recordedOn->joinedCapture)
      event->recordedOn->rejoinedWork =
          std::max(event->recordedOn->rejoinedWork, event->capturedWork);
  } else if (event->captured) {
    waiting->joinedCapture = true;
    waiting->capturedWork = waiting->rejoinedWork = 0;
    joinedStreams.push_back(waiting);
    return kSuccess;
  }
  if (event->stream)
    runQueued(event->stream, event);
  // The first stream's work may now read what the copies before the event
  // wrote (a prefetched batch).
  if (!waiting->deferred) {
    visibleCopies.insert(visibleCopies.end(), event->copies.begin(), event->copies.end());
    event->copies.clear();
  }
  return kSuccess;
}

int cuMemAlloc_v2(unsigned long long *pointer, size_t size) {
  Lock lock(fakeMutex);
  size_t rounded = (size + 511) / 512 * 512;
  if (inUse + rounded > kTotalMemory)
    return kOutOfMemory;
  char *block = memory().device + inUse;
  float *floats = access(reinterpret_cast<float *>(block));
  static bool zero = std::getenv("FAKE_CUDA_ZERO_MEMORY") &&
                     std::strcmp(std::getenv("FAKE_CUDA_ZERO_MEMORY"), "1") == 0;
  std::fill(floats, floats + size / sizeof(float),
            zero ? 0.0f : std::numeric_limits<float>::quiet_NaN());
  deviceBlocks[uintptr_t(block)] = rounded;
  inUse += rounded;
  ++stats.allocations;
  *pointer = reinterpret_cast<unsigned long long>(block);
  return kSuccess;
}
int cuMemFree_v2(unsigned long long) { return kSuccess; }
/// A device block's context, type (device), start and size; nothing for
/// other memory (type 1 for pinned host memory).
int cuPointerGetAttributes(unsigned count, int *attributes, void **data,
                           unsigned long long pointer) {
  Lock lock(fakeMutex);
  auto after = deviceBlocks.upper_bound(uintptr_t(pointer));
  bool device =
      after != deviceBlocks.begin() && pointer < std::prev(after)->first + std::prev(after)->second;
  auto pinnedAfter = pinned.upper_bound(reinterpret_cast<const char *>(pointer));
  bool pinnedHost = pinnedAfter != pinned.begin() &&
                    reinterpret_cast<const char *>(pointer) <
                        std::prev(pinnedAfter)->first + std::prev(pinnedAfter)->second;
  for (unsigned i = 0; i < count; ++i) {
    if (attributes[i] == 1)
      *static_cast<void **>(data[i]) = device || pinnedHost ? &theContext : nullptr;
    else if (attributes[i] == 2)
      *static_cast<unsigned *>(data[i]) = device ? 2 : pinnedHost ? 1 : 0;
    else if (attributes[i] == 11)
      *static_cast<unsigned long long *>(data[i]) = device ? std::prev(after)->first : 0;
    else if (attributes[i] == 12)
      *static_cast<size_t *>(data[i]) = device ? std::prev(after)->second : 0;
    else
      return kInvalidValue;
  }
  return kSuccess;
}
int cuMemGetInfo_v2(size_t *free, size_t *total) {
  *free = kTotalMemory - inUse;
  *total = kTotalMemory;
  return kSuccess;
}
int cuMemHostAlloc(void **pointer, size_t size, unsigned) {
  Lock lock(fakeMutex);
  *pointer = std::aligned_alloc(4096, (size + 4095) / 4096 * 4096);
  if (!*pointer)
    return kOutOfMemory;
  pinned[static_cast<const char *>(*pointer)] = size;
  return kSuccess;
}
int cuMemFreeHost(void *pointer) {
  Lock lock(fakeMutex);
  if (!pinned.erase(static_cast<const char *>(pointer)))
    return kInvalidValue;
  std::free(pointer);
  return kSuccess;
}
int cuMemcpyAsync(unsigned long long target, unsigned long long source, size_t size,
                  void *streamHandle) {
  Lock lock(fakeMutex);
  Stream *stream = static_cast<Stream *>(streamHandle);
  const char *from = reinterpret_cast<const char *>(source);
  std::shared_ptr<std::vector<char>> staged;
  auto after = pinned.upper_bound(from); // the block before it may hold `from`
  bool pinnedSource =
      after != pinned.begin() && from < std::prev(after)->first + std::prev(after)->second;
  if (stream && stream->deferred) {
    ++stats.deferredCopies;
    if (std::this_thread::get_id() != initThread)
      ++stats.deferredCopiesFromOtherThreads;
    if (!isDevice(from) && !pinnedSource) { // pageable: read now
      staged = std::make_shared<std::vector<char>>(size);
      std::memcpy(staged->data(), from, size);
    }
  }
  bool hashed = stream && !stream->deferred && isDevice(reinterpret_cast<void *>(target));
  for (const auto &[visible, bytes] : visibleCopies)
    if (hashed && source >= visible && source < visible + bytes) {
      visibleCopies.clear();
      break;
    }
  if (stream && stream->deferred && !inCapture(stream) && !isDevice(from) &&
      isDevice(reinterpret_cast<void *>(target)))
    stream->copiesSinceRecord.emplace_back(target, size);
  stats.deviceToDeviceCopies += isDevice(from) && isDevice(reinterpret_cast<void *>(target));
  return enqueue(stream, [=] {
    const char *bytes = staged ? staged->data() : access<char>(source);
    if (hashed)
      hashCopied(bytes, size);
    std::memmove(access<char>(target), bytes, size);
  });
}
int cuMemsetD32Async(unsigned long long target, unsigned value, size_t count, void *stream) {
  Lock lock(fakeMutex);
  return fill<uint32_t>(stream, target, value, count);
}
int cuMemsetD16Async(unsigned long long target, unsigned short value, size_t count, void *stream) {
  Lock lock(fakeMutex);
  return fill<uint16_t>(stream, target, value, count);
}
} // extern "C"

namespace {

/// A kernel the fake runs on the host: the work of a launch of `grid`
/// blocks of `threads` threads with `sharedBytes` of dynamic shared memory,
/// its parameters copied at the launch and their device addresses
/// translated; no work (a launch error) where the kernel cannot take the
/// launch.
using HostKernel =
    std::function<Work(dim3 grid, unsigned threads, unsigned sharedBytes, void **params)>;

template <void (*kernel)(SplitTF32Params)>
Work splitTF32(dim3 grid, unsigned threads, unsigned sharedBytes, void **params) {
  if (sharedBytes != 0)
    return nullptr; // the split kernels take none
  SplitTF32Params copy = *static_cast<const SplitTF32Params *>(params[0]);
  copy.source = access(copy.source);
  copy.target = access(copy.target);
  return [=] { simt::launch(grid, threads, nullptr, 0, kernel, copy); };
}

/// An attention kernel on `shared`, its file's shared memory array. A
/// launch with less dynamic shared memory than the kernel uses is an error
/// (a GPU would fault on the accesses past its end).
Work attention(const FakeAttentionKernel &kernel, float4 *shared, dim3 grid, unsigned threads,
               unsigned sharedBytes, void **params) {
  if (sharedBytes < kernel.sharedBytes)
    return nullptr;
  AttentionParams copy = *static_cast<const AttentionParams *>(params[0]);
  for (AttentionView *view :
       {&copy.q, &copy.k, &copy.v, &copy.out, &copy.dout, &copy.dq, &copy.dk, &copy.dv})
    view->data = access(view->data);
  copy.lse.data = access(copy.lse.data);
  copy.delta.data = access(copy.delta.data);
  // The kernel's own bytes of `shared`, which holds the largest of its file's.
  return [=, run = kernel.kernel, bytes = kernel.sharedBytes] {
    simt::launch(grid, threads, shared, bytes, run, copy);
  };
}

/// The runtime's kernels that run here, by name.
const std::map<std::string, HostKernel> &hostKernels() {
  static const std::map<std::string, HostKernel> kernels = [] {
    std::map<std::string, HostKernel> kernels = {
        {kSplitTF32Kernel, &splitTF32<tgc_split_tf32x3>},
        {kSplitTF32Kernel4, &splitTF32<tgc_split_tf32x3_vec4>},
    };
    for (const FakeAttentionKernels *file :
         {&fakeAttentionBF16, &fakeAttentionF32, &fakeAttentionTF32})
      for (int i = 0; i < file->count; ++i) {
        const FakeAttentionKernel &kernel = file->kernels[i];
        float4 *shared = file->shared;
        kernels[kernel.name] = [&kernel, shared](dim3 grid, unsigned threads, unsigned sharedBytes,
                                                 void **params) {
          return attention(kernel, shared, grid, threads, sharedBytes, params);
        };
      }
    return kernels;
  }();
  return kernels;
}
int hostModule;

} // namespace

extern "C" {

int cuModuleLoadDataEx(void **module, const void *image, unsigned, int *, void **) {
  static int theModule;
  if (skipKernels())
    return *module = &theModule, kSuccess;
  // The PTX of the runtime's kernels that run here (its text defines them).
  for (const auto &[name, kernel] : hostKernels())
    if (std::strstr(static_cast<const char *>(image), name.c_str()))
      return *module = &hostModule, kSuccess;
  return kNotSupported;
}
/// A kernel's dynamic shared memory limit: 48 KiB unless raised, as on a
/// GPU; what runs it on the host, if the fake can.
struct Function {
  int maxDynamicShared = 48 * 1024;
  HostKernel host;
  bool slow = false; // its name contains FAKE_CUDA_SLOW_KERNELS
};

int cuModuleGetFunction(void **function, void *module, const char *name) {
  Lock lock(fakeMutex);
  static std::map<std::string, Function> functions;
  if (module == &hostModule) {
    auto kernel = hostKernels().find(name);
    if (kernel == hostKernels().end())
      return kNotFound;
    functions[name].host = kernel->second;
  } else if (!skipKernels()) {
    return kNotSupported;
  }
  const char *slow = std::getenv("FAKE_CUDA_SLOW_KERNELS");
  functions[name].slow = slow && *slow && std::strstr(name, slow);
  *function = &functions[name];
  return kSuccess;
}
int cuFuncSetAttribute(void *function, int attribute, int value) {
  constexpr int kMaxDynamicSharedSizeBytes = 8, kSharedPerBlock = 227 * 1024; // an H100's
  if (!skipKernels() && !static_cast<Function *>(function)->host)
    return kNotSupported;
  if (attribute != kMaxDynamicSharedSizeBytes || value < 0 || value > kSharedPerBlock)
    return kInvalidValue;
  Lock lock(fakeMutex);
  static_cast<Function *>(function)->maxDynamicShared = value;
  return kSuccess;
}
int cuLaunchKernel(void *function, unsigned gridX, unsigned gridY, unsigned gridZ,
                   unsigned threadsX, unsigned threadsY, unsigned threadsZ, unsigned sharedBytes,
                   void *stream, void **params, void **) {
  Lock lock(fakeMutex);
  const Function &kernel = *static_cast<Function *>(function);
  if (!skipKernels() && !kernel.host)
    return kNotSupported;
  if (int(sharedBytes) > kernel.maxDynamicShared || !gridX || !gridY || !gridZ || !threadsX ||
      !threadsY || !threadsZ)
    return kInvalidValue;
  Work run = [] {};
  if (kernel.host) {
    if (threadsY != 1 || threadsZ != 1)
      return kInvalidValue; // the host kernels take none
    run = kernel.host(dim3{gridX, gridY, gridZ}, threadsX, sharedBytes, params);
    if (!run)
      return kInvalidValue;
  }
  bool large = sharedBytes > 48 * 1024;
  static const float milliseconds = std::getenv("FAKE_CUDA_KERNEL_MS")
                                        ? std::strtof(std::getenv("FAKE_CUDA_KERNEL_MS"), nullptr)
                                        : 1.0f;
  return enqueue(
      stream,
      [large, run] {
        ++stats.kernels;
        stats.largeSharedKernels += large;
        run();
      },
      kernel.slow ? 10 * milliseconds : milliseconds);
}
int cuGetErrorName(int result, const char **name) {
  *name = result == kCaptureUnsupported ? "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"
          : result == kCaptureIsolation ? "CUDA_ERROR_STREAM_CAPTURE_ISOLATION"
          : result == kCaptureUnjoined  ? "CUDA_ERROR_STREAM_CAPTURE_UNJOINED"
          : result == kOutOfMemory      ? "CUDA_ERROR_OUT_OF_MEMORY"
          : result == kInvalidValue     ? "CUDA_ERROR_INVALID_VALUE"
                                        : "CUDA_ERROR_FAKE";
  return kSuccess;
}

int cuStreamBeginCapture_v2(void *stream, int) {
  Lock lock(fakeMutex);
  if (capturing)
    return kCaptureInvalidated;
  capturing = static_cast<Stream *>(stream);
  captured.clear();
  ++stats.captures;
  return kSuccess;
}
int cuStreamEndCapture(void *stream, void **graph) {
  Lock lock(fakeMutex);
  if (!capturing || stream != capturing)
    return kCaptureInvalidated;
  bool unjoined = false;
  for (Stream *joined : joinedStreams) {
    unjoined |= joined->capturedWork > joined->rejoinedWork;
    joined->joinedCapture = false;
  }
  joinedStreams.clear();
  capturing = nullptr;
  if (unjoined)
    return kCaptureUnjoined;
  *graph = new Graph(std::move(captured));
  return kSuccess;
}
int cuGraphInstantiateWithFlags(void **exec, void *graph, unsigned long long) {
  *exec = new Graph(*static_cast<Graph *>(graph));
  return kSuccess;
}
int cuGraphLaunch(void *exec, void *stream) {
  Lock lock(fakeMutex);
  if (stream == capturing)
    return kCaptureUnsupported;
  ++stats.graphLaunches;
  return enqueue(
      stream,
      [exec] {
        for (const Work &work : *static_cast<Graph *>(exec))
          work();
      },
      /*milliseconds=*/0);
}
int cuGraphDestroy(void *graph) {
  delete static_cast<Graph *>(graph);
  return kSuccess;
}
int cuGraphExecDestroy(void *exec) {
  delete static_cast<Graph *>(exec);
  return kSuccess;
}

int cuEventCreate(void **event, unsigned) {
  Lock lock(fakeMutex);
  *event = new Event;
  return kSuccess;
}
int cuEventRecord(void *eventHandle, void *streamHandle) {
  Lock lock(fakeMutex);
  Event *event = static_cast<Event *>(eventHandle);
  Stream *stream = static_cast<Stream *>(streamHandle);
  event->captured = stream && (stream == capturing || stream->joinedCapture);
  event->stream = stream && stream->deferred && !event->captured ? stream : nullptr;
  event->recordedOn = stream;
  event->copies.clear();
  if (event->stream) {
    if (!stream->copiesSinceRecord.empty())
      stream->lastCopies = std::move(stream->copiesSinceRecord);
    stream->copiesSinceRecord.clear();
    event->copies = stream->lastCopies;
  }
  long record = ++event->records;
  enqueue(
      stream,
      [event, record] {
        event->time = clockMs;
        if (event->records == record)
          event->stream = nullptr;
      },
      /*milliseconds=*/0, /*record=*/true);
  event->capturedWork = stream ? stream->capturedWork : 0; // this record's included
  return kSuccess;
}
int cuEventSynchronize(void *eventHandle) {
  Lock lock(fakeMutex);
  Event *event = static_cast<Event *>(eventHandle);
  if (event->captured)
    return kCaptureUnsupported;
  if (event->stream)
    runQueued(event->stream, event);
  return kSuccess;
}
int cuEventElapsedTime_v2(float *milliseconds, void *start, void *end) {
  Lock lock(fakeMutex);
  *milliseconds = static_cast<Event *>(end)->time - static_cast<Event *>(start)->time;
  return kSuccess;
}

} // extern "C"

//===----------------------------------------------------------------------===//
// cuBLAS
//===----------------------------------------------------------------------===//

namespace {

constexpr int kBlasSuccess = 0, kBlasInvalidValue = 7;
/// cudaDataType_t: FP32 and bf16.
constexpr int kR32F = 0, kR16BF = 14;

/// bf16 (its bits) widened to float: exact.
float widen(uint16_t bits) {
  uint32_t word = uint32_t(bits) << 16;
  float value;
  std::memcpy(&value, &word, sizeof(value));
  return value;
}
template <typename T> T widen(T value) { return value; }

/// A float rounded to bf16's bits, to nearest even (NaNs stay quiet NaNs).
uint16_t roundToBF16(float value) {
  uint32_t word;
  std::memcpy(&word, &value, sizeof(word));
  if ((word & 0x7fffffffu) > 0x7f800000u)
    return uint16_t((word >> 16) | 0x40);
  word += 0x7fffu + ((word >> 16) & 1);
  return uint16_t(word >> 16);
}

/// cublasComputeType_t: FP32, and FP32 on tensor cores from operands
/// rounded to bf16 or TF32.
constexpr int kCompute32F = 68, kCompute32FFast16BF = 75, kCompute32FFastTF32 = 77;

/// An FP32 operand as a tensor core of `compute` reads it: rounded to bf16,
/// or TF32's 10 mantissa bits kept (the others dropped).
float asComputed(float value, int compute) {
  if (compute == kCompute32FFast16BF)
    return widen(roundToBF16(value));
  return compute == kCompute32FFastTF32 ? simt::asTF32Operand(value) : value;
}
template <typename T> T asComputed(T value, int) { return value; }

/// The share of a GEMM's time its compute type takes: tensor cores' an
/// eighth of FP32's.
float computeTime(int compute) { return compute == kCompute32F ? 1.0f : 0.125f; }

/// An accumulated T stored as Out: itself, or rounded to bf16 once.
template <typename T> T narrow(T value, T *) { return value; }
inline uint16_t narrow(float value, uint16_t *) { return roundToBF16(value); }

/// C = alpha A B + beta C, column-major, products accumulated in T; A and
/// B of type In (T, or bf16's bits; read asComputed), C of type Out (T, or
/// bf16's bits: the accumulation rounded once).
template <typename T, typename In = T, typename Out = T>
int gemm(void *handle, int transA, int transB, int m, int n, int k, const T *alpha, const In *a,
         int lda, long long strideA, const In *b, int ldb, long long strideB, const T *beta, Out *c,
         int ldc, long long strideC, int batch, int compute = kCompute32F) {
  Lock lock(fakeMutex);
  auto atLeast = [](int rows) { return rows > 1 ? rows : 1; };
  if (m < 0 || n < 0 || k < 0 || batch < 0 || lda < atLeast(transA ? k : m) ||
      ldb < atLeast(transB ? n : k) || ldc < atLeast(m))
    return kBlasInvalidValue;
  T alphaValue = *alpha, betaValue = *beta;
  void *stream = static_cast<BlasHandle *>(handle)->stream;
  if (!inCapture(stream))
    ++stats.gemms;
  enqueue(
      stream,
      [=, a = access(a), b = access(b), c = access(c)] {
        for (int p = 0; p < batch; ++p)
          for (int j = 0; j < n; ++j)
            for (int i = 0; i < m; ++i) {
              T sum = 0;
              for (int l = 0; l < k; ++l) {
                T x = asComputed(
                    widen(transA ? a[p * strideA + l + i * lda] : a[p * strideA + i + l * lda]),
                    compute);
                T y = asComputed(
                    widen(transB ? b[p * strideB + j + l * ldb] : b[p * strideB + l + j * ldb]),
                    compute);
                sum += x * y;
              }
              Out &out = c[p * strideC + i + j * ldc];
              out =
                  narrow(alphaValue * sum + (betaValue == 0 ? T(0) : betaValue * widen(out)), &out);
            }
      },
      computeTime(compute));
  return kBlasSuccess;
}

template <typename T> int copy(void *handle, int n, const T *x, int incx, T *y, int incy) {
  Lock lock(fakeMutex);
  return enqueue(static_cast<BlasHandle *>(handle)->stream, [=, x = access(x), y = access(y)] {
    for (int i = 0; i < n; ++i)
      y[i * incy] = x[i * incx];
  });
}
} // namespace

extern "C" {

int cublasCreate_v2(void **handle) {
  *handle = new BlasHandle;
  return kBlasSuccess;
}
int cublasSetStream_v2(void *handle, void *stream) {
  Lock lock(fakeMutex);
  static_cast<BlasHandle *>(handle)->stream = stream;
  return kBlasSuccess;
}
int cublasSetWorkspace_v2(void *, void *, size_t) { return kBlasSuccess; }
const char *cublasGetStatusName(int status) {
  return status == kBlasInvalidValue ? "CUBLAS_STATUS_INVALID_VALUE" : "CUBLAS_STATUS_FAKE";
}

int cublasSgemmStridedBatched(void *handle, int transA, int transB, int m, int n, int k,
                              const float *alpha, const float *a, int lda, long long strideA,
                              const float *b, int ldb, long long strideB, const float *beta,
                              float *c, int ldc, long long strideC, int batch) {
  return gemm(handle, transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c,
              ldc, strideC, batch);
}
int cublasDgemmStridedBatched(void *handle, int transA, int transB, int m, int n, int k,
                              const double *alpha, const double *a, int lda, long long strideA,
                              const double *b, int ldb, long long strideB, const double *beta,
                              double *c, int ldc, long long strideC, int batch) {
  return gemm(handle, transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c,
              ldc, strideC, batch);
}

// FP32 results from FP32 operands (any FP32 compute type) or from bf16
// operands, and bf16 results from bf16 operands (CUBLAS_COMPUTE_32F only,
// as cuBLAS).
int cublasGemmStridedBatchedEx(void *handle, int transA, int transB, int m, int n, int k,
                               const void *alpha, const void *a, int aType, int lda,
                               long long strideA, const void *b, int bType, int ldb,
                               long long strideB, const void *beta, void *c, int cType, int ldc,
                               long long strideC, int batch, int compute, int) {
  if (aType == kR16BF && bType == kR16BF && cType == kR32F && compute == kCompute32F)
    return gemm(handle, transA, transB, m, n, k, static_cast<const float *>(alpha),
                static_cast<const uint16_t *>(a), lda, strideA, static_cast<const uint16_t *>(b),
                ldb, strideB, static_cast<const float *>(beta), static_cast<float *>(c), ldc,
                strideC, batch);
  if (aType == kR16BF && bType == kR16BF && cType == kR16BF && compute == kCompute32F)
    return gemm(handle, transA, transB, m, n, k, static_cast<const float *>(alpha),
                static_cast<const uint16_t *>(a), lda, strideA, static_cast<const uint16_t *>(b),
                ldb, strideB, static_cast<const float *>(beta), static_cast<uint16_t *>(c), ldc,
                strideC, batch);
  if (aType != kR32F || bType != kR32F || cType != kR32F ||
      (compute != kCompute32F && compute != kCompute32FFast16BF && compute != kCompute32FFastTF32))
    return kBlasInvalidValue;
  return gemm(handle, transA, transB, m, n, k, static_cast<const float *>(alpha),
              static_cast<const float *>(a), lda, strideA, static_cast<const float *>(b), ldb,
              strideB, static_cast<const float *>(beta), static_cast<float *>(c), ldc, strideC,
              batch, compute);
}

int cublasScopy_v2(void *handle, int n, const float *x, int incx, float *y, int incy) {
  return copy(handle, n, x, incx, y, incy);
}
int cublasDcopy_v2(void *handle, int n, const double *x, int incx, double *y, int incy) {
  return copy(handle, n, x, incx, y, incy);
}

} // extern "C"

//===----------------------------------------------------------------------===//
// cuBLASLt: FP32 matmuls with the bias, relu and gelu epilogues
//===----------------------------------------------------------------------===//

namespace {

constexpr int kLtNotSupported = 15;
constexpr int kEpilogueDefault = 1, kEpilogueBias = 4, kEpilogueReluBias = 6,
              kEpilogueGeluBias = 36;

struct LtDesc {
  int compute, transA = 0, transB = 0, epilogue = kEpilogueDefault;
  const void *bias = nullptr; // of the matrices' type
};
struct LtLayout {
  int type;
  uint64_t rows, cols;
  int64_t ld, batchStride = 0;
  int batch = 1;
};
struct LtPreference {
  uint64_t workspace = 0;
};
struct LtHeuristicResult {
  uint64_t algo[8];
  size_t workspaceSize;
  int state;
  float wavesCount;
  int reserved[4];
};

template <typename T> int setAttribute(T &field, const void *value, size_t size) {
  if (size != sizeof(T))
    return kBlasInvalidValue;
  std::memcpy(&field, value, size);
  return kBlasSuccess;
}

/// cuBLASLt's checks of a call: FP32 or bf16 layouts (all the same), shapes
/// that agree, a bias where the epilogue adds one. m, n, k of the product on
/// success.
int checkLt(const LtDesc &desc, const LtLayout &a, const LtLayout &b, const LtLayout &d, int &m,
            int &n, int &k) {
  m = int(desc.transA ? a.cols : a.rows);
  k = int(desc.transA ? a.rows : a.cols);
  n = int(desc.transB ? b.rows : b.cols);
  int kb = int(desc.transB ? b.cols : b.rows);
  bool withBias = desc.epilogue == kEpilogueBias || desc.epilogue == kEpilogueReluBias ||
                  desc.epilogue == kEpilogueGeluBias;
  bool sameType = a.type == b.type && b.type == d.type && (d.type == kR32F || d.type == kR16BF);
  if (!sameType || k != kb || uint64_t(m) != d.rows || uint64_t(n) != d.cols ||
      a.batch != d.batch || b.batch != d.batch || a.ld < int64_t(std::max<uint64_t>(a.rows, 1)) ||
      b.ld < int64_t(std::max<uint64_t>(b.rows, 1)) ||
      d.ld < int64_t(std::max<uint64_t>(d.rows, 1)))
    return kBlasInvalidValue;
  if (desc.epilogue != kEpilogueDefault && !withBias)
    return kLtNotSupported;
  if (withBias && !desc.bias)
    return kBlasInvalidValue;
  return kBlasSuccess;
}

} // namespace

extern "C" {

int cublasLtCreate(void **handle) {
  static int theHandle;
  return *handle = &theHandle, kBlasSuccess;
}
const char *cublasLtGetStatusName(int status) { return cublasGetStatusName(status); }

int cublasLtMatmulDescCreate(LtDesc **desc, int compute, int scaleType) {
  if (scaleType != 0)
    return kBlasInvalidValue;
  *desc = new LtDesc{compute};
  return kBlasSuccess;
}
int cublasLtMatmulDescSetAttribute(LtDesc *desc, int attribute, const void *value, size_t size) {
  switch (attribute) {
  case 3: // CUBLASLT_MATMUL_DESC_TRANSA
    return setAttribute(desc->transA, value, size);
  case 4: // CUBLASLT_MATMUL_DESC_TRANSB
    return setAttribute(desc->transB, value, size);
  case 7: // CUBLASLT_MATMUL_DESC_EPILOGUE
    return setAttribute(desc->epilogue, value, size);
  case 8: // CUBLASLT_MATMUL_DESC_BIAS_POINTER
    return setAttribute(desc->bias, value, size);
  }
  return kBlasInvalidValue;
}

int cublasLtMatrixLayoutCreate(LtLayout **layout, int type, uint64_t rows, uint64_t cols,
                               int64_t ld) {
  *layout = new LtLayout{type, rows, cols, ld};
  return kBlasSuccess;
}
int cublasLtMatrixLayoutSetAttribute(LtLayout *layout, int attribute, const void *value,
                                     size_t size) {
  if (attribute == 5) // CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT
    return setAttribute(layout->batch, value, size);
  if (attribute == 6) // CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET
    return setAttribute(layout->batchStride, value, size);
  return kBlasInvalidValue;
}

int cublasLtMatmulPreferenceCreate(LtPreference **preference) {
  *preference = new LtPreference;
  return kBlasSuccess;
}
int cublasLtMatmulPreferenceSetAttribute(LtPreference *preference, int attribute, const void *value,
                                         size_t size) {
  if (attribute == 1) // CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES
    return setAttribute(preference->workspace, value, size);
  uint32_t alignment;
  if (attribute >= 5 && attribute <= 8) // CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_[ABCD]_BYTES
    return setAttribute(alignment, value, size);
  return kBlasInvalidValue;
}

int cublasLtMatmulAlgoGetHeuristic(void *, LtDesc *desc, LtLayout *a, LtLayout *b, LtLayout *c,
                                   LtLayout *d, LtPreference *, int requested,
                                   LtHeuristicResult *results, int *count) {
  int m, n, k;
  if (requested < 1 || c != d)
    return kBlasInvalidValue;
  if (int status = checkLt(*desc, *a, *b, *d, m, n, k))
    return status;
  // Up to three algorithms (they compute the same), so that tuning has a
  // choice to time: the second is the fastest (cublasLtMatmul).
  *count = std::min(requested, 3);
  for (int i = 0; i < *count; ++i) {
    results[i] = {};
    results[i].algo[0] = uint64_t(i);
  }
  return kBlasSuccess;
}

// D = epilogue(alpha op(A) op(B) + beta C), C being D; the bias adds bias[i]
// to row i of D, gelu is the tanh approximation. bf16 matrices and bias
// (their bits) accumulate in float, and D is rounded once.
int cublasLtMatmul(void *, LtDesc *desc, const float *alpha, const void *a, LtLayout *aLayout,
                   const void *b, LtLayout *bLayout, const float *beta, const void *c,
                   LtLayout *cLayout, void *d, LtLayout *dLayout, const void *algo, void *, size_t,
                   void *stream) {
  Lock lock(fakeMutex);
  int m, n, k;
  if (!algo || c != d || cLayout != dLayout)
    return kBlasInvalidValue;
  if (int status = checkLt(*desc, *aLayout, *bLayout, *dLayout, m, n, k))
    return status;
  if (!inCapture(stream))
    ++stats.gemms;
  LtDesc op = *desc;
  LtLayout la = *aLayout, lb = *bLayout, ld = *dLayout;
  float alphaValue = *alpha, betaValue = *beta;
  bool bf16 = ld.type == kR16BF;
  // Element i of a matrix or bias of the call's type, widened.
  auto load = [bf16](const void *base, int64_t i) {
    return bf16 ? widen(static_cast<const uint16_t *>(base)[i])
                : static_cast<const float *>(base)[i];
  };
  const void *bias = op.bias ? access(op.bias) : nullptr;
  uint64_t algorithm = static_cast<const uint64_t *>(algo)[0];
  return enqueue(
      stream,
      [=, a = access(a), b = access(b), d = access(d)] {
        stats.lastLtAlgorithm = algorithm;
        for (int p = 0; p < ld.batch; ++p)
          for (int j = 0; j < n; ++j)
            for (int i = 0; i < m; ++i) {
              float sum = 0;
              for (int l = 0; l < k; ++l) {
                float x = asComputed(op.transA ? load(a, p * la.batchStride + l + i * la.ld)
                                               : load(a, p * la.batchStride + i + l * la.ld),
                                     op.compute);
                float y = asComputed(op.transB ? load(b, p * lb.batchStride + j + l * lb.ld)
                                               : load(b, p * lb.batchStride + l + j * lb.ld),
                                     op.compute);
                sum += x * y;
              }
              int64_t at = p * ld.batchStride + i + j * ld.ld;
              float value = alphaValue * sum + (betaValue == 0 ? 0.0f : betaValue * load(d, at));
              if (bias)
                value += load(bias, i);
              if (op.epilogue == kEpilogueReluBias)
                value = std::max(value, 0.0f);
              else if (op.epilogue == kEpilogueGeluBias)
                value =
                    0.5f * value *
                    (1 + std::tanh(0.7978845608f * (value + 0.044715f * value * value * value)));
              if (bf16)
                static_cast<uint16_t *>(d)[at] = roundToBF16(value);
              else
                static_cast<float *>(d)[at] = value;
            }
      },
      (algorithm == 1 ? 0.5f : 1.0f) * computeTime(op.compute));
}

} // extern "C"
