//===- CudaTrainMainTest.cpp - the training main's batch prefetch ---------===//
//
// tgc_train_main with a model that prefetches as compiled CUDA models do:
// softmax regression whose step, eval_loss and predict take their batch from
// device buffers, filled by tgc_cuda_batch_upload from the copy that its
// prefetch started (tgc_cuda_batch_prefetch). Needs a device: on the fake
// driver (where the prefetch stream's copies run only when waited for) or a
// GPU; skipped elsewhere.
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
  // Calls whose batch was prefetched and is unchanged since.
  int64_t stepsOfUnchangedPrefetches = 0, evalsOfUnchangedPrefetches = 0;
  // Checksums of the batches that eval_loss and predict got from the device.
  std::vector<uint64_t> evalBatches, predictBatches;
};

Record *record;
const tgc_model *softmax;
size_t inputBytes[2];
void *deviceInputs[2];
void *batches;

uint64_t checksum(void *const *inputs, int count = 2) {
  uint64_t hash = 14695981039346656037ull;
  for (int i = 0; i < count; ++i)
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

/// The first `count` inputs go host -> device (from the prefetched copy
/// when there is one) -> host; `unchanged` counts a batch that was
/// prefetched and has not changed since.
std::vector<std::vector<char>> throughDevice(void *const *inputs, int count,
                                             int64_t Record::*unchanged) {
  {
    std::lock_guard<std::mutex> lock(record->mutex);
    auto pending = record->pending.find(inputs[0]);
    if (pending != record->pending.end() && pending->second == checksum(inputs))
      ++(record->*unchanged);
    if (pending != record->pending.end())
      record->pending.erase(pending);
  }
  for (int i = 0; i < 2; ++i)
    if (!deviceInputs[i])
      deviceInputs[i] = tgc_cuda_alloc(inputBytes[i]);
  if (tgc_cuda_batch_upload(&batches, count, inputs, deviceInputs, inputBytes) != TGC_OK)
    ADD_FAILURE() << tgc_last_error();
  std::vector<std::vector<char>> onHost;
  for (int i = 0; i < count; ++i) {
    onHost.emplace_back(inputBytes[i]);
    if (tgc_cuda_copy_to_host(onHost.back().data(), deviceInputs[i], inputBytes[i]) != TGC_OK)
      ADD_FAILURE() << tgc_last_error();
  }
  return onHost;
}

/// Softmax regression's step on what came back from the device.
float step(void *const *inputs) {
  std::vector<std::vector<char>> batch =
      throughDevice(inputs, 2, &Record::stepsOfUnchangedPrefetches);
  void *onHost[2] = {batch[0].data(), batch[1].data()};
  return softmax->step(onHost);
}

float evalLoss(void *const *inputs) {
  std::vector<std::vector<char>> batch =
      throughDevice(inputs, 2, &Record::evalsOfUnchangedPrefetches);
  void *onHost[2] = {batch[0].data(), batch[1].data()};
  record->evalBatches.push_back(checksum(onHost));
  return softmax->eval_loss(onHost);
}

/// As compiled models' predict: only the images (a prefix of the inputs).
void predict(void *const *inputs, float *logits) {
  std::vector<std::vector<char>> batch =
      throughDevice(inputs, 1, &Record::evalsOfUnchangedPrefetches);
  void *onHost[2] = {batch[0].data(), nullptr};
  record->predictBatches.push_back(checksum(onHost, 1));
  softmax->predict(onHost, logits);
}

/// Softmax regression (batches of 20) with a prefetch, and a fresh record.
const tgc_model &prefetchingModel(Record &fresh, float learningRate = 0.1f) {
  static tgc_model table;
  softmax = &softmaxRegression(20, learningRate);
  table = *softmax;
  table.step = step;
  table.eval_loss = evalLoss;
  table.predict = predict;
  table.prefetch = prefetch;
  record = &fresh;
  inputBytes[0] = 20 * 784 * sizeof(float);
  inputBytes[1] = 20 * sizeof(int32_t);
  batches = nullptr; // staging copies of the last test stay behind, unused
  return table;
}

/// The synthetic set of TrainMainTest: 200 training and 50 test images, an
/// epoch of 10 steps. The last 10 test images, which only the window of the
/// last batch reaches, are mislabeled: the model learns the set in an epoch,
/// so the test accuracy is 80% with them, 100% if that window were another.
class CudaTrainMain : public testing::Test {
protected:
  void SetUp() override {
    if (tgc_cuda_init() != TGC_OK)
      GTEST_SKIP() << "SKIPPED: no CUDA device (" << tgc_last_error() << ")";
    writeSyntheticMnist(data.path(), 200, 50, /*mislabeledTestTail=*/10);
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
  // Evaluations at steps 10, 20 and 25, each of 2 full test batches and
  // the window of the last 10 examples (predicted only).
  EXPECT_EQ(prefetched.prefetches, 25 + 3 * 3);
  EXPECT_EQ(prefetched.stepsOfUnchangedPrefetches, 25)
      << "every step's batch was prefetched, and unchanged until the step";
  EXPECT_EQ(prefetched.evalsOfUnchangedPrefetches, 3 * 3)
      << "every evaluation's batch was prefetched, and unchanged until its first call "
         "(predict after eval_loss copies the images itself)";
  EXPECT_FALSE(prefetched.prefetchThreads.empty());
  EXPECT_EQ(prefetched.prefetchThreads.count(std::this_thread::get_id()), 0u)
      << "producer threads prefetch, not the main thread";

  // The test batches reached eval_loss and predict from the device, in
  // order, as without prefetch; they differ, so that a stale or skipped one
  // would show here (and in the metrics below).
  EXPECT_EQ(prefetched.evalBatches, sequential.evalBatches);
  EXPECT_EQ(prefetched.predictBatches, sequential.predictBatches);
  ASSERT_EQ(sequential.evalBatches.size(), 3u * 2);
  ASSERT_EQ(sequential.predictBatches.size(), 3u * 3);
  EXPECT_EQ(
      std::set<uint64_t>(sequential.predictBatches.begin(), sequential.predictBatches.end()).size(),
      3u);

  // Losses and evaluations bit for bit (the throughput column differs).
  std::vector<CsvRow> a = readCsv(out.file("without.csv")), b = readCsv(out.file("with.csv"));
  ASSERT_EQ(a.size(), 26u);
  ASSERT_EQ(b.size(), a.size());
  for (size_t row = 1; row < a.size(); ++row) {
    a[row][3] = b[row][3] = "";
    EXPECT_EQ(a[row], b[row]) << "row " << row;
  }
  EXPECT_EQ(a[25][5], "0.800000") << "the accuracy tells the last window from the others";
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

TEST_F(CudaTrainMain, AFailedEvaluationPrefetchStopsTrainingWithItsError) {
  Record failing;
  failing.failAt = 12; // the second batch of the first evaluation
  RunResult result =
      run({"--steps", "10", "--eval", "--metrics", out.file("m.csv")}, prefetchingModel(failing));
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.err,
              HasSubstr("train: error: a batch prefetch of 0 buffers differs from the first one"));
  // Step 10's row waits for its evaluation.
  EXPECT_EQ(losses(readCsv(out.file("m.csv"))).size(), 9u);
  EXPECT_EQ(failing.evalBatches.size(), 1u);
}

// A resumed run with nothing left to train evaluates: its evaluation's
// prefetches are the first of the process.
TEST_F(CudaTrainMain, AnEvaluationAloneIsPrefetchedToo) {
  Record first, sequential, prefetched;
  ASSERT_EQ(run({"--steps", "10", "--quiet", "--save", out.file("ck.st")}, prefetchingModel(first))
                .status,
            0);
  setenv("TGC_PREFETCH", "0", 1);
  RunResult without =
      run({"--steps", "10", "--eval", "--resume", out.file("ck.st")}, prefetchingModel(sequential));
  ASSERT_EQ(without.status, 0) << without.err;
  unsetenv("TGC_PREFETCH");
  RunResult with =
      run({"--steps", "10", "--eval", "--resume", out.file("ck.st")}, prefetchingModel(prefetched));
  ASSERT_EQ(with.status, 0) << with.err;
  EXPECT_EQ(prefetched.prefetches, 3);
  EXPECT_EQ(prefetched.evalsOfUnchangedPrefetches, 3);
  EXPECT_EQ(prefetched.evalBatches, sequential.evalBatches);
  EXPECT_EQ(prefetched.predictBatches, sequential.predictBatches);
  EXPECT_THAT(with.out, HasSubstr("nothing to train: the run is at step 10 of 10, test loss"));
  EXPECT_THAT(with.out, HasSubstr("test accuracy 80.00% (50 examples)"));
  // The summary (test loss and accuracy) is the same.
  auto summary = [](const std::string &out) { return out.substr(out.find("nothing to train")); };
  EXPECT_EQ(summary(with.out), summary(without.out));
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
