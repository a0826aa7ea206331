#pragma once
// Mistakes and accuracy grouped by simple, explainable features of the examples: what
// `bertft eval --errors` adds to its metrics.
//
// Features (over the text and the text pair, as loaded: after --strip-html):
//   negation  a word among kNegationWords, or a word ending in n't (don't, isn't, can't; ASCII ' or
//             U+2019). Words are maximal runs of ASCII letters, digits and '_', compared
//             case-insensitively, so "Not" and "NEVER" count, "nothing" does not count as "no", and
//             "dont" (no apostrophe) does not count. The same as Python's
//             re.search(r"\b(?:WORDS)\b|n['’]t\b", text, re.I | re.A).
//   contrast  a word among kContrastWords, by the same rules.
//   length    the untruncated token count ([CLS] A [SEP] ...) in buckets split at kTruncationCuts:
//             "<=128", "129-256", "257-512", ">512", as `bertft analyze` counts truncation.
//   rating    the star rating from aclImdb file names (Example::rating), for the examples that have
//             one; omitted when none has.
#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"

namespace bertft {

inline constexpr std::array<std::string_view, 10> kNegationWords = {
    "not", "no", "never", "nothing", "nobody", "none", "neither", "nor", "without", "cannot"};
inline constexpr std::array<std::string_view, 5> kContrastWords = {"but", "however", "although", "though", "yet"};

struct TextFeatures {
  bool negation = false;
  bool contrast = false;
};

TextFeatures text_features(std::string_view text);

// "<=128", "129-256", "257-512" or ">512".
std::string length_bucket(int32_t tokens);

struct GroupCounts {
  int64_t examples = 0;
  int64_t errors = 0;
};

struct ErrorAnalysis {
  // Per feature, its groups in display order with their counts; every group of negation, contrast
  // and length is listed (possibly with 0 examples), rating groups only for ratings present.
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, GroupCounts>>>> features;

  // {"negation": {"present": {"examples", "errors", "error_rate", "accuracy"}, "absent": ...},
  //  "contrast": {...}, "length": {"<=128": ...}, "rating"?: {"1": ...}}; rates are null for an empty group.
  nlohmann::ordered_json to_json() const;
};

// lengths[i]: example i's untruncated token count; predicted[i]: its predicted class id.
ErrorAnalysis analyze_errors(const Dataset& data, const std::vector<int32_t>& predicted,
                             const std::vector<int32_t>& lengths);

}  // namespace bertft
