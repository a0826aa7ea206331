// --truncation head / head+tail on single texts and pairs.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "training/encoded_dataset.h"

namespace bertft {
namespace {

const BertTokenizer& demo_tokenizer() {
  static const BertTokenizer tokenizer = BertTokenizer::from_dir(std::string(BERTFT_SOURCE_DIR) + "/models/demo");
  return tokenizer;
}

std::string long_review() {
  std::string text = "an opening that promises much";
  for (int i = 0; i < 30; i++) text += " and then the middle part drags on";
  return text + " but the ending is truly wonderful";
}

TEST(Truncation, HeadTailKeepsTheStartAndTheEnd) {
  const BertTokenizer& tok = demo_tokenizer();
  const std::vector<int32_t> full = tok.encode_ids(long_review());
  ASSERT_GT(full.size(), 64u);
  bool cut = false;
  const TokenizedInput got = encode_input(tok, long_review(), std::nullopt, 64, {true, 10}, &cut);
  EXPECT_TRUE(cut);
  std::vector<int32_t> want(full.begin(), full.begin() + 11);  // [CLS] + 10 head tokens
  want.insert(want.end(), full.end() - 53, full.end());       // 52 tail tokens + [SEP]
  EXPECT_EQ(got.ids, want);
  EXPECT_EQ(got.type_ids, std::vector<int32_t>(64, 0));

  const TokenizedInput head = encode_input(tok, long_review(), std::nullopt, 64, {}, &cut);
  EXPECT_EQ(head.ids, tok.encode_ids(long_review(), 64));
  // More head tokens than fit: the same as head.
  EXPECT_EQ(encode_input(tok, long_review(), std::nullopt, 64, {true, 500}, &cut).ids, head.ids);
  // Short texts and pairs are untouched by the strategy.
  EXPECT_EQ(encode_input(tok, "short", std::nullopt, 64, {true, 10}, &cut).ids, tok.encode_ids("short"));
  EXPECT_FALSE(cut);
  const TokenizedInput pair = encode_input(tok, long_review(), std::string_view("a pair"), 64, {true, 10}, &cut);
  EXPECT_EQ(pair.ids, tok.encode(long_review(), std::string_view("a pair"), 64).ids);
  EXPECT_TRUE(cut);
}

TEST(Truncation, NamesAreChecked) {
  EXPECT_TRUE(truncation_from_name("head+tail", 128).head_tail);
  EXPECT_FALSE(truncation_from_name("head", 128).head_tail);
  EXPECT_THROW(truncation_from_name("middle", 128), Error);
  EXPECT_THROW(truncation_from_name("head+tail", -1), Error);
}

}  // namespace
}  // namespace bertft
