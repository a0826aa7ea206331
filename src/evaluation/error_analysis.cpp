#include "evaluation/error_analysis.h"

#include <algorithm>
#include <map>

#include "common/error.h"
#include "evaluation/length_analysis.h"

namespace bertft {

namespace {

bool is_word_byte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

template <size_t N>
bool contains(const std::array<std::string_view, N>& words, std::string_view word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

nlohmann::ordered_json group_json(const GroupCounts& g) {
  const bool empty = g.examples == 0;
  const double rate = empty ? 0 : static_cast<double>(g.errors) / static_cast<double>(g.examples);
  return {{"examples", g.examples},
          {"errors", g.errors},
          {"error_rate", empty ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(rate)},
          {"accuracy", empty ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(1 - rate)}};
}

}  // namespace

TextFeatures text_features(std::string_view s) {
  constexpr size_t kLongest = 8;  // no listed word is longer
  TextFeatures f;
  size_t prev_end = 0;
  bool prev_ends_in_n = false;
  for (size_t i = 0; i < s.size();) {
    if (!is_word_byte(s[i])) {
      i++;
      continue;
    }
    const size_t start = i;
    while (i < s.size() && is_word_byte(s[i])) i++;
    const size_t len = i - start;
    char lower[kLongest];
    if (len <= kLongest) {
      for (size_t k = 0; k < len; k++) {
        const char c = s[start + k];
        lower[k] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      }
      const std::string_view word(lower, len);
      if (contains(kNegationWords, word)) f.negation = true;
      if (contains(kContrastWords, word)) f.contrast = true;
      if (word == "t" && prev_ends_in_n) {  // n't: "n" + apostrophe + "t"
        const std::string_view gap = s.substr(prev_end, start - prev_end);
        if (gap == "'" || gap == "\xE2\x80\x99") f.negation = true;
      }
    }
    prev_end = i;
    prev_ends_in_n = s[i - 1] == 'n' || s[i - 1] == 'N';
    if (f.negation && f.contrast) break;
  }
  return f;
}

std::string length_bucket(int32_t tokens) {
  int32_t lower = 0;
  for (int32_t cut : kTruncationCuts) {
    if (tokens <= cut)
      return lower == 0 ? "<=" + std::to_string(cut) : std::to_string(lower + 1) + "-" + std::to_string(cut);
    lower = cut;
  }
  return ">" + std::to_string(lower);
}

ErrorAnalysis analyze_errors(const Dataset& data, const std::vector<int32_t>& predicted,
                             const std::vector<int32_t>& lengths) {
  const size_t n = data.examples.size();
  if (predicted.size() != n || lengths.size() != n)
    throw Error("analyze_errors: " + std::to_string(n) + " examples but " + std::to_string(predicted.size()) +
                " predictions and " + std::to_string(lengths.size()) + " lengths");
  std::vector<TextFeatures> features(n);
#pragma omp parallel for schedule(dynamic, 256)
  for (int64_t i = 0; i < static_cast<int64_t>(n); i++) {
    const Example& ex = data.examples[i];
    const TextFeatures a = text_features(ex.text), b = text_features(ex.text_pair);
    features[i] = {a.negation || b.negation, a.contrast || b.contrast};
  }

  GroupCounts negation[2], contrast[2];  // [absent, present]
  std::vector<GroupCounts> length(kTruncationCuts.size() + 1);
  std::map<int, GroupCounts> rating;
  for (size_t i = 0; i < n; i++) {
    const Example& ex = data.examples[i];
    const int wrong = predicted[i] != ex.label;
    const auto bucket = std::lower_bound(kTruncationCuts.begin(), kTruncationCuts.end(), lengths[i]) -
                        kTruncationCuts.begin();
    for (GroupCounts* g : {&negation[features[i].negation], &contrast[features[i].contrast], &length[bucket]}) {
      g->examples++;
      g->errors += wrong;
    }
    if (ex.rating >= 0) {
      rating[ex.rating].examples++;
      rating[ex.rating].errors += wrong;
    }
  }

  ErrorAnalysis out;
  out.features.push_back({"negation", {{"present", negation[1]}, {"absent", negation[0]}}});
  out.features.push_back({"contrast", {{"present", contrast[1]}, {"absent", contrast[0]}}});
  std::vector<std::pair<std::string, GroupCounts>> buckets;
  for (size_t b = 0; b < length.size(); b++) {
    const int32_t representative = b < kTruncationCuts.size() ? kTruncationCuts[b] : kTruncationCuts.back() + 1;
    buckets.push_back({length_bucket(representative), length[b]});
  }
  out.features.push_back({"length", buckets});
  if (!rating.empty()) {
    std::vector<std::pair<std::string, GroupCounts>> groups;
    for (const auto& [r, g] : rating) groups.push_back({std::to_string(r), g});
    out.features.push_back({"rating", groups});
  }
  return out;
}

nlohmann::ordered_json ErrorAnalysis::to_json() const {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [feature, groups] : features) {
    nlohmann::ordered_json g = nlohmann::ordered_json::object();
    for (const auto& [name, counts] : groups) g[name] = group_json(counts);
    out[feature] = g;
  }
  return out;
}

}  // namespace bertft
