#include "baseline/word_vocabulary.h"

#include <omp.h>

#include <algorithm>

#include "baseline/tfidf.h"
#include "common/error.h"

namespace bertft {

void WordVocabulary::fit(const std::vector<std::string_view>& docs, int64_t min_df, int64_t max_size) {
  // Document frequencies, counted per thread and merged.
  std::unordered_map<std::string, int64_t> df;
#pragma omp parallel
  {
    std::unordered_map<std::string, int64_t> local;
    std::string lowered;
    std::vector<std::string_view> tokens;
    std::vector<std::string_view> seen;
#pragma omp for schedule(dynamic, 64)
    for (size_t d = 0; d < docs.size(); d++) {
      tfidf_tokens(docs[d], lowered, tokens);
      std::sort(tokens.begin(), tokens.end());
      tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
      for (std::string_view t : tokens) local[std::string(t)]++;
    }
#pragma omp critical
    for (auto& [word, count] : local) df[word] += count;
  }
  std::vector<std::pair<std::string, int64_t>> kept;
  for (auto& [word, count] : df)
    if (count >= min_df) kept.emplace_back(word, count);
  if (kept.empty()) throw Error("no word is in at least " + std::to_string(min_df) + " training texts (--min-df)");
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (static_cast<int64_t>(kept.size()) > max_size) kept.resize(static_cast<size_t>(max_size));
  words_ = {"[PAD]", "[UNK]"};
  for (auto& [word, count] : kept) words_.push_back(std::move(word));
  ids_.clear();
  for (size_t i = 0; i < words_.size(); i++) ids_.emplace(words_[i], static_cast<int32_t>(i));
}

std::string WordVocabulary::to_text() const {
  std::string text;
  for (const std::string& w : words_) text += w + "\n";
  return text;
}

std::vector<int32_t> WordVocabulary::encode(std::string_view doc) const {
  std::string lowered;
  std::vector<std::string_view> tokens;
  tfidf_tokens(doc, lowered, tokens);
  std::vector<int32_t> ids;
  ids.reserve(tokens.size());
  std::string key;
  for (std::string_view t : tokens) {
    key.assign(t);
    auto it = ids_.find(key);
    ids.push_back(it == ids_.end() ? kUnknown : it->second);
  }
  return ids;
}

}  // namespace bertft
