//===- TestFiles.h - temporary directories, data files and training runs ---===//

#ifndef TGC_TEST_RUNTIME_TESTFILES_H
#define TGC_TEST_RUNTIME_TESTFILES_H

#include "tgc/model.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tgc::test {

/// A fresh directory under $TMPDIR, removed with its content.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  const std::string &path() const { return root; }
  std::string file(const std::string &name) const { return root + "/" + name; }
  /// The names of the files in the directory, sorted.
  std::vector<std::string> list() const;

private:
  std::string root;
};

std::string readBytes(const std::string &path);
void writeBytes(const std::string &path, const std::string &bytes);
bool fileExists(const std::string &path);

/// The bytes of an IDX file: magic 0x0000TTNN, big-endian dims, then
/// `bigEndianData` as given.
std::string idxBytes(uint8_t typeCode, const std::vector<uint32_t> &dims,
                     const std::string &bigEndianData);
/// Writes `bytes` gzip-compressed.
void writeGzip(const std::string &path, const std::string &bytes);

/// The bytes of a .npy file of format `version` (1, 2 or 3).
std::string npyBytes(const std::string &descr, const std::string &shape, const std::string &data,
                     int version = 1, bool fortranOrder = false);

/// A learnable MNIST-like set: 28x28 u8 images whose class (0-9) is a
/// bright band of rows, plus noise; labels u8. Writes train-*-ubyte.gz and
/// t10k-*-ubyte.gz into `dir`. The last `mislabeledTestTail` test examples
/// are labeled as the next class (so a model that learned the set gets them
/// wrong).
void writeSyntheticMnist(const std::string &dir, uint32_t numTrain, uint32_t numTest,
                         uint32_t mislabeledTestTail = 0);

/// What a run of tgc_train_main returned and printed.
struct RunResult {
  int status;
  std::string out, err;
};

/// Runs tgc_train_main as program "train" with `args`, capturing its output.
RunResult trainMain(std::vector<std::string> args, const tgc_model &model);

using CsvRow = std::vector<std::string>;
std::vector<CsvRow> readCsv(const std::string &path);
/// The loss column of the rows after the header.
std::vector<std::string> losses(const std::vector<CsvRow> &rows);

} // namespace tgc::test

#endif // TGC_TEST_RUNTIME_TESTFILES_H
