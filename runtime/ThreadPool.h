//===- ThreadPool.h - the pool behind tgc_parallel_for ----------*- C++ -*-===//

#ifndef TGC_RUNTIME_THREADPOOL_H
#define TGC_RUNTIME_THREADPOOL_H

#include <optional>

namespace tgc {

/// The thread count TGC_NUM_THREADS asks for: a positive integer, else none.
std::optional<int> parseThreadCount(const char *text);

} // namespace tgc

#endif // TGC_RUNTIME_THREADPOOL_H
