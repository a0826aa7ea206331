#include <gtest/gtest.h>

#include "model/params.h"
#include "test_util.h"

namespace bertft {

TEST(Params, QkvWeightsAreOneContiguousMatrix) {
  ModelParams p(test::tiny_config(), Heads{});
  for (int i = 0; i < 2; i++) {
    const std::string pre = "bert.encoder.layer." + std::to_string(i) + ".attention.self.";
    EXPECT_EQ(p.layers[i].qkv_w + 64, p.tensor(*p.find(pre + "key.weight")));
    EXPECT_EQ(p.layers[i].qkv_w + 128, p.tensor(*p.find(pre + "value.weight")));
    EXPECT_EQ(p.layers[i].qkv_b + 8, p.tensor(*p.find(pre + "key.bias")));
    EXPECT_EQ(p.layers[i].qkv_b + 16, p.tensor(*p.find(pre + "value.bias")));
  }
  size_t total = 0;
  for (const TensorSpec& s : p.specs()) total += s.numel;
  EXPECT_EQ(total, p.size());
  EXPECT_EQ(p.find("cls.predictions.bias"), nullptr);
  ASSERT_NE(p.find("classifier.weight"), nullptr);
  EXPECT_EQ(p.find("classifier.weight")->shape, (std::vector<int64_t>{2, 8}));
}

}  // namespace bertft
