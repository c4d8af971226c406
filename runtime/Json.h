//===- Json.h - the JSON that safetensors headers need ----------*- C++ -*-===//

#ifndef TGC_RUNTIME_JSON_H
#define TGC_RUNTIME_JSON_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tgc {

struct JsonValue {
  enum class Kind { Null, Bool, Integer, Real, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  int64_t integer = 0; // numbers without fraction or exponent that fit
  double real = 0;     // other numbers
  std::string string;
  std::vector<JsonValue> elements;
  std::vector<std::pair<std::string, JsonValue>> members; // in file order

  /// The first member named `key` of an object, or nullptr.
  const JsonValue *find(const std::string &key) const;
};

/// Parses one JSON value spanning `text` (surrounding spaces allowed); a
/// syntax error is a format RuntimeError "<path>: invalid JSON header: ...".
JsonValue parseJson(const std::string &text, const std::string &path);

/// `text` as a JSON string literal, quotes included.
std::string jsonQuote(const std::string &text);

} // namespace tgc

#endif // TGC_RUNTIME_JSON_H
