//===- Dataset.cpp - examples and labels in shuffled batches --------------===//

#include "Dataset.h"

#include "Error.h"

#include "tgc/Philox.h"

#include <algorithm>
#include <numeric>
#include <utility>

namespace tgc {

static int64_t productOf(const int64_t *dims, int64_t count) {
  int64_t product = 1;
  for (int64_t i = 0; i < count; ++i)
    product *= dims[i];
  return product;
}

Dataset::Dataset(const std::string &imagesPath, const std::string &labelsPath,
                 const tgc_model &model)
    : imagesPath(imagesPath), labelsPath(labelsPath) {
  checkModelInputs(model);
  const tgc_tensor &features = model.inputs[0];
  batch = features.shape[0];
  valuesPerExample = productOf(features.shape + 1, features.rank - 1);
  featureType = features.dtype;
  labelType = model.inputs[1].dtype;

  images = loadArray(imagesPath);
  labels = loadArray(labelsPath);
  checkImages(model);
  checkLabels(model);
  order.resize(size_t(images.shape()[0]));
  std::iota(order.begin(), order.end(), 0);
}

void Dataset::checkModelInputs(const tgc_model &model) const {
  const char *path = imagesPath.c_str(), *name = model.name;
  if (model.num_inputs != 2)
    fail(TGC_ERROR_MISMATCH,
         "%s: model '%s' takes %d inputs; a dataset feeds two (features, labels)", path, name,
         model.num_inputs);
  const tgc_tensor &features = model.inputs[0], &labelInput = model.inputs[1];
  if (features.rank < 1 || features.shape[0] < 1 ||
      (features.dtype != TGC_F32 && features.dtype != TGC_F64))
    fail(TGC_ERROR_MISMATCH,
         "%s: model '%s' input '%s' is %s %s; features must be f32 or f64 [batch, ...]", path, name,
         features.name, dtypeName(features.dtype),
         shapeString(features.shape, features.rank).c_str());
  if (labelInput.rank != 1 || labelInput.shape[0] != features.shape[0] ||
      (labelInput.dtype != TGC_I32 && labelInput.dtype != TGC_I64))
    fail(TGC_ERROR_MISMATCH, "%s: model '%s' input '%s' is %s %s; labels must be i32 or i64 [%lld]",
         labelsPath.c_str(), name, labelInput.name, dtypeName(labelInput.dtype),
         shapeString(labelInput.shape, labelInput.rank).c_str(), (long long)features.shape[0]);
}

void Dataset::checkImages(const tgc_model &model) const {
  const char *path = imagesPath.c_str();
  const std::vector<int64_t> &shape = images.shape();
  tgc_array_dtype dtype = images.dtype();
  if (dtype != TGC_ARRAY_U8 && dtype != TGC_ARRAY_F32 && dtype != TGC_ARRAY_F64)
    fail(TGC_ERROR_MISMATCH, "%s: examples are %s; a dataset reads u8, f32 or f64", path,
         dtypeName(dtype));
  const tgc_tensor &features = model.inputs[0];
  int64_t values = productOf(shape.data() + 1, int64_t(shape.size()) - 1);
  if (shape.empty() || values != valuesPerExample)
    fail(TGC_ERROR_MISMATCH,
         "%s: examples of shape %s (%lld values) do not fit model '%s' input '%s' %s "
         "(%lld values per example)",
         path, shape.empty() ? "[]" : shapeString(shape.data() + 1, int(shape.size()) - 1).c_str(),
         shape.empty() ? 0ll : (long long)values, model.name, features.name,
         shapeString(features.shape, features.rank).c_str(), (long long)valuesPerExample);
  if (shape[0] < batch)
    fail(TGC_ERROR_MISMATCH, "%s: %lld examples, fewer than one batch of %lld for model '%s'", path,
         (long long)shape[0], (long long)batch, model.name);
}

void Dataset::checkLabels(const tgc_model &model) const {
  const char *path = labelsPath.c_str();
  const std::vector<int64_t> &shape = labels.shape();
  tgc_array_dtype dtype = labels.dtype();
  if (dtype == TGC_ARRAY_F32 || dtype == TGC_ARRAY_F64)
    fail(TGC_ERROR_MISMATCH, "%s: labels are %s; they must be integers", path, dtypeName(dtype));
  if (shape.size() != 1)
    fail(TGC_ERROR_MISMATCH, "%s: labels have shape %s; they must be one-dimensional", path,
         shapeString(shape).c_str());
  if (shape[0] != images.shape()[0])
    fail(TGC_ERROR_MISMATCH, "%s: %lld labels for the %lld examples of %s", path,
         (long long)shape[0], (long long)images.shape()[0], imagesPath.c_str());
  int64_t numClasses = model.num_classes;
  for (int64_t i = 0; i < shape[0]; ++i) {
    int64_t label = labelAt(i);
    if (label < 0 || (numClasses > 0 && label >= numClasses))
      fail(TGC_ERROR_MISMATCH, "%s: label %lld at index %lld is outside [0, %lld) of model '%s'",
           path, (long long)label, (long long)i, (long long)numClasses, model.name);
  }
}

int64_t Dataset::labelAt(int64_t example) const {
  const void *data = labels.data();
  switch (labels.dtype()) {
  case TGC_ARRAY_U8:
    return static_cast<const uint8_t *>(data)[example];
  case TGC_ARRAY_I8:
    return static_cast<const int8_t *>(data)[example];
  case TGC_ARRAY_I16:
    return static_cast<const int16_t *>(data)[example];
  case TGC_ARRAY_I32:
    return static_cast<const int32_t *>(data)[example];
  case TGC_ARRAY_I64:
    return static_cast<const int64_t *>(data)[example];
  case TGC_ARRAY_F32:
  case TGC_ARRAY_F64:
    break; // rejected by checkLabels
  }
  return 0;
}

template <typename Feature> void Dataset::copyExample(int64_t example, Feature *destination) const {
  int64_t offset = example * valuesPerExample;
  switch (images.dtype()) {
  case TGC_ARRAY_U8: {
    // Division, not multiplication by 1/255: the values torchvision's
    // ToTensor gives, bit for bit.
    const uint8_t *source = static_cast<const uint8_t *>(images.data()) + offset;
    for (int64_t i = 0; i < valuesPerExample; ++i)
      destination[i] = Feature(source[i]) / Feature(255);
    return;
  }
  case TGC_ARRAY_F32: {
    const float *source = static_cast<const float *>(images.data()) + offset;
    std::copy(source, source + valuesPerExample, destination);
    return;
  }
  case TGC_ARRAY_F64: {
    const double *source = static_cast<const double *>(images.data()) + offset;
    for (int64_t i = 0; i < valuesPerExample; ++i)
      destination[i] = Feature(source[i]);
    return;
  }
  default:
    return; // rejected by checkImages
  }
}

void Dataset::shuffle(uint64_t seed, int64_t epoch) {
  std::iota(order.begin(), order.end(), 0);
  // Epoch e draws from its own counter range of the shuffle stream.
  int64_t count = numExamples();
  uint64_t blocksPerEpoch = uint64_t(count + 3) / 4;
  uint64_t counter = philoxStreamForName("tgc.dataset.shuffle") + uint64_t(epoch) * blocksPerEpoch;
  PhiloxBlock block = {};
  for (int64_t i = count - 1, draw = 0; i > 0; --i, ++draw) {
    if (draw % 4 == 0)
      block = philox4x32(seed, counter + uint64_t(draw) / 4);
    // Lemire's multiply-shift maps 32 random bits to [0, i].
    uint64_t j = (uint64_t(block[draw % 4]) * uint64_t(i + 1)) >> 32;
    std::swap(order[size_t(i)], order[j]);
  }
}

void Dataset::getBatchAt(int64_t first, void *const *inputs) const {
  for (int64_t row = 0; row < batch; ++row) {
    int64_t example = order[size_t(first + row)];
    if (featureType == TGC_F32)
      copyExample(example, static_cast<float *>(inputs[0]) + row * valuesPerExample);
    else
      copyExample(example, static_cast<double *>(inputs[0]) + row * valuesPerExample);
    int64_t label = labelAt(example);
    if (labelType == TGC_I32)
      static_cast<int32_t *>(inputs[1])[row] = int32_t(label);
    else
      static_cast<int64_t *>(inputs[1])[row] = label;
  }
}

} // namespace tgc

struct tgc_dataset {
  tgc::Dataset dataset;
};

using namespace tgc;

extern "C" {

tgc_status tgc_dataset_open(const char *images_path, const char *labels_path,
                            const tgc_model *model, tgc_dataset **out) {
  *out = nullptr;
  return catchErrors([&] { *out = new tgc_dataset{Dataset(images_path, labels_path, *model)}; });
}

void tgc_dataset_free(tgc_dataset *dataset) { delete dataset; }

int64_t tgc_dataset_num_examples(const tgc_dataset *dataset) {
  return dataset->dataset.numExamples();
}

int64_t tgc_dataset_batch_size(const tgc_dataset *dataset) { return dataset->dataset.batchSize(); }

int64_t tgc_dataset_num_batches(const tgc_dataset *dataset) {
  return dataset->dataset.numBatches();
}

void tgc_dataset_shuffle(tgc_dataset *dataset, uint64_t seed, int64_t epoch) {
  dataset->dataset.shuffle(seed, epoch);
}

tgc_status tgc_dataset_get_batch(const tgc_dataset *dataset, int64_t index, void *const *inputs) {
  return catchErrors([&] {
    int64_t numBatches = dataset->dataset.numBatches();
    if (index < 0 || index >= numBatches)
      fail(TGC_ERROR_ARGUMENT, "batch %lld is outside [0, %lld)", (long long)index,
           (long long)numBatches);
    dataset->dataset.getBatch(index, inputs);
  });
}

} // extern "C"
