#pragma once
// int8 inference for Linear layers (ONNX Runtime's quantize_dynamic scheme): weights quantized once
// per output channel, symmetric s8; each input row (token) quantized on the fly to u8 with its own
// scale and zero point; products accumulated exactly in int32, then scaled back to fp32 with the bias.
#include <cstdint>
#include <vector>

namespace bertft {

// Symmetric per-output-channel quantization of a Linear weight [N, K]:
// scale[n] = max_k |weight[n, k]| / 127 (1 for an all-zero row), q[n, k] = round(weight[n, k] / scale[n]).
void quantize_weight_per_channel(int8_t* q, float* scale, const float* weight, int64_t N, int64_t K);

// Caller-owned scratch for up to M rows of K inputs.
struct QuantizedRows {
  uint8_t* values;       // [M, K]
  float* scales;         // [M]
  int32_t* zero_points;  // [M]
};

// A quantized Linear weight in the layout int8_linear_forward reads, made once when a model loads.
class Int8Weight {
 public:
  Int8Weight() = default;
  // q [N, K] and scale [N] as quantize_weight_per_channel writes them (also the stored layout of a
  // quantized model directory, docs/int8.md).
  Int8Weight(const int8_t* q, const float* scale, int64_t N, int64_t K);
  int64_t out_features() const { return n_; }
  int64_t in_features() const { return k_; }

 private:
  friend void int8_linear_forward(float*, const float*, const Int8Weight&, const float*, int64_t, QuantizedRows);
  int64_t n_ = 0, k_ = 0;
  // Packed for the kernels (int8_linear.cpp): blocks of 16 output channels, each [ceil(K / 4)][16][4],
  // zero-padded to whole blocks of N and words of K; the vectors below padded to whole blocks too.
  std::vector<int8_t> q_;
  std::vector<float> scale_;
  std::vector<int32_t> q_row_sum_;  // sum_k q[n, k], to take the inputs' zero points back out
};

// Asymmetric per-row quantization: scale[m] = (max(0, max_k x) - min(0, min_k x)) / 255 (1 for an
// all-zero row), zero_point[m] = round(-min(0, min_k x) / scale[m]), q = clamp(round(x / scale) + zero_point, 0, 255).
void quantize_rows(QuantizedRows rows, const float* in, int64_t M, int64_t K);

// out[M, N] = dequantize(quantize_rows(in[M, K]) · weight^T) + bias[N] (bias may be nullptr):
// out[m, n] = row_scale[m] * weight_scale[n] * sum_k (q_in[m, k] - zero_point[m]) * q_w[n, k] + bias[n].
// Multithreaded over the current OpenMP thread count; scratch holds M rows of weight.in_features().
void int8_linear_forward(float* out, const float* in, const Int8Weight& weight, const float* bias, int64_t M,
                         QuantizedRows scratch);

// Whether int8_linear_forward runs its AVX512-VNNI kernel (the CPU has AVX512-F/BW/VL/DQ/VNNI and the
// portable kernel is not forced); otherwise it runs plain loops that any x86-64 CPU runs.
bool int8_linear_uses_vnni();
// For tests and benchmarks: run the portable kernel even where VNNI is available (process-wide).
void int8_linear_force_portable(bool forced);

// The CPU's int8 peak measured on the spot, in GOPS (2 operations per multiply-add): independent
// vpdpbusd on registers on each of the current OpenMP thread count's threads, for a few ms.
// 0 when the CPU has no AVX512-VNNI. Benchmarks divide by it to state the share of peak reached.
double int8_peak_gops();

}  // namespace bertft
