// Token-length analysis (bertft analyze): nearest-rank percentiles, histogram bins, truncation shares,
// the recommended max length, untruncated lengths of singles and pairs.
#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <vector>

#include "common/error.h"
#include "evaluation/length_analysis.h"
#include "encoding/encoded_dataset.h"

namespace bertft {
namespace {

TEST(LengthAnalysis, NearestRankPercentiles) {
  const std::vector<int32_t> ten = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(percentile(ten, 0), 1);
  EXPECT_EQ(percentile(ten, 50), 5);   // ceil(5) = 5th value; numpy inverted_cdf agrees
  EXPECT_EQ(percentile(ten, 51), 6);
  EXPECT_EQ(percentile(ten, 90), 9);
  EXPECT_EQ(percentile(ten, 95), 10);  // 9 values (90%) do not cover 95%
  EXPECT_EQ(percentile(ten, 100), 10);
  std::vector<int32_t> hundred(100);
  std::iota(hundred.begin(), hundred.end(), 1);
  EXPECT_EQ(percentile(hundred, 95), 95);  // exactly 95% at or below: no floating-point overshoot
  EXPECT_EQ(percentile(hundred, 99), 99);
  EXPECT_EQ(percentile({7}, 50), 7);
  EXPECT_THROW(percentile({}, 50), Error);
}

TEST(LengthAnalysis, HistogramBinsAreRightClosed) {
  const LengthHistogram h = length_histogram({0, 1, 8, 9, 16, 17});
  EXPECT_EQ(h.bin_width, 8);
  EXPECT_EQ(h.counts, (std::vector<int64_t>{3, 2, 1}));  // [0,8], (8,16], (16,24]
  // 1025 tokens would need 129 bins of 8: the width doubles until 128 bins or fewer suffice.
  const LengthHistogram wide = length_histogram({2, 1024, 1025});
  EXPECT_EQ(wide.bin_width, 16);
  ASSERT_EQ(wide.counts.size(), 65u);
  EXPECT_EQ(wide.counts[0], 1);
  EXPECT_EQ(wide.counts[63], 1);  // 1024 in (1008, 1024]
  EXPECT_EQ(wide.counts[64], 1);
  EXPECT_EQ(length_histogram({1024}).bin_width, 8);  // exactly 128 bins
  EXPECT_EQ(length_histogram({100}, 4).bin_width, 32);
}

TEST(LengthAnalysis, TruncationSharesAndRecommendation) {
  // 20 examples: p95 = the 19th smallest.
  std::vector<int32_t> lengths = {128, 129, 256, 257, 512, 513};
  for (int i = 0; i < 12; i++) lengths.push_back(10 + i);
  lengths.push_back(700);
  lengths.push_back(900);
  const LengthAnalysis a = analyze_lengths(lengths, 512);
  EXPECT_EQ(a.examples, 20);
  EXPECT_EQ(a.min, 10);
  EXPECT_EQ(a.max, 900);
  EXPECT_EQ(a.truncated, (std::array<int64_t, 3>{7, 5, 3}));  // > 128, > 256, > 512
  EXPECT_EQ(a.p95, 700);
  EXPECT_EQ(a.p95_rounded, 704);
  EXPECT_EQ(a.recommended, 512);
  EXPECT_TRUE(a.capped);
  EXPECT_EQ(a.covered, 17);
  double sum = 0;
  for (int32_t l : lengths) sum += l;
  EXPECT_DOUBLE_EQ(a.mean, sum / 20);

  const LengthAnalysis uncapped = analyze_lengths(lengths, 0);
  EXPECT_EQ(uncapped.recommended, 704);
  EXPECT_FALSE(uncapped.capped);
  EXPECT_EQ(uncapped.covered, 19);
  EXPECT_EQ(analyze_lengths({8, 16, 16}, 512).recommended, 16);  // a multiple of 8 stays
  EXPECT_EQ(analyze_lengths({3}, 512).recommended, 8);
  EXPECT_THROW(analyze_lengths({}, 512), Error);

  const nlohmann::ordered_json j = a.to_json();
  EXPECT_EQ(j["tokens"]["p95"], 700);
  EXPECT_EQ(j["truncated"]["256"]["examples"], 5);
  EXPECT_DOUBLE_EQ(j["truncated"]["512"]["share"].get<double>(), 3.0 / 20);
  EXPECT_EQ(j["recommended_max_length"]["value"], 512);
  EXPECT_EQ(j["recommended_max_length"]["capped"], true);
  EXPECT_DOUBLE_EQ(j["recommended_max_length"]["covers"].get<double>(), 17.0 / 20);
  const auto& bins = j["tokens"]["histogram"]["bins"];
  EXPECT_EQ(j["tokens"]["histogram"]["bin_width"], 8);
  ASSERT_EQ(bins.size(), 113u);  // 900 in (896, 904]
  EXPECT_EQ(bins[0]["from"], 0);
  EXPECT_EQ(bins[1]["from"], 9);
  EXPECT_EQ(bins[1]["to"], 16);
  int64_t total = 0;
  for (const auto& b : bins) total += b["examples"].get<int64_t>();
  EXPECT_EQ(total, 20);
  EXPECT_TRUE(analyze_lengths({5}, 0).to_json()["recommended_max_length"]["max_position_embeddings"].is_null());
}

TEST(LengthAnalysis, TokenLengthsAreUntruncatedWithSpecialTokens) {
  const Tokenizer tok = Tokenizer::from_dir(std::string(BERTFT_SOURCE_DIR) + "/models/demo");
  Dataset data;
  std::string long_text;
  for (int i = 0; i < 300; i++) long_text += "the film was good ";
  data.examples.push_back({"a fine movie", "", 0, -1, "a", {}});
  data.examples.push_back({long_text, "", 1, -1, "b", {}});
  data.examples.push_back({"a fine movie", "and a pair", 0, -1, "c", {}});
  data.examples.push_back({"", "", 0, -1, "d", {}});
  const std::vector<int32_t> lengths = token_lengths(tok, data);
  ASSERT_EQ(lengths.size(), 4u);
  EXPECT_EQ(lengths[0], static_cast<int32_t>(tok.encode_ids("a fine movie").size()));
  EXPECT_EQ(lengths[1], static_cast<int32_t>(tok.encode_ids(long_text).size()));
  EXPECT_GT(lengths[1], 512);
  EXPECT_EQ(lengths[2], static_cast<int32_t>(tok.encode("a fine movie", std::string_view("and a pair")).ids.size()));
  EXPECT_EQ(lengths[3], 2);  // [CLS] [SEP]
  // encode_dataset reports the same lengths before cutting to max_length.
  const EncodedDataset encoded = encode_dataset(tok, data, 16);
  EXPECT_EQ(encoded.lengths, lengths);
  EXPECT_EQ(encoded.inputs[1].ids.size(), 16u);
}

TEST(LengthAnalysis, ChartMarksCutsAndRecommendation) {
  std::vector<int32_t> lengths(100, 100);
  lengths.back() = 5000;  // a tail beyond p99 is left out of the chart
  lengths[0] = 300;
  const LengthAnalysis a = analyze_lengths(lengths, 512);
  const Chart chart = length_chart(a, "lengths");
  ASSERT_EQ(chart.markers.size(), 4u);  // 128, 256, 512 and the recommendation
  EXPECT_EQ(chart.markers[3].x, 104);
  EXPECT_FALSE(chart.markers[3].dashed);
  EXPECT_EQ(chart.bars.size(), 512u / a.histogram.bin_width);  // up to the 512 cut
  EXPECT_NE(chart.subtitle.find("1 longer than 512 not drawn"), std::string::npos);

  const LengthAnalysis short_texts = analyze_lengths({10, 20, 30}, 512);
  const Chart small = length_chart(short_texts, "short");
  ASSERT_EQ(small.markers.size(), 1u);  // no cut below the longest example
  EXPECT_EQ(small.bars.size(), 4u);     // bins of 8 up to 32, the recommendation
  EXPECT_NE(small.subtitle.find("512: 0.0%"), std::string::npos);
}

}  // namespace
}  // namespace bertft
