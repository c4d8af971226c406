//===- Files.h - reading files and replacing them atomically ----*- C++ -*-===//
//
// Every failure is a RuntimeError whose message starts with the path.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_RUNTIME_FILES_H
#define TGC_RUNTIME_FILES_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace tgc {

/// A file read front to back.
class InputFile {
public:
  explicit InputFile(const std::string &path);
  ~InputFile();
  InputFile(const InputFile &) = delete;
  InputFile &operator=(const InputFile &) = delete;

  uint64_t size() const { return fileSize; }
  /// Reads up to `size` bytes; fewer only at the end of the file.
  size_t read(void *destination, size_t size);

private:
  std::string path;
  int fd = -1;
  uint64_t fileSize = 0;
};

/// The whole content of a file.
std::string readFile(const std::string &path);

/// Writes "<path>.tmp.<pid>" and renames it onto `path` in commit(), after
/// an fsync, so that `path` is never a partial file. Without commit() (an
/// error on the way) the temporary file is removed.
class AtomicFileWriter {
public:
  explicit AtomicFileWriter(const std::string &path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter &) = delete;
  AtomicFileWriter &operator=(const AtomicFileWriter &) = delete;

  void write(const void *data, size_t size);
  void commit();

private:
  std::string path;
  std::string temporaryPath;
  int fd = -1;
};

/// Fails unless a file can be created next to `path` (a probe file is
/// created and removed); `what` names the file's role in the message.
void checkCanCreate(const std::string &path, const char *what);

} // namespace tgc

#endif // TGC_RUNTIME_FILES_H
