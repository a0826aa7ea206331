// Mean and max pooling (kernels/pooling.h): forward values worked out by hand, padding left out, and the
// backward passes against central finite differences of a double-precision forward.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "kernels/pooling.h"

#include "test_util.h"

namespace bertft {
namespace {

using test::random_vector;

// Two sequences of H = 2 in a padded batch of 3 rows each: sequence 0 has 2 real rows and 1 of
// padding, sequence 1 three real rows. The padding row holds values larger than any real one, so a
// kernel that read it would show.
const std::vector<float> kHidden = {1, -2,   3, 4,   100, 100,    // sequence 0: rows 0, 1 real, row 2 padding
                                    -1, 0,   5, -6,  0.5f, 2};    // sequence 1: rows 3..5 real
const std::vector<int32_t> kOffsets = {0, 3, 6};
const std::vector<int32_t> kLengths = {2, 3};

TEST(Pooling, MeanLeavesPaddingOut) {
  std::vector<float> pooled(4);
  mean_pool_forward(pooled.data(), kHidden.data(), kOffsets.data(), kLengths.data(), 2, 2);
  EXPECT_EQ(pooled, (std::vector<float>{2, 1, 1.5f, -4.0f / 3.0f}));
  // Packed (no lengths): every row counts, the third of sequence 0 too.
  mean_pool_forward(pooled.data(), kHidden.data(), kOffsets.data(), nullptr, 2, 2);
  EXPECT_EQ(pooled[0], 104.0f / 3.0f);
  EXPECT_EQ(pooled[1], 102.0f / 3.0f);

  std::vector<float> dhidden(12, 7.0f);  // overwritten, padding rows included
  const std::vector<float> dpooled = {3, -6, 1.5f, 3};
  mean_pool_backward(dhidden.data(), dpooled.data(), kOffsets.data(), kLengths.data(), 2, 2);
  EXPECT_EQ(dhidden, (std::vector<float>{1.5f, -3, 1.5f, -3, 0, 0, 0.5f, 1, 0.5f, 1, 0.5f, 1}));
}

TEST(Pooling, MaxLeavesPaddingOutAndKeepsItsRows) {
  std::vector<float> pooled(4);
  std::vector<int32_t> rows(4);
  max_pool_forward(pooled.data(), rows.data(), kHidden.data(), kOffsets.data(), kLengths.data(), 2, 2);
  EXPECT_EQ(pooled, (std::vector<float>{3, 4, 5, 2}));
  EXPECT_EQ(rows, (std::vector<int32_t>{1, 1, 4, 5}));
  std::vector<float> dhidden(12, 7.0f);
  mean_pool_backward(dhidden.data(), pooled.data(), kOffsets.data(), kLengths.data(), 2, 2);  // dirty it
  max_pool_backward(dhidden.data(), std::vector<float>{10, 20, 30, 40}.data(), rows.data(), kOffsets.data(), 2, 2);
  EXPECT_EQ(dhidden, (std::vector<float>{0, 0, 10, 20, 0, 0, 0, 0, 30, 0, 0, 40}));
  // Ties go to the first row; without lengths the padding row is a real one.
  const std::vector<float> tied = {1, 1, 1, 1};
  const std::vector<int32_t> one = {0, 2};
  max_pool_forward(pooled.data(), rows.data(), tied.data(), one.data(), nullptr, 1, 2);
  EXPECT_EQ(rows[0], 0);
  EXPECT_EQ(rows[1], 0);
  max_pool_forward(pooled.data(), rows.data(), kHidden.data(), kOffsets.data(), nullptr, 2, 2);
  EXPECT_EQ(pooled[0], 100.0f);
  EXPECT_EQ(rows[0], 2);
}

// loss = sum(dpooled * pool(hidden)) in double; its gradient is the backward pass's dhidden. H spans
// two column blocks of the kernels' threading.
TEST(Pooling, BackwardMatchesFiniteDifferences) {
  const int64_t B = 3, H = 70;
  const std::vector<int32_t> offsets = {0, 4, 5, 11}, lengths = {3, 1, 6};
  const int64_t T = offsets[B];
  const std::vector<float> hidden = random_vector(T * H, 31), dpooled = random_vector(B * H, 32);
  auto pooled_loss = [&](const std::vector<double>& x, bool max) {
    double loss = 0;
    for (int64_t b = 0; b < B; b++)
      for (int64_t h = 0; h < H; h++) {
        double v = max ? -1e300 : 0;
        for (int64_t t = offsets[b]; t < offsets[b] + lengths[b]; t++)
          v = max ? std::max(v, x[t * H + h]) : v + x[t * H + h];
        loss += dpooled[b * H + h] * (max ? v : v / lengths[b]);
      }
    return loss;
  };
  for (const bool max : {false, true}) {
    std::vector<double> x(hidden.begin(), hidden.end()), want(T * H);
    for (size_t i = 0; i < x.size(); i++) {
      const double saved = x[i], step = 1e-6;
      x[i] = saved + step;
      const double plus = pooled_loss(x, max);
      x[i] = saved - step;
      want[i] = (plus - pooled_loss(x, max)) / (2 * step);
      x[i] = saved;
    }
    std::vector<float> pooled(B * H), dhidden(T * H, 9.0f);
    std::vector<int32_t> rows(B * H);
    if (max) {
      max_pool_forward(pooled.data(), rows.data(), hidden.data(), offsets.data(), lengths.data(), B, H);
      max_pool_backward(dhidden.data(), dpooled.data(), rows.data(), offsets.data(), B, H);
    } else {
      mean_pool_forward(pooled.data(), hidden.data(), offsets.data(), lengths.data(), B, H);
      mean_pool_backward(dhidden.data(), dpooled.data(), offsets.data(), lengths.data(), B, H);
    }
    double forward = 0;
    for (int64_t i = 0; i < B * H; i++) forward += double(dpooled[i]) * pooled[i];
    EXPECT_NEAR(forward, pooled_loss(std::vector<double>(hidden.begin(), hidden.end()), max), 1e-4)
        << (max ? "max" : "mean");
    for (int64_t i = 0; i < T * H; i++) ASSERT_NEAR(dhidden[i], want[i], 1e-6) << (max ? "max" : "mean") << " at " << i;
  }
}

}  // namespace
}  // namespace bertft
