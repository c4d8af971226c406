//===- Npy.cpp - NumPy .npy files -----------------------------------------===//
//
// "\x93NUMPY", a major and a minor version byte, the header length (u16 in
// version 1, u32 in versions 2 and 3, little-endian), then the header: a
// Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (60000, 28, 28), }
// padded with spaces and a newline, then the raw elements.
//
//===----------------------------------------------------------------------===//

#include "Array.h"
#include "Error.h"
#include "Files.h"

#include <cstdint>
#include <cstring>

namespace tgc {
namespace {

struct NpyHeader {
  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
};

/// Parses the header dict: string keys; string, True/False and int-tuple
/// values, which is all numpy writes.
class NpyHeaderParser {
public:
  NpyHeaderParser(const std::string &text, const std::string &path) : text(text), path(path) {}

  NpyHeader parse() {
    NpyHeader header;
    bool sawDescr = false, sawOrder = false, sawShape = false;
    expect('{');
    while (!consume('}')) { // a trailing comma before '}' is allowed
      std::string key = parseString();
      expect(':');
      if (key == "descr") {
        header.descr = parseString();
        sawDescr = true;
      } else if (key == "fortran_order") {
        header.fortranOrder = parseBool();
        sawOrder = true;
      } else if (key == "shape") {
        header.shape = parseIntTuple();
        sawShape = true;
      } else {
        fail(TGC_ERROR_FORMAT, "%s: unexpected key '%s' in the .npy header", path.c_str(),
             key.c_str());
      }
      if (!consume(',')) {
        expect('}');
        break;
      }
    }
    if (!sawDescr || !sawOrder || !sawShape)
      fail(TGC_ERROR_FORMAT, "%s: the .npy header lacks '%s'", path.c_str(),
           !sawDescr   ? "descr"
           : !sawOrder ? "fortran_order"
                       : "shape");
    return header;
  }

private:
  void skipSpaces() {
    while (position < text.size() && std::strchr(" \t\n", text[position]))
      ++position;
  }

  bool consume(char c) {
    skipSpaces();
    if (position < text.size() && text[position] == c)
      return ++position, true;
    return false;
  }

  [[noreturn]] void syntaxError(const char *expected) {
    // The header without its padding and newline keeps the message one line.
    std::string header = text.substr(0, text.find_last_not_of(" \n") + 1);
    fail(TGC_ERROR_FORMAT, "%s: malformed .npy header: expected %s at offset %zu of \"%s\"",
         path.c_str(), expected, position, header.c_str());
  }

  void expect(char c) {
    if (!consume(c)) {
      char expected[4] = {'\'', c, '\'', 0};
      syntaxError(expected);
    }
  }

  std::string parseString() {
    skipSpaces();
    if (position >= text.size() || (text[position] != '\'' && text[position] != '"'))
      syntaxError("a string");
    char quote = text[position++];
    size_t end = text.find(quote, position);
    if (end == std::string::npos)
      syntaxError("the end of a string");
    std::string value = text.substr(position, end - position);
    position = end + 1;
    return value;
  }

  bool parseBool() {
    skipSpaces();
    for (bool value : {true, false}) {
      const char *word = value ? "True" : "False";
      if (text.compare(position, std::strlen(word), word) == 0)
        return position += std::strlen(word), value;
    }
    syntaxError("True or False");
  }

  std::vector<int64_t> parseIntTuple() {
    std::vector<int64_t> values;
    expect('(');
    while (!consume(')')) {
      skipSpaces();
      size_t start = position;
      int64_t value = 0;
      while (position < text.size() && text[position] >= '0' && text[position] <= '9') {
        if (value > (INT64_MAX - 9) / 10)
          syntaxError("a dimension below 2^63");
        value = value * 10 + (text[position++] - '0');
      }
      if (position == start)
        syntaxError("a dimension");
      values.push_back(value);
      if (!consume(',')) {
        expect(')');
        break;
      }
    }
    return values;
  }

  const std::string &text;
  const std::string &path;
  size_t position = 0;
};

/// The element type of a little-endian or byte-order-free descr.
bool npyElementType(const std::string &descr, tgc_array_dtype &dtype) {
  static const struct {
    const char *code;
    tgc_array_dtype dtype;
  } kTypes[] = {{"u1", TGC_ARRAY_U8},  {"i1", TGC_ARRAY_I8},  {"i2", TGC_ARRAY_I16},
                {"i4", TGC_ARRAY_I32}, {"i8", TGC_ARRAY_I64}, {"f4", TGC_ARRAY_F32},
                {"f8", TGC_ARRAY_F64}};
  if (descr.size() != 3)
    return false;
  char order = descr[0];
  for (const auto &type : kTypes) {
    if (descr.compare(1, 2, type.code) != 0)
      continue;
    bool singleByte = elementSize(type.dtype) == 1;
    if (order == '<' || order == '=' || (singleByte && order == '|')) {
      dtype = type.dtype;
      return true;
    }
  }
  return false;
}

uint32_t littleEndian(const uint8_t *bytes, int count) {
  uint32_t value = 0;
  for (int i = count - 1; i >= 0; --i)
    value = value << 8 | bytes[i];
  return value;
}

} // namespace

Array loadNpy(const std::string &path) {
  const char *name = path.c_str();
  InputFile file(path);
  static const char kMagic[] = "\x93NUMPY";
  constexpr size_t kMagicSize = sizeof(kMagic) - 1;
  uint8_t preamble[kMagicSize + 2 + 4];
  size_t got = file.read(preamble, kMagicSize + 2);
  if (got < kMagicSize + 2 || std::memcmp(preamble, kMagic, kMagicSize) != 0)
    fail(TGC_ERROR_FORMAT,
         "%s: not a .npy file: it does not start with \"\\x93NUMPY\" and a version", name);
  int major = preamble[kMagicSize], minor = preamble[kMagicSize + 1];
  if (major < 1 || major > 3)
    fail(TGC_ERROR_FORMAT, "%s: unsupported .npy format version %d.%d (1.0 to 3.0 are known)", name,
         major, minor);
  int lengthBytes = major == 1 ? 2 : 4;
  uint8_t *lengthField = preamble + kMagicSize + 2;
  if (file.read(lengthField, size_t(lengthBytes)) < size_t(lengthBytes))
    fail(TGC_ERROR_FORMAT, "%s: truncated: the file ends inside the .npy preamble", name);
  uint32_t headerLength = littleEndian(lengthField, lengthBytes);
  if (headerLength > file.size())
    fail(TGC_ERROR_FORMAT, "%s: truncated: the .npy header is %u bytes, the file only %llu", name,
         headerLength, (unsigned long long)file.size());
  std::string headerText(headerLength, '\0');
  if (file.read(headerText.data(), headerLength) < headerLength)
    fail(TGC_ERROR_FORMAT, "%s: truncated: the file ends inside the %u-byte .npy header", name,
         headerLength);

  NpyHeader header = NpyHeaderParser(headerText, path).parse();
  tgc_array_dtype dtype;
  if (!npyElementType(header.descr, dtype))
    fail(TGC_ERROR_FORMAT,
         "%s: unsupported dtype '%s' (supported: little-endian u1 i1 i2 i4 i8 f4 f8, "
         "e.g. '<f4')",
         name, header.descr.c_str());
  if (header.fortranOrder)
    fail(TGC_ERROR_FORMAT,
         "%s: data is in Fortran order; save a C-order array (numpy.ascontiguousarray)", name);
  checkedElementCount(header.shape, elementSize(dtype), path);

  Array array(dtype, header.shape);
  uint64_t dataOffset = kMagicSize + 2 + uint64_t(lengthBytes) + headerLength;
  uint64_t available = file.size() - dataOffset;
  if (available != array.numBytes())
    fail(TGC_ERROR_FORMAT, "%s: %s: shape %s of %s needs %zu bytes of data, file has %llu", name,
         available < array.numBytes() ? "truncated" : "trailing data",
         shapeString(header.shape).c_str(), dtypeName(dtype), array.numBytes(),
         (unsigned long long)available);
  if (file.read(array.data(), array.numBytes()) < array.numBytes())
    fail(TGC_ERROR_FORMAT, "%s: truncated while reading (the file shrank?)", name);
  return array;
}

} // namespace tgc
