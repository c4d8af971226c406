//===- Json.cpp - the JSON that safetensors headers need ------------------===//

#include "Json.h"

#include "Error.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace tgc {

const JsonValue *JsonValue::find(const std::string &key) const {
  for (const auto &member : members)
    if (member.first == key)
      return &member.second;
  return nullptr;
}

namespace {

class JsonParser {
public:
  JsonParser(const std::string &text, const std::string &path) : text(text), path(path) {}

  JsonValue parseDocument() {
    JsonValue value = parseValue(0);
    skipSpaces();
    if (position != text.size())
      error("unexpected text after the value");
    return value;
  }

private:
  // Deeper nesting is corruption, not a header; the limit bounds recursion.
  static constexpr int kMaxDepth = 32;

  [[noreturn]] void error(const char *what) {
    fail(TGC_ERROR_FORMAT, "%s: invalid JSON header: %s at offset %zu", path.c_str(), what,
         position);
  }

  void skipSpaces() {
    while (position < text.size() && std::strchr(" \t\r\n", text[position]) && text[position])
      ++position;
  }

  bool consume(char c) {
    skipSpaces();
    if (position < text.size() && text[position] == c)
      return ++position, true;
    return false;
  }

  bool consumeWord(const char *word) {
    size_t length = std::strlen(word);
    if (text.compare(position, length, word) != 0)
      return false;
    position += length;
    return true;
  }

  JsonValue parseValue(int depth) {
    if (depth > kMaxDepth)
      error("nesting too deep");
    skipSpaces();
    if (position >= text.size())
      error("unexpected end");
    JsonValue value;
    char c = text[position];
    if (c == '{') {
      value.kind = JsonValue::Kind::Object;
      ++position;
      if (consume('}'))
        return value;
      do {
        skipSpaces();
        std::string key = parseString();
        if (!consume(':'))
          error("expected ':'");
        value.members.emplace_back(std::move(key), parseValue(depth + 1));
      } while (consume(','));
      if (!consume('}'))
        error("expected ',' or '}'");
    } else if (c == '[') {
      value.kind = JsonValue::Kind::Array;
      ++position;
      if (consume(']'))
        return value;
      do
        value.elements.push_back(parseValue(depth + 1));
      while (consume(','));
      if (!consume(']'))
        error("expected ',' or ']'");
    } else if (c == '"') {
      value.kind = JsonValue::Kind::String;
      value.string = parseString();
    } else if (consumeWord("true") || consumeWord("false")) {
      value.kind = JsonValue::Kind::Bool;
      value.boolean = c == 't';
    } else if (consumeWord("null")) {
      value.kind = JsonValue::Kind::Null;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      parseNumber(value);
    } else {
      error("unexpected character");
    }
    return value;
  }

  void parseNumber(JsonValue &value) {
    size_t start = position;
    bool integral = true;
    while (position < text.size() && std::strchr("+-0123456789.eE", text[position]) &&
           text[position]) {
      integral &= std::strchr(".eE", text[position]) == nullptr;
      ++position;
    }
    std::string literal = text.substr(start, position - start);
    char *end = nullptr;
    errno = 0;
    if (integral) {
      long long integer = std::strtoll(literal.c_str(), &end, 10);
      if (*end == '\0' && errno == 0) {
        value.kind = JsonValue::Kind::Integer;
        value.integer = integer;
        return;
      }
    }
    value.real = std::strtod(literal.c_str(), &end);
    if (*end != '\0')
      error("malformed number");
    value.kind = JsonValue::Kind::Real;
  }

  std::string parseString() {
    if (position >= text.size() || text[position] != '"')
      error("expected a string");
    ++position;
    std::string result;
    for (;;) {
      if (position >= text.size())
        error("unterminated string");
      char c = text[position++];
      if (c == '"')
        return result;
      if (uint8_t(c) < 0x20)
        error("control character in a string");
      if (c != '\\') {
        result += c;
        continue;
      }
      if (position >= text.size())
        error("unterminated string");
      char escape = text[position++];
      switch (escape) {
      case '"':
      case '\\':
      case '/':
        result += escape;
        break;
      case 'b':
        result += '\b';
        break;
      case 'f':
        result += '\f';
        break;
      case 'n':
        result += '\n';
        break;
      case 'r':
        result += '\r';
        break;
      case 't':
        result += '\t';
        break;
      case 'u':
        appendUtf8(result, parseHex4());
        break;
      default:
        error("unknown escape in a string");
      }
    }
  }

  unsigned parseHex4() {
    if (position + 4 > text.size())
      error("truncated \\u escape");
    unsigned code = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text[position++];
      int digit = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
      if (digit < 0)
        error("malformed \\u escape");
      code = code * 16 + unsigned(digit);
    }
    return code;
  }

  /// Basic multilingual plane only: names in checkpoints are identifiers.
  static void appendUtf8(std::string &out, unsigned code) {
    if (code < 0x80) {
      out += char(code);
    } else if (code < 0x800) {
      out += char(0xC0 | code >> 6);
      out += char(0x80 | (code & 0x3F));
    } else {
      out += char(0xE0 | code >> 12);
      out += char(0x80 | (code >> 6 & 0x3F));
      out += char(0x80 | (code & 0x3F));
    }
  }

  const std::string &text;
  const std::string &path;
  size_t position = 0;
};

} // namespace

JsonValue parseJson(const std::string &text, const std::string &path) {
  return JsonParser(text, path).parseDocument();
}

std::string jsonQuote(const std::string &text) {
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (uint8_t(c) < 0x20) {
      quoted += format("\\u%04x", unsigned(uint8_t(c)));
    } else {
      quoted += c;
    }
  }
  return quoted + "\"";
}

} // namespace tgc
