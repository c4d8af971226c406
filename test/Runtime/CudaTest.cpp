//===- CudaTest.cpp - the CUDA layer of the runtime -----------------------===//
//
// On a machine with an NVIDIA GPU these check runtime/Cuda.cpp against the
// device: memory, copies, the arena, globals, the mgpu* functions that
// compiled code calls (with a hand-written PTX kernel), and the errors. On
// any other machine (CI) each prints "SKIPPED: no CUDA device" and the
// reason, except the one that checks that reason.
//
//===----------------------------------------------------------------------===//

#include "tgc/runtime.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

// The functions of MLIR's GPU lowering that Cuda.cpp defines.
extern "C" {
void *mgpuModuleLoadJIT(void *data, int optLevel);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                      intptr_t blockX, intptr_t blockY, intptr_t blockZ, int32_t sharedBytes,
                      void *stream, void **params, void **extra, size_t paramsCount);
void *mgpuStreamCreate(void);
void mgpuMemset32(void *target, unsigned value, size_t count, void *stream);
}

namespace {

/// out[i] = 2 * i for i < n (PTX 7.0 for sm_80: the driver compiles it for
/// whatever GPU is there).
const char kTwicePtx[] = R"(.version 7.0
.target sm_80
.address_size 64

.visible .entry twice(
  .param .u64 twice_out,
  .param .u32 twice_n
)
{
  .reg .pred %p<2>;
  .reg .b32 %r<7>;
  .reg .b64 %rd<5>;
  ld.param.u64 %rd1, [twice_out];
  ld.param.u32 %r1, [twice_n];
  mov.u32 %r2, %ctaid.x;
  mov.u32 %r3, %ntid.x;
  mov.u32 %r4, %tid.x;
  mad.lo.s32 %r5, %r2, %r3, %r4;
  setp.ge.u32 %p1, %r5, %r1;
  @%p1 bra DONE;
  cvta.to.global.u64 %rd2, %rd1;
  mul.wide.u32 %rd3, %r5, 4;
  add.s64 %rd4, %rd2, %rd3;
  shl.b32 %r6, %r5, 1;
  st.global.u32 [%rd4], %r6;
DONE:
  ret;
}
)";

class Cuda : public testing::Test {
protected:
  void SetUp() override {
    if (tgc_cuda_init() != TGC_OK)
      GTEST_SKIP() << "SKIPPED: no CUDA device (" << tgc_last_error() << ")";
  }
};

TEST(CudaAvailability, WithoutADeviceInitSaysWhy) {
  if (tgc_cuda_init() == TGC_OK)
    GTEST_SKIP() << "a CUDA device is present";
  EXPECT_EQ(tgc_cuda_init(), TGC_ERROR_DEVICE);
  std::string message = tgc_last_error();
  EXPECT_TRUE(message.find("no CUDA driver") == 0 || message.find("no CUDA device") == 0)
      << message;
  // Allocation fails the same way, without a crash.
  EXPECT_EQ(tgc_cuda_alloc(16), nullptr);
  EXPECT_EQ(std::string(tgc_last_error()), message);
}

TEST_F(Cuda, DescribesTheDevice) {
  tgc_cuda_device_info info;
  ASSERT_EQ(tgc_cuda_get_device_info(&info), TGC_OK);
  EXPECT_GT(std::strlen(info.name), 0u);
  EXPECT_GE(info.compute_capability, 50);
  EXPECT_GT(info.total_memory, uint64_t(1) << 30);
  std::printf("device: %s, sm_%d, %.1f GiB\n", info.name, info.compute_capability,
              double(info.total_memory) / (1 << 30));
}

TEST_F(Cuda, CopiesRoundTrip) {
  std::vector<float> host(1 << 18), back(host.size());
  for (size_t i = 0; i < host.size(); ++i)
    host[i] = float(i) * 0.5f;
  size_t bytes = host.size() * sizeof(float);
  void *device = tgc_cuda_alloc(bytes);
  ASSERT_NE(device, nullptr) << tgc_last_error();
  ASSERT_EQ(tgc_cuda_copy_to_device(device, host.data(), bytes), TGC_OK);
  ASSERT_EQ(tgc_cuda_copy_to_host(back.data(), device, bytes), TGC_OK);
  EXPECT_EQ(host, back);
  tgc_cuda_free(device);
}

TEST_F(Cuda, ProfileTimesEachCopy) {
  std::vector<float> host(1 << 16);
  size_t bytes = host.size() * sizeof(float);
  void *device = tgc_cuda_alloc(bytes);
  ASSERT_NE(device, nullptr) << tgc_last_error();
  ASSERT_EQ(tgc_cuda_profile(true), TGC_OK);
  ASSERT_EQ(tgc_cuda_copy_to_device(device, host.data(), bytes), TGC_OK);
  ASSERT_EQ(tgc_cuda_copy_to_host(host.data(), device, bytes), TGC_OK);
  ASSERT_EQ(tgc_cuda_profile(false), TGC_OK);
  std::string report = tgc_cuda_profile_report();
  EXPECT_EQ(report.find("tgc CUDA profile: 2 calls"), 0u) << report;
  EXPECT_NE(report.find("  cuMemcpyAsync\n"), std::string::npos) << report;
  tgc_cuda_device_info info;
  ASSERT_EQ(tgc_cuda_get_device_info(&info), TGC_OK);
  if (std::string(info.name) == "fake CUDA device") // a millisecond per copy
    EXPECT_NE(report.find("2 calls, 2.000 ms"), std::string::npos) << report;
  // Counts restart when profiling is enabled again.
  ASSERT_EQ(tgc_cuda_profile(true), TGC_OK);
  ASSERT_EQ(tgc_cuda_profile(false), TGC_OK);
  EXPECT_EQ(std::string(tgc_cuda_profile_report()).find("tgc CUDA profile: 0 calls"), 0u);
  tgc_cuda_free(device);
}

TEST_F(Cuda, ArenaReusesFreedBlocks) {
  void *first = tgc_cuda_alloc(1000);
  ASSERT_NE(first, nullptr);
  tgc_cuda_free(first);
  void *second = tgc_cuda_alloc(900); // the same rounded size
  EXPECT_EQ(first, second);
  void *third = tgc_cuda_alloc(900);
  EXPECT_NE(third, second);
  tgc_cuda_free(second);
  tgc_cuda_free(third);
}

TEST_F(Cuda, ArenaCountsItsBlocks) {
  tgc_memory_stats start, stats;
  tgc_cuda_memory_get_stats(&start);
  void *first = tgc_cuda_alloc(1000);  // one block of 1024 bytes
  void *second = tgc_cuda_alloc(3000); // 3072
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  tgc_cuda_memory_get_stats(&stats);
  EXPECT_EQ(stats.bytes_in_use - start.bytes_in_use, 4096u);
  EXPECT_GE(stats.peak_bytes_in_use, stats.bytes_in_use);
  EXPECT_EQ(stats.num_allocations - start.num_allocations, 2u);
  tgc_cuda_free(first);
  tgc_cuda_free(second);
  tgc_cuda_memory_reset_peak();
  void *again = tgc_cuda_alloc(900); // first's block, from the cache
  tgc_memory_stats after;
  tgc_cuda_memory_get_stats(&after);
  EXPECT_EQ(after.bytes_in_use, start.bytes_in_use + 1024);
  EXPECT_EQ(after.peak_bytes_in_use, after.bytes_in_use);
  EXPECT_EQ(after.num_cache_hits - stats.num_cache_hits, 1u);
  EXPECT_EQ(after.bytes_reserved, stats.bytes_reserved);
  EXPECT_GE(after.bytes_reserved, after.bytes_in_use + 3072);
  tgc_cuda_free(again);
}

TEST_F(Cuda, OutOfMemoryIsAnError) {
  tgc_cuda_device_info info;
  ASSERT_EQ(tgc_cuda_get_device_info(&info), TGC_OK);
  size_t tooMuch = 2 * info.total_memory;
  EXPECT_EQ(tgc_cuda_alloc(tooMuch), nullptr);
  std::string expected = "out of device memory allocating " + std::to_string(tooMuch) + " bytes";
  EXPECT_NE(std::string(tgc_last_error()).find(expected), std::string::npos) << tgc_last_error();
  // The device still works.
  void *small = tgc_cuda_alloc(64);
  EXPECT_NE(small, nullptr);
  tgc_cuda_free(small);
}

TEST_F(Cuda, LaunchesAKernelThroughTheMgpuInterface) {
  std::vector<char> image(kTwicePtx, kTwicePtx + sizeof(kTwicePtx));
  void *module = mgpuModuleLoadJIT(image.data(), 2);
  void *function = mgpuModuleGetFunction(module, "twice");
  ASSERT_NE(function, nullptr);
  EXPECT_EQ(mgpuModuleGetFunction(module, "twice"), function); // cached

  constexpr uint32_t kCount = 1000;
  void *out = tgc_cuda_alloc(kCount * sizeof(uint32_t));
  ASSERT_NE(out, nullptr);
  mgpuMemset32(out, 7, kCount, mgpuStreamCreate());
  uint32_t n = kCount - 1; // the last element keeps the memset's value
  void *params[] = {&out, &n};
  mgpuLaunchKernel(function, (kCount + 255) / 256, 1, 1, 256, 1, 1, 0, mgpuStreamCreate(), params,
                   nullptr, 2);
  std::vector<uint32_t> result(kCount);
  ASSERT_EQ(tgc_cuda_copy_to_host(result.data(), out, kCount * sizeof(uint32_t)), TGC_OK);
  for (uint32_t i = 0; i + 1 < kCount; ++i)
    ASSERT_EQ(result[i], 2 * i) << "element " << i;
  EXPECT_EQ(result[kCount - 1], 7u);
  tgc_cuda_free(out);
}

/// Launches `twice` with 4096 threads per block, more than any GPU has.
void launchTooManyThreads() {
  tgc_cuda_init();
  std::vector<char> image(kTwicePtx, kTwicePtx + sizeof(kTwicePtx));
  void *function = mgpuModuleGetFunction(mgpuModuleLoadJIT(image.data(), 2), "twice");
  void *out = tgc_cuda_alloc(4);
  uint32_t n = 1;
  void *params[] = {&out, &n};
  mgpuLaunchKernel(function, 1, 1, 1, 4096, 1, 1, 0, nullptr, params, nullptr, 2);
}

TEST_F(Cuda, AFailingLaunchNamesTheErrorAndExits) {
  GTEST_FLAG_SET(death_test_style, "threadsafe"); // a fresh process: CUDA does not survive fork
  EXPECT_EXIT(launchTooManyThreads(), testing::ExitedWithCode(1),
              "error: CUDA failure in launching kernel twice: CUDA_ERROR_");
}

TEST_F(Cuda, GlobalsMirrorTheHost) {
  static float parameters[256];
  static const float constants[4] = {1, 2, 3, 4};
  for (int i = 0; i < 256; ++i)
    parameters[i] = float(i);
  void *device = tgc_cuda_global(parameters, sizeof(parameters), false);
  ASSERT_NE(device, nullptr);
  EXPECT_EQ(tgc_cuda_global(parameters, sizeof(parameters), false), device); // one copy
  void *deviceConstants = tgc_cuda_global(const_cast<float *>(constants), sizeof(constants), true);

  // The device copy starts as the host data; training changes it.
  std::vector<float> onDevice(256);
  ASSERT_EQ(tgc_cuda_copy_to_host(onDevice.data(), device, sizeof(parameters)), TGC_OK);
  EXPECT_EQ(onDevice[255], 255.0f);
  std::vector<float> trained(256, -1.0f);
  ASSERT_EQ(tgc_cuda_copy_to_device(device, trained.data(), sizeof(parameters)), TGC_OK);

  // Before a checkpoint is saved: device -> host (constants stay).
  tgc_cuda_globals_to_host();
  EXPECT_EQ(parameters[0], -1.0f);
  EXPECT_EQ(parameters[255], -1.0f);

  // After one is loaded: host -> device.
  parameters[3] = 42.0f;
  tgc_cuda_globals_to_device();
  ASSERT_EQ(tgc_cuda_copy_to_host(onDevice.data(), device, sizeof(parameters)), TGC_OK);
  EXPECT_EQ(onDevice[3], 42.0f);
  float constantsOnDevice[4];
  ASSERT_EQ(tgc_cuda_copy_to_host(constantsOnDevice, deviceConstants, sizeof(constants)), TGC_OK);
  EXPECT_EQ(constantsOnDevice[3], 4.0f);
}

TEST_F(Cuda, PinnedHostMemoryRoundTrips) {
  constexpr size_t kCount = 1 << 16;
  auto *pinned = static_cast<float *>(tgc_cuda_host_alloc(kCount * sizeof(float)));
  ASSERT_NE(pinned, nullptr) << tgc_last_error();
  for (size_t i = 0; i < kCount; ++i)
    pinned[i] = float(i) + 0.25f;
  void *device = tgc_cuda_alloc(kCount * sizeof(float));
  ASSERT_NE(device, nullptr);
  ASSERT_EQ(tgc_cuda_copy_to_device(device, pinned, kCount * sizeof(float)), TGC_OK);
  std::vector<float> back(kCount);
  ASSERT_EQ(tgc_cuda_copy_to_host(back.data(), device, kCount * sizeof(float)), TGC_OK);
  EXPECT_EQ(back, std::vector<float>(pinned, pinned + kCount));
  tgc_cuda_free(device);
  tgc_cuda_host_free(pinned);
  tgc_cuda_host_free(nullptr);
}

void freeOrdinaryMemoryAsPinned() {
  tgc_cuda_init();
  static float notPinned[4];
  tgc_cuda_host_free(notPinned);
}

TEST_F(Cuda, FreeingOtherMemoryAsPinnedIsFatal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(freeOrdinaryMemoryAsPinned(), testing::ExitedWithCode(1),
              "is not pinned memory of tgc_cuda_host_alloc");
}

/// A batch of two inputs (floats, ints) in pinned memory, and what a device
/// copy of one holds.
struct PinnedBatch {
  static constexpr size_t kFloats = 3000, kInts = 128;
  static constexpr size_t kBytes[2] = {kFloats * sizeof(float), kInts * sizeof(int32_t)};
  void *buffers[2];

  explicit PinnedBatch(int seed) {
    buffers[0] = tgc_cuda_host_alloc(kBytes[0]);
    buffers[1] = tgc_cuda_host_alloc(kBytes[1]);
    set(seed);
  }
  ~PinnedBatch() {
    tgc_cuda_host_free(buffers[0]);
    tgc_cuda_host_free(buffers[1]);
  }
  PinnedBatch(const PinnedBatch &) = delete;
  PinnedBatch &operator=(const PinnedBatch &) = delete;
  void set(int seed) {
    for (size_t i = 0; i < kFloats; ++i)
      static_cast<float *>(buffers[0])[i] = float(seed) + float(i) / 4;
    for (size_t i = 0; i < kInts; ++i)
      static_cast<int32_t *>(buffers[1])[i] = seed * 1000 + int32_t(i);
  }
  /// Whether the device buffers hold this batch (waits for them).
  testing::AssertionResult isOn(void *const *device) const {
    for (int i = 0; i < 2; ++i) {
      std::vector<char> back(kBytes[i]);
      if (tgc_cuda_copy_to_host(back.data(), device[i], kBytes[i]) != TGC_OK)
        return testing::AssertionFailure() << tgc_last_error();
      if (std::memcmp(back.data(), buffers[i], kBytes[i]) != 0)
        return testing::AssertionFailure() << "input " << i << " differs";
    }
    return testing::AssertionSuccess();
  }
};

class CudaBatches : public Cuda {
protected:
  void SetUp() override {
    Cuda::SetUp();
    if (IsSkipped())
      return;
    device[0] = tgc_cuda_alloc(PinnedBatch::kBytes[0]);
    device[1] = tgc_cuda_alloc(PinnedBatch::kBytes[1]);
  }
  void TearDown() override {
    tgc_cuda_free(device[0]);
    tgc_cuda_free(device[1]);
  }
  tgc_status prefetch(const PinnedBatch &batch) {
    return tgc_cuda_batch_prefetch(&handle, 2, batch.buffers, PinnedBatch::kBytes);
  }
  /// Gives a call `batch`: `bound` is where it reads it, the fixture's
  /// device buffers or a staging copy.
  tgc_status upload(const PinnedBatch &batch) {
    bound[0] = device[0];
    bound[1] = device[1];
    return tgc_cuda_batch_upload(&handle, 2, batch.buffers, bound, PinnedBatch::kBytes);
  }
  bool inPlace() const { return bound[0] != device[0] && bound[1] != device[1]; }

  void *handle = nullptr;
  void *device[2] = {};
  void *bound[2] = {};
};

// The fake driver runs the prefetch stream's copies only when something
// waits for them: an upload that did not wait would find the staging copy
// unwritten (NaNs).
TEST_F(CudaBatches, UploadsUsePrefetchedCopiesInAnyOrder) {
  PinnedBatch a(1), b(2), c(3);
  ASSERT_EQ(prefetch(a), TGC_OK) << tgc_last_error();
  ASSERT_EQ(upload(a), TGC_OK) << tgc_last_error();
  EXPECT_TRUE(inPlace()) << "a prefetched batch is read in its staging copy";
  EXPECT_TRUE(a.isOn(bound));
  ASSERT_EQ(tgc_cuda_batch_release(&handle), TGC_OK);
  // Two batches wait; they are taken out of order, and a third one that was
  // not prefetched is copied directly.
  ASSERT_EQ(prefetch(a), TGC_OK);
  ASSERT_EQ(prefetch(b), TGC_OK);
  ASSERT_EQ(upload(c), TGC_OK);
  EXPECT_FALSE(inPlace());
  EXPECT_TRUE(c.isOn(bound));
  ASSERT_EQ(upload(b), TGC_OK);
  EXPECT_TRUE(inPlace());
  EXPECT_TRUE(b.isOn(bound));
  ASSERT_EQ(upload(a), TGC_OK); // (b's call released by this upload)
  EXPECT_TRUE(a.isOn(bound));
  ASSERT_EQ(tgc_cuda_batch_release(&handle), TGC_OK);
  // The staging copies were used up: the next upload reads the host.
  a.set(11);
  ASSERT_EQ(upload(a), TGC_OK);
  EXPECT_FALSE(inPlace());
  EXPECT_TRUE(a.isOn(bound));
}

// A prefetch never writes the staging copy a call is reading: it takes the
// other one, dropping the batch that waits there.
TEST_F(CudaBatches, APrefetchLeavesTheCopyACallReads) {
  PinnedBatch a(1), b(2), c(3);
  ASSERT_EQ(prefetch(a), TGC_OK);
  ASSERT_EQ(prefetch(b), TGC_OK);
  ASSERT_EQ(upload(a), TGC_OK);
  void *reading[2] = {bound[0], bound[1]};
  ASSERT_EQ(prefetch(c), TGC_OK); // a's copy is older, but read: b's is dropped
  EXPECT_TRUE(a.isOn(reading));
  ASSERT_EQ(tgc_cuda_batch_release(&handle), TGC_OK);
  ASSERT_EQ(upload(c), TGC_OK);
  EXPECT_TRUE(inPlace());
  EXPECT_TRUE(c.isOn(bound));
  EXPECT_NE(bound[0], reading[0]);
  b.set(5);
  ASSERT_EQ(upload(b), TGC_OK);
  EXPECT_FALSE(inPlace()) << "b's prefetch was dropped";
  EXPECT_TRUE(b.isOn(bound));
}

// The next batch goes to the staging copy read longest ago: the work of the
// call that released the other may still be reading it on the device.
TEST_F(CudaBatches, PrefetchesAlternateBetweenTheStagingCopies) {
  PinnedBatch a(1), b(2);
  void *previous = nullptr;
  for (int step = 0; step < 4; ++step) {
    PinnedBatch &batch = step % 2 ? b : a;
    batch.set(step);
    ASSERT_EQ(prefetch(batch), TGC_OK);
    ASSERT_EQ(upload(batch), TGC_OK);
    EXPECT_TRUE(inPlace());
    EXPECT_NE(bound[0], previous) << "step " << step;
    EXPECT_TRUE(batch.isOn(bound));
    ASSERT_EQ(tgc_cuda_batch_release(&handle), TGC_OK);
    previous = bound[0];
  }
}

TEST_F(CudaBatches, AThirdPrefetchDropsTheOldest) {
  PinnedBatch a(1), b(2), c(3);
  ASSERT_EQ(prefetch(a), TGC_OK);
  ASSERT_EQ(prefetch(b), TGC_OK);
  ASSERT_EQ(prefetch(c), TGC_OK);
  ASSERT_EQ(upload(c), TGC_OK);
  EXPECT_TRUE(c.isOn(bound));
  ASSERT_EQ(upload(b), TGC_OK);
  EXPECT_TRUE(b.isOn(bound));
  // a's copy was dropped (its slot holds c's): a is read from the host now.
  a.set(7);
  ASSERT_EQ(upload(a), TGC_OK);
  EXPECT_FALSE(inPlace());
  EXPECT_TRUE(a.isOn(bound));
}

TEST_F(CudaBatches, APrefixOfThePrefetchedBuffersUsesItsCopy) {
  PinnedBatch a(4);
  ASSERT_EQ(prefetch(a), TGC_OK);
  bound[0] = device[0];
  ASSERT_EQ(tgc_cuda_batch_upload(&handle, 1, a.buffers, bound, PinnedBatch::kBytes), TGC_OK);
  EXPECT_EQ(bound[0], device[0]) << "a prefix is copied from the staging copy";
  std::vector<float> back(PinnedBatch::kFloats);
  ASSERT_EQ(tgc_cuda_copy_to_host(back.data(), bound[0], PinnedBatch::kBytes[0]), TGC_OK);
  EXPECT_EQ(std::memcmp(back.data(), a.buffers[0], PinnedBatch::kBytes[0]), 0);
}

TEST_F(CudaBatches, PrefetchesOfOtherSizesAreRefused) {
  PinnedBatch a(1);
  ASSERT_EQ(prefetch(a), TGC_OK);
  const size_t other[2] = {PinnedBatch::kBytes[0], 4};
  EXPECT_EQ(tgc_cuda_batch_prefetch(&handle, 2, a.buffers, other), TGC_ERROR_ARGUMENT);
  EXPECT_NE(std::string(tgc_last_error()).find("differs from the first one"), std::string::npos)
      << tgc_last_error();
  EXPECT_EQ(tgc_cuda_batch_prefetch(&handle, 0, a.buffers, other), TGC_ERROR_ARGUMENT);
  ASSERT_EQ(upload(a), TGC_OK); // the first prefetch still stands
  EXPECT_TRUE(inPlace());
  EXPECT_TRUE(a.isOn(bound));
}

// Prefetch copies run on the copy stream: profiling times them with events
// there, as one row of their own, read when their staging copy is uploaded
// or reused, or by the report (which waits for them).
TEST_F(CudaBatches, ProfileTimesPrefetchCopies) {
  tgc_cuda_device_info info;
  ASSERT_EQ(tgc_cuda_get_device_info(&info), TGC_OK);
  bool fake = std::string(info.name) == "fake CUDA device";
  PinnedBatch a(1), b(2), c(3), d(4);
  ASSERT_EQ(tgc_cuda_profile(true), TGC_OK);
  ASSERT_EQ(prefetch(a), TGC_OK);
  ASSERT_EQ(upload(a), TGC_OK); // read at the upload
  ASSERT_EQ(prefetch(b), TGC_OK);
  ASSERT_EQ(prefetch(c), TGC_OK);
  // The prefetch did not wait for its copies: the fake runs them when
  // something waits (here the upload of d, queued after them), and they
  // read the pinned buffers as they are then.
  if (fake)
    c.set(33);
  ASSERT_EQ(prefetch(d), TGC_OK); // drops b's, read at this reuse
  ASSERT_EQ(upload(d), TGC_OK);
  // c's time is read by the report.
  ASSERT_EQ(tgc_cuda_profile(false), TGC_OK);
  std::string report = tgc_cuda_profile_report();
  // 8 copies on the copy stream; the uploads read the staging copies in
  // place (no copy on the stream).
  EXPECT_EQ(report.find("tgc CUDA profile: 8 calls"), 0u) << report;
  EXPECT_NE(report.find("  cuMemcpyAsync (batch prefetch)\n"), std::string::npos) << report;
  EXPECT_EQ(report.find("  cuMemcpyAsync\n"), std::string::npos) << report;
  if (fake) { // a millisecond per copy
    EXPECT_NE(
        report.find("   8.000  100.0        8       1000.0  cuMemcpyAsync (batch prefetch)\n"),
        std::string::npos)
        << report;
  }
  EXPECT_TRUE(d.isOn(bound));
  ASSERT_EQ(upload(c), TGC_OK);
  EXPECT_TRUE(c.isOn(bound)) << "c's prefetch waited for its copies";
  // Enabling again drops a prefetch timed before; an upload from the host
  // is a copy on the stream.
  ASSERT_EQ(tgc_cuda_profile(true), TGC_OK);
  ASSERT_EQ(prefetch(a), TGC_OK);
  ASSERT_EQ(tgc_cuda_profile(true), TGC_OK);
  ASSERT_EQ(upload(a), TGC_OK);
  ASSERT_EQ(upload(b), TGC_OK);
  ASSERT_EQ(tgc_cuda_profile(false), TGC_OK);
  report = tgc_cuda_profile_report();
  EXPECT_EQ(report.find("tgc CUDA profile: 2 calls"), 0u) << report;
  EXPECT_NE(report.find("  cuMemcpyAsync\n"), std::string::npos) << report;
  EXPECT_EQ(report.find("batch prefetch"), std::string::npos) << report;
}

// As the training main: a producer thread prefetches batch s + 1 while the
// main thread uploads batch s and waits for the device.
TEST_F(CudaBatches, APrefetchingThreadFeedsTheSteps) {
  constexpr int kSteps = 40;
  PinnedBatch sets[2] = {PinnedBatch(0), PinnedBatch(0)};
  std::mutex mutex;
  std::condition_variable changed;
  int filled = 0, released = 0;
  tgc_status producerStatus = TGC_OK;
  std::thread producer([&] {
    for (int step = 0; step < kSteps; ++step) {
      {
        std::unique_lock<std::mutex> lock(mutex);
        changed.wait(lock, [&] { return released >= step - 1; });
      }
      sets[step % 2].set(step);
      tgc_status status = prefetch(sets[step % 2]);
      std::lock_guard<std::mutex> lock(mutex);
      if (status != TGC_OK)
        producerStatus = status;
      filled = step + 1;
      changed.notify_all();
    }
  });
  for (int step = 0; step < kSteps; ++step) {
    {
      std::unique_lock<std::mutex> lock(mutex);
      changed.wait(lock, [&] { return filled > step; });
    }
    EXPECT_EQ(upload(sets[step % 2]), TGC_OK);
    EXPECT_TRUE(sets[step % 2].isOn(bound)) << "step " << step;
    EXPECT_EQ(tgc_cuda_batch_release(&handle), TGC_OK);
    std::lock_guard<std::mutex> lock(mutex);
    released = step + 1;
    changed.notify_all();
  }
  producer.join();
  EXPECT_EQ(producerStatus, TGC_OK);
}

} // namespace
