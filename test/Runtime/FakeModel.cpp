//===- FakeModel.cpp - hand-written models that stand in for compiled ones -===//

#include "FakeModel.h"

#include "tgc/Philox.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace tgc::test {
namespace {

constexpr int64_t kFeatures = 784, kClasses = 10;

struct Softmax {
  int64_t batch = 0;
  float learningRate = 0;
  int64_t stepCalls = 0;
  std::function<void(int64_t)> hook;

  float w[kClasses * kFeatures];
  float b[kClasses];
  int64_t steps;

  int64_t imagesShape[2];
  int64_t labelsShape[1];
  tgc_tensor inputs[2];
  int64_t wShape[2] = {kClasses, kFeatures};
  int64_t bShape[1] = {kClasses};
  tgc_tensor state[3];
  tgc_model table;

  /// Softmax probabilities of a batch into `probabilities`; returns the
  /// mean cross-entropy.
  float forward(const float *images, const int32_t *labels, std::vector<float> &probabilities) {
    probabilities.assign(size_t(batch * kClasses), 0.0f);
    float lossSum = 0;
    for (int64_t row = 0; row < batch; ++row) {
      float *p = probabilities.data() + row * kClasses;
      logits(images + row * kFeatures, p);
      float max = p[0];
      for (int64_t c = 1; c < kClasses; ++c)
        max = std::max(max, p[c]);
      float sum = 0;
      for (int64_t c = 0; c < kClasses; ++c)
        sum += p[c] = std::exp(p[c] - max);
      for (int64_t c = 0; c < kClasses; ++c)
        p[c] /= sum;
      lossSum -= std::log(p[labels[row]]);
    }
    return lossSum / float(batch);
  }

  void logits(const float *x, float *out) const {
    for (int64_t c = 0; c < kClasses; ++c) {
      float sum = b[c];
      for (int64_t f = 0; f < kFeatures; ++f)
        sum += w[c * kFeatures + f] * x[f];
      out[c] = sum;
    }
  }
};

Softmax softmax;

void softmaxInit(uint64_t seed) {
  uint64_t stream = philoxStreamForName("w");
  for (int64_t i = 0; i < kClasses * kFeatures; ++i)
    softmax.w[i] = float(0.01 * philoxNormal(seed, stream, uint64_t(i)));
  std::memset(softmax.b, 0, sizeof(softmax.b));
  softmax.steps = 0;
}

float softmaxStep(void *const *inputs) {
  const float *images = static_cast<const float *>(inputs[0]);
  const int32_t *labels = static_cast<const int32_t *>(inputs[1]);
  std::vector<float> p;
  float loss = softmax.forward(images, labels, p);
  // d loss / d logits = (p - onehot) / batch.
  float scale = softmax.learningRate / float(softmax.batch);
  for (int64_t row = 0; row < softmax.batch; ++row) {
    const float *x = images + row * kFeatures;
    for (int64_t c = 0; c < kClasses; ++c) {
      float g = (p[size_t(row * kClasses + c)] - (c == labels[row] ? 1.0f : 0.0f)) * scale;
      softmax.b[c] -= g;
      for (int64_t f = 0; f < kFeatures; ++f)
        softmax.w[c * kFeatures + f] -= g * x[f];
    }
  }
  softmax.steps += 1;
  softmax.stepCalls += 1;
  if (softmax.hook)
    softmax.hook(softmax.steps);
  return loss;
}

float softmaxEvalLoss(void *const *inputs) {
  std::vector<float> p;
  return softmax.forward(static_cast<const float *>(inputs[0]),
                         static_cast<const int32_t *>(inputs[1]), p);
}

void softmaxPredict(void *const *inputs, float *logits) {
  const float *images = static_cast<const float *>(inputs[0]);
  for (int64_t row = 0; row < softmax.batch; ++row)
    softmax.logits(images + row * kFeatures, logits + row * kClasses);
}

} // namespace

const tgc_model &softmaxRegression(int64_t batchSize, float learningRate) {
  Softmax &m = softmax;
  m.batch = batchSize;
  m.learningRate = learningRate;
  m.stepCalls = 0;
  m.hook = nullptr;
  m.imagesShape[0] = batchSize;
  m.imagesShape[1] = kFeatures;
  m.labelsShape[0] = batchSize;
  m.inputs[0] = {"images", TGC_F32, 2, m.imagesShape, nullptr};
  m.inputs[1] = {"labels", TGC_I32, 1, m.labelsShape, nullptr};
  m.state[0] = {"w", TGC_F32, 2, m.wShape, m.w};
  m.state[1] = {"b", TGC_F32, 1, m.bShape, m.b};
  m.state[2] = {"steps", TGC_I64, 0, nullptr, &m.steps};
  m.table = {"softmax_regression",
             2,
             m.inputs,
             3,
             m.state,
             softmaxInit,
             softmaxStep,
             softmaxEvalLoss,
             softmaxPredict,
             kClasses,
             /*state_to_host=*/nullptr,
             /*state_to_device=*/nullptr,
             /*eval_view=*/nullptr,
             /*train_view=*/nullptr,
             /*prefetch=*/nullptr};
  return m.table;
}

int64_t softmaxSteps() { return softmax.stepCalls; }

void onSoftmaxStep(std::function<void(int64_t)> hook) { softmax.hook = std::move(hook); }

StateOnlyModel::StateOnlyModel(std::string name, std::vector<Tensor> tensorList)
    : modelName(std::move(name)), tensors(std::move(tensorList)) {
  static const size_t kSizes[] = {4, 8, 4, 8, 2, 2}; // by tgc_dtype
  for (const Tensor &tensor : tensors) {
    size_t bytes = kSizes[tensor.dtype];
    for (int64_t dim : tensor.shape)
      bytes *= size_t(dim);
    buffers.emplace_back(bytes);
  }
  for (size_t i = 0; i < tensors.size(); ++i)
    state.push_back({tensors[i].name.c_str(), tensors[i].dtype, int32_t(tensors[i].shape.size()),
                     tensors[i].shape.data(), buffers[i].data()});
  table.name = modelName.c_str();
  table.num_state = int32_t(state.size());
  table.state = state.data();
}

void StateOnlyModel::fill(uint64_t seed) {
  uint64_t counter = 0;
  for (std::vector<char> &buffer : buffers)
    for (char &byte : buffer)
      byte = char(philox4x32(seed, counter++)[0]);
}

std::string StateOnlyModel::bytes() const {
  std::string all;
  for (const std::vector<char> &buffer : buffers)
    all.append(buffer.data(), buffer.size());
  return all;
}

} // namespace tgc::test
