//===- Checkpoint.h - a model's state as safetensors ------------*- C++ -*-===//

#ifndef TGC_RUNTIME_CHECKPOINT_H
#define TGC_RUNTIME_CHECKPOINT_H

#include "tgc/runtime.h"

#include <string>

namespace tgc {

/// See tgc_checkpoint_save and tgc_checkpoint_load; failures are
/// RuntimeErrors naming the file and, for mismatches, the tensor.
void saveCheckpoint(const std::string &path, const tgc_model &model,
                    const tgc_checkpoint_info &info);
tgc_checkpoint_info loadCheckpoint(const std::string &path, const tgc_model &model);

} // namespace tgc

#endif // TGC_RUNTIME_CHECKPOINT_H
