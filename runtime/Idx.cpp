//===- Idx.cpp - IDX files (the MNIST format), gzip-compressed or not -----===//
//
// An IDX file is a 4-byte magic number (two zero bytes, an element type, the
// number of dimensions), one big-endian u32 per dimension, then the elements
// in C order, big-endian. zlib's gz* functions read gzip streams and plain
// files alike.
//
//===----------------------------------------------------------------------===//

#include "Array.h"
#include "Error.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace tgc {
namespace {

class GzipFile {
public:
  explicit GzipFile(const std::string &path) : path(path) {
    file = gzopen(path.c_str(), "rb");
    if (!file)
      fail(TGC_ERROR_IO, "%s: cannot open: %s", path.c_str(),
           errno ? std::strerror(errno) : "out of memory");
    gzbuffer(file, 1 << 20); // fewer, bigger reads of the compressed stream
  }
  ~GzipFile() { gzclose(file); }
  GzipFile(const GzipFile &) = delete;
  GzipFile &operator=(const GzipFile &) = delete;

  /// Reads up to `size` bytes; fewer only at the end of the data.
  size_t read(void *destination, size_t size) {
    char *cursor = static_cast<char *>(destination);
    size_t done = 0;
    while (done < size) {
      unsigned request = unsigned(std::min<size_t>(size - done, INT_MAX / 2));
      int got = gzread(file, cursor + done, request);
      if (got <= 0)
        break;
      done += size_t(got);
    }
    int status = Z_OK;
    const char *message = gzerror(file, &status);
    if (status == Z_ERRNO)
      fail(TGC_ERROR_IO, "%s: cannot read: %s", path.c_str(), std::strerror(errno));
    if (status != Z_OK)
      fail(TGC_ERROR_FORMAT, "%s: truncated or corrupt gzip stream (zlib: %s)", path.c_str(),
           message);
    return done;
  }

private:
  std::string path;
  gzFile file;
};

bool idxElementType(uint8_t code, tgc_array_dtype &dtype) {
  switch (code) {
  case 0x08:
    return dtype = TGC_ARRAY_U8, true;
  case 0x09:
    return dtype = TGC_ARRAY_I8, true;
  case 0x0B:
    return dtype = TGC_ARRAY_I16, true;
  case 0x0C:
    return dtype = TGC_ARRAY_I32, true;
  case 0x0D:
    return dtype = TGC_ARRAY_F32, true;
  case 0x0E:
    return dtype = TGC_ARRAY_F64, true;
  default:
    return false;
  }
}

template <typename Word, Word (*swap)(Word)> void swapEach(void *data, int64_t count) {
  char *bytes = static_cast<char *>(data);
  for (int64_t i = 0; i < count; ++i) {
    Word word;
    std::memcpy(&word, bytes + i * sizeof(Word), sizeof(Word));
    word = swap(word);
    std::memcpy(bytes + i * sizeof(Word), &word, sizeof(Word));
  }
}

uint16_t swap16(uint16_t x) { return __builtin_bswap16(x); }
uint32_t swap32(uint32_t x) { return __builtin_bswap32(x); }
uint64_t swap64(uint64_t x) { return __builtin_bswap64(x); }

void bigEndianToNative(Array &array) {
  switch (elementSize(array.dtype())) {
  case 2:
    return swapEach<uint16_t, swap16>(array.data(), array.numElements());
  case 4:
    return swapEach<uint32_t, swap32>(array.data(), array.numElements());
  case 8:
    return swapEach<uint64_t, swap64>(array.data(), array.numElements());
  default:
    return;
  }
}

} // namespace

Array loadIdx(const std::string &path) {
  const char *name = path.c_str();
  GzipFile file(path);
  uint8_t magic[4];
  size_t got = file.read(magic, sizeof(magic));
  if (got < sizeof(magic))
    fail(TGC_ERROR_FORMAT, "%s: truncated: %zu bytes, shorter than the 4-byte IDX magic number",
         name, got);
  tgc_array_dtype dtype;
  if (magic[0] != 0 || magic[1] != 0 || !idxElementType(magic[2], dtype) || magic[3] == 0)
    fail(TGC_ERROR_FORMAT,
         "%s: not an IDX file: magic number 0x%02x%02x%02x%02x (expected 0x0000TTNN: "
         "element type TT in 08 09 0b 0c 0d 0e, NN > 0 dimensions)",
         name, magic[0], magic[1], magic[2], magic[3]);

  int rank = magic[3];
  uint8_t dimBytes[4 * 255];
  got = file.read(dimBytes, size_t(4 * rank));
  if (got < size_t(4 * rank))
    fail(TGC_ERROR_FORMAT, "%s: truncated: the header declares %d dimensions, file ends after %zu",
         name, rank, got / 4);
  std::vector<int64_t> shape(size_t(rank), 0);
  for (int i = 0; i < rank; ++i) {
    const uint8_t *b = dimBytes + 4 * i;
    shape[size_t(i)] =
        int64_t(uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | uint32_t(b[3]));
  }
  checkedElementCount(shape, elementSize(dtype), path);

  Array array(dtype, shape);
  got = file.read(array.data(), array.numBytes());
  if (got < array.numBytes())
    fail(TGC_ERROR_FORMAT, "%s: truncated: shape %s of %s needs %zu bytes of data, file has %zu",
         name, shapeString(shape).c_str(), dtypeName(dtype), array.numBytes(), got);
  uint8_t extra;
  if (file.read(&extra, 1) != 0)
    fail(TGC_ERROR_FORMAT, "%s: data continues past the %zu bytes that shape %s of %s needs", name,
         array.numBytes(), shapeString(shape).c_str(), dtypeName(dtype));
  bigEndianToNative(array);
  return array;
}

} // namespace tgc
