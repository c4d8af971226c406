//===- TrainMainTest.cpp - tgc_train_main end to end with a fake model ----===//

#include "FakeModel.h"
#include "TestFiles.h"

#include "tgc/runtime.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

namespace {

using namespace tgc::test;
using testing::HasSubstr;

/// A synthetic dataset: 200 training and 50 test images; with batches of
/// 20, an epoch is 10 steps.
class TrainMain : public testing::Test {
protected:
  void SetUp() override { writeSyntheticMnist(data.path(), 200, 50); }

  RunResult run(std::vector<std::string> args, int64_t batch = 20) {
    args.insert(args.begin(), {"--data", data.path()});
    return trainMain(args, softmaxRegression(batch));
  }

  TempDir data, out;
};

TEST_F(TrainMain, HelpListsTheFlags) {
  RunResult result = trainMain({"--help"}, softmaxRegression(20));
  EXPECT_EQ(result.status, 0);
  EXPECT_THAT(result.out, HasSubstr("Usage: train --data DIR"));
  EXPECT_THAT(result.out, HasSubstr("model 'softmax_regression'"));
  for (const char *flag : {"--epochs", "--steps", "--seed", "--save PATH", "--save-every",
                           "--resume", "--eval", "--metrics", "--quiet"})
    EXPECT_THAT(result.out, HasSubstr(flag));
  EXPECT_EQ(result.err, "");
}

TEST_F(TrainMain, BadFlagsExitWithTwoBeforeTraining) {
  struct Case {
    std::vector<std::string> args;
    const char *message;
  } cases[] = {
      {{"--epoch", "2"}, "unknown flag '--epoch'"},
      {{"--epochs"}, "--epochs needs a value"},
      {{"--epochs", "0"}, "--epochs needs an integer above 0, got '0'"},
      {{"--steps", "ten"}, "--steps needs an integer above 0, got 'ten'"},
      {{"--seed", "-1"}, "--seed needs an integer of 0 or more, got '-1'"},
      {{"--epochs", "1", "--steps", "5"}, "give --epochs or --steps, not both"},
      {{"--save-every", "5"}, "--save-every needs --save PATH"},
      {{"--quiet=yes"}, "--quiet takes no value"},
      {{"extra"}, "unexpected argument 'extra'"},
  };
  for (const Case &c : cases) {
    RunResult result = run(c.args);
    EXPECT_EQ(result.status, 2) << c.message;
    EXPECT_EQ(result.err, std::string("train: error: ") + c.message + " (see --help)\n");
    EXPECT_EQ(softmaxSteps(), 0);
  }
  RunResult noData = trainMain({"--epochs", "1"}, softmaxRegression(20));
  EXPECT_EQ(noData.status, 2);
  EXPECT_THAT(noData.err, HasSubstr("--data DIR is required"));
}

TEST_F(TrainMain, MissingDataFilesAreNamed) {
  RunResult result = trainMain({"--data", out.path()}, softmaxRegression(20));
  EXPECT_EQ(result.status, 1);
  EXPECT_EQ(result.err, "train: error: " + out.path() +
                            ": no train-images-idx3-ubyte.gz, train-images-idx3-ubyte or "
                            "train-images.npy\n");
}

TEST_F(TrainMain, TrainsReportsAndEvaluates) {
  std::string metrics = out.file("metrics.csv");
  RunResult result = run({"--epochs", "3", "--eval", "--metrics", metrics, "--seed", "3"});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_EQ(result.err, "");
  EXPECT_THAT(result.out, HasSubstr("training model 'softmax_regression': 200 examples, 10 "
                                    "batches of 20 per epoch, 30 steps"));
  EXPECT_THAT(result.out, HasSubstr("epoch 1/3 done: train loss"));
  EXPECT_THAT(result.out, HasSubstr("epoch 3/3 done: train loss"));
  EXPECT_THAT(result.out, HasSubstr("trained 30 steps"));

  std::vector<CsvRow> rows = readCsv(metrics);
  ASSERT_EQ(rows.size(), 31u);
  EXPECT_EQ(rows[0],
            (CsvRow{"step", "epoch", "loss", "examples_per_s", "eval_loss", "eval_accuracy"}));
  double firstEpoch = 0, lastEpoch = 0;
  for (int step = 1; step <= 30; ++step) {
    const CsvRow &row = rows[size_t(step)];
    ASSERT_EQ(row.size(), 6u) << "row " << step;
    EXPECT_EQ(row[0], std::to_string(step));
    EXPECT_EQ(row[1], std::to_string((step - 1) / 10 + 1));
    EXPECT_GT(std::stod(row[3]), 0);
    double loss = std::stod(row[2]);
    if (step <= 10)
      firstEpoch += loss;
    if (step > 20)
      lastEpoch += loss;
    bool evaluated = step % 10 == 0;
    EXPECT_EQ(row[4].empty(), !evaluated) << "row " << step;
    EXPECT_EQ(row[5].empty(), !evaluated) << "row " << step;
  }
  EXPECT_LT(lastEpoch, firstEpoch / 2) << "the loss falls";
  double accuracy = std::stod(rows[30][5]);
  EXPECT_GE(accuracy, 0.9) << "40 of 50 test images (two batches of 20)";
  EXPECT_THAT(result.out, HasSubstr("test accuracy"));
  EXPECT_THAT(result.out, HasSubstr("(40 examples)"));
}

TEST_F(TrainMain, QuietPrintsNothing) {
  RunResult result = run({"--steps", "3", "--quiet"});
  EXPECT_EQ(result.status, 0);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "");
  EXPECT_EQ(softmaxSteps(), 3);
}

// The run that stops at step 12 (in the middle of epoch 2) and resumes must
// retrace the run without a break: same losses, same final checkpoint.
TEST_F(TrainMain, ResumeContinuesBitExactly) {
  ASSERT_EQ(run({"--steps", "25", "--seed", "9", "--quiet", "--save", out.file("whole.st"),
                 "--metrics", out.file("whole.csv")})
                .status,
            0);
  ASSERT_EQ(run({"--steps", "12", "--seed", "9", "--quiet", "--save", out.file("half.st"),
                 "--metrics", out.file("first.csv")})
                .status,
            0);
  RunResult resumed = run({"--steps", "25", "--quiet", "--resume", out.file("half.st"), "--save",
                           out.file("resumed.st"), "--metrics", out.file("second.csv")});
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_EQ(softmaxSteps(), 13);

  EXPECT_EQ(readBytes(out.file("resumed.st")), readBytes(out.file("whole.st")))
      << "the same state, step, epoch and seed";
  std::vector<std::string> whole = losses(readCsv(out.file("whole.csv")));
  std::vector<std::string> pieces = losses(readCsv(out.file("first.csv")));
  std::vector<std::string> second = losses(readCsv(out.file("second.csv")));
  pieces.insert(pieces.end(), second.begin(), second.end());
  EXPECT_EQ(pieces, whole);
  ASSERT_EQ(whole.size(), 25u);
}

TEST_F(TrainMain, ResumeAppendsToTheMetricsFile) {
  std::string metrics = out.file("m.csv");
  ASSERT_EQ(run({"--steps", "4", "--quiet", "--save", out.file("ck"), "--metrics", metrics}).status,
            0);
  ASSERT_EQ(
      run({"--steps", "6", "--quiet", "--resume", out.file("ck"), "--metrics", metrics}).status, 0);
  std::vector<CsvRow> rows = readCsv(metrics);
  ASSERT_EQ(rows.size(), 7u);
  for (int step = 1; step <= 6; ++step)
    EXPECT_EQ(rows[size_t(step)][0], std::to_string(step));
}

TEST_F(TrainMain, SavesEveryNSteps) {
  std::string checkpoint = out.file("ck");
  std::vector<std::string> seenAtStep7;
  const tgc_model &model = softmaxRegression(20);
  onSoftmaxStep([&](int64_t step) {
    if (step == 7)
      seenAtStep7.push_back(readBytes(checkpoint).substr(8, 200));
  });
  std::vector<std::string> args = {"--data", data.path(), "--steps",      "12", "--quiet",
                                   "--save", checkpoint,  "--save-every", "5"};
  RunResult result = trainMain(args, model);
  ASSERT_EQ(result.status, 0) << result.err;
  ASSERT_EQ(seenAtStep7.size(), 1u);
  EXPECT_THAT(seenAtStep7[0], HasSubstr("\"step\":\"5\""));
  EXPECT_THAT(readBytes(checkpoint).substr(8, 200), HasSubstr("\"step\":\"12\",\"epoch\":\"1\""));
  EXPECT_EQ(out.list(), std::vector<std::string>{"ck"});
}

TEST_F(TrainMain, UnwritableOutputsStopBeforeTraining) {
  std::string missing = out.file("missing/dir/file");
  for (const char *flag : {"--save", "--metrics"}) {
    RunResult result = run({flag, missing});
    EXPECT_EQ(result.status, 1) << flag;
    EXPECT_THAT(result.err, HasSubstr(missing));
    EXPECT_THAT(result.err, HasSubstr("No such file or directory"));
    EXPECT_EQ(softmaxSteps(), 0);
  }
  RunResult directory = run({"--metrics", out.path()});
  EXPECT_EQ(directory.status, 1);
  EXPECT_THAT(directory.err,
              HasSubstr(out.path() + ": cannot write the metrics file: it is a directory"));
  EXPECT_EQ(out.list(), std::vector<std::string>{});
}

TEST_F(TrainMain, BadDataFailsWithoutWritingOutputs) {
  std::string labels = data.file("train-labels-idx1-ubyte.gz");
  writeGzip(labels, idxBytes(0x08, {199}, std::string(199, '\1')));
  RunResult result = run({"--save", out.file("ck"), "--metrics", out.file("m.csv")});
  EXPECT_EQ(result.status, 1);
  EXPECT_EQ(result.err, "train: error: " + labels + ": 199 labels for the 200 examples of " +
                            data.file("train-images-idx3-ubyte.gz") + "\n");
  EXPECT_EQ(out.list(), std::vector<std::string>{});
  EXPECT_EQ(softmaxSteps(), 0);

  RunResult wrongBatch = run({"--steps", "1"}, /*batch=*/300);
  EXPECT_EQ(wrongBatch.status, 1);
  EXPECT_THAT(wrongBatch.err, HasSubstr("200 examples, fewer than one batch of 300"));
}

TEST_F(TrainMain, ResumeRefusesForeignCheckpoints) {
  StateOnlyModel other("other_model", {{"w", TGC_F32, {10, 784}}});
  tgc_checkpoint_info info = {3, 0, 0};
  ASSERT_EQ(tgc_checkpoint_save(out.file("other").c_str(), &other.model(), &info), TGC_OK);
  RunResult foreign = run({"--resume", out.file("other")});
  EXPECT_EQ(foreign.status, 1);
  EXPECT_THAT(foreign.err, HasSubstr(out.file("other") + ": checkpoint of model 'other_model', "
                                                         "not of model 'softmax_regression'"));

  ASSERT_EQ(run({"--steps", "2", "--seed", "4", "--quiet", "--save", out.file("ck")}).status, 0);
  RunResult reseeded = run({"--resume", out.file("ck"), "--seed", "5"});
  EXPECT_EQ(reseeded.status, 1);
  EXPECT_THAT(reseeded.err, HasSubstr("checkpoint of a run with --seed 4, not 5"));
  EXPECT_EQ(softmaxSteps(), 0);
}

TEST_F(TrainMain, StopsWhenTheLossDiverges) {
  const tgc_model &model = softmaxRegression(20, /*learningRate=*/1e30f);
  RunResult result =
      trainMain({"--data", data.path(), "--epochs", "5", "--save", out.file("ck")}, model);
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.err, HasSubstr("training diverged"));
  EXPECT_FALSE(fileExists(out.file("ck"))) << "a diverged state is not saved";
}

TEST(TrainMainFashionMnist, SoftmaxRegressionLearnsTheRealData) {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!fileExists(dir + "/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << dir << " is not installed (Debian package dataset-fashion-mnist)";
  TempDir out;
  auto start = std::chrono::steady_clock::now();
  RunResult result =
      trainMain({"--data", dir, "--epochs", "1", "--eval", "--metrics", out.file("m.csv")},
                softmaxRegression(100));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(result.status, 0) << result.err;
  std::vector<CsvRow> rows = readCsv(out.file("m.csv"));
  ASSERT_EQ(rows.size(), 601u);
  double accuracy = std::stod(rows.back()[5]);
  EXPECT_GT(accuracy, 0.75);
  std::printf("[ stats    ] 1 epoch of Fashion-MNIST (600 steps of 100) with evaluation in %.1f s "
              "(load included): test accuracy %.2f%%\n",
              seconds, 100 * accuracy);
}

} // namespace
