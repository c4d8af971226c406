//===- Checkpoint.cpp - a model's state as safetensors --------------------===//
//
// safetensors: an 8-byte little-endian header length N, N bytes of JSON
//   {"__metadata__": {"model": "mlp", "step": "1200", "epoch": "2", "seed": "42"},
//    "w": {"dtype": "F32", "shape": [10, 784], "data_offsets": [0, 31360]}, ...}
// padded with spaces to a multiple of 8, then the tensors' bytes, offsets
// counted from the end of the header. Metadata values are strings, as the
// format requires.
//
//===----------------------------------------------------------------------===//

#include "Checkpoint.h"

#include "Array.h"
#include "Error.h"
#include "Files.h"
#include "Json.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

namespace tgc {
namespace {

const char *safetensorsDtype(tgc_dtype dtype) {
  switch (dtype) {
  case TGC_F32:
    return "F32";
  case TGC_F64:
    return "F64";
  case TGC_I32:
    return "I32";
  case TGC_I64:
    return "I64";
  case TGC_F16:
    return "F16";
  case TGC_BF16:
    return "BF16";
  }
  return "?";
}

size_t tensorBytes(const tgc_tensor &tensor) {
  size_t count = 1;
  for (int i = 0; i < tensor.rank; ++i)
    count *= size_t(tensor.shape[i]);
  return count * elementSize(tensor.dtype);
}

std::vector<int64_t> shapeOf(const tgc_tensor &tensor) {
  return std::vector<int64_t>(tensor.shape, tensor.shape + tensor.rank);
}

std::string headerFor(const tgc_model &model, const tgc_checkpoint_info &info) {
  std::string header = "{\"__metadata__\":{\"model\":" + jsonQuote(model.name) + ",\"step\":\"" +
                       std::to_string(info.step) + "\",\"epoch\":\"" + std::to_string(info.epoch) +
                       "\",\"seed\":\"" + std::to_string(info.seed) + "\"}";
  size_t offset = 0;
  for (int i = 0; i < model.num_state; ++i) {
    const tgc_tensor &tensor = model.state[i];
    std::string dims;
    for (int d = 0; d < tensor.rank; ++d)
      dims += (d ? "," : "") + std::to_string(tensor.shape[d]);
    size_t end = offset + tensorBytes(tensor);
    header += "," + jsonQuote(tensor.name) + ":{\"dtype\":\"" + safetensorsDtype(tensor.dtype) +
              "\",\"shape\":[" + dims + "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(end) + "]}";
    offset = end;
  }
  header += "}";
  // Tensor data starts 8-byte aligned, as safetensors recommends.
  header.resize((header.size() + 7) / 8 * 8, ' ');
  return header;
}

/// A non-negative decimal metadata value up to `max` (safetensors stores
/// metadata as strings).
uint64_t metadataNumber(const JsonValue &metadata, const char *key, uint64_t max,
                        const std::string &path) {
  const JsonValue *value = metadata.find(key);
  if (!value || value->kind != JsonValue::Kind::String)
    fail(TGC_ERROR_FORMAT, "%s: not a tgc checkpoint: __metadata__ lacks the string '%s'",
         path.c_str(), key);
  const char *text = value->string.c_str();
  char *end = nullptr;
  errno = 0;
  unsigned long long number = std::strtoull(text, &end, 10);
  if (*text < '0' || *text > '9' || *end != '\0' || errno != 0 || number > max)
    fail(TGC_ERROR_FORMAT, "%s: __metadata__ '%s' is \"%s\", not a number up to %llu", path.c_str(),
         key, text, (unsigned long long)max);
  return number;
}

/// Where one tensor's bytes lie in the data section.
struct TensorSlice {
  const tgc_tensor *tensor;
  uint64_t begin, end;
};

/// Checks a header entry against the model's tensor of that name.
TensorSlice checkEntry(const std::string &name, const JsonValue &entry, const tgc_model &model,
                       const std::string &path) {
  const char *file = path.c_str(), *tensorName = name.c_str();
  const tgc_tensor *tensor = nullptr;
  for (int i = 0; i < model.num_state && !tensor; ++i)
    if (name == model.state[i].name)
      tensor = &model.state[i];
  if (!tensor)
    fail(TGC_ERROR_MISMATCH, "%s: tensor '%s' is not part of model '%s'", file, tensorName,
         model.name);

  const JsonValue *dtype = entry.find("dtype"), *shape = entry.find("shape"),
                  *offsets = entry.find("data_offsets");
  auto isIndexList = [](const JsonValue *list) {
    if (!list || list->kind != JsonValue::Kind::Array)
      return false;
    for (const JsonValue &element : list->elements)
      if (element.kind != JsonValue::Kind::Integer || element.integer < 0)
        return false;
    return true;
  };
  if (!dtype || dtype->kind != JsonValue::Kind::String || !isIndexList(shape) ||
      !isIndexList(offsets) || offsets->elements.size() != 2)
    fail(TGC_ERROR_FORMAT,
         "%s: tensor '%s' needs \"dtype\", \"shape\" and \"data_offsets\" [begin, end]", file,
         tensorName);
  std::vector<int64_t> dims;
  for (const JsonValue &dim : shape->elements)
    dims.push_back(dim.integer);

  const char *modelDtype = safetensorsDtype(tensor->dtype);
  if (dtype->string != modelDtype)
    fail(TGC_ERROR_MISMATCH, "%s: tensor '%s' is %s in the checkpoint but %s in model '%s'", file,
         tensorName, dtype->string.c_str(), modelDtype, model.name);
  if (dims != shapeOf(*tensor))
    fail(TGC_ERROR_MISMATCH, "%s: tensor '%s' has shape %s in the checkpoint but %s in model '%s'",
         file, tensorName, shapeString(dims).c_str(), shapeString(shapeOf(*tensor)).c_str(),
         model.name);
  uint64_t begin = uint64_t(offsets->elements[0].integer);
  uint64_t end = uint64_t(offsets->elements[1].integer);
  if (end < begin || end - begin != tensorBytes(*tensor))
    fail(TGC_ERROR_FORMAT, "%s: tensor '%s' has data_offsets [%llu, %llu] for %zu bytes of data",
         file, tensorName, (unsigned long long)begin, (unsigned long long)end,
         tensorBytes(*tensor));
  return {tensor, begin, end};
}

} // namespace

void saveCheckpoint(const std::string &path, const tgc_model &model,
                    const tgc_checkpoint_info &info) {
  for (int i = 0; i < model.num_state; ++i)
    if (!model.state[i].data)
      fail(TGC_ERROR_ARGUMENT, "%s: state tensor '%s' of model '%s' has no data", path.c_str(),
           model.state[i].name, model.name);
  // The eval view (Schedule-Free's x) is what a checkpoint's weights are
  // for; loading turns it back. An uninterrupted run passes through the
  // same two conversions at every save, so a resumed run matches it bit
  // for bit.
  if (model.eval_view)
    model.eval_view();
  if (model.state_to_host)
    model.state_to_host();
  std::string header = headerFor(model, info);
  uint8_t length[8];
  for (int i = 0; i < 8; ++i)
    length[i] = uint8_t(uint64_t(header.size()) >> (8 * i));

  AtomicFileWriter writer(path);
  writer.write(length, sizeof(length));
  writer.write(header.data(), header.size());
  for (int i = 0; i < model.num_state; ++i)
    writer.write(model.state[i].data, tensorBytes(model.state[i]));
  writer.commit();
  if (model.train_view)
    model.train_view();
}

tgc_checkpoint_info loadCheckpoint(const std::string &path, const tgc_model &model) {
  const char *file = path.c_str();
  std::string content = readFile(path);
  if (content.size() < 8)
    fail(TGC_ERROR_FORMAT, "%s: truncated: %zu bytes, shorter than the 8-byte header length", file,
         content.size());
  uint64_t headerLength = 0;
  for (int i = 7; i >= 0; --i)
    headerLength = headerLength << 8 | uint8_t(content[size_t(i)]);
  if (headerLength > content.size() - 8)
    fail(TGC_ERROR_FORMAT,
         "%s: truncated or not safetensors: the header length is %llu, the file has %zu bytes "
         "after it",
         file, (unsigned long long)headerLength, content.size() - 8);
  JsonValue header = parseJson(content.substr(8, headerLength), path);
  if (header.kind != JsonValue::Kind::Object)
    fail(TGC_ERROR_FORMAT, "%s: the safetensors header is not a JSON object", file);

  const JsonValue *metadata = header.find("__metadata__");
  const JsonValue *modelName = metadata ? metadata->find("model") : nullptr;
  if (!modelName || modelName->kind != JsonValue::Kind::String)
    fail(TGC_ERROR_FORMAT, "%s: not a tgc checkpoint: no model name in __metadata__", file);
  if (modelName->string != model.name)
    fail(TGC_ERROR_MISMATCH, "%s: checkpoint of model '%s', not of model '%s'", file,
         modelName->string.c_str(), model.name);
  tgc_checkpoint_info info;
  constexpr uint64_t kMaxInt64 = uint64_t(INT64_MAX);
  info.step = int64_t(metadataNumber(*metadata, "step", kMaxInt64, path));
  info.epoch = int64_t(metadataNumber(*metadata, "epoch", kMaxInt64, path));
  info.seed = metadataNumber(*metadata, "seed", UINT64_MAX, path);

  std::vector<TensorSlice> slices;
  std::set<std::string> names;
  for (const auto &[name, entry] : header.members) {
    if (name == "__metadata__")
      continue;
    if (!names.insert(name).second)
      fail(TGC_ERROR_FORMAT, "%s: tensor '%s' appears twice", file, name.c_str());
    slices.push_back(checkEntry(name, entry, model, path));
  }
  for (int i = 0; i < model.num_state; ++i)
    if (!names.count(model.state[i].name))
      fail(TGC_ERROR_MISMATCH, "%s: the checkpoint lacks tensor '%s' of model '%s'", file,
           model.state[i].name, model.name);

  // The slices must tile the data section exactly: no gaps, overlaps or
  // bytes past the end, and no missing bytes.
  uint64_t dataSize = content.size() - 8 - headerLength;
  std::sort(slices.begin(), slices.end(),
            [](const TensorSlice &a, const TensorSlice &b) { return a.begin < b.begin; });
  uint64_t covered = 0;
  for (const TensorSlice &slice : slices) {
    if (slice.begin != covered)
      fail(TGC_ERROR_FORMAT, "%s: tensor '%s' starts at data offset %llu, expected %llu", file,
           slice.tensor->name, (unsigned long long)slice.begin, (unsigned long long)covered);
    covered = slice.end;
  }
  if (covered != dataSize)
    fail(TGC_ERROR_FORMAT,
         "%s: %s: the header describes %llu bytes of tensor data, the file has %llu", file,
         covered > dataSize ? "truncated" : "trailing data", (unsigned long long)covered,
         (unsigned long long)dataSize);

  const char *data = content.data() + 8 + headerLength;
  for (const TensorSlice &slice : slices)
    std::memcpy(slice.tensor->data, data + slice.begin, slice.end - slice.begin);
  if (model.state_to_device)
    model.state_to_device();
  if (model.train_view)
    model.train_view();
  return info;
}

} // namespace tgc

using namespace tgc;

extern "C" {

tgc_status tgc_checkpoint_save(const char *path, const tgc_model *model,
                               const tgc_checkpoint_info *info) {
  return catchErrors([&] { saveCheckpoint(path, *model, *info); });
}

tgc_status tgc_checkpoint_load(const char *path, const tgc_model *model,
                               tgc_checkpoint_info *info) {
  return catchErrors([&] {
    tgc_checkpoint_info loaded = loadCheckpoint(path, *model);
    if (info)
      *info = loaded;
  });
}

} // extern "C"
