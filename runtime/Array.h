//===- Array.h - dense arrays and the files that hold them ------*- C++ -*-===//

#ifndef TGC_RUNTIME_ARRAY_H
#define TGC_RUNTIME_ARRAY_H

#include "tgc/runtime.h"

#include <memory>
#include <string>
#include <vector>

namespace tgc {

size_t elementSize(tgc_array_dtype dtype);
size_t elementSize(tgc_dtype dtype);
const char *dtypeName(tgc_array_dtype dtype); // "u8", "f32", ...
const char *dtypeName(tgc_dtype dtype);

/// "[60000, 28, 28]"; "[]" for a scalar.
std::string shapeString(const int64_t *shape, int rank);
inline std::string shapeString(const std::vector<int64_t> &shape) {
  return shapeString(shape.data(), int(shape.size()));
}

/// The number of elements of `shape`, failing with a format error that
/// names `path` when a dimension is negative or the size is absurd.
int64_t checkedElementCount(const std::vector<int64_t> &shape, size_t elementBytes,
                            const std::string &path);

/// An owned dense array in C order and native byte order, allocated with
/// tgc_alloc (huge pages for big ones).
class Array {
public:
  Array() = default;
  Array(tgc_array_dtype dtype, std::vector<int64_t> shape);

  tgc_array_dtype dtype() const { return type; }
  const std::vector<int64_t> &shape() const { return dims; }
  int64_t numElements() const;
  size_t numBytes() const { return size_t(numElements()) * elementSize(type); }
  void *data() { return storage.get(); }
  const void *data() const { return storage.get(); }

  /// Hands the data over to a C tgc_array (freed by tgc_array_free).
  tgc_array release();

private:
  struct FreeWithTgc {
    void operator()(void *ptr) const { tgc_free(ptr); }
  };
  tgc_array_dtype type = TGC_ARRAY_U8;
  std::vector<int64_t> dims;
  std::unique_ptr<void, FreeWithTgc> storage;
};

/// Loaders: a RuntimeError names the file and what is wrong with it.
Array loadIdx(const std::string &path);
Array loadNpy(const std::string &path);
/// loadNpy for names ending in ".npy", loadIdx otherwise.
Array loadArray(const std::string &path);

} // namespace tgc

#endif // TGC_RUNTIME_ARRAY_H
