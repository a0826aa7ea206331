#pragma once
// The word vocabulary of the recurrent baselines when they do not use a model's tokenizer: the
// TF-IDF baseline's tokens (baseline/tfidf.h: lowercased runs of two or more word characters, as
// scikit-learn's default token_pattern), the words in at least min_df training texts, most frequent
// first (ties by code point), at most max_size of them. Ids 0 and 1 are [PAD] and [UNK] (any word not
// kept), so a Keras- or torchtext-style pipeline reading vocab.txt gets the same ids.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bertft {

class WordVocabulary {
 public:
  static constexpr int32_t kPad = 0, kUnknown = 1;

  // Learns the vocabulary from `docs` (in parallel over them); throws Error if no word reaches min_df.
  void fit(const std::vector<std::string_view>& docs, int64_t min_df, int64_t max_size);
  // vocab.txt: the words one per line in id order ([PAD] and [UNK] first).
  std::string to_text() const;

  // The ids of doc's words, [UNK] for words not kept.
  std::vector<int32_t> encode(std::string_view doc) const;
  int64_t size() const { return static_cast<int64_t>(words_.size()); }

 private:
  std::vector<std::string> words_;  // id -> word
  std::unordered_map<std::string, int32_t> ids_;
};

}  // namespace bertft
