//===- CheckpointTest.cpp - safetensors checkpoints -----------------------===//

#include "FakeModel.h"
#include "TestFiles.h"

#include "tgc/runtime.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

namespace {

using namespace tgc::test;
using testing::HasSubstr;

std::vector<StateOnlyModel::Tensor> mlpTensors() {
  return {{"w1", TGC_F32, {16, 8}}, {"b1", TGC_F32, {16}}, {"momentum", TGC_F64, {3, 2}},
          {"step", TGC_I64, {}},    {"ids", TGC_I32, {5}}, {"half", TGC_BF16, {3}}};
}

const tgc_checkpoint_info kInfo = {1234, 5, 0xFEEDFACECAFEull};

/// Saves `model`'s state, expecting success.
void save(const std::string &path, const StateOnlyModel &model,
          const tgc_checkpoint_info &info = kInfo) {
  ASSERT_EQ(tgc_checkpoint_save(path.c_str(), &model.model(), &info), TGC_OK) << tgc_last_error();
}

/// Loads into `model`, expecting failure with `status`, an untouched state
/// and a one-line message naming the file; returns the message.
std::string loadError(const std::string &path, StateOnlyModel &model, tgc_status status) {
  std::string before = model.bytes();
  tgc_checkpoint_info info = {};
  EXPECT_EQ(tgc_checkpoint_load(path.c_str(), &model.model(), &info), status);
  EXPECT_EQ(model.bytes(), before) << "a failed load leaves the state alone";
  std::string message = tgc_last_error();
  EXPECT_THAT(message, HasSubstr(path));
  EXPECT_EQ(message.find('\n'), std::string::npos);
  return message;
}

/// A safetensors file from a header text and data bytes.
std::string safetensors(const std::string &header, const std::string &data) {
  std::string bytes;
  for (int i = 0; i < 8; ++i)
    bytes += char(uint64_t(header.size()) >> (8 * i));
  return bytes + header + data;
}

TEST(Checkpoint, SaveThenLoadRestoresEveryByte) {
  TempDir dir;
  StateOnlyModel model("mlp", mlpTensors());
  model.fill(1); // random bytes: NaN payloads and denormals included
  std::string saved = model.bytes();
  save(dir.file("ck.safetensors"), model);
  model.fill(2);
  tgc_checkpoint_info info = {};
  ASSERT_EQ(tgc_checkpoint_load(dir.file("ck.safetensors").c_str(), &model.model(), &info), TGC_OK)
      << tgc_last_error();
  EXPECT_EQ(model.bytes(), saved);
  EXPECT_EQ(info.step, kInfo.step);
  EXPECT_EQ(info.epoch, kInfo.epoch);
  EXPECT_EQ(info.seed, kInfo.seed);

  // Saving the loaded state again gives the same file.
  save(dir.file("again.safetensors"), model);
  EXPECT_EQ(readBytes(dir.file("again.safetensors")), readBytes(dir.file("ck.safetensors")));
  EXPECT_EQ(dir.list(), (std::vector<std::string>{"again.safetensors", "ck.safetensors"}))
      << "no temporary files left";
}

// A model with parameter views (Schedule-Free's x and y) is saved in its
// eval view and loaded back into its training view. Here the views of the
// one f32 tensor are x = y + 1 and y = x - 1.
float *viewed = nullptr;
void addOne() { *viewed += 1; }
void subtractOne() { *viewed -= 1; }

TEST(Checkpoint, SavesTheEvalViewAndLoadsTheTrainView) {
  TempDir dir;
  StateOnlyModel state("viewed", {{"p", TGC_F32, {}}});
  tgc_model model = state.model();
  model.eval_view = addOne;
  model.train_view = subtractOne;
  viewed = static_cast<float *>(model.state[0].data);
  *viewed = 2.5f;
  ASSERT_EQ(tgc_checkpoint_save(dir.file("ck.safetensors").c_str(), &model, &kInfo), TGC_OK)
      << tgc_last_error();
  EXPECT_EQ(*viewed, 2.5f) << "saving leaves the training view";

  // The file holds the eval view: a model without views reads 3.5.
  StateOnlyModel plain("viewed", {{"p", TGC_F32, {}}});
  ASSERT_EQ(tgc_checkpoint_load(dir.file("ck.safetensors").c_str(), &plain.model(), nullptr),
            TGC_OK);
  EXPECT_EQ(*static_cast<float *>(plain.model().state[0].data), 3.5f);

  *viewed = 0;
  ASSERT_EQ(tgc_checkpoint_load(dir.file("ck.safetensors").c_str(), &model, nullptr), TGC_OK);
  EXPECT_EQ(*viewed, 2.5f) << "loading turns the eval view back";
}

TEST(Checkpoint, FileIsSafetensorsWithMetadata) {
  TempDir dir;
  StateOnlyModel model("mlp", mlpTensors());
  model.fill(3);
  save(dir.file("ck"), model);
  std::string bytes = readBytes(dir.file("ck"));
  uint64_t headerLength = 0;
  for (int i = 7; i >= 0; --i)
    headerLength = headerLength << 8 | uint8_t(bytes[size_t(i)]);
  ASSERT_LE(8 + headerLength, bytes.size());
  EXPECT_EQ(headerLength % 8, 0u) << "tensor data starts 8-byte aligned";
  std::string header = bytes.substr(8, headerLength);
  EXPECT_THAT(header, HasSubstr("\"__metadata__\":{\"model\":\"mlp\",\"step\":\"1234\","
                                "\"epoch\":\"5\",\"seed\":\"280298068560638\"}"));
  EXPECT_THAT(header, HasSubstr("\"w1\":{\"dtype\":\"F32\",\"shape\":[16,8],"
                                "\"data_offsets\":[0,512]}"));
  EXPECT_THAT(header, HasSubstr("\"step\":{\"dtype\":\"I64\",\"shape\":[]"));
  EXPECT_THAT(header, HasSubstr("\"half\":{\"dtype\":\"BF16\",\"shape\":[3]"));
  EXPECT_EQ(bytes.substr(8 + headerLength), model.bytes());
}

TEST(Checkpoint, SaveReplacesTheOldFileWhole) {
  TempDir dir;
  StateOnlyModel model("mlp", mlpTensors());
  model.fill(4);
  save(dir.file("ck"), model);
  model.fill(5);
  save(dir.file("ck"), model);
  EXPECT_EQ(
      readBytes(dir.file("ck")).substr(readBytes(dir.file("ck")).size() - model.bytes().size()),
      model.bytes());
  EXPECT_EQ(dir.list(), std::vector<std::string>{"ck"});
}

TEST(Checkpoint, FailedSaveLeavesNoFile) {
  TempDir dir;
  StateOnlyModel model("mlp", mlpTensors());
  tgc_checkpoint_info info = kInfo;
  std::string missingDir = dir.file("no/such/dir/ck");
  EXPECT_EQ(tgc_checkpoint_save(missingDir.c_str(), &model.model(), &info), TGC_ERROR_IO);
  EXPECT_THAT(tgc_last_error(), HasSubstr(missingDir));
  // The rename onto a directory fails after the data is written.
  ASSERT_EQ(mkdir(dir.file("taken").c_str(), 0755), 0);
  EXPECT_EQ(tgc_checkpoint_save(dir.file("taken").c_str(), &model.model(), &info), TGC_ERROR_IO);
  EXPECT_THAT(tgc_last_error(), HasSubstr(dir.file("taken")));
  EXPECT_EQ(dir.list(), std::vector<std::string>{"taken"}) << "no temporary file left";
  rmdir(dir.file("taken").c_str());
}

TEST(Checkpoint, RejectsACheckpointOfAnotherModel) {
  TempDir dir;
  StateOnlyModel other("cnn", mlpTensors()), model("mlp", mlpTensors());
  save(dir.file("ck"), other);
  EXPECT_THAT(loadError(dir.file("ck"), model, TGC_ERROR_MISMATCH),
              HasSubstr("checkpoint of model 'cnn', not of model 'mlp'"));
}

TEST(Checkpoint, NamesTheTensorThatDoesNotFit) {
  TempDir dir;
  StateOnlyModel saved("mlp", mlpTensors());
  save(dir.file("ck"), saved);

  std::vector<StateOnlyModel::Tensor> wider = mlpTensors();
  wider[0].shape = {16, 9};
  StateOnlyModel widerModel("mlp", wider);
  EXPECT_THAT(
      loadError(dir.file("ck"), widerModel, TGC_ERROR_MISMATCH),
      HasSubstr("tensor 'w1' has shape [16, 8] in the checkpoint but [16, 9] in model 'mlp'"));

  std::vector<StateOnlyModel::Tensor> retyped = mlpTensors();
  retyped[2].dtype = TGC_F32;
  StateOnlyModel retypedModel("mlp", retyped);
  EXPECT_THAT(loadError(dir.file("ck"), retypedModel, TGC_ERROR_MISMATCH),
              HasSubstr("tensor 'momentum' is F64 in the checkpoint but F32 in model 'mlp'"));

  std::vector<StateOnlyModel::Tensor> more = mlpTensors();
  more.push_back({"b2", TGC_F32, {4}});
  StateOnlyModel moreModel("mlp", more);
  EXPECT_THAT(loadError(dir.file("ck"), moreModel, TGC_ERROR_MISMATCH),
              HasSubstr("lacks tensor 'b2' of model 'mlp'"));

  std::vector<StateOnlyModel::Tensor> fewer = mlpTensors();
  fewer.erase(fewer.begin() + 1);
  StateOnlyModel fewerModel("mlp", fewer);
  EXPECT_THAT(loadError(dir.file("ck"), fewerModel, TGC_ERROR_MISMATCH),
              HasSubstr("tensor 'b1' is not part of model 'mlp'"));
}

TEST(Checkpoint, RejectsTruncatedAndCorruptFiles) {
  TempDir dir;
  StateOnlyModel model("mlp", mlpTensors());
  model.fill(6);
  save(dir.file("ck"), model);
  std::string good = readBytes(dir.file("ck"));
  struct Case {
    const char *name;
    std::string bytes;
    const char *message;
  } cases[] = {
      {"empty", "", "truncated: 0 bytes"},
      {"cut-data", good.substr(0, good.size() - 1), "truncated: the header describes"},
      {"cut-header", good.substr(0, 40), "truncated or not safetensors"},
      {"trailing", good + "x", "trailing data"},
      {"not-json", safetensors("{\"__metadata__\":{\"model\":\"mlp\"", ""), "invalid JSON header"},
      {"no-metadata", safetensors("{}", ""), "not a tgc checkpoint"},
      {"text", std::string("hello, this is not a checkpoint at all"),
       "truncated or not safetensors"},
  };
  for (const Case &c : cases) {
    writeBytes(dir.file(c.name), c.bytes);
    EXPECT_THAT(loadError(dir.file(c.name), model, TGC_ERROR_FORMAT), HasSubstr(c.message))
        << c.name;
  }
  // A flipped byte inside the header's JSON.
  std::string flipped = good;
  flipped[8] = '#';
  writeBytes(dir.file("flipped"), flipped);
  EXPECT_THAT(loadError(dir.file("flipped"), model, TGC_ERROR_FORMAT), HasSubstr("invalid JSON"));
}

TEST(Checkpoint, RejectsOverlappingOrMisplacedData) {
  TempDir dir;
  StateOnlyModel model("pair", {{"a", TGC_F32, {2}}, {"b", TGC_F32, {2}}});
  std::string metadata =
      "{\"__metadata__\":{\"model\":\"pair\",\"step\":\"0\",\"epoch\":\"0\",\"seed\":\"0\"},";
  writeBytes(dir.file("overlap"),
             safetensors(metadata +
                             "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                             "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                         std::string(12, 'x')));
  EXPECT_THAT(loadError(dir.file("overlap"), model, TGC_ERROR_FORMAT),
              HasSubstr("tensor 'b' starts at data offset 4, expected 8"));
  writeBytes(dir.file("size"),
             safetensors(metadata +
                             "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]},"
                             "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                         std::string(12, 'x')));
  EXPECT_THAT(loadError(dir.file("size"), model, TGC_ERROR_FORMAT),
              HasSubstr("tensor 'a' has data_offsets [0, 4] for 8 bytes"));
  writeBytes(dir.file("step"),
             safetensors("{\"__metadata__\":{\"model\":\"pair\",\"step\":\"-1\",\"epoch\":\"0\","
                         "\"seed\":\"0\"}}",
                         ""));
  EXPECT_THAT(loadError(dir.file("step"), model, TGC_ERROR_FORMAT),
              HasSubstr("'step' is \"-1\", not a number"));
}

TEST(Checkpoint, MissingFile) {
  TempDir dir;
  StateOnlyModel model("mlp", mlpTensors());
  EXPECT_THAT(loadError(dir.file("absent"), model, TGC_ERROR_IO), HasSubstr("No such file"));
}

} // namespace
