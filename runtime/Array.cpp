//===- Array.cpp - dense arrays, dtypes, and the array C API --------------===//

#include "Array.h"

#include "Error.h"

#include <algorithm>
#include <cstring>

namespace tgc {

size_t elementSize(tgc_array_dtype dtype) {
  switch (dtype) {
  case TGC_ARRAY_U8:
  case TGC_ARRAY_I8:
    return 1;
  case TGC_ARRAY_I16:
    return 2;
  case TGC_ARRAY_I32:
  case TGC_ARRAY_F32:
    return 4;
  case TGC_ARRAY_I64:
  case TGC_ARRAY_F64:
    return 8;
  }
  return 0;
}

size_t elementSize(tgc_dtype dtype) {
  switch (dtype) {
  case TGC_F16:
  case TGC_BF16:
    return 2;
  case TGC_F32:
  case TGC_I32:
    return 4;
  case TGC_F64:
  case TGC_I64:
    return 8;
  }
  return 0;
}

const char *dtypeName(tgc_array_dtype dtype) {
  switch (dtype) {
  case TGC_ARRAY_U8:
    return "u8";
  case TGC_ARRAY_I8:
    return "i8";
  case TGC_ARRAY_I16:
    return "i16";
  case TGC_ARRAY_I32:
    return "i32";
  case TGC_ARRAY_I64:
    return "i64";
  case TGC_ARRAY_F32:
    return "f32";
  case TGC_ARRAY_F64:
    return "f64";
  }
  return "?";
}

const char *dtypeName(tgc_dtype dtype) {
  switch (dtype) {
  case TGC_F32:
    return "f32";
  case TGC_F64:
    return "f64";
  case TGC_I32:
    return "i32";
  case TGC_I64:
    return "i64";
  case TGC_F16:
    return "f16";
  case TGC_BF16:
    return "bf16";
  }
  return "?";
}

std::string shapeString(const int64_t *shape, int rank) {
  std::string text = "[";
  for (int i = 0; i < rank; ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

int64_t checkedElementCount(const std::vector<int64_t> &shape, size_t elementBytes,
                            const std::string &path) {
  // 2^46 bytes: more than any machine we run on, and no overflow below it.
  constexpr int64_t kMaxBytes = int64_t(1) << 46;
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0)
      fail(TGC_ERROR_FORMAT, "%s: negative dimension in shape %s", path.c_str(),
           shapeString(shape).c_str());
    if (dim != 0 && count > kMaxBytes / int64_t(elementBytes) / dim)
      fail(TGC_ERROR_FORMAT, "%s: shape %s is too large", path.c_str(), shapeString(shape).c_str());
    count *= dim;
  }
  return count;
}

Array::Array(tgc_array_dtype dtype, std::vector<int64_t> shape)
    : type(dtype), dims(std::move(shape)) {
  storage.reset(tgc_alloc(numBytes(), 0));
  if (!storage)
    throw std::bad_alloc();
}

int64_t Array::numElements() const {
  int64_t count = 1;
  for (int64_t dim : dims)
    count *= dim;
  return count;
}

tgc_array Array::release() {
  tgc_array array = {};
  array.dtype = type;
  array.rank = int32_t(dims.size());
  std::copy(dims.begin(), dims.end(), array.shape);
  array.data = storage.release();
  return array;
}

Array loadArray(const std::string &path) {
  constexpr const char *kNpySuffix = ".npy";
  size_t suffixLength = std::strlen(kNpySuffix);
  bool isNpy = path.size() >= suffixLength &&
               path.compare(path.size() - suffixLength, suffixLength, kNpySuffix) == 0;
  return isNpy ? loadNpy(path) : loadIdx(path);
}

} // namespace tgc

using namespace tgc;

/// Runs a loader for the C API.
template <typename Loader>
static tgc_status loadForC(Loader load, const char *path, tgc_array *out) {
  *out = {};
  return catchErrors([&] {
    Array array = load(path);
    if (array.shape().size() > TGC_ARRAY_MAX_RANK)
      fail(TGC_ERROR_FORMAT, "%s: rank %zu is more than the %d a tgc_array holds", path,
           array.shape().size(), TGC_ARRAY_MAX_RANK);
    *out = array.release();
  });
}

extern "C" {

tgc_status tgc_load_idx(const char *path, tgc_array *out) { return loadForC(loadIdx, path, out); }

tgc_status tgc_load_npy(const char *path, tgc_array *out) { return loadForC(loadNpy, path, out); }

tgc_status tgc_load_array(const char *path, tgc_array *out) {
  return loadForC(loadArray, path, out);
}

void tgc_array_free(tgc_array *array) {
  if (!array)
    return;
  tgc_free(array->data);
  array->data = nullptr;
}

} // extern "C"
