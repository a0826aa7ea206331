#pragma once
// The arithmetic a forward or training pass runs in: fp32 throughout, or bf16 mixed precision
// (matrix products on bf16 operands with fp32 accumulation; weights, optimizer state, LayerNorm,
// softmax, losses and gradients stay fp32), or, for inference only, int8 (the dense layers' products
// on int8 operands with int32 accumulation, kernels/int8_linear.h; docs/int8.md).
#include <string>

#include "common/error.h"

namespace bertft {

enum class Precision { Fp32, Bf16, Int8 };

// Whether the CPU multiplies bf16 natively (AVX512-BF16): elsewhere bf16 products are emulated,
// slower than fp32.
inline bool cpu_has_bf16() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512bf16");
#else
  return false;
#endif
}

// bf16 where the CPU multiplies bf16 natively, else fp32.
inline Precision auto_precision() { return cpu_has_bf16() ? Precision::Bf16 : Precision::Fp32; }

// "fp32", "bf16", "int8" or "auto" (auto_precision()): the --precision of an inference command.
inline Precision precision_from_name(const std::string& name) {
  if (name == "fp32") return Precision::Fp32;
  if (name == "bf16") return Precision::Bf16;
  if (name == "int8") return Precision::Int8;
  if (name == "auto") return auto_precision();
  throw Error("--precision '" + name + "' is not one of auto, fp32, bf16, int8");
}

// The --precision of a training command: as precision_from_name, without int8 (its products have no
// gradient).
inline Precision training_precision_from_name(const std::string& name) {
  if (name == "int8")
    throw Error("--precision int8 is for inference only (predict, eval, serve, bench --mode infer); train in "
                "bf16 or fp32");
  return precision_from_name(name);
}

inline constexpr const char* kTrainingPrecisionHelp =
    "auto | fp32 | bf16 (mixed precision: bf16 matrix products, fp32 weights, optimizer state and "
    "everything else); auto: bf16 on CPUs with native bf16 (AVX512-BF16), else fp32";

inline constexpr const char* kPrecisionHelp =
    "auto | fp32 | bf16 | int8. bf16: mixed precision (bf16 matrix products, fp32 weights and everything "
    "else); int8: the encoder's dense layers multiply int8 weights (per output channel) by int8 "
    "activations (per token) with int32 sums, attention in bf16 (fp32 without AVX512-BF16), the rest "
    "fp32 (docs/int8.md); auto: bf16 on CPUs with native bf16 (AVX512-BF16), else fp32";

inline const char* precision_name(Precision p) {
  switch (p) {
    case Precision::Bf16: return "bf16";
    case Precision::Int8: return "int8";
    case Precision::Fp32: break;
  }
  return "fp32";
}

}  // namespace bertft
