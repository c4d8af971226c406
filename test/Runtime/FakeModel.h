//===- FakeModel.h - hand-written models that stand in for compiled ones ---===//

#ifndef TGC_TEST_RUNTIME_FAKEMODEL_H
#define TGC_TEST_RUNTIME_FAKEMODEL_H

#include "tgc/model.h"

#include <functional>
#include <string>
#include <vector>

namespace tgc::test {

/// Softmax regression 784 -> 10 trained by plain SGD, written out by hand
/// as a compiled model would be: inputs images f32[batch, 784] and labels
/// i32[batch]; state w f32[10, 784], b f32[10] and steps i64[]. There is
/// one instance (the table's functions take no context); each call
/// reconfigures it.
const tgc_model &softmaxRegression(int64_t batchSize, float learningRate = 0.1f);

/// How often the model's step ran since the last softmaxRegression().
int64_t softmaxSteps();

/// Runs after each step, with the step count (for tests that look at files
/// while training runs); cleared by softmaxRegression().
void onSoftmaxStep(std::function<void(int64_t)> hook);

/// A model with only state, for checkpoint tests: tensors are described by
/// name, dtype and shape, buffers filled with a pattern derived from `fill`.
class StateOnlyModel {
public:
  struct Tensor {
    std::string name;
    tgc_dtype dtype;
    std::vector<int64_t> shape;
  };
  StateOnlyModel(std::string name, std::vector<Tensor> tensors);
  StateOnlyModel(const StateOnlyModel &) = delete;
  StateOnlyModel &operator=(const StateOnlyModel &) = delete;

  const tgc_model &model() const { return table; }
  /// Sets every byte of the state from a Philox stream keyed by `seed`.
  void fill(uint64_t seed);
  /// The state's bytes, tensor after tensor.
  std::string bytes() const;

private:
  std::string modelName;
  std::vector<Tensor> tensors;
  std::vector<std::vector<char>> buffers;
  std::vector<tgc_tensor> state;
  tgc_model table = {};
};

} // namespace tgc::test

#endif // TGC_TEST_RUNTIME_FAKEMODEL_H
