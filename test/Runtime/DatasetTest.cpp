//===- DatasetTest.cpp - batches, shuffling and checks against the model --===//

#include "FakeModel.h"
#include "TestFiles.h"

#include "tgc/runtime.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>

namespace {

using namespace tgc::test;
using testing::HasSubstr;

/// A model description with only inputs (the dataset reads nothing else).
struct InputModel {
  std::vector<int64_t> featureShape, labelShape;
  tgc_tensor inputs[2];
  tgc_model table = {};
  InputModel(std::vector<int64_t> features, tgc_dtype featureType, int64_t batch,
             tgc_dtype labelType = TGC_I32, int64_t classes = 10)
      : featureShape(std::move(features)), labelShape{batch} {
    inputs[0] = {"x", featureType, int32_t(featureShape.size()), featureShape.data(), nullptr};
    inputs[1] = {"y", labelType, 1, labelShape.data(), nullptr};
    table.name = "input_model";
    table.num_inputs = 2;
    table.inputs = inputs;
    table.num_classes = classes;
  }
};

/// `count` 2x3 images with pixel values image * 6 + p, labels image % 10.
void writeTinySet(const TempDir &dir, uint32_t count, uint32_t labelCount) {
  std::string pixels, labels;
  for (uint32_t i = 0; i < count; ++i)
    for (uint32_t p = 0; p < 6; ++p)
      pixels += char((i * 6 + p) % 256);
  for (uint32_t i = 0; i < labelCount; ++i)
    labels += char(i % 10);
  writeGzip(dir.file("images.gz"), idxBytes(0x08, {count, 2, 3}, pixels));
  writeGzip(dir.file("labels.gz"), idxBytes(0x08, {labelCount}, labels));
}

tgc_dataset *open(const TempDir &dir, const tgc_model &model) {
  tgc_dataset *dataset = nullptr;
  EXPECT_EQ(tgc_dataset_open(dir.file("images.gz").c_str(), dir.file("labels.gz").c_str(), &model,
                             &dataset),
            TGC_OK)
      << tgc_last_error();
  return dataset;
}

/// Opens, expecting `status`; returns the one-line message.
std::string openError(const TempDir &dir, const tgc_model &model, tgc_status status,
                      const std::string &namedFile) {
  tgc_dataset *dataset = nullptr;
  EXPECT_EQ(tgc_dataset_open(dir.file("images.gz").c_str(), dir.file("labels.gz").c_str(), &model,
                             &dataset),
            status);
  EXPECT_EQ(dataset, nullptr);
  std::string message = tgc_last_error();
  EXPECT_THAT(message, HasSubstr(dir.file(namedFile)));
  EXPECT_EQ(message.find('\n'), std::string::npos);
  return message;
}

/// The examples of every batch of the current order, in order.
std::vector<int64_t> batchOrder(tgc_dataset *dataset) {
  int64_t batch = tgc_dataset_batch_size(dataset);
  std::vector<float> x(size_t(batch * 6));
  std::vector<int32_t> y(static_cast<size_t>(batch));
  std::vector<int64_t> examples;
  for (int64_t b = 0; b < tgc_dataset_num_batches(dataset); ++b) {
    void *inputs[] = {x.data(), y.data()};
    EXPECT_EQ(tgc_dataset_get_batch(dataset, b, inputs), TGC_OK);
    for (int64_t row = 0; row < batch; ++row)
      examples.push_back(int64_t(std::lround(x[size_t(row * 6)] * 255)) / 6); // first pixel
  }
  return examples;
}

TEST(Dataset, ScalesU8ToUnitFloatsAndFlattens) {
  TempDir dir;
  writeTinySet(dir, 12, 12);
  InputModel model({4, 6}, TGC_F32, 4);
  tgc_dataset *dataset = open(dir, model.table);
  ASSERT_NE(dataset, nullptr);
  EXPECT_EQ(tgc_dataset_num_examples(dataset), 12);
  EXPECT_EQ(tgc_dataset_num_batches(dataset), 3);
  std::vector<float> x(24);
  std::vector<int32_t> y(4);
  void *inputs[] = {x.data(), y.data()};
  ASSERT_EQ(tgc_dataset_get_batch(dataset, 1, inputs), TGC_OK);
  for (int row = 0; row < 4; ++row) {
    int example = 4 + row;
    EXPECT_EQ(y[size_t(row)], example % 10);
    for (int p = 0; p < 6; ++p)
      EXPECT_EQ(x[size_t(row * 6 + p)], float(example * 6 + p) / 255.0f);
  }
  tgc_dataset_free(dataset);
}

TEST(Dataset, FeedsF64ImagesAndI64LabelsOfAnyPerExampleShape) {
  TempDir dir;
  writeTinySet(dir, 4, 4);
  InputModel model({2, 1, 6}, TGC_F64, 2, TGC_I64);
  tgc_dataset *dataset = open(dir, model.table);
  ASSERT_NE(dataset, nullptr);
  std::vector<double> x(12);
  std::vector<int64_t> y(2);
  void *inputs[] = {x.data(), y.data()};
  ASSERT_EQ(tgc_dataset_get_batch(dataset, 1, inputs), TGC_OK);
  EXPECT_EQ(y, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(x[6], 18.0 / 255.0);
  tgc_dataset_free(dataset);
}

TEST(Dataset, DropsTheLastPartialBatch) {
  TempDir dir;
  writeTinySet(dir, 25, 25);
  InputModel model({10, 6}, TGC_F32, 10);
  tgc_dataset *dataset = open(dir, model.table);
  EXPECT_EQ(tgc_dataset_num_batches(dataset), 2);
  std::vector<float> x(60);
  std::vector<int32_t> y(10);
  void *inputs[] = {x.data(), y.data()};
  EXPECT_EQ(tgc_dataset_get_batch(dataset, 2, inputs), TGC_ERROR_ARGUMENT);
  EXPECT_EQ(tgc_dataset_get_batch(dataset, -1, inputs), TGC_ERROR_ARGUMENT);
  tgc_dataset_free(dataset);
}

TEST(Dataset, ShuffleIsAReproduciblePermutationPerSeedAndEpoch) {
  TempDir dir;
  writeTinySet(dir, 40, 40); // pixel values stay below 256: 39 * 6 + 5
  InputModel model({4, 6}, TGC_F32, 4);
  tgc_dataset *dataset = open(dir, model.table);
  std::vector<int64_t> fileOrder(40);
  std::iota(fileOrder.begin(), fileOrder.end(), 0);
  EXPECT_EQ(batchOrder(dataset), fileOrder) << "file order before any shuffle";

  tgc_dataset_shuffle(dataset, 7, 0);
  std::vector<int64_t> epoch0 = batchOrder(dataset);
  std::vector<int64_t> sorted = epoch0;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, fileOrder) << "a permutation";
  EXPECT_NE(epoch0, fileOrder);

  tgc_dataset_shuffle(dataset, 7, 1);
  std::vector<int64_t> epoch1 = batchOrder(dataset);
  tgc_dataset_shuffle(dataset, 8, 0);
  std::vector<int64_t> otherSeed = batchOrder(dataset);
  tgc_dataset_shuffle(dataset, 7, 0);
  EXPECT_EQ(batchOrder(dataset), epoch0) << "same seed and epoch, same order";
  EXPECT_NE(epoch1, epoch0);
  EXPECT_NE(otherSeed, epoch0);
  tgc_dataset_free(dataset);
}

TEST(Dataset, ExampleShapeMustMatchTheModel) {
  TempDir dir;
  writeTinySet(dir, 8, 8);
  InputModel model({4, 7}, TGC_F32, 4);
  EXPECT_THAT(openError(dir, model.table, TGC_ERROR_MISMATCH, "images.gz"),
              HasSubstr("examples of shape [2, 3] (6 values) do not fit model 'input_model' "
                        "input 'x' [4, 7] (7 values per example)"));
}

TEST(Dataset, ImageAndLabelCountsMustAgree) {
  TempDir dir;
  writeTinySet(dir, 8, 7);
  InputModel model({4, 6}, TGC_F32, 4);
  EXPECT_THAT(openError(dir, model.table, TGC_ERROR_MISMATCH, "labels.gz"),
              HasSubstr("7 labels for the 8 examples of " + dir.file("images.gz")));
}

TEST(Dataset, LabelsMustBeClassesOfTheModel) {
  TempDir dir;
  writeTinySet(dir, 12, 12);
  InputModel model({4, 6}, TGC_F32, 4, TGC_I32, /*classes=*/5);
  EXPECT_THAT(openError(dir, model.table, TGC_ERROR_MISMATCH, "labels.gz"),
              HasSubstr("label 5 at index 5 is outside [0, 5)"));
}

TEST(Dataset, NeedsAtLeastOneBatch) {
  TempDir dir;
  writeTinySet(dir, 3, 3);
  InputModel model({4, 6}, TGC_F32, 4);
  EXPECT_THAT(openError(dir, model.table, TGC_ERROR_MISMATCH, "images.gz"),
              HasSubstr("3 examples, fewer than one batch of 4"));
}

TEST(Dataset, ModelInputsMustBeFeaturesAndLabels) {
  TempDir dir;
  writeTinySet(dir, 8, 8);
  InputModel intFeatures({4, 6}, TGC_I32, 4);
  EXPECT_THAT(openError(dir, intFeatures.table, TGC_ERROR_MISMATCH, "images.gz"),
              HasSubstr("features must be f32 or f64"));
  InputModel floatLabels({4, 6}, TGC_F32, 4, TGC_F32);
  EXPECT_THAT(openError(dir, floatLabels.table, TGC_ERROR_MISMATCH, "labels.gz"),
              HasSubstr("labels must be i32 or i64 [4]"));
  InputModel oneInput({4, 6}, TGC_F32, 4);
  oneInput.table.num_inputs = 1;
  EXPECT_THAT(openError(dir, oneInput.table, TGC_ERROR_MISMATCH, "images.gz"),
              HasSubstr("takes 1 inputs"));
}

TEST(Dataset, MissingFilesAreNamed) {
  TempDir dir;
  writeTinySet(dir, 8, 8);
  std::remove(dir.file("labels.gz").c_str());
  InputModel model({4, 6}, TGC_F32, 4);
  openError(dir, model.table, TGC_ERROR_IO, "labels.gz");
}

TEST(Dataset, FashionMnistFitsA784InputModel) {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!fileExists(dir + "/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << dir << " is not installed (Debian package dataset-fashion-mnist)";
  const tgc_model &model = softmaxRegression(128);
  tgc_dataset *dataset = nullptr;
  ASSERT_EQ(tgc_dataset_open((dir + "/t10k-images-idx3-ubyte.gz").c_str(),
                             (dir + "/t10k-labels-idx1-ubyte.gz").c_str(), &model, &dataset),
            TGC_OK)
      << tgc_last_error();
  EXPECT_EQ(tgc_dataset_num_examples(dataset), 10000);
  EXPECT_EQ(tgc_dataset_num_batches(dataset), 78);
  tgc_dataset_free(dataset);
}

} // namespace
