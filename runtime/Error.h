//===- Error.h - errors inside the runtime and at its C boundary -*- C++ -*-===//
//
// Inside the runtime, failures are RuntimeError exceptions carrying a status
// and a one-line message; every C entry point runs its body through
// catchErrors, which turns them into a tgc_status and tgc_last_error().
//
//===----------------------------------------------------------------------===//

#ifndef TGC_RUNTIME_ERROR_H
#define TGC_RUNTIME_ERROR_H

#include "tgc/runtime.h"

#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace tgc {

class RuntimeError : public std::runtime_error {
public:
  RuntimeError(tgc_status status, const std::string &message)
      : std::runtime_error(message), status(status) {}
  tgc_status status;
};

/// printf into a std::string.
std::string format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/// Throws a RuntimeError with a printf-formatted message.
[[noreturn]] void fail(tgc_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/// Records `message` as this thread's tgc_last_error() and returns `status`.
tgc_status setLastError(tgc_status status, const std::string &message);

/// Runs `body`; a RuntimeError (or bad_alloc) becomes a status and message.
template <typename Body> tgc_status catchErrors(Body &&body) {
  try {
    body();
    return TGC_OK;
  } catch (const RuntimeError &error) {
    return setLastError(error.status, error.what());
  } catch (const std::bad_alloc &) {
    return setLastError(TGC_ERROR_OUT_OF_MEMORY, "out of memory");
  }
}

/// For functions that compiled code calls (the mgpu* and _mlir_ciface_*
/// ones): runs `body`, and on failure prints the error and exits
/// (tgc_cuda_fail), as compiled code cannot handle one.
template <typename Body> auto orExit(Body &&body) {
  using Result = decltype(body());
  if constexpr (std::is_void_v<Result>) {
    if (catchErrors(body) != TGC_OK)
      tgc_cuda_fail();
  } else {
    Result result{};
    if (catchErrors([&] { result = body(); }) != TGC_OK)
      tgc_cuda_fail();
    return result;
  }
}

} // namespace tgc

#endif // TGC_RUNTIME_ERROR_H
