//===- BuiltinsTest.cpp - runtime/Builtins.cpp ----------------------------===//

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#if defined(__x86_64__) || defined(__aarch64__)
extern "C" __bf16 __truncsfbf2(float);

namespace {

uint16_t bf16Bits(float value) {
  __bf16 rounded = __truncsfbf2(value);
  uint16_t bits;
  std::memcpy(&bits, &rounded, sizeof bits);
  return bits;
}

float fromBits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

TEST(Builtins, TruncSFBF2RoundsToNearestEven) {
  EXPECT_EQ(bf16Bits(1.0f), 0x3f80);
  EXPECT_EQ(bf16Bits(-2.5f), 0xc020);
  EXPECT_EQ(bf16Bits(fromBits(0x3f808000)), 0x3f80); // a tie: to the even 0x3f80
  EXPECT_EQ(bf16Bits(fromBits(0x3f818000)), 0x3f82); // a tie: to the even 0x3f82
  EXPECT_EQ(bf16Bits(fromBits(0x3f808001)), 0x3f81); // above the tie
  EXPECT_EQ(bf16Bits(std::numeric_limits<float>::max()), 0x7f80); // overflows to inf
  EXPECT_EQ(bf16Bits(-std::numeric_limits<float>::infinity()), 0xff80);
  EXPECT_EQ(bf16Bits(fromBits(0x00000001)), 0x0000); // the smallest subnormal
  uint16_t nan = bf16Bits(fromBits(0x7f800001)); // a signalling NaN with low bits only
  EXPECT_EQ(nan & 0x7f80, 0x7f80);
  EXPECT_NE(nan & 0x007f, 0); // still a NaN, not inf
}

} // namespace
#endif
