//===- Philox.h - counter-based random numbers shared by every target -*- C++ -*-===//
//
// Philox 4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC 2011). tg.random, the initializers and dropout all draw from it, in the
// compiler's interpreter, the CPU runtime and GPU kernels alike, so the same
// (seed, counter) gives the same numbers everywhere. Header-only, no
// dependencies: the runtime includes it too.
//
// Element i of a tensor filled from (seed, counter):
//   uniform: block = philox(key = seed, ctr = counter + i / 4), lane i % 4,
//            u = (bits >> 8) * 2^-24 in [0, 1)
//   normal:  block = philox(key = seed, ctr = counter + i / 2), lanes
//            2 (i % 2) and 2 (i % 2) + 1 give u1, u2; Box-Muller
//            sqrt(-2 ln(1 - u1)) * cos(2 pi u2)
//
//===----------------------------------------------------------------------===//

#ifndef TGC_PHILOX_H
#define TGC_PHILOX_H

#include <array>
#include <cmath>
#include <cstdint>

namespace tgc {

using PhiloxBlock = std::array<uint32_t, 4>;

/// Ten rounds of Philox 4x32 on the 128-bit counter (ctr, 0) with key `seed`.
inline PhiloxBlock philox4x32(uint64_t seed, uint64_t ctr) {
  constexpr uint32_t kMul0 = 0xD2511F53, kMul1 = 0xCD9E8D57;
  constexpr uint32_t kWeyl0 = 0x9E3779B9, kWeyl1 = 0xBB67AE85;
  uint32_t c0 = uint32_t(ctr), c1 = uint32_t(ctr >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = uint64_t(kMul0) * c0, p1 = uint64_t(kMul1) * c2;
    uint32_t n0 = uint32_t(p1 >> 32) ^ c1 ^ k0;
    uint32_t n1 = uint32_t(p1);
    uint32_t n2 = uint32_t(p0 >> 32) ^ c3 ^ k1;
    uint32_t n3 = uint32_t(p0);
    c0 = n0, c1 = n1, c2 = n2, c3 = n3;
    k0 += kWeyl0, k1 += kWeyl1;
  }
  return {c0, c1, c2, c3};
}

/// 24 random bits scaled to [0, 1): exact in every float type we use.
inline double philoxBitsToUniform(uint32_t bits) {
  return double(bits >> 8) * (1.0 / 16777216.0);
}

/// Element `index` of a uniform [0, 1) tensor drawn from (seed, counter).
inline double philoxUniform(uint64_t seed, uint64_t counter, uint64_t index) {
  return philoxBitsToUniform(philox4x32(seed, counter + index / 4)[index % 4]);
}

/// Element `index` of a standard normal tensor drawn from (seed, counter).
inline double philoxNormal(uint64_t seed, uint64_t counter, uint64_t index) {
  PhiloxBlock block = philox4x32(seed, counter + index / 2);
  unsigned lane = 2 * (index % 2);
  double u1 = philoxBitsToUniform(block[lane]);
  double u2 = philoxBitsToUniform(block[lane + 1]);
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(kTwoPi * u2);
}

/// The counter base of the stream that initializes a global named `name`:
/// 21 bits of the name's FNV-1a hash, shifted so each global owns 2^32
/// blocks. It stays below 2^53, so it survives a round trip through a double.
inline uint64_t philoxStreamForName(const char *name) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (; *name; ++name)
    hash = (hash ^ uint8_t(*name)) * 0x100000001b3ull;
  return (hash & ((uint64_t(1) << 21) - 1)) << 32;
}

} // namespace tgc

#endif // TGC_PHILOX_H
