// A quantized model directory (bertft quantize, docs/int8.md) loads dequantized, w = q * scale, and
// Encoder's int8 mode quantizes those weights again. That gives back the stored values and scales
// exactly, which is what lets int8 inference run on the stored int8 values, for every scale
// quantize_weight_per_channel can make, and load_model accepts exactly those (is_int8_scale): proven
// here over one binade of scales. Float rounding is the same in every binade of the normal range, so
// that covers them all.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels/int8_linear.h"
#include "model/checkpoint.h"

namespace bertft {
namespace {

// Every float m in [127, 254): the largest |w| of rows whose scales m / 127 fill the binade [1, 2).
constexpr uint32_t kFirstMax = 0x42fe0000u, kEndMax = 0x437e0000u;  // 127.0f, 254.0f
constexpr uint32_t kMaxes = kEndMax - kFirstMax;

std::vector<float> scales_of_every_max() {
  std::vector<float> rows(kMaxes);
  for (uint32_t i = 0; i < kMaxes; i++) rows[i] = std::bit_cast<float>(kFirstMax + i);
  std::vector<int8_t> q(kMaxes);
  std::vector<float> scale(kMaxes);
  quantize_weight_per_channel(q.data(), scale.data(), rows.data(), kMaxes, 1);
  return scale;
}

// The scale: a row's largest |q| is 127, so its largest dequantized |w| is fl(127 * s), and
// requantizing must make fl(fl(127 * s) / 127) of it, s itself. load_model accepts s exactly when it
// is one of these; the other 65,020 floats of the binade no fp32 weight quantizes to, and for them
// requantizing would not give s back.
TEST(QuantizedModel, EveryScaleQuantizeMakesComesBackAndOnlyThoseLoad) {
  const std::vector<float> scale = scales_of_every_max();
  std::vector<float> dequantized(kMaxes);
  for (uint32_t i = 0; i < kMaxes; i++) dequantized[i] = 127.0f * scale[i];
  std::vector<int8_t> q_again(kMaxes);
  std::vector<float> scale_again(kMaxes);
  quantize_weight_per_channel(q_again.data(), scale_again.data(), dequantized.data(), kMaxes, 1);
  std::vector<bool> made(1u << 23);
  int64_t wrong = 0;
  for (uint32_t i = 0; i < kMaxes; i++) {
    wrong += scale_again[i] != scale[i] || q_again[i] != 127;
    made[std::bit_cast<uint32_t>(scale[i]) & 0x7fffffu] = true;
  }
  EXPECT_EQ(wrong, 0);
  int64_t accepted_wrongly = 0, made_count = 0;
  for (uint32_t mantissa = 0; mantissa < (1u << 23); mantissa++) {
    const float s = std::bit_cast<float>(0x3f800000u | mantissa);
    accepted_wrongly += is_int8_scale(s) != made[mantissa];
    made_count += made[mantissa];
  }
  EXPECT_EQ(accepted_wrongly, 0);
  EXPECT_GT(made_count, (1 << 23) * 0.99);
  EXPECT_LT(made_count, 1 << 23);
}

// The values, given the scale back: round(fl(fl(q * s) / s)) = q, since the two roundings move q by at
// most 127 * 2^-23, far from 0.5. Checked for every q on a spread of the scales (all of them would take
// seconds), each row holding -127..127 so that its scale is s.
TEST(QuantizedModel, EveryValueComesBack) {
  constexpr int64_t K = 255, kStride = 257;
  const std::vector<float> every_scale = scales_of_every_max();
  const int64_t N = kMaxes / kStride;
  std::vector<float> w(N * K);
  for (int64_t n = 0; n < N; n++)
    for (int64_t k = 0; k < K; k++) w[n * K + k] = static_cast<float>(k - 127) * every_scale[n * kStride];
  std::vector<int8_t> q(N * K);
  std::vector<float> scale(N);
  quantize_weight_per_channel(q.data(), scale.data(), w.data(), N, K);
  int64_t wrong = 0;
  for (int64_t n = 0; n < N; n++) {
    wrong += scale[n] != every_scale[n * kStride];
    for (int64_t k = 0; k < K; k++) wrong += q[n * K + k] != k - 127;
  }
  EXPECT_EQ(wrong, 0);
}

TEST(QuantizedModel, ScalesOutsideTheNormalRangeDoNotLoad) {
  for (float s : {0.0f, -0.5f, 1e-40f, 3e38f, std::numeric_limits<float>::infinity(),
                  std::numeric_limits<float>::quiet_NaN()})
    EXPECT_FALSE(is_int8_scale(s)) << s;
  EXPECT_TRUE(is_int8_scale(1.0f));
}

}  // namespace
}  // namespace bertft
