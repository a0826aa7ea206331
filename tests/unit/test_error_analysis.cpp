// eval's error analysis: negation / contrast detection (word boundaries, case, apostrophes), length
// buckets consistent with analyze's cuts, and the grouped counts.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "evaluation/error_analysis.h"

namespace bertft {
namespace {

bool negation(const std::string& text) { return text_features(text).negation; }
bool contrast(const std::string& text) { return text_features(text).contrast; }

TEST(ErrorAnalysis, Negation) {
  for (const char* yes : {"I did not like it", "Not good.", "NEVER again", "no-one cares", "nothing works",
                          "Nobody, none, neither, nor", "without charm", "I cannot", "I don't know",
                          "it isn't", "Won't", "DON'T", "don\xE2\x80\x99t", "(no)", "x n't"})
    EXPECT_TRUE(negation(yes)) << yes;
  for (const char* no : {"notable", "knot", "nothingness", "dont", "isnt", "non-stop", "don''t", "don 't",
                         "don' t", "n'tx", "innocent", "snow", "", "note: fine", "it's not_really", "no_"})
    EXPECT_FALSE(negation(no)) << no;
}

TEST(ErrorAnalysis, Contrast) {
  for (const char* yes : {"good but long", "But then", "However, it", "although", "Though it was", "not yet",
                          "fine<br />but"})
    EXPECT_TRUE(contrast(yes)) << yes;
  for (const char* no : {"butter", "rebut", "butt", "yeti", "thoughtful", "howevers", "but_", ""})
    EXPECT_FALSE(contrast(no)) << no;
  const TextFeatures both = text_features("It was not bad, but not good either");
  EXPECT_TRUE(both.negation);
  EXPECT_TRUE(both.contrast);
}

TEST(ErrorAnalysis, LengthBuckets) {
  EXPECT_EQ(length_bucket(2), "<=128");
  EXPECT_EQ(length_bucket(128), "<=128");
  EXPECT_EQ(length_bucket(129), "129-256");
  EXPECT_EQ(length_bucket(256), "129-256");
  EXPECT_EQ(length_bucket(257), "257-512");
  EXPECT_EQ(length_bucket(512), "257-512");
  EXPECT_EQ(length_bucket(513), ">512");
}

TEST(ErrorAnalysis, GroupsCountExamplesAndErrors) {
  Dataset data;
  data.label_names = {"negative", "positive"};
  data.examples = {
      {"not good", "", 0, 1, "a", {}},          // right
      {"good but long", "", 1, 8, "b", {}},     // wrong
      {"fine", "it isn't", 1, 8, "c", {}},      // wrong; negation in the pair
      {"great", "", 1, 10, "d", {}},            // right
      {"bad", "", 0, -1, "e", {}},              // wrong; no rating
  };
  const std::vector<int32_t> predicted = {0, 0, 0, 1, 1};
  const std::vector<int32_t> lengths = {5, 200, 300, 600, 128};
  const ErrorAnalysis ea = analyze_errors(data, predicted, lengths);
  const nlohmann::ordered_json j = ea.to_json();
  EXPECT_EQ(j["negation"]["present"]["examples"], 2);
  EXPECT_EQ(j["negation"]["present"]["errors"], 1);
  EXPECT_DOUBLE_EQ(j["negation"]["present"]["error_rate"].get<double>(), 0.5);
  EXPECT_EQ(j["negation"]["absent"]["examples"], 3);
  EXPECT_EQ(j["negation"]["absent"]["errors"], 2);
  EXPECT_DOUBLE_EQ(j["negation"]["absent"]["accuracy"].get<double>(), 1.0 / 3);
  EXPECT_EQ(j["contrast"]["present"]["examples"], 1);
  EXPECT_EQ(j["contrast"]["present"]["errors"], 1);
  EXPECT_EQ(j["length"]["<=128"]["examples"], 2);
  EXPECT_EQ(j["length"]["<=128"]["errors"], 1);
  EXPECT_EQ(j["length"]["129-256"]["errors"], 1);
  EXPECT_EQ(j["length"]["257-512"]["errors"], 1);
  EXPECT_EQ(j["length"][">512"]["errors"], 0);
  EXPECT_DOUBLE_EQ(j["length"][">512"]["accuracy"].get<double>(), 1.0);
  EXPECT_EQ(j["rating"].size(), 3u);  // 1, 8, 10; the unrated example is in no rating group
  EXPECT_EQ(j["rating"]["8"]["examples"], 2);
  EXPECT_EQ(j["rating"]["8"]["errors"], 2);
  EXPECT_EQ(j["rating"]["10"]["errors"], 0);
  // Groups in display order: present before absent, buckets by length, ratings numerically.
  std::vector<std::string> keys;
  for (const auto& [k, v] : j["rating"].items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"1", "8", "10"}));
  keys.clear();
  for (const auto& [k, v] : j["length"].items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"<=128", "129-256", "257-512", ">512"}));

  // An empty group has null rates; no ratings at all: no rating feature.
  Dataset short_only;
  short_only.label_names = data.label_names;
  short_only.examples = {{"fine", "", 1, -1, "x", {}}};
  const nlohmann::ordered_json s = analyze_errors(short_only, {1}, {4}).to_json();
  EXPECT_TRUE(s["length"][">512"]["error_rate"].is_null());
  EXPECT_EQ(s["length"][">512"]["examples"], 0);
  EXPECT_FALSE(s.contains("rating"));
  EXPECT_THROW(analyze_errors(short_only, {1, 0}, {4}), Error);
}

}  // namespace
}  // namespace bertft
