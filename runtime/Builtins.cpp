//===- Builtins.cpp - compiler builtins the toolchain may lack ------------===//
//
// LLVM rounds f32 to bf16 with a call to __truncsfbf2 where the CPU has no
// instruction for it (x86 without AVX512-BF16: vectors of bf16 are widened
// to f32 and rounded back). The pipelines expand scalar roundings inline,
// but not every widening LLVM makes, and Debian 12's libgcc (GCC 12) does
// not define the function: a compiled autocast model would not link there.
// The definition is weak, so a libgcc or compiler-rt that has it wins.
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <cstring>

#if defined(__x86_64__) || defined(__aarch64__)
/// f32 -> bf16, rounded to nearest even; NaNs stay (quiet) NaNs.
extern "C" __attribute__((weak)) __bf16 __truncsfbf2(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  uint16_t rounded = (bits & 0x7fffffffu) > 0x7f800000u
                         ? uint16_t((bits >> 16) | 0x40u)
                         : uint16_t((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
  __bf16 result;
  std::memcpy(&result, &rounded, sizeof result);
  return result;
}
#endif
