//===- Files.cpp - reading files and replacing them atomically ------------===//

#include "Files.h"

#include "Error.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tgc {

static std::string temporaryPathFor(const std::string &path) {
  return path + ".tmp." + std::to_string(getpid());
}

static std::string directoryOf(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

InputFile::InputFile(const std::string &path) : path(path) {
  fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    fail(TGC_ERROR_IO, "%s: cannot open: %s", path.c_str(), std::strerror(errno));
  struct stat status;
  const char *problem = nullptr;
  if (fstat(fd, &status) != 0)
    problem = std::strerror(errno);
  else if (!S_ISREG(status.st_mode))
    problem = S_ISDIR(status.st_mode) ? "it is a directory" : "not a regular file";
  if (problem) {
    close(fd);
    fail(TGC_ERROR_IO, "%s: cannot read: %s", path.c_str(), problem);
  }
  fileSize = uint64_t(status.st_size);
}

InputFile::~InputFile() { close(fd); }

size_t InputFile::read(void *destination, size_t size) {
  char *cursor = static_cast<char *>(destination);
  size_t done = 0;
  while (done < size) {
    ssize_t got = ::read(fd, cursor + done, size - done);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      fail(TGC_ERROR_IO, "%s: cannot read: %s", path.c_str(), std::strerror(errno));
    if (got == 0)
      break;
    done += size_t(got);
  }
  return done;
}

std::string readFile(const std::string &path) {
  InputFile file(path);
  std::string content(file.size(), '\0');
  content.resize(file.read(content.data(), content.size()));
  return content;
}

AtomicFileWriter::AtomicFileWriter(const std::string &path)
    : path(path), temporaryPath(temporaryPathFor(path)) {
  fd = open(temporaryPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    fail(TGC_ERROR_IO, "%s: cannot create %s: %s", path.c_str(), temporaryPath.c_str(),
         std::strerror(errno));
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd >= 0) {
    close(fd);
    unlink(temporaryPath.c_str());
  }
}

void AtomicFileWriter::write(const void *data, size_t size) {
  const char *cursor = static_cast<const char *>(data);
  while (size > 0) {
    ssize_t written = ::write(fd, cursor, size);
    if (written < 0 && errno == EINTR)
      continue;
    if (written < 0)
      fail(TGC_ERROR_IO, "%s: cannot write %s: %s", path.c_str(), temporaryPath.c_str(),
           std::strerror(errno));
    cursor += written;
    size -= size_t(written);
  }
}

void AtomicFileWriter::commit() {
  if (fsync(fd) != 0)
    fail(TGC_ERROR_IO, "%s: cannot sync %s: %s", path.c_str(), temporaryPath.c_str(),
         std::strerror(errno));
  int closeResult = close(fd);
  fd = -1;
  if (closeResult != 0 || rename(temporaryPath.c_str(), path.c_str()) != 0) {
    int error = errno;
    unlink(temporaryPath.c_str());
    fail(TGC_ERROR_IO, "%s: cannot replace it with %s: %s", path.c_str(), temporaryPath.c_str(),
         std::strerror(error));
  }
  // Make the rename itself durable; a failure here loses nothing written.
  int directory = open(directoryOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory >= 0) {
    fsync(directory);
    close(directory);
  }
}

void checkCanCreate(const std::string &path, const char *what) {
  struct stat status;
  if (stat(path.c_str(), &status) == 0) {
    if (S_ISDIR(status.st_mode))
      fail(TGC_ERROR_IO, "%s: cannot write the %s: it is a directory", path.c_str(), what);
    if (access(path.c_str(), W_OK) != 0)
      fail(TGC_ERROR_IO, "%s: cannot write the %s: %s", path.c_str(), what, std::strerror(errno));
  }
  std::string probe = temporaryPathFor(path);
  int fd = open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    fail(TGC_ERROR_IO, "%s: cannot write the %s: %s", path.c_str(), what, std::strerror(errno));
  close(fd);
  unlink(probe.c_str());
}

} // namespace tgc
