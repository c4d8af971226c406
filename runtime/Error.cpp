//===- Error.cpp - error messages of the C API ----------------------------===//

#include "Error.h"

#include <cstdarg>
#include <cstdio>

namespace tgc {

static thread_local std::string lastError;

static std::string formatList(const char *fmt, va_list args) {
  va_list copy;
  va_copy(copy, args);
  int length = std::vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  std::string text(length > 0 ? size_t(length) : 0, '\0');
  std::vsnprintf(text.data(), text.size() + 1, fmt, args);
  return text;
}

std::string format(const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::string text = formatList(fmt, args);
  va_end(args);
  return text;
}

void fail(tgc_status status, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::string message = formatList(fmt, args);
  va_end(args);
  throw RuntimeError(status, message);
}

tgc_status setLastError(tgc_status status, const std::string &message) {
  lastError = message;
  return status;
}

} // namespace tgc

extern "C" const char *tgc_last_error(void) { return tgc::lastError.c_str(); }
