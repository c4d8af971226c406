//===- TestFiles.cpp - temporary directories, data files and training runs -===//

#include "TestFiles.h"

#include "tgc/Philox.h"
#include "tgc/runtime.h"

#include <gtest/gtest.h>

#include <dirent.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tgc::test {

TempDir::TempDir() {
  const char *base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/tgc-runtime-test-XXXXXX";
  if (!mkdtemp(pattern.data()))
    throw std::runtime_error("mkdtemp failed for " + pattern);
  root = pattern;
}

TempDir::~TempDir() {
  for (const std::string &name : list())
    std::remove(file(name).c_str());
  rmdir(root.c_str());
}

std::vector<std::string> TempDir::list() const {
  std::vector<std::string> names;
  if (DIR *dir = opendir(root.c_str())) {
    while (dirent *entry = readdir(dir))
      if (std::string(entry->d_name) != "." && std::string(entry->d_name) != "..")
        names.push_back(entry->d_name);
    closedir(dir);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

void writeBytes(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
  if (!out)
    throw std::runtime_error("cannot write " + path);
}

bool fileExists(const std::string &path) { return access(path.c_str(), F_OK) == 0; }

static void appendBigEndian32(std::string &bytes, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    bytes += char(value >> shift);
}

std::string idxBytes(uint8_t typeCode, const std::vector<uint32_t> &dims,
                     const std::string &bigEndianData) {
  std::string bytes = {0, 0, char(typeCode), char(dims.size())};
  for (uint32_t dim : dims)
    appendBigEndian32(bytes, dim);
  return bytes + bigEndianData;
}

void writeGzip(const std::string &path, const std::string &bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  if (!file || gzwrite(file, bytes.data(), unsigned(bytes.size())) != int(bytes.size()) ||
      gzclose(file) != Z_OK)
    throw std::runtime_error("cannot write " + path);
}

std::string npyBytes(const std::string &descr, const std::string &shape, const std::string &data,
                     int version, bool fortranOrder) {
  std::string header = "{'descr': '" + descr +
                       "', 'fortran_order': " + (fortranOrder ? "True" : "False") +
                       ", 'shape': " + shape + ", }";
  size_t lengthBytes = version == 1 ? 2 : 4;
  size_t prefix = 6 + 2 + lengthBytes;
  // numpy pads with spaces and a newline so that data starts 64-byte aligned.
  size_t total = (prefix + header.size() + 1 + 63) / 64 * 64;
  header.resize(total - prefix - 1, ' ');
  header += '\n';
  std::string bytes = "\x93NUMPY";
  bytes += char(version);
  bytes += char(0);
  for (size_t i = 0; i < lengthBytes; ++i)
    bytes += char(header.size() >> (8 * i));
  return bytes + header + data;
}

void writeSyntheticMnist(const std::string &dir, uint32_t numTrain, uint32_t numTest,
                         uint32_t mislabeledTestTail) {
  constexpr uint32_t kSide = 28;
  auto write = [&](const std::string &prefix, uint32_t count, uint64_t seed, uint32_t mislabeled) {
    std::string pixels, labels;
    for (uint32_t i = 0; i < count; ++i) {
      uint32_t label = uint32_t(tgc::philox4x32(seed, i)[0] % 10);
      labels += char(i + mislabeled >= count ? (label + 1) % 10 : label);
      for (uint32_t p = 0; p < kSide * kSide; ++p) {
        uint32_t noise = tgc::philox4x32(seed + 1, uint64_t(i) * kSide * kSide + p)[1] % 64;
        bool band = p / kSide >= 2 * label + 3 && p / kSide < 2 * label + 6;
        pixels += char(band ? 160 + noise : noise);
      }
    }
    writeGzip(dir + "/" + prefix + "-images-idx3-ubyte.gz",
              idxBytes(0x08, {count, kSide, kSide}, pixels));
    writeGzip(dir + "/" + prefix + "-labels-idx1-ubyte.gz", idxBytes(0x08, {count}, labels));
  };
  write("train", numTrain, 1, 0);
  write("t10k", numTest, 2, mislabeledTestTail);
}

RunResult trainMain(std::vector<std::string> args, const tgc_model &model) {
  args.insert(args.begin(), "train");
  std::vector<char *> argv;
  for (std::string &arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  int status = tgc_train_main(int(args.size()), argv.data(), &model);
  std::string out = testing::internal::GetCapturedStdout();
  std::string err = testing::internal::GetCapturedStderr();
  return {status, out, err};
}

std::vector<CsvRow> readCsv(const std::string &path) {
  std::vector<CsvRow> rows;
  std::istringstream lines(readBytes(path));
  for (std::string line; std::getline(lines, line);) {
    CsvRow row;
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');)
      row.push_back(cell);
    if (!line.empty() && line.back() == ',')
      row.push_back("");
    rows.push_back(row);
  }
  return rows;
}

std::vector<std::string> losses(const std::vector<CsvRow> &rows) {
  std::vector<std::string> column;
  for (size_t i = 1; i < rows.size(); ++i)
    column.push_back(rows[i][2]);
  return column;
}

} // namespace tgc::test
