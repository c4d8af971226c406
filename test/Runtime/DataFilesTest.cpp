//===- DataFilesTest.cpp - IDX and .npy loaders ---------------------------===//

#include "TestFiles.h"

#include "tgc/runtime.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>

namespace {

using namespace tgc::test;
using testing::HasSubstr;

/// Loads `path`, expecting success.
tgc_array load(const std::string &path) {
  tgc_array array;
  tgc_status status = tgc_load_array(path.c_str(), &array);
  EXPECT_EQ(status, TGC_OK) << tgc_last_error();
  return array;
}

/// Loads `path`, expecting failure with `status`; returns the message.
std::string loadError(const std::string &path, tgc_status status) {
  tgc_array array;
  EXPECT_EQ(tgc_load_array(path.c_str(), &array), status) << path;
  EXPECT_EQ(array.data, nullptr);
  std::string message = tgc_last_error();
  EXPECT_THAT(message, HasSubstr(path)) << "the message names the file";
  EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
  return message;
}

std::vector<int64_t> shapeOf(const tgc_array &array) {
  return std::vector<int64_t>(array.shape, array.shape + array.rank);
}

//===--- IDX ---------------------------------------------------------------===//

TEST(Idx, ReadsGzipAndPlainU8) {
  TempDir dir;
  std::string pixels;
  for (int i = 0; i < 2 * 3 * 4; ++i)
    pixels += char(i * 10);
  std::string bytes = idxBytes(0x08, {2, 3, 4}, pixels);
  writeGzip(dir.file("a.gz"), bytes);
  writeBytes(dir.file("a"), bytes);
  for (const char *name : {"a.gz", "a"}) {
    tgc_array array = load(dir.file(name));
    EXPECT_EQ(array.dtype, TGC_ARRAY_U8);
    EXPECT_EQ(shapeOf(array), (std::vector<int64_t>{2, 3, 4}));
    EXPECT_EQ(std::memcmp(array.data, pixels.data(), pixels.size()), 0);
    tgc_array_free(&array);
  }
}

TEST(Idx, ConvertsBigEndianElements) {
  TempDir dir;
  // i32 -2 and 258, f32 1.5, f64 -0.25, i16 -3: written big-endian.
  writeGzip(dir.file("i32"),
            idxBytes(0x0C, {2}, std::string("\xff\xff\xff\xfe\x00\x00\x01\x02", 8)));
  writeGzip(dir.file("f32"), idxBytes(0x0D, {1}, std::string("\x3f\xc0\x00\x00", 4)));
  writeGzip(dir.file("f64"), idxBytes(0x0E, {1}, std::string("\xbf\xd0\0\0\0\0\0\0", 8)));
  writeGzip(dir.file("i16"), idxBytes(0x0B, {1}, std::string("\xff\xfd", 2)));
  tgc_array i32 = load(dir.file("i32")), f32 = load(dir.file("f32"));
  tgc_array f64 = load(dir.file("f64")), i16 = load(dir.file("i16"));
  EXPECT_EQ(i32.dtype, TGC_ARRAY_I32);
  EXPECT_EQ(static_cast<int32_t *>(i32.data)[0], -2);
  EXPECT_EQ(static_cast<int32_t *>(i32.data)[1], 258);
  EXPECT_EQ(static_cast<float *>(f32.data)[0], 1.5f);
  EXPECT_EQ(static_cast<double *>(f64.data)[0], -0.25);
  EXPECT_EQ(static_cast<int16_t *>(i16.data)[0], -3);
  for (tgc_array *array : {&i32, &f32, &f64, &i16})
    tgc_array_free(array);
}

TEST(Idx, MissingFile) {
  TempDir dir;
  EXPECT_THAT(loadError(dir.file("absent-idx1-ubyte.gz"), TGC_ERROR_IO), HasSubstr("No such file"));
}

TEST(Idx, WrongMagic) {
  TempDir dir;
  writeGzip(dir.file("x.gz"), std::string("\x01\x02\x08\x01\0\0\0\1\7", 9));
  EXPECT_THAT(loadError(dir.file("x.gz"), TGC_ERROR_FORMAT), HasSubstr("not an IDX file"));
  writeGzip(dir.file("type.gz"), idxBytes(0x07, {1}, "a"));
  EXPECT_THAT(loadError(dir.file("type.gz"), TGC_ERROR_FORMAT), HasSubstr("0x00000701"));
}

TEST(Idx, TruncatedHeaderAndData) {
  TempDir dir;
  writeGzip(dir.file("short.gz"), std::string("\0\0", 2));
  EXPECT_THAT(loadError(dir.file("short.gz"), TGC_ERROR_FORMAT), HasSubstr("truncated"));
  std::string bytes = idxBytes(0x08, {10, 28, 28}, std::string(10 * 28 * 28, 'x'));
  writeGzip(dir.file("dims.gz"), bytes.substr(0, 9));
  EXPECT_THAT(loadError(dir.file("dims.gz"), TGC_ERROR_FORMAT), HasSubstr("declares 3 dimensions"));
  writeGzip(dir.file("data.gz"), bytes.substr(0, bytes.size() - 1));
  EXPECT_THAT(loadError(dir.file("data.gz"), TGC_ERROR_FORMAT),
              HasSubstr("needs 7840 bytes of data, file has 7839"));
}

TEST(Idx, DataBeyondTheDeclaredShape) {
  TempDir dir;
  writeGzip(dir.file("long.gz"), idxBytes(0x08, {3}, "abcd"));
  EXPECT_THAT(loadError(dir.file("long.gz"), TGC_ERROR_FORMAT), HasSubstr("data continues"));
}

TEST(Idx, CorruptAndCutGzipStreams) {
  TempDir dir;
  std::string pixels;
  for (int i = 0; i < 5000; ++i)
    pixels += char(i * 7919 % 251);
  writeGzip(dir.file("ok.gz"), idxBytes(0x08, {5000}, pixels));
  std::string compressed = readBytes(dir.file("ok.gz"));
  writeBytes(dir.file("cut.gz"), compressed.substr(0, compressed.size() / 2));
  EXPECT_THAT(loadError(dir.file("cut.gz"), TGC_ERROR_FORMAT), HasSubstr("gzip"));
  std::string flipped = compressed;
  for (size_t i = 20; i < 40; ++i)
    flipped[i] = char(~flipped[i]);
  writeBytes(dir.file("flipped.gz"), flipped);
  loadError(dir.file("flipped.gz"), TGC_ERROR_FORMAT);
}

TEST(Idx, DirectoryInsteadOfFile) {
  TempDir dir;
  loadError(dir.path(), TGC_ERROR_IO);
}

//===--- .npy --------------------------------------------------------------===//

TEST(Npy, ReadsEveryHeaderVersion) {
  TempDir dir;
  float values[6] = {0.5f, -1, 2, 3, 4, 1e-3f};
  std::string data(reinterpret_cast<char *>(values), sizeof(values));
  for (int version : {1, 2, 3}) {
    std::string path = dir.file("v" + std::to_string(version) + ".npy");
    writeBytes(path, npyBytes("<f4", "(2, 3)", data, version));
    tgc_array array = load(path);
    EXPECT_EQ(array.dtype, TGC_ARRAY_F32);
    EXPECT_EQ(shapeOf(array), (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(std::memcmp(array.data, values, sizeof(values)), 0);
    tgc_array_free(&array);
  }
}

TEST(Npy, ReadsEachSupportedDtype) {
  TempDir dir;
  struct Case {
    const char *descr;
    tgc_array_dtype dtype;
    size_t size;
  } cases[] = {{"|u1", TGC_ARRAY_U8, 1},
               {"<i4", TGC_ARRAY_I32, 4},
               {"<i8", TGC_ARRAY_I64, 8},
               {"<f4", TGC_ARRAY_F32, 4},
               {"<f8", TGC_ARRAY_F64, 8}};
  for (const Case &c : cases) {
    std::string path = dir.file(std::string(c.descr + 1) + ".npy");
    std::string data(4 * c.size, '\x11');
    writeBytes(path, npyBytes(c.descr, "(4,)", data));
    tgc_array array = load(path);
    EXPECT_EQ(array.dtype, c.dtype) << c.descr;
    EXPECT_EQ(shapeOf(array), std::vector<int64_t>{4});
    EXPECT_EQ(std::memcmp(array.data, data.data(), data.size()), 0);
    tgc_array_free(&array);
  }
}

TEST(Npy, ScalarHasRankZero) {
  TempDir dir;
  int64_t value = -7;
  writeBytes(dir.file("s.npy"),
             npyBytes("<i8", "()", std::string(reinterpret_cast<char *>(&value), 8)));
  tgc_array array = load(dir.file("s.npy"));
  EXPECT_EQ(array.rank, 0);
  EXPECT_EQ(*static_cast<int64_t *>(array.data), -7);
  tgc_array_free(&array);
}

TEST(Npy, RejectsWhatItCannotRead) {
  TempDir dir;
  struct Case {
    const char *name;
    std::string bytes;
    const char *message;
  } cases[] = {
      {"magic.npy", "NUMPY\x01\x00", "not a .npy file"},
      {"version.npy", npyBytes("<f4", "(1,)", "abcd", 4), "version 4.0"},
      {"fortran.npy", npyBytes("<f4", "(2, 2)", std::string(16, 'a'), 1, true), "Fortran order"},
      {"big.npy", npyBytes(">f4", "(1,)", "abcd"), "unsupported dtype '>f4'"},
      {"complex.npy", npyBytes("<c8", "(1,)", "abcdabcd"), "unsupported dtype '<c8'"},
      {"truncated.npy", npyBytes("<f8", "(3,)", std::string(23, 'a')),
       "truncated: shape [3] of f64 needs 24 bytes of data, file has 23"},
      {"trailing.npy", npyBytes("<f8", "(3,)", std::string(25, 'a')), "trailing data"},
      {"header.npy", npyBytes("<f4", "(2 3)", "abcdabcd"), "malformed .npy header"},
      {"cut.npy", npyBytes("<f4", "(1,)", "abcd").substr(0, 20), "truncated"},
  };
  for (const Case &c : cases) {
    writeBytes(dir.file(c.name), c.bytes);
    EXPECT_THAT(loadError(dir.file(c.name), TGC_ERROR_FORMAT), HasSubstr(c.message)) << c.name;
  }
}

TEST(Npy, RankBeyondTheCApiLimit) {
  TempDir dir;
  writeBytes(dir.file("deep.npy"), npyBytes("|u1", "(1, 1, 1, 1, 1, 1, 1, 1, 1)", "a"));
  EXPECT_THAT(loadError(dir.file("deep.npy"), TGC_ERROR_FORMAT), HasSubstr("rank 9"));
}

//===--- The real thing, when installed -------------------------------------===//

TEST(FashionMnist, LoadsTheDebianPackage) {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!fileExists(dir + "/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << dir << " is not installed (Debian package dataset-fashion-mnist)";
  struct Expected {
    const char *name;
    std::vector<int64_t> shape;
  } files[] = {{"train-images-idx3-ubyte.gz", {60000, 28, 28}},
               {"train-labels-idx1-ubyte.gz", {60000}},
               {"t10k-images-idx3-ubyte.gz", {10000, 28, 28}},
               {"t10k-labels-idx1-ubyte.gz", {10000}}};
  for (const Expected &file : files) {
    auto start = std::chrono::steady_clock::now();
    tgc_array array = load(dir + "/" + file.name);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("[ stats    ] %s loaded in %.0f ms\n", file.name, 1e3 * seconds);
    EXPECT_EQ(array.dtype, TGC_ARRAY_U8);
    EXPECT_EQ(shapeOf(array), file.shape) << file.name;
    if (file.shape.size() == 1) {
      const uint8_t *labels = static_cast<const uint8_t *>(array.data);
      int counts[10] = {};
      for (int64_t i = 0; i < file.shape[0]; ++i) {
        ASSERT_LT(labels[i], 10);
        counts[labels[i]] += 1;
      }
      for (int count : counts) // Fashion-MNIST is balanced
        EXPECT_EQ(count, file.shape[0] / 10);
    }
    tgc_array_free(&array);
  }
}

} // namespace
