#pragma once
// Conversions between the float formats checkpoints store and fp32. Half (F16) and bfloat16 (BF16)
// <-> float are bit-exact with PyTorch's: round to nearest even, overflow to infinity, subnormals
// kept, NaN canonicalised as torch does.
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace bertft {

// A bfloat16 value as stored: the top 16 bits of a float. A distinct type so bf16 and f16 buffers
// cannot be mixed up.
enum class bf16 : uint16_t {};

inline float bf16_to_f32(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

// Written as a select, so loops over arrays of it vectorise.
inline uint16_t f32_to_bf16(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const uint16_t rounded = static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);  // carries up to inf
  return (x & 0x7fffffffu) > 0x7f800000u ? uint16_t{0x7fc0} : rounded;  // NaN: c10::BFloat16's one
}

inline float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
  if (exp == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (man << 13));
  if (exp == 0) {  // zero or subnormal: man * 2^-24, exact in float
    float v = static_cast<float>(man) * 0x1p-24f;
    return sign ? -v : v;
  }
  return std::bit_cast<float>(sign | ((exp + 112) << 23) | (man << 13));
}

inline uint16_t f32_to_f16(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t exp = (x >> 23) & 0xffu;
  uint32_t man = x & 0x7fffffu;
  if (exp == 0xff) return sign | (man ? 0x7e00 : 0x7c00);  // NaN / inf
  const int e = static_cast<int>(exp) - 127 + 15;        // half exponent field
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {  // half subnormal (or zero): shift the 24-bit significand right, rounding to even
    if (e < -10) return sign;
    man |= 0x800000u;
    const int shift = 14 - e;
    uint32_t h = man >> shift;
    const uint32_t rem = man & ((1u << shift) - 1), halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (h & 1u))) h++;
    return sign | static_cast<uint16_t>(h);
  }
  uint32_t h = (static_cast<uint32_t>(e) << 10) | (man >> 13);
  const uint32_t rem = man & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++;  // a carry may round up to inf: correct
  return sign | static_cast<uint16_t>(h);
}

inline float to_f32(bf16 h) { return bf16_to_f32(static_cast<uint16_t>(h)); }
inline bf16 to_bf16(float f) { return static_cast<bf16>(f32_to_bf16(f)); }

// double -> float with IEEE overflow to infinity. A plain cast of a value beyond float's range is
// undefined behaviour in C++, and untrusted files can hold such values.
inline float f64_to_f32(double d) {
  if (std::fabs(d) < 0x1.ffffffp127) return static_cast<float>(d);  // below the tie with 2^128
  constexpr float inf = std::numeric_limits<float>::infinity();
  return std::isnan(d) ? std::numeric_limits<float>::quiet_NaN() : d > 0 ? inf : -inf;
}

}  // namespace bertft
