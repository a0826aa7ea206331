#pragma once
// The arithmetic a forward or training pass runs in: fp32 throughout, or bf16 mixed precision
// (matrix products on bf16 operands with fp32 accumulation; weights, optimizer state, LayerNorm,
// softmax, losses and gradients stay fp32).
#include <string>

#include "common/error.h"

namespace bertft {

enum class Precision { Fp32, Bf16 };

// bf16 where the CPU multiplies bf16 natively (AVX512-BF16 or AMX): elsewhere it would be emulated,
// slower than fp32.
inline Precision auto_precision() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512bf16")) return Precision::Bf16;
#endif
  return Precision::Fp32;
}

// "fp32", "bf16" or "auto" (auto_precision()).
inline Precision precision_from_name(const std::string& name) {
  if (name == "fp32") return Precision::Fp32;
  if (name == "bf16") return Precision::Bf16;
  if (name == "auto") return auto_precision();
  throw Error("--precision '" + name + "' is not one of auto, fp32, bf16");
}

inline constexpr const char* kPrecisionHelp =
    "auto | fp32 | bf16 (mixed precision: bf16 matrix products, fp32 weights, optimizer state and "
    "everything else); auto: bf16 on CPUs with native bf16 (AVX512-BF16), else fp32";

inline const char* precision_name(Precision p) { return p == Precision::Bf16 ? "bf16" : "fp32"; }

}  // namespace bertft
