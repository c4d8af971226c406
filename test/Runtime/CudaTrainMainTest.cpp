//===- CudaTrainMainTest.cpp - the training main's batch prefetch ---------===//
//
// tgc_train_main with a model that prefetches as compiled CUDA models do:
// softmax regression whose step takes its batch from device buffers, filled
// by tgc_cuda_batch_upload from the copy that its prefetch started
// (tgc_cuda_batch_prefetch). Needs a device: on the fake driver (where the
// prefetch stream's copies run only when waited for) or a GPU; skipped
// elsewhere.
//
//===----------------------------------------------------------------------===//

#include "FakeModel.h"
#include "TestFiles.h"

#include "tgc/runtime.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace {

using namespace tgc::test;
using testing::HasSubstr;

/// What the prefetching model saw.
struct Record {
  std::mutex mutex;
  std::set<std::thread::id> prefetchThreads;
  std::map<const void *, uint64_t> pending; // images buffer -> checksum at prefetch
  int64_t prefetches = 0, failAt = 0;
  int64_t stepsOfUnchangedPrefetches = 0;
};

Record *record;
const tgc_model *softmax;
size_t inputBytes[2];
void *deviceInputs[2];
void *batches;

uint64_t checksum(void *const *inputs) {
  uint64_t hash = 14695981039346656037ull;
  for (int i = 0; i < 2; ++i)
    for (size_t b = 0; b < inputBytes[i]; ++b)
      hash = (hash ^ static_cast<const unsigned char *>(inputs[i])[b]) * 1099511628211ull;
  return hash;
}

int prefetch(void *const *inputs) {
  std::lock_guard<std::mutex> lock(record->mutex);
  record->prefetchThreads.insert(std::this_thread::get_id());
  if (++record->prefetches == record->failAt) // a real error of the runtime
    return tgc_cuda_batch_prefetch(&batches, 0, inputs, inputBytes);
  record->pending[inputs[0]] = checksum(inputs);
  return tgc_cuda_batch_prefetch(&batches, 2, inputs, inputBytes);
}

/// The batch goes host -> device (from the prefetched copy when there is
/// one) -> host, and softmax regression's step runs on what came back.
float step(void *const *inputs) {
  {
    std::lock_guard<std::mutex> lock(record->mutex);
    auto pending = record->pending.find(inputs[0]);
    if (pending != record->pending.end() && pending->second == checksum(inputs))
      ++record->stepsOfUnchangedPrefetches;
    if (pending != record->pending.end())
      record->pending.erase(pending);
  }
  for (int i = 0; i < 2; ++i)
    if (!deviceInputs[i])
      deviceInputs[i] = tgc_cuda_alloc(inputBytes[i]);
  if (tgc_cuda_batch_upload(&batches, 2, inputs, deviceInputs, inputBytes) != TGC_OK)
    ADD_FAILURE() << tgc_last_error();
  std::vector<float> images(inputBytes[0] / sizeof(float));
  std::vector<int32_t> labels(inputBytes[1] / sizeof(int32_t));
  if (tgc_cuda_copy_to_host(images.data(), deviceInputs[0], inputBytes[0]) != TGC_OK ||
      tgc_cuda_copy_to_host(labels.data(), deviceInputs[1], inputBytes[1]) != TGC_OK)
    ADD_FAILURE() << tgc_last_error();
  void *onHost[2] = {images.data(), labels.data()};
  return softmax->step(onHost);
}

/// Softmax regression (batches of 20) with a prefetch, and a fresh record.
const tgc_model &prefetchingModel(Record &fresh, float learningRate = 0.1f) {
  static tgc_model table;
  softmax = &softmaxRegression(20, learningRate);
  table = *softmax;
  table.step = step;
  table.prefetch = prefetch;
  record = &fresh;
  inputBytes[0] = 20 * 784 * sizeof(float);
  inputBytes[1] = 20 * sizeof(int32_t);
  batches = nullptr; // staging copies of the last test stay behind, unused
  return table;
}

/// The synthetic set of TrainMainTest: 200 training and 50 test images, an
/// epoch of 10 steps.
class CudaTrainMain : public testing::Test {
protected:
  void SetUp() override {
    if (tgc_cuda_init() != TGC_OK)
      GTEST_SKIP() << "SKIPPED: no CUDA device (" << tgc_last_error() << ")";
    writeSyntheticMnist(data.path(), 200, 50);
  }
  void TearDown() override { unsetenv("TGC_PREFETCH"); }

  RunResult run(std::vector<std::string> args, const tgc_model &model) {
    args.insert(args.begin(), {"--data", data.path()});
    return trainMain(args, model);
  }

  TempDir data, out;
};

TEST_F(CudaTrainMain, PrefetchingGivesTheSameRunOnASecondThread) {
  Record sequential, prefetched;
  setenv("TGC_PREFETCH", "0", 1);
  RunResult without = run({"--steps", "25", "--eval", "--metrics", out.file("without.csv")},
                          prefetchingModel(sequential));
  ASSERT_EQ(without.status, 0) << without.err;
  EXPECT_EQ(sequential.prefetches, 0);
  EXPECT_THAT(without.out, testing::Not(HasSubstr("prefetched")));

  unsetenv("TGC_PREFETCH");
  RunResult with = run({"--steps", "25", "--eval", "--metrics", out.file("with.csv")},
                       prefetchingModel(prefetched));
  ASSERT_EQ(with.status, 0) << with.err;
  EXPECT_THAT(with.out, HasSubstr(", batches prefetched by a second thread"));
  EXPECT_EQ(prefetched.prefetches, 25);
  EXPECT_EQ(prefetched.stepsOfUnchangedPrefetches, 25)
      << "every step's batch was prefetched, and unchanged until the step";
  EXPECT_EQ(prefetched.prefetchThreads.size(), 1u);
  EXPECT_EQ(prefetched.prefetchThreads.count(std::this_thread::get_id()), 0u);

  // Losses and evaluations bit for bit (the throughput column differs).
  std::vector<CsvRow> a = readCsv(out.file("without.csv")), b = readCsv(out.file("with.csv"));
  ASSERT_EQ(a.size(), 26u);
  ASSERT_EQ(b.size(), a.size());
  for (size_t row = 1; row < a.size(); ++row) {
    a[row][3] = b[row][3] = "";
    EXPECT_EQ(a[row], b[row]) << "row " << row;
  }
}

TEST_F(CudaTrainMain, ResumeWithPrefetchContinuesBitExactly) {
  Record whole, first, second;
  ASSERT_EQ(run({"--steps", "25", "--seed", "3", "--quiet", "--save", out.file("whole.st"),
                 "--metrics", out.file("whole.csv")},
                prefetchingModel(whole))
                .status,
            0);
  ASSERT_EQ(run({"--steps", "13", "--seed", "3", "--quiet", "--save", out.file("half.st"),
                 "--metrics", out.file("pieces.csv")},
                prefetchingModel(first))
                .status,
            0);
  RunResult resumed = run({"--steps", "25", "--quiet", "--resume", out.file("half.st"), "--save",
                           out.file("resumed.st"), "--metrics", out.file("pieces.csv")},
                          prefetchingModel(second));
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_EQ(second.prefetches, 12);
  EXPECT_EQ(readBytes(out.file("resumed.st")), readBytes(out.file("whole.st")));
  EXPECT_EQ(losses(readCsv(out.file("pieces.csv"))), losses(readCsv(out.file("whole.csv"))));
}

TEST_F(CudaTrainMain, AFailedPrefetchStopsTrainingWithItsError) {
  Record failing;
  failing.failAt = 6;
  RunResult result =
      run({"--steps", "20", "--metrics", out.file("m.csv")}, prefetchingModel(failing));
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.err,
              HasSubstr("train: error: a batch prefetch of 0 buffers differs from the first one"));
  // The five batches before it were trained on.
  EXPECT_EQ(losses(readCsv(out.file("m.csv"))).size(), 5u);
}

TEST_F(CudaTrainMain, DivergenceStopsTheProducerToo) {
  Record diverging;
  RunResult result = run({"--epochs", "5", "--save", out.file("ck")},
                         prefetchingModel(diverging, /*learningRate=*/1e30f));
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.err, HasSubstr("training diverged"));
  EXPECT_LE(diverging.prefetches, softmaxSteps() + 2) << "at most two steps ahead";
}

TEST_F(CudaTrainMain, PrefetchSettingIsChecked) {
  Record unused;
  setenv("TGC_PREFETCH", "yes", 1);
  RunResult result = run({"--steps", "2"}, prefetchingModel(unused));
  EXPECT_EQ(result.status, 2);
  EXPECT_THAT(result.err, HasSubstr("TGC_PREFETCH is 'yes'; it must be 0 or 1"));
  EXPECT_EQ(unused.prefetches, 0);
}

} // namespace
