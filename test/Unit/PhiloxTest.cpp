//===- PhiloxTest.cpp - the shared counter-based generator ----------------===//

#include "tgc/Philox.h"

#include <gtest/gtest.h>

namespace {

// Known-answer test from the Random123 distribution (philox4x32_10, counter
// and key all zero).
TEST(Philox, MatchesRandom123KnownAnswer) {
  tgc::PhiloxBlock block = tgc::philox4x32(0, 0);
  EXPECT_EQ(block[0], 0x6627e8d5u);
  EXPECT_EQ(block[1], 0xe169c58du);
  EXPECT_EQ(block[2], 0xbc57ac4cu);
  EXPECT_EQ(block[3], 0x9b00dbd8u);
}

TEST(Philox, UniformIsInUnitIntervalWithTheRightMean) {
  double sum = 0;
  const int count = 100000;
  for (int i = 0; i < count; ++i) {
    double u = tgc::philoxUniform(7, 1000, i);
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / count, 0.5, 0.005);
}

TEST(Philox, NormalHasUnitVariance) {
  double sum = 0, squares = 0;
  const int count = 100000;
  for (int i = 0; i < count; ++i) {
    double x = tgc::philoxNormal(3, 0, i);
    sum += x;
    squares += x * x;
  }
  EXPECT_NEAR(sum / count, 0.0, 0.01);
  EXPECT_NEAR(squares / count, 1.0, 0.02);
}

TEST(Philox, SeedAndCounterSelectIndependentStreams) {
  EXPECT_NE(tgc::philoxUniform(1, 0, 0), tgc::philoxUniform(2, 0, 0));
  // Counter c + 1 starts where element 4 of counter c is.
  EXPECT_EQ(tgc::philoxUniform(1, 5, 4), tgc::philoxUniform(1, 6, 0));
}

} // namespace
