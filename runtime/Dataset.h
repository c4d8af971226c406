//===- Dataset.h - examples and labels in shuffled batches ------*- C++ -*-===//

#ifndef TGC_RUNTIME_DATASET_H
#define TGC_RUNTIME_DATASET_H

#include "Array.h"

namespace tgc {

/// Images (or any examples) and integer labels for a model whose inputs are
/// features [batch, ...] and labels [batch]; see tgc_dataset_open.
class Dataset {
public:
  /// Loads and checks both files; a RuntimeError names the file and the
  /// mismatch.
  Dataset(const std::string &imagesPath, const std::string &labelsPath, const tgc_model &model);

  int64_t numExamples() const { return int64_t(order.size()); }
  int64_t batchSize() const { return batch; }
  int64_t numBatches() const { return numExamples() / batch; }

  /// Puts the examples in the order of `epoch`: a Fisher-Yates shuffle
  /// drawing from Philox keyed by `seed` (see docs/runtime.md).
  void shuffle(uint64_t seed, int64_t epoch);

  /// Fills the model's input buffers with batch `index` of the order.
  void getBatch(int64_t index, void *const *inputs) const {
    getBatchAt(index * batch, inputs);
  }

  /// Fills the model's input buffers with the `batchSize()` examples of the
  /// order that start at position `first` (the evaluation's last, partial
  /// batch is the window that ends at the last example).
  void getBatchAt(int64_t first, void *const *inputs) const;

private:
  void checkModelInputs(const tgc_model &model) const;
  void checkImages(const tgc_model &model) const;
  void checkLabels(const tgc_model &model) const;
  template <typename Feature> void copyExample(int64_t example, Feature *destination) const;
  int64_t labelAt(int64_t example) const;

  std::string imagesPath, labelsPath;
  Array images, labels;
  int64_t batch = 0;
  int64_t valuesPerExample = 0;
  tgc_dtype featureType = TGC_F32, labelType = TGC_I32;
  std::vector<int64_t> order;
};

} // namespace tgc

#endif // TGC_RUNTIME_DATASET_H
