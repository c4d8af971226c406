//===- Cuda.cpp - the device side of CUDA models --------------------------===//
//
// What `tgc --target=cuda` binaries run on: the CUDA driver API, loaded with
// dlopen at first use (no link-time dependency, so CPU binaries and tools
// never need libcuda), one device, its primary context and one stream.
//
// Compiled code reaches it through the mgpu* functions that MLIR's
// gpu-to-llvm lowering calls (the interface of MLIR's
// CudaRuntimeWrappers.cpp, which Debian does not ship), plus
// tgc_cuda_global for the device copies of globals. Those cannot return an
// error, so a failure there prints one line and exits with status 1.
//
// Everything goes to one in-order stream, and host code never dereferences
// device memory: only tgc_cuda_copy_to_host reads it, after waiting. So the
// stream waits that gpu-async-region puts before host operations are no-ops,
// a freed block may serve the next allocation at once (work that uses it
// is queued after the work that used it before), and the host runs ahead of
// the device until the step's loss is read. The one exception is the batch
// prefetch: its copies run on a second stream, into staging buffers of their
// own, ordered against the first stream by events, so that the next batch
// travels while the step computes.
//
// Compiled entry points run through tgc_cuda_run, which captures their
// device work in a CUDA graph and replays it: a step is then one launch for
// the host, not a hundred. The blocks a graph works in belong to it (the
// arena never serves them to anyone else), so its addresses stay valid.
//
//===----------------------------------------------------------------------===//

#include "Cuda.h"
#include "Error.h"

#include <dlfcn.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace tgc {
namespace {

//===----------------------------------------------------------------------===//
// The driver API: the few types, constants and entry points used here.
//===----------------------------------------------------------------------===//

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUgraph = struct CUgraph_st *;
using CUgraphExec = struct CUgraphExec_st *;
using CUevent = struct CUevent_st *;

constexpr CUresult CUDA_SUCCESS = 0;
constexpr CUresult CUDA_ERROR_OUT_OF_MEMORY = 2;
constexpr CUresult CUDA_ERROR_NO_DEVICE = 100;
constexpr CUresult CUDA_ERROR_NO_BINARY_FOR_GPU = 209;
constexpr int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
constexpr unsigned CU_STREAM_NON_BLOCKING = 1;
constexpr unsigned CU_EVENT_DISABLE_TIMING = 2;
constexpr int CU_JIT_ERROR_LOG_BUFFER = 5;
constexpr int CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
constexpr int CU_POINTER_ATTRIBUTE_CONTEXT = 1;
constexpr int CU_POINTER_ATTRIBUTE_MEMORY_TYPE = 2;
constexpr int CU_POINTER_ATTRIBUTE_RANGE_START_ADDR = 11;
constexpr int CU_POINTER_ATTRIBUTE_RANGE_SIZE = 12;
constexpr unsigned CU_MEMORYTYPE_DEVICE = 2;
// Allocation (cuMemAlloc, when the arena has no block) may happen during a
// capture: only the relaxed mode allows it.
constexpr int CU_STREAM_CAPTURE_MODE_RELAXED = 2;

struct DriverApi {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*cuDeviceTotalMem)(size_t *, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuStreamWaitEvent)(CUstream, CUevent, unsigned);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemGetInfo)(size_t *, size_t *);
  CUresult (*cuMemHostAlloc)(void **, size_t, unsigned);
  CUresult (*cuMemFreeHost)(void *);
  CUresult (*cuPointerGetAttributes)(unsigned, int *, void **, CUdeviceptr);
  CUresult (*cuMemcpyAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
  CUresult (*cuMemsetD32Async)(CUdeviceptr, unsigned, size_t, CUstream);
  CUresult (*cuMemsetD16Async)(CUdeviceptr, unsigned short, size_t, CUstream);
  CUresult (*cuModuleLoadDataEx)(CUmodule *, const void *, unsigned, int *, void **);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuFuncSetAttribute)(CUfunction, int, int);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                             unsigned, CUstream, void **, void **);
  CUresult (*cuGetErrorName)(CUresult, const char **);
  CUresult (*cuStreamBeginCapture)(CUstream, int);
  CUresult (*cuStreamEndCapture)(CUstream, CUgraph *);
  CUresult (*cuGraphInstantiateWithFlags)(CUgraphExec *, CUgraph, unsigned long long);
  CUresult (*cuGraphLaunch)(CUgraphExec, CUstream);
  CUresult (*cuGraphDestroy)(CUgraph);
  CUresult (*cuGraphExecDestroy)(CUgraphExec);
  CUresult (*cuEventCreate)(CUevent *, unsigned);
  CUresult (*cuEventRecord)(CUevent, CUstream);
  CUresult (*cuEventSynchronize)(CUevent);
  CUresult (*cuEventElapsedTime)(float *, CUevent, CUevent);
};

/// Loads the driver library and every entry point; false with a message
/// when either is missing.
bool loadDriver(DriverApi &api, std::string &error) {
  const char *library = std::getenv("TGC_CUDA_LIBRARY");
  if (!library || !*library)
    library = "libcuda.so.1";
  void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    error = format("no CUDA driver (%s not found): this binary needs an NVIDIA GPU and its "
                   "driver",
                   library);
    return false;
  }
  bool complete = true;
  auto bind = [&](auto &entry, const char *name) {
    entry = reinterpret_cast<std::remove_reference_t<decltype(entry)>>(dlsym(handle, name));
    if (!entry && complete) {
      complete = false;
      error = format("the CUDA driver %s lacks %s: it is too old", library, name);
    }
  };
  bind(api.cuInit, "cuInit");
  bind(api.cuDeviceGetCount, "cuDeviceGetCount");
  bind(api.cuDeviceGet, "cuDeviceGet");
  bind(api.cuDeviceGetName, "cuDeviceGetName");
  bind(api.cuDeviceGetAttribute, "cuDeviceGetAttribute");
  bind(api.cuDeviceTotalMem, "cuDeviceTotalMem_v2");
  bind(api.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
  bind(api.cuCtxSetCurrent, "cuCtxSetCurrent");
  bind(api.cuStreamCreate, "cuStreamCreate");
  bind(api.cuStreamSynchronize, "cuStreamSynchronize");
  bind(api.cuStreamWaitEvent, "cuStreamWaitEvent");
  bind(api.cuMemAlloc, "cuMemAlloc_v2");
  bind(api.cuMemFree, "cuMemFree_v2");
  bind(api.cuMemGetInfo, "cuMemGetInfo_v2");
  bind(api.cuMemHostAlloc, "cuMemHostAlloc");
  bind(api.cuMemFreeHost, "cuMemFreeHost");
  bind(api.cuPointerGetAttributes, "cuPointerGetAttributes");
  bind(api.cuMemcpyAsync, "cuMemcpyAsync");
  bind(api.cuMemsetD32Async, "cuMemsetD32Async");
  bind(api.cuMemsetD16Async, "cuMemsetD16Async");
  bind(api.cuModuleLoadDataEx, "cuModuleLoadDataEx");
  bind(api.cuModuleGetFunction, "cuModuleGetFunction");
  bind(api.cuFuncSetAttribute, "cuFuncSetAttribute");
  bind(api.cuLaunchKernel, "cuLaunchKernel");
  bind(api.cuGetErrorName, "cuGetErrorName");
  bind(api.cuStreamBeginCapture, "cuStreamBeginCapture_v2");
  bind(api.cuStreamEndCapture, "cuStreamEndCapture");
  bind(api.cuGraphInstantiateWithFlags, "cuGraphInstantiateWithFlags");
  bind(api.cuGraphLaunch, "cuGraphLaunch");
  bind(api.cuGraphDestroy, "cuGraphDestroy");
  bind(api.cuGraphExecDestroy, "cuGraphExecDestroy");
  bind(api.cuEventCreate, "cuEventCreate");
  bind(api.cuEventRecord, "cuEventRecord");
  bind(api.cuEventSynchronize, "cuEventSynchronize");
  bind(api.cuEventElapsedTime, "cuEventElapsedTime_v2");
  return complete;
}

/// The profile's name of the batch prefetches' copies (copy stream).
constexpr const char *kPrefetchCopies = "cuMemcpyAsync (batch prefetch)";

/// Device blocks are multiples of this (and so aligned to it, as cuMemAlloc
/// aligns to at least 256).
constexpr size_t kBlockGranule = TGC_CUDA_ALLOCATION_GRANULE;

/// A compiled kernel image (PTX or cubin) whose loading waits for its first
/// kernel: a binary that never launches one (--help) needs no GPU.
struct KernelModule {
  const void *image;
  CUmodule loaded = nullptr;
};

class Device;
Device &device();

/// The device, its memory arena, kernel modules and the device copies of
/// globals. Every member function takes the lock.
class Device {
public:
  void open() {
    std::lock_guard<std::mutex> lock(mutex);
    ready();
  }

  tgc_cuda_device_info info() {
    std::lock_guard<std::mutex> lock(mutex);
    ready();
    return deviceInfo;
  }

  void *allocate(size_t size) {
    std::lock_guard<std::mutex> lock(mutex);
    ready();
    return allocateLocked(size);
  }

  void memoryStats(tgc_memory_stats &stats) {
    std::lock_guard<std::mutex> lock(mutex);
    stats = {bytesInUse, peakBytesInUse, reservedBytes, numAllocations, numCacheHits};
  }

  void resetPeak() {
    std::lock_guard<std::mutex> lock(mutex);
    peakBytesInUse = bytesInUse;
  }

  void release(void *pointer) {
    if (!pointer)
      return;
    std::lock_guard<std::mutex> lock(mutex);
    auto live = liveBlocks.find(CUdeviceptr(pointer));
    if (live == liveBlocks.end())
      fail(TGC_ERROR_ARGUMENT, "%p is not device memory of tgc_cuda_alloc, or was freed twice",
           pointer);
    CUdeviceptr block = live->first;
    size_t size = live->second;
    bytesInUse -= size;
    liveBlocks.erase(live);
    // While a branch runs, the block may still be in use on the other
    // stream: it serves no one until the join orders both.
    if (forked)
      deferredReleases.emplace_back(block, size);
    else
      recycleLocked(block, size);
  }

  /// Where a released `block` of `size` bytes goes: the free blocks, a
  /// capture's, or its graph's.
  void recycleLocked(CUdeviceptr block, size_t size) {
    auto owner = graphBlocks.find(block);
    if (capturing) {
      // A block the capture did not allocate would be free for others
      // while the graph still uses it: this graph cannot be replayed.
      if (owner == graphBlocks.end() || owner->second.graph != capturing) {
        captureBroken = true;
        freeBlocks[size].push_back(block);
      } else {
        captureFreeBlocks[size].push_back(block);
      }
    } else if (owner == graphBlocks.end()) {
      freeBlocks[size].push_back(block);
    } // else a graph's result: it stays the graph's
  }

  void copy(void *target, const void *source, size_t size, bool waitForIt) {
    std::unique_lock<std::mutex> lock(mutex);
    ready();
    copyLocked(target, source, size);
    if (waitForIt)
      waitUnlocked(lock, stream);
  }

  /// Pinned host memory: copies from it run asynchronously, at full speed.
  void *hostAllocate(size_t size) {
    std::lock_guard<std::mutex> lock(mutex);
    ready();
    void *host = nullptr;
    CUresult result = api.cuMemHostAlloc(&host, std::max<size_t>(size, 1), 0);
    if (result == CUDA_ERROR_OUT_OF_MEMORY)
      fail(TGC_ERROR_OUT_OF_MEMORY, "out of pinned host memory allocating %zu bytes", size);
    check(result, "cuMemHostAlloc");
    pinnedBlocks.insert(host);
    return host;
  }

  void hostRelease(void *host) {
    if (!host)
      return;
    std::unique_lock<std::mutex> lock(mutex);
    if (!pinnedBlocks.erase(host))
      fail(TGC_ERROR_ARGUMENT, "%p is not pinned memory of tgc_cuda_host_alloc, or was freed twice",
           host);
    ready();
    // A prefetch that no upload waited for (dropped, or left behind by a
    // failed run) may still be copying from it.
    if (copyStream)
      waitUnlocked(lock, copyStream);
    check(api.cuMemFreeHost(host), "cuMemFreeHost");
  }

  /// tgc_cuda_batch_prefetch: copies `host` into a staging slot on the copy
  /// stream, after the last upload that read the slot.
  void prefetch(void **handle, int count, void *const *host, const size_t *bytes) {
    std::lock_guard<std::mutex> lock(mutex);
    ready();
    if (!*handle) {
      *handle = new Batches;
      batchHandles.push_back(static_cast<Batches *>(*handle));
    }
    Batches &batches = *static_cast<Batches *>(*handle);
    if (count > 0 && batches.bytes.empty())
      batches.bytes.assign(bytes, bytes + count);
    if (count < 1 || !std::equal(bytes, bytes + count, batches.bytes.begin(), batches.bytes.end()))
      fail(TGC_ERROR_ARGUMENT, "a batch prefetch of %d buffers differs from the first one (%zu)",
           count, batches.bytes.size());
    if (!copyStream)
      check(api.cuStreamCreate(&copyStream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
    // The slot of the same buffers, else the free one read longest ago (the
    // other may still be read by the work of the call that just released
    // it), else the older one of those no call is reading.
    std::vector<void *> key(host, host + count);
    Staged *slot = nullptr;
    for (Staged &candidate : batches.slots)
      if (candidate.host == key)
        slot = &candidate;
    Staged *free = nullptr;
    for (Staged &candidate : batches.slots)
      if (candidate.host.empty() && &candidate != batches.reading &&
          (!free || candidate.released < free->released))
        free = &candidate;
    if (!slot)
      slot = free;
    if (!slot)
      for (Staged &candidate : batches.slots)
        if (&candidate != batches.reading && (!slot || candidate.age < slot->age))
          slot = &candidate;
    if (slot->device.empty()) {
      for (size_t size : batches.bytes)
        slot->device.push_back(allocateLocked(size, /*graphMayOwn=*/false));
      check(api.cuEventCreate(&slot->copied, CU_EVENT_DISABLE_TIMING), "cuEventCreate");
      check(api.cuEventCreate(&slot->consumed, CU_EVENT_DISABLE_TIMING), "cuEventCreate");
    }
    if (slot->released) // `consumed` was recorded
      check(api.cuStreamWaitEvent(copyStream, slot->consumed, 0), "cuStreamWaitEvent");
    // Profiling times the copies with events of their own on the copy
    // stream, read later (when the slot is used next, or in the report), so
    // that the producer does not wait for them.
    addPrefetchTimeLocked(*slot);
    if (profiling) {
      if (!slot->timedStart) {
        check(api.cuEventCreate(&slot->timedStart, 0), "cuEventCreate");
        check(api.cuEventCreate(&slot->timedEnd, 0), "cuEventCreate");
      }
      check(api.cuEventRecord(slot->timedStart, copyStream), "cuEventRecord");
    }
    for (int i = 0; i < count; ++i)
      check(api.cuMemcpyAsync(CUdeviceptr(slot->device[i]), CUdeviceptr(host[i]), bytes[i],
                              copyStream),
            kPrefetchCopies);
    if (profiling) {
      check(api.cuEventRecord(slot->timedEnd, copyStream), "cuEventRecord");
      slot->timedCopies = count;
    }
    check(api.cuEventRecord(slot->copied, copyStream), "cuEventRecord");
    slot->host = std::move(key);
    slot->age = ++batches.prefetches;
  }

  /// tgc_cuda_batch_upload: points `device` at the prefetched copy of
  /// `host` when there is one (which the call then reads until
  /// tgc_cuda_batch_release; a call that reads some of its buffers gets
  /// them copied), else fills `device` from `host`.
  void upload(void **handle, int count, void *const *host, void **device, const size_t *bytes) {
    std::lock_guard<std::mutex> lock(mutex);
    ready();
    Batches *batches = static_cast<Batches *>(*handle);
    if (batches)
      releaseLocked(*batches); // (the call before did not say it was done)
    Staged *slot = nullptr;
    if (batches)
      for (Staged &candidate : batches->slots)
        if (int(candidate.host.size()) >= count &&
            std::equal(host, host + count, candidate.host.begin()) &&
            (!slot || candidate.age < slot->age))
          slot = &candidate;
    if (!slot) {
      for (int i = 0; i < count; ++i)
        copyLocked(device[i], host[i], bytes[i]);
      return;
    }
    if (!std::equal(bytes, bytes + count, batches->bytes.begin()))
      fail(TGC_ERROR_ARGUMENT, "an upload of a prefetched batch with other sizes than its "
                               "prefetch");
    check(api.cuStreamWaitEvent(stream, slot->copied, 0), "cuStreamWaitEvent");
    slot->host.clear();
    if (count == int(slot->device.size())) {
      std::copy(slot->device.begin(), slot->device.end(), device);
      batches->reading = slot;
    } else {
      // A call that reads some of the buffers (predict: the images) copies
      // them: the batch's other buffers are not its inputs.
      for (int i = 0; i < count; ++i)
        copyLocked(device[i], slot->device[i], bytes[i]);
      consumedLocked(*batches, *slot);
    }
    if (profiling) // the stream has waited for the copies: done
      addPrefetchTimeLocked(*slot);
  }

  /// tgc_cuda_batch_release: the call that read a prefetched copy has
  /// queued its work; the next prefetch into the copy waits for it.
  void release(void **handle) {
    if (!*handle)
      return;
    std::lock_guard<std::mutex> lock(mutex);
    ready();
    releaseLocked(*static_cast<Batches *>(*handle));
  }

  void fill(void *target, unsigned value, size_t count, int elementBytes) {
    std::lock_guard<std::mutex> lock(mutex);
    ready();
    if (elementBytes == 4)
      check(api.cuMemsetD32Async(CUdeviceptr(target), value, count, stream), "cuMemsetD32Async");
    else
      check(api.cuMemsetD16Async(CUdeviceptr(target), (unsigned short)value, count, stream),
            "cuMemsetD16Async");
  }

  void synchronize() {
    std::unique_lock<std::mutex> lock(mutex);
    ready();
    waitUnlocked(lock, stream);
    if (copyStream)
      waitUnlocked(lock, copyStream);
  }

  KernelModule *addModule(const void *image) {
    std::lock_guard<std::mutex> lock(mutex);
    modules.push_back(new KernelModule{image});
    return modules.back();
  }

  /// Kernel `name` of `module`, allowed at least `sharedBytes` of dynamic
  /// shared memory (beyond 48 KiB a kernel must opt in).
  CUfunction function(KernelModule *module, const char *name, unsigned sharedBytes = 0) {
    std::lock_guard<std::mutex> lock(mutex);
    ready();
    auto key = std::make_pair(module, std::string(name));
    CUfunction &function = functions[key];
    if (!function) {
      if (!module->loaded)
        loadModule(*module);
      check(api.cuModuleGetFunction(&function, module->loaded, name),
            format("cuModuleGetFunction(%s)", name).c_str());
      kernelNames[function] = name;
    }
    constexpr int kMaxDynamicSharedSizeBytes = 8; // CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES
    unsigned &allowed = sharedAllowed[function];
    if (sharedBytes > std::max(allowed, 48u * 1024)) {
      check(api.cuFuncSetAttribute(function, kMaxDynamicSharedSizeBytes, int(sharedBytes)),
            format("allowing %s %u bytes of shared memory", name, sharedBytes).c_str());
      allowed = sharedBytes;
    }
    return function;
  }

  void launch(CUfunction function, const unsigned grid[3], const unsigned block[3],
              unsigned sharedBytes, void **params) {
    std::lock_guard<std::mutex> lock(mutex);
    ready();
    const std::string &name = kernelNames[function];
    profileStartLocked();
    check(api.cuLaunchKernel(function, grid[0], grid[1], grid[2], block[0], block[1], block[2],
                             sharedBytes, active, params, nullptr),
          format("launching kernel %s", name.c_str()).c_str());
    profileEndLocked(name);
    if (syncEachKernel)
      check(api.cuStreamSynchronize(stream), format("kernel %s", name.c_str()).c_str());
  }

  /// Runs `body` (device work on the stream) and, with TGC_CUDA_PROFILE=1,
  /// adds its device time to `name`'s.
  void profiled(const std::string &name, const std::function<void()> &body) {
    std::unique_lock<std::mutex> lock(mutex);
    ready();
    if (!profiling) {
      lock.unlock();
      body();
      return;
    }
    profileStartLocked();
    lock.unlock();
    body();
    lock.lock();
    profileEndLocked(name);
  }

  std::optional<float> time(const std::function<void()> &body, int runs) {
    std::unique_lock<std::mutex> lock(mutex);
    ready();
    if (capturing)
      return std::nullopt;
    if (!timingEvents[0])
      for (CUevent &event : timingEvents)
        check(api.cuEventCreate(&event, 0), "cuEventCreate");
    CUstream on = active;
    // Not profiled: the profile's waits would end the capture below.
    bool wasProfiling = profiling;
    profiling = false;
    struct Restore {
      std::unique_lock<std::mutex> &lock;
      bool &flag, value;
      ~Restore() {
        if (!lock.owns_lock()) // body() threw
          lock.lock();
        flag = value;
      }
    } restore{lock, profiling, wasProfiling};
    lock.unlock();
    body();
    lock.lock();
    // The runs back to back in a graph, as a step's graph runs them: eager
    // calls of a few microseconds each would time the host's launch gaps.
    check(api.cuStreamBeginCapture(on, CU_STREAM_CAPTURE_MODE_RELAXED), "cuStreamBeginCapture");
    lock.unlock();
    for (int run = 0; run < runs; ++run)
      body();
    lock.lock();
    CUgraph captured = nullptr;
    check(api.cuStreamEndCapture(on, &captured), "capturing the runs to time");
    CUgraphExec exec = nullptr;
    CUresult instantiated = api.cuGraphInstantiateWithFlags(&exec, captured, 0);
    api.cuGraphDestroy(captured);
    check(instantiated, "cuGraphInstantiate");
    check(api.cuGraphLaunch(exec, on), "cuGraphLaunch"); // (uploads the graph)
    check(api.cuEventRecord(timingEvents[0], on), "cuEventRecord");
    check(api.cuGraphLaunch(exec, on), "cuGraphLaunch");
    check(api.cuEventRecord(timingEvents[1], on), "cuEventRecord");
    check(api.cuEventSynchronize(timingEvents[1]), "timing device work");
    api.cuGraphExecDestroy(exec);
    float milliseconds = 0;
    check(api.cuEventElapsedTime(&milliseconds, timingEvents[0], timingEvents[1]),
          "cuEventElapsedTime");
    return 1000 * milliseconds / std::max(runs, 1);
  }

  void setProfiling(bool enabled) {
    std::lock_guard<std::mutex> lock(mutex);
    ready();
    profiling = enabled;
    if (!enabled)
      return;
    profile.clear();
    for (Batches *batches : batchHandles)
      for (Staged &slot : batches->slots)
        slot.timedCopies = 0;
  }

  std::string profileReport() {
    std::lock_guard<std::mutex> lock(mutex);
    // The report cannot fail (it runs at exit too): a prefetch whose copies
    // failed is left out.
    for (Batches *batches : batchHandles)
      for (Staged &slot : batches->slots)
        catchErrors([&] { addPrefetchTimeLocked(slot); });
    std::vector<std::pair<std::string, ProfileEntry>> entries(profile.begin(), profile.end());
    std::sort(entries.begin(), entries.end(), [](const auto &a, const auto &b) {
      return a.second.milliseconds > b.second.milliseconds;
    });
    double total = 0;
    long calls = 0;
    for (const auto &[name, entry] : entries)
      total += entry.milliseconds, calls += entry.calls;
    std::string report =
        format("tgc CUDA profile: %ld calls, %.3f ms of device time\n%12s %6s %8s %12s  %s\n",
               calls, total, "total ms", "%", "calls", "mean us", "name");
    for (const auto &[name, entry] : entries)
      report += format("%12.3f %6.1f %8ld %12.1f  %s\n", entry.milliseconds,
                       100 * entry.milliseconds / std::max(total, 1e-9), entry.calls,
                       1e3 * entry.milliseconds / entry.calls, name.c_str());
    return report;
  }

  /// The stream device work goes to now, for cuBLAS (CudaBlas.cpp): the
  /// main one, or the side one in a branch.
  CUstream currentStream() {
    std::lock_guard<std::mutex> lock(mutex);
    ready();
    return active;
  }

  /// tgc_cuda_fork: the side stream waits for the work queued so far on the
  /// main one. A no-op while profiling or with TGC_CUDA_SYNC=1 or
  /// TGC_CUDA_BRANCHES=0 (everything stays on the main stream, in program
  /// order), and then so are the calls below until the join.
  void fork() {
    std::lock_guard<std::mutex> lock(mutex);
    ready();
    if (forked || !branchesEnabled || profiling || syncEachKernel)
      return;
    if (!sideStream) {
      check(api.cuStreamCreate(&sideStream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
      check(api.cuEventCreate(&forkEvent, CU_EVENT_DISABLE_TIMING), "cuEventCreate");
      check(api.cuEventCreate(&joinEvent, CU_EVENT_DISABLE_TIMING), "cuEventCreate");
    }
    sideWaitsForMainLocked();
    forked = true;
  }

  /// tgc_cuda_use_stream.
  void useStream(int which) {
    std::lock_guard<std::mutex> lock(mutex);
    if (which != 0 && which != 1)
      fail(TGC_ERROR_ARGUMENT, "stream %d: expected 0 (main) or 1 (side)", which);
    if (forked)
      active = which ? sideStream : stream;
  }

  /// tgc_cuda_signal: records event `id` on the current stream.
  void signal(int id) {
    std::lock_guard<std::mutex> lock(mutex);
    if (!forked)
      return;
    if (id < 0 || id > 1 << 16)
      fail(TGC_ERROR_ARGUMENT, "branch event %d out of range", id);
    while (int(branchEvents.size()) <= id) {
      CUevent event = nullptr;
      check(api.cuEventCreate(&event, CU_EVENT_DISABLE_TIMING), "cuEventCreate");
      branchEvents.push_back(event);
    }
    check(api.cuEventRecord(branchEvents[id], active), "cuEventRecord");
  }

  /// tgc_cuda_wait: the current stream waits for event `id`'s last record.
  void wait(int id) {
    std::lock_guard<std::mutex> lock(mutex);
    if (!forked)
      return;
    if (id < 0 || id >= int(branchEvents.size()))
      fail(TGC_ERROR_ARGUMENT, "a wait for branch event %d, which was never signalled", id);
    check(api.cuStreamWaitEvent(active, branchEvents[id], 0), "cuStreamWaitEvent");
  }

  /// tgc_cuda_join: the main stream waits for the side one, becomes the
  /// current one again, and the blocks released meanwhile are free.
  void join() {
    std::lock_guard<std::mutex> lock(mutex);
    joinLocked();
  }

  void joinLocked() {
    if (!forked)
      return;
    check(api.cuEventRecord(joinEvent, sideStream), "cuEventRecord");
    check(api.cuStreamWaitEvent(stream, joinEvent, 0), "cuStreamWaitEvent");
    active = stream;
    forked = false;
    for (const auto &[block, size] : deferredReleases)
      recycleLocked(block, size);
    deferredReleases.clear();
  }

  /// tgc_cuda_device_inputs: whether the entry point of `handle` reads
  /// `inputs` where they are, as device memory of this context that holds
  /// bytes[i] from inputs[i] (an error if less), 16-byte aligned (what the
  /// kernels assume), and with a graph for them or room for one.
  bool deviceInputs(void **handle, int count, void *const *inputs, const size_t *bytes) {
    std::lock_guard<std::mutex> lock(mutex);
    ready();
    if (count < 1)
      return false;
    for (int i = 0; i < count; ++i) {
      unsigned type = 0;
      CUcontext owner = nullptr;
      CUdeviceptr start = 0;
      size_t size = 0;
      int attributes[] = {CU_POINTER_ATTRIBUTE_MEMORY_TYPE, CU_POINTER_ATTRIBUTE_CONTEXT,
                          CU_POINTER_ATTRIBUTE_RANGE_START_ADDR, CU_POINTER_ATTRIBUTE_RANGE_SIZE};
      void *values[] = {&type, &owner, &start, &size};
      auto at = CUdeviceptr(inputs[i]);
      check(api.cuPointerGetAttributes(4, attributes, values, at), "cuPointerGetAttributes");
      if (type != CU_MEMORYTYPE_DEVICE || owner != context)
        return false;
      if (at + bytes[i] > start + size)
        fail(TGC_ERROR_ARGUMENT,
             "input %d is device memory at %p with %llu bytes from there, less than the %zu bytes "
             "the model reads",
             i, inputs[i], static_cast<unsigned long long>(start + size - at), bytes[i]);
      if (at % 16)
        return false;
    }
    if (!graphsEnabled || profiling)
      return true;
    Graph &graph = graphOf(handle);
    std::vector<void *> key(inputs, inputs + count);
    if (graph.eagerOnly || std::find(graph.deviceInputs.begin(), graph.deviceInputs.end(), key) !=
                               graph.deviceInputs.end())
      return true;
    if (graph.deviceInputs.size() >= kMaxDeviceInputs)
      return false;
    graph.deviceInputs.push_back(std::move(key));
    return true;
  }

  /// tgc_cuda_run: eager on the first call, then for each binding of the
  /// inputs, captured into a graph and launched on its first call and the
  /// graph replayed from the next on.
  void run(void **handle, int count, void *const *inputs, void (*body)(void *), void *result,
           size_t resultBytes) {
    std::unique_lock<std::mutex> lock(mutex);
    ready();
    Graph &graph = graphOf(handle);
    std::vector<void *> key(inputs, inputs + std::max(count, 0));
    auto known = std::find_if(graph.captures.begin(), graph.captures.end(),
                              [&](const Capture &capture) { return capture.inputs == key; });
    if (known != graph.captures.end() && !profiling && replay(*known, result, resultBytes))
      return;
    if (!graphsEnabled || profiling || graph.eagerOnly || graph.calls++ == 0 ||
        known != graph.captures.end() || graph.captures.size() >= kMaxCaptures) {
      // The first call creates the globals' device copies from host memory
      // and loads the kernels, which a capture cannot hold.
      lock.unlock();
      body(result);
      return;
    }
    capturing = &graph;
    captureBroken = false;
    captureAllocations.clear();
    replayedAllocations = 0;
    check(api.cuStreamBeginCapture(stream, CU_STREAM_CAPTURE_MODE_RELAXED),
          "cuStreamBeginCapture");
    lock.unlock();
    body(result);
    lock.lock();
    joinLocked(); // (compiled code joins its branches itself)
    CUgraph captured = nullptr;
    CUresult ended = api.cuStreamEndCapture(stream, &captured);
    capturing = nullptr;
    captureFreeBlocks.clear();
    check(ended, "capturing a CUDA graph");
    CUgraphExec exec = nullptr;
    CUresult instantiated = api.cuGraphInstantiateWithFlags(&exec, captured, 0);
    api.cuGraphDestroy(captured);
    check(instantiated, "cuGraphInstantiate");
    Capture &capture = graph.captures.emplace_back();
    capture.inputs = std::move(key);
    capture.exec = exec;
    check(api.cuGraphLaunch(capture.exec, stream), "cuGraphLaunch");
    capture.result.assign(static_cast<char *>(result), static_cast<char *>(result) + resultBytes);
    for (const auto &[block, size] : captureAllocations)
      if (liveBlocks.count(block))
        capture.resultBlocks.emplace_back(block, size);
    if (graph.allocations.empty())
      graph.allocations = captureAllocations;
    if (captureBroken) {
      // Launched once; from now on eager, and its blocks the arena's again.
      for (Capture &each : graph.captures)
        api.cuGraphExecDestroy(each.exec);
      graph.captures.clear();
      graph.eagerOnly = true;
      for (auto owned = graphBlocks.begin(); owned != graphBlocks.end();) {
        if (owned->second.graph != &graph) {
          ++owned;
          continue;
        }
        if (!liveBlocks.count(owned->first))
          freeBlocks[owned->second.size].push_back(owned->first);
        owned = graphBlocks.erase(owned);
      }
    }
  }

  void *global(void *host, size_t size, bool constant) {
    std::lock_guard<std::mutex> lock(mutex);
    auto known = globals.find(host);
    if (known != globals.end())
      return known->second.device;
    ready();
    void *copy = allocateLocked(size);
    copyLocked(copy, host, size);
    // (Copied on the main stream; a branch may read it first.)
    if (forked)
      sideWaitsForMainLocked();
    globals[host] = {copy, size, constant};
    return copy;
  }

  void globalsToHost() {
    std::unique_lock<std::mutex> lock(mutex);
    if (globals.empty())
      return;
    ready();
    for (const auto &[host, global] : globals)
      if (!global.constant)
        copyLocked(host, global.device, global.size);
    waitUnlocked(lock, stream);
  }

  void globalsToDevice() {
    std::lock_guard<std::mutex> lock(mutex);
    if (globals.empty())
      return;
    ready();
    for (const auto &[host, global] : globals)
      if (!global.constant)
        copyLocked(global.device, host, global.size);
  }

private:
  /// A graph of an entry point for one binding of its inputs (the device
  /// buffers it reads them from), what its capture returned, and the blocks
  /// among its own that the caller gets (and frees) on every call.
  struct Capture {
    std::vector<void *> inputs;
    CUgraphExec exec = nullptr;
    std::vector<char> result;
    std::vector<std::pair<CUdeviceptr, size_t>> resultBlocks;
  };

  /// An entry point's graphs. Each later capture is given the blocks the
  /// first one allocated, in the same order (the body allocates the same
  /// sizes on every call): the graphs never run at once, so they share
  /// their memory.
  struct Graph {
    int calls = 0;
    bool eagerOnly = false;
    std::vector<Capture> captures;
    std::vector<std::pair<CUdeviceptr, size_t>> allocations;
    /// The bindings of inputs read where the caller has them
    /// (deviceInputs), at most kMaxDeviceInputs.
    std::vector<std::vector<void *>> deviceInputs;
  };

  /// The bindings of inputs in place an entry point takes: enough for a
  /// caller that alternates between two batches on the device.
  static constexpr size_t kMaxDeviceInputs = 2;
  /// Its graphs: for its own input buffers, the two staging copies of
  /// prefetched batches, and the bindings in place.
  static constexpr size_t kMaxCaptures = 3 + kMaxDeviceInputs;

  Graph &graphOf(void **handle) {
    if (!*handle)
      *handle = new Graph;
    return *static_cast<Graph *>(*handle);
  }

  /// Launches `capture`'s graph and returns what its capture returned;
  /// false (run the body) when the caller still holds a result of its last
  /// call.
  bool replay(Capture &capture, void *result, size_t resultBytes) {
    for (const auto &[block, size] : capture.resultBlocks)
      if (liveBlocks.count(block))
        return false;
    for (const auto &[block, size] : capture.resultBlocks) {
      liveBlocks[block] = size;
      addInUse(size);
    }
    check(api.cuGraphLaunch(capture.exec, stream), "cuGraphLaunch");
    std::memcpy(result, capture.result.data(), resultBytes);
    return true;
  }

  struct Global {
    void *device;
    size_t size;
    bool constant;
  };

  /// A prefetched batch's device copy: `copied` is recorded on the copy
  /// stream after its copies, `consumed` on the stream after the work of
  /// the last call that read it (the next prefetch into it waits for that).
  struct Staged {
    std::vector<void *> host; // the buffers it is a copy of; empty once uploaded
    std::vector<void *> device;
    CUevent copied = nullptr, consumed = nullptr;
    uint64_t age = 0;      // when it was prefetched into (Batches::prefetches)
    uint64_t released = 0; // when `consumed` was recorded (Batches::releases), 0: never
    // With profiling: recorded around the copies of the last prefetch, whose
    // `timedCopies` copies the profile does not count yet.
    CUevent timedStart = nullptr, timedEnd = nullptr;
    int timedCopies = 0;
  };

  /// The staging slots behind a tgc_cuda_batch_* handle: two, so that one
  /// batch can be copied while the previous one waits for its step.
  struct Batches {
    std::vector<size_t> bytes;
    Staged slots[2];
    uint64_t prefetches = 0, releases = 0;
    Staged *reading = nullptr; // by the call since its upload, until released
  };

  /// The call that read `batches.reading` has queued its work: the next
  /// prefetch into that copy waits for it.
  void releaseLocked(Batches &batches) {
    if (!batches.reading)
      return;
    consumedLocked(batches, *batches.reading);
    batches.reading = nullptr;
  }

  /// The work queued so far is the last that reads `slot`.
  void consumedLocked(Batches &batches, Staged &slot) {
    check(api.cuEventRecord(slot.consumed, stream), "cuEventRecord");
    slot.released = ++batches.releases;
  }

  /// Throws the init failure, if any, and makes the context current on
  /// this thread.
  void ready() {
    if (initLocked() != TGC_OK)
      throw RuntimeError(TGC_ERROR_DEVICE, initError);
    thread_local CUcontext current = nullptr;
    if (current != context) {
      check(api.cuCtxSetCurrent(context), "cuCtxSetCurrent");
      current = context;
    }
  }

  tgc_status initLocked() {
    if (initialized)
      return initStatus;
    initialized = true;
    initStatus = TGC_ERROR_DEVICE;
    if (!loadDriver(api, initError))
      return initStatus;
    CUresult result = api.cuInit(0);
    int count = 0;
    if (result == CUDA_SUCCESS)
      result = api.cuDeviceGetCount(&count);
    if (result == CUDA_ERROR_NO_DEVICE || (result == CUDA_SUCCESS && count == 0)) {
      initError = "no CUDA device: the driver is installed but sees no GPU";
      return initStatus;
    }
    CUdevice device = 0;
    int major = 0, minor = 0, multiprocessors = 0;
    size_t totalMemory = 0;
    if (result == CUDA_SUCCESS)
      result = api.cuDeviceGet(&device, 0);
    if (result == CUDA_SUCCESS)
      result = api.cuDeviceGetName(deviceInfo.name, sizeof(deviceInfo.name), device);
    if (result == CUDA_SUCCESS)
      result =
          api.cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
    if (result == CUDA_SUCCESS)
      result =
          api.cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
    if (result == CUDA_SUCCESS)
      result = api.cuDeviceGetAttribute(&multiprocessors, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
                                        device);
    if (result == CUDA_SUCCESS)
      result = api.cuDeviceTotalMem(&totalMemory, device);
    if (result == CUDA_SUCCESS)
      result = api.cuDevicePrimaryCtxRetain(&context, device);
    if (result == CUDA_SUCCESS)
      result = api.cuCtxSetCurrent(context);
    if (result == CUDA_SUCCESS)
      result = api.cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING);
    active = stream;
    if (result != CUDA_SUCCESS) {
      initError = format("cannot use the CUDA device: %s", errorName(result).c_str());
      return initStatus;
    }
    deviceInfo.compute_capability = major * 10 + minor;
    deviceInfo.total_memory = totalMemory;
    deviceInfo.multiprocessors = multiprocessors;
    const char *sync = std::getenv("TGC_CUDA_SYNC");
    syncEachKernel = sync && std::strcmp(sync, "1") == 0;
    const char *graphs = std::getenv("TGC_CUDA_GRAPHS");
    graphsEnabled = !syncEachKernel && !(graphs && std::strcmp(graphs, "0") == 0);
    const char *branches = std::getenv("TGC_CUDA_BRANCHES");
    branchesEnabled = !(branches && std::strcmp(branches, "0") == 0);
    const char *profileAtExit = std::getenv("TGC_CUDA_PROFILE");
    if (profileAtExit && std::strcmp(profileAtExit, "1") == 0) {
      profiling = true;
      std::atexit(printProfileAtExit);
    }
    initStatus = TGC_OK;
    return initStatus;
  }

  void loadModule(KernelModule &module) {
    char log[8192] = "";
    int options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
    void *values[] = {log, reinterpret_cast<void *>(sizeof(log))};
    CUresult result = api.cuModuleLoadDataEx(&module.loaded, module.image, 2, options, values);
    if (result == CUDA_ERROR_NO_BINARY_FOR_GPU)
      fail(TGC_ERROR_DEVICE,
           "the kernels were compiled for another GPU architecture than this %s (sm_%d): "
           "compile with tgc --gpu-arch=sm_%d",
           deviceInfo.name, deviceInfo.compute_capability, deviceInfo.compute_capability);
    if (result != CUDA_SUCCESS)
      fail(TGC_ERROR_DEVICE, "cannot load the kernels: %s%s%s", errorName(result).c_str(),
           *log ? ": " : "", log);
  }

  /// `graphMayOwn` is false for buffers that are never the work of a
  /// capture, though another thread may be capturing meanwhile.
  void *allocateLocked(size_t size, bool graphMayOwn = true) {
    size_t rounded =
        (std::max<size_t>(size, 1) + kBlockGranule - 1) / kBlockGranule * kBlockGranule;
    std::vector<CUdeviceptr> &cached = freeBlocks[rounded];
    Graph *owner = graphMayOwn ? capturing : nullptr;
    std::vector<CUdeviceptr> *capturedFree = owner ? &captureFreeBlocks[rounded] : nullptr;
    ++numAllocations;
    CUdeviceptr block = owner ? replayedBlockLocked(*owner, rounded) : 0;
    if (block) {
      ++numCacheHits;
    } else if (capturedFree && !capturedFree->empty()) {
      block = capturedFree->back();
      capturedFree->pop_back();
      ++numCacheHits;
    } else if (!cached.empty()) {
      block = cached.back();
      cached.pop_back();
      ++numCacheHits;
    } else {
      CUresult result = api.cuMemAlloc(&block, rounded);
      if (result == CUDA_ERROR_OUT_OF_MEMORY) {
        releaseCache();
        result = api.cuMemAlloc(&block, rounded);
      }
      if (result == CUDA_ERROR_OUT_OF_MEMORY) {
        size_t freeBytes = 0, totalBytes = 0;
        api.cuMemGetInfo(&freeBytes, &totalBytes);
        fail(TGC_ERROR_OUT_OF_MEMORY,
             "out of device memory allocating %zu bytes (%.1f MiB in use by tgc, %.1f MiB "
             "free of %.1f MiB on %s)",
             size, double(bytesInUse) / (1 << 20), double(freeBytes) / (1 << 20),
             double(totalBytes) / (1 << 20), deviceInfo.name);
      }
      check(result, "cuMemAlloc");
      reservedBytes += rounded;
    }
    if (owner) {
      graphBlocks.emplace(block, GraphBlock{owner, rounded});
      captureAllocations.emplace_back(block, rounded);
    }
    liveBlocks[block] = rounded;
    addInUse(rounded);
    return reinterpret_cast<void *>(block);
  }

  /// For a later capture of `graph`'s entry point: the first capture's
  /// next block, while the body allocates as it did then (0 from where it
  /// differs).
  CUdeviceptr replayedBlockLocked(Graph &graph, size_t rounded) {
    if (replayedAllocations >= graph.allocations.size())
      return 0;
    auto [block, size] = graph.allocations[replayedAllocations];
    if (size != rounded || liveBlocks.count(block)) {
      replayedAllocations = graph.allocations.size();
      return 0;
    }
    ++replayedAllocations;
    // (Freed earlier in this capture, it may wait there.)
    std::vector<CUdeviceptr> &freed = captureFreeBlocks[rounded];
    freed.erase(std::remove(freed.begin(), freed.end(), block), freed.end());
    return block;
  }

  void sideWaitsForMainLocked() {
    check(api.cuEventRecord(forkEvent, stream), "cuEventRecord");
    check(api.cuStreamWaitEvent(sideStream, forkEvent, 0), "cuStreamWaitEvent");
  }

  void copyLocked(void *target, const void *source, size_t size) {
    profileStartLocked();
    check(api.cuMemcpyAsync(CUdeviceptr(target), CUdeviceptr(source), size, stream),
          "cuMemcpyAsync");
    profileEndLocked("cuMemcpyAsync");
  }

  // TGC_CUDA_PROFILE=1: every kernel, copy and cuBLAS call is timed with
  // events and waited for (so graphs are off), and the device time of each
  // name is printed at exit, largest first.
  struct ProfileEntry {
    double milliseconds = 0;
    long calls = 0;
  };

  static void printProfileAtExit() { std::fputs(device().profileReport().c_str(), stderr); }

  void profileStartLocked() {
    if (!profiling)
      return;
    if (!profileEvents[0])
      for (CUevent &event : profileEvents)
        check(api.cuEventCreate(&event, 0), "cuEventCreate");
    check(api.cuEventRecord(profileEvents[0], stream), "cuEventRecord");
  }

  void profileEndLocked(const std::string &name) {
    if (!profiling)
      return;
    check(api.cuEventRecord(profileEvents[1], stream), "cuEventRecord");
    check(api.cuEventSynchronize(profileEvents[1]), name.c_str());
    float milliseconds = 0;
    check(api.cuEventElapsedTime(&milliseconds, profileEvents[0], profileEvents[1]),
          "cuEventElapsedTime");
    ProfileEntry &entry = profile[name];
    entry.milliseconds += milliseconds;
    entry.calls++;
  }

  /// Adds the device time of the copies of `slot`'s last prefetch, if it
  /// was timed and not yet counted, to the profile; waits for them.
  void addPrefetchTimeLocked(Staged &slot) {
    int copies = slot.timedCopies;
    if (!copies)
      return;
    slot.timedCopies = 0;
    check(api.cuEventSynchronize(slot.timedEnd), kPrefetchCopies);
    float milliseconds = 0;
    check(api.cuEventElapsedTime(&milliseconds, slot.timedStart, slot.timedEnd),
          "cuEventElapsedTime");
    ProfileEntry &entry = profile[kPrefetchCopies];
    entry.milliseconds += milliseconds;
    entry.calls += copies;
  }

  /// Waits for `which` with the lock released, so that other threads (a
  /// batch prefetch) can queue work meanwhile; the driver and the streams
  /// never change after init.
  void waitUnlocked(std::unique_lock<std::mutex> &lock, CUstream which) {
    lock.unlock();
    CUresult result = api.cuStreamSynchronize(which);
    lock.lock();
    check(result,
          syncEachKernel ? "the device" : "the device (TGC_CUDA_SYNC=1 names the failing kernel)");
  }

  void releaseCache() {
    for (auto &[size, blocks] : freeBlocks)
      for (CUdeviceptr block : blocks) {
        api.cuMemFree(block);
        reservedBytes -= size;
      }
    freeBlocks.clear();
  }

  void addInUse(size_t bytes) {
    bytesInUse += bytes;
    peakBytesInUse = std::max(peakBytesInUse, bytesInUse);
  }

  std::string errorName(CUresult result) {
    const char *name = nullptr;
    if (api.cuGetErrorName)
      api.cuGetErrorName(result, &name);
    return name ? name : format("CUDA error %d", result);
  }

  void check(CUresult result, const char *what) {
    if (result == CUDA_ERROR_OUT_OF_MEMORY)
      fail(TGC_ERROR_OUT_OF_MEMORY, "out of device memory in %s", what);
    if (result != CUDA_SUCCESS)
      fail(TGC_ERROR_DEVICE, "CUDA failure in %s: %s%s", what, errorName(result).c_str(),
           capturing ? " (while capturing a CUDA graph: TGC_CUDA_GRAPHS=0 runs without)" : "");
  }

  std::mutex mutex;
  bool initialized = false;
  tgc_status initStatus = TGC_OK;
  std::string initError;
  DriverApi api = {};
  CUcontext context = nullptr;
  CUstream stream = nullptr;
  // Concurrent branches (tgc_cuda_fork .. tgc_cuda_join): a second stream,
  // where device work goes while `active` is it, and branch events.
  CUstream sideStream = nullptr, active = nullptr;
  bool branchesEnabled = true, forked = false;
  CUevent forkEvent = nullptr, joinEvent = nullptr;
  std::vector<CUevent> branchEvents;
  std::vector<std::pair<CUdeviceptr, size_t>> deferredReleases;
  CUstream copyStream = nullptr; // batch prefetches, created by the first
  tgc_cuda_device_info deviceInfo = {};
  bool syncEachKernel = false;
  bool graphsEnabled = true;
  bool profiling = false;
  CUevent profileEvents[2] = {};
  CUevent timingEvents[2] = {}; // cuda::timeMicroseconds
  std::map<std::string, ProfileEntry> profile;
  Graph *capturing = nullptr;
  bool captureBroken = false;
  // Blocks freed during the capture: they serve its later allocations.
  std::unordered_map<size_t, std::vector<CUdeviceptr>> captureFreeBlocks;
  // The blocks the capture allocated, in order, and where it is in the
  // first capture's of its entry point (Graph::allocations).
  std::vector<std::pair<CUdeviceptr, size_t>> captureAllocations;
  size_t replayedAllocations = 0;
  // Every block a graph works in, never served to anyone else.
  struct GraphBlock {
    Graph *graph;
    size_t size;
  };
  std::unordered_map<CUdeviceptr, GraphBlock> graphBlocks;
  std::unordered_map<size_t, std::vector<CUdeviceptr>> freeBlocks;
  std::unordered_map<CUdeviceptr, size_t> liveBlocks;
  std::unordered_set<void *> pinnedBlocks;
  std::vector<Batches *> batchHandles; // every tgc_cuda_batch_* handle (never freed)
  // The arena's statistics (tgc_cuda_memory_get_stats): rounded sizes.
  size_t bytesInUse = 0, peakBytesInUse = 0, reservedBytes = 0;
  uint64_t numAllocations = 0, numCacheHits = 0;
  std::vector<KernelModule *> modules;
  std::map<std::pair<KernelModule *, std::string>, CUfunction> functions;
  std::unordered_map<CUfunction, std::string> kernelNames;
  std::unordered_map<CUfunction, unsigned> sharedAllowed; // dynamic shared memory, when raised
  std::map<void *, Global> globals;
};

// Never destroyed: compiled code may free buffers from static destructors.
Device &device() {
  static Device *instance = new Device;
  return *instance;
}

/// The one stream, as MLIR's lowering sees it: any non-null pointer.
void *const kStream = reinterpret_cast<void *>(uintptr_t(1));

} // namespace

void *cuda::stream() { return device().currentStream(); }

void *cuda::allocate(size_t size) { return device().allocate(size); }

void cuda::release(void *pointer) { device().release(pointer); }

int cuda::multiprocessors() { return device().info().multiprocessors; }

cuda::Fp32Products cuda::fp32Products() {
  static const Fp32Products products = [] {
    const char *value = std::getenv("TGC_CUDA_MATMUL");
    std::string mode = value && *value ? value : "fp32";
    if (mode == "fp32")
      return Fp32Products::Exact;
    if (mode == "tf32")
      return Fp32Products::TF32;
    if (mode == "bf16")
      return Fp32Products::BF16;
    if (mode == "3xtf32")
      return Fp32Products::Split3xTF32;
    fail(TGC_ERROR_ARGUMENT, "TGC_CUDA_MATMUL=%s: expected fp32, tf32, 3xtf32 or bf16",
         mode.c_str());
  }();
  return products;
}

bool cuda::gemmTuning() {
  static const bool tuning = [] {
    const char *tune = std::getenv("TGC_CUDA_GEMM_TUNING");
    return tune && std::strcmp(tune, "1") == 0;
  }();
  return tuning;
}

void cuda::profiled(const std::string &name, const std::function<void()> &body) {
  device().profiled(name, body);
}

std::optional<float> cuda::timeMicroseconds(const std::function<void()> &body, int runs) {
  return device().time(body, runs);
}

void cuda::launch(const void *image, const char *kernel, const unsigned grid[3],
                  const unsigned block[3], void **params, unsigned sharedBytes) {
  // One module per image, loaded at its first launch.
  static std::mutex mutex;
  static std::map<const void *, KernelModule *> modules;
  KernelModule *module;
  {
    std::lock_guard<std::mutex> lock(mutex);
    KernelModule *&known = modules[image];
    if (!known)
      known = device().addModule(image);
    module = known;
  }
  device().launch(device().function(module, kernel, sharedBytes), grid, block, sharedBytes, params);
}

} // namespace tgc

using namespace tgc;

extern "C" {

tgc_status tgc_cuda_init(void) {
  return catchErrors([] { device().open(); });
}

tgc_status tgc_cuda_get_device_info(tgc_cuda_device_info *info) {
  return catchErrors([&] { *info = device().info(); });
}

void *tgc_cuda_alloc(size_t size) {
  void *pointer = nullptr;
  catchErrors([&] { pointer = device().allocate(size); });
  return pointer;
}

void tgc_cuda_free(void *device_ptr) {
  orExit([&] { device().release(device_ptr); });
}

void tgc_cuda_memory_get_stats(tgc_memory_stats *stats) { device().memoryStats(*stats); }

void tgc_cuda_memory_reset_peak(void) { device().resetPeak(); }

tgc_status tgc_cuda_copy_to_device(void *device_ptr, const void *host, size_t size) {
  return catchErrors([&] { device().copy(device_ptr, host, size, /*waitForIt=*/false); });
}

tgc_status tgc_cuda_copy_to_host(void *host, const void *device_ptr, size_t size) {
  return catchErrors([&] { device().copy(host, device_ptr, size, /*waitForIt=*/true); });
}

void *tgc_cuda_host_alloc(size_t size) {
  void *pointer = nullptr;
  catchErrors([&] { pointer = device().hostAllocate(size); });
  return pointer;
}

void tgc_cuda_host_free(void *host) {
  orExit([&] { device().hostRelease(host); });
}

tgc_status tgc_cuda_batch_prefetch(void **batches, int32_t count, void *const *host,
                                   const size_t *bytes) {
  return catchErrors([&] { device().prefetch(batches, count, host, bytes); });
}

tgc_status tgc_cuda_batch_upload(void **batches, int32_t count, void *const *host,
                                 void **device_ptrs, const size_t *bytes) {
  return catchErrors([&] { device().upload(batches, count, host, device_ptrs, bytes); });
}

tgc_status tgc_cuda_batch_release(void **batches) {
  return catchErrors([&] { device().release(batches); });
}

tgc_status tgc_cuda_profile(bool enabled) {
  return catchErrors([&] { device().setProfiling(enabled); });
}

const char *tgc_cuda_profile_report(void) {
  static std::string report;
  report = device().profileReport();
  return report.c_str();
}

tgc_status tgc_cuda_synchronize(void) {
  return catchErrors([] { device().synchronize(); });
}

void *tgc_cuda_global(void *host, int64_t size, bool constant) {
  return orExit([&] { return device().global(host, size_t(size), constant); });
}

void tgc_cuda_globals_to_host(void) {
  orExit([] { device().globalsToHost(); });
}

void tgc_cuda_globals_to_device(void) {
  orExit([] { device().globalsToDevice(); });
}

tgc_status tgc_cuda_device_inputs(void **graph, int32_t count, void *const *inputs,
                                  const size_t *bytes, bool *in_place) {
  return catchErrors([&] { *in_place = device().deviceInputs(graph, count, inputs, bytes); });
}

void tgc_cuda_run(void **graph, int32_t count, void *const *inputs, void (*body)(void *result),
                  void *result, size_t result_bytes) {
  orExit([&] { device().run(graph, count, inputs, body, result, result_bytes); });
}

void tgc_cuda_fork(void) {
  orExit([] { device().fork(); });
}

void tgc_cuda_use_stream(int32_t stream) {
  orExit([&] { device().useStream(stream); });
}

void tgc_cuda_signal(int32_t event) {
  orExit([&] { device().signal(event); });
}

void tgc_cuda_wait(int32_t event) {
  orExit([&] { device().wait(event); });
}

void tgc_cuda_join(void) {
  orExit([] { device().join(); });
}

void tgc_cuda_fail(void) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s: error: %s\n", program_invocation_short_name, tgc_last_error());
  std::exit(1);
}

//===----------------------------------------------------------------------===//
// The functions MLIR's gpu-to-llvm lowering calls (signatures of MLIR 22).
//===----------------------------------------------------------------------===//

void *mgpuModuleLoad(void *data, size_t /*size*/) { return device().addModule(data); }

void *mgpuModuleLoadJIT(void *data, int /*optLevel*/) { return device().addModule(data); }

// Modules live as long as the process (their functions are cached).
void mgpuModuleUnload(void * /*module*/) {}

void *mgpuModuleGetFunction(void *module, const char *name) {
  return orExit([&] { return device().function(static_cast<KernelModule *>(module), name); });
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                      intptr_t blockX, intptr_t blockY, intptr_t blockZ, int32_t sharedBytes,
                      void * /*stream*/, void **params, void ** /*extra*/, size_t /*paramsCount*/) {
  orExit([&] {
    const unsigned grid[3] = {unsigned(gridX), unsigned(gridY), unsigned(gridZ)};
    const unsigned block[3] = {unsigned(blockX), unsigned(blockY), unsigned(blockZ)};
    device().launch(static_cast<CUfunction>(function), grid, block, unsigned(sharedBytes), params);
  });
}

void *mgpuStreamCreate(void) { return kStream; }

void mgpuStreamDestroy(void * /*stream*/) {}

// A no-op: see the top of this file.
void mgpuStreamSynchronize(void * /*stream*/) {}

void mgpuStreamWaitEvent(void * /*stream*/, void * /*event*/) {}

void *mgpuEventCreate(void) { return kStream; }

void mgpuEventDestroy(void * /*event*/) {}

void mgpuEventSynchronize(void * /*event*/) {}

void mgpuEventRecord(void * /*event*/, void * /*stream*/) {}

void *mgpuMemAlloc(uint64_t size, void * /*stream*/, bool isHostShared) {
  return orExit([&] {
    if (isHostShared)
      fail(TGC_ERROR_DEVICE, "host-shared GPU memory is not supported");
    return device().allocate(size_t(size));
  });
}

void mgpuMemFree(void *pointer, void * /*stream*/) {
  orExit([&] { device().release(pointer); });
}

void mgpuMemcpy(void *target, void *source, size_t size, void * /*stream*/) {
  orExit([&] { device().copy(target, source, size, /*waitForIt=*/false); });
}

void mgpuMemset32(void *target, unsigned value, size_t count, void * /*stream*/) {
  orExit([&] { device().fill(target, value, count, 4); });
}

void mgpuMemset16(void *target, unsigned short value, size_t count, void * /*stream*/) {
  orExit([&] { device().fill(target, value, count, 2); });
}

void mgpuSetDefaultDevice(int32_t device) {
  orExit([&] {
    if (device != 0)
      fail(TGC_ERROR_DEVICE, "only the first CUDA device is supported, not device %d", int(device));
  });
}

} // extern "C"
