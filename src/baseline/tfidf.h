#pragma once
// TF-IDF features with scikit-learn's TfidfVectorizer semantics (analyzer="word", lowercase=True,
// token_pattern r"(?u)\b\w\w+\b", ngram_range=(1, ngram_max), min_df as a document count,
// smooth_idf=True, norm="l2"), so `bertft baseline` reproduces the usual Python baseline:
//   tokens  maximal runs of two or more word characters of the lowercased text (Python's
//           str.lower(): full Unicode case mapping, as ICU's root locale does). A word character is
//           what Python's re calls \w on str: '_', a letter (general category L*) or a character
//           with a Unicode numeric type -- combining marks are not, so they split tokens.
//   n-grams for n = 1..ngram_max, the tokens joined by one space.
//   vocabulary  n-grams in at least min_df training documents, sorted by code point (= UTF-8 byte
//           order), feature id = position.
//   idf     ln((1 + n_docs) / (1 + df)) + 1
//   value   tf * idf with tf the count, or 1 + ln(count) when sublinear_tf; each row scaled to unit
//           L2 norm (an all-zero row stays zero).
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bertft {

// Compressed sparse rows; column indices ascending within a row.
struct SparseMatrix {
  int64_t cols = 0;
  std::vector<int64_t> indptr{0};  // rows + 1
  std::vector<int32_t> indices;
  std::vector<double> values;
  int64_t rows() const { return static_cast<int64_t>(indptr.size()) - 1; }
  int64_t nnz() const { return static_cast<int64_t>(indices.size()); }
  SparseMatrix transpose() const;
};

// Lowercases `text` into `lowered` and appends views into it of the sklearn tokens to `tokens`
// (which is cleared first). Invalid UTF-8 bytes count as non-word characters.
void tfidf_tokens(std::string_view text, std::string& lowered, std::vector<std::string_view>& tokens);

struct TfidfOptions {
  int ngram_max = 1;
  int64_t min_df = 2;
  bool sublinear_tf = true;
};

class TfidfVectorizer {
 public:
  TfidfVectorizer() = default;
  explicit TfidfVectorizer(const TfidfOptions& options);

  // Learns the vocabulary and idf from `docs`; throws Error if no n-gram reaches min_df.
  void fit(const std::vector<std::string_view>& docs);
  // One row per document, in parallel over documents (OpenMP). Out-of-vocabulary n-grams are dropped.
  SparseMatrix transform(const std::vector<std::string_view>& docs) const;

  const TfidfOptions& options() const { return options_; }
  int64_t num_features() const { return static_cast<int64_t>(terms_.size()); }
  const std::vector<std::string>& terms() const { return terms_; }  // feature id -> n-gram
  const std::vector<double>& idf() const { return idf_; }
  const std::vector<int64_t>& df() const { return df_; }

 private:
  // Feature ids of every in-vocabulary n-gram of one document (with repeats), any order.
  void features_of(const std::vector<std::string_view>& tokens, std::vector<int32_t>& unigram,
                   std::vector<int32_t>& out) const;

  TfidfOptions options_;
  std::vector<std::string> terms_;
  std::vector<double> idf_;
  std::vector<int64_t> df_;
  // Since only min_df filters the vocabulary, every prefix of a kept n-gram is kept too (it occurs in
  // every document the n-gram does), as is its last token: an n-gram is found as the pair (feature of
  // its first n-1 tokens, feature of its last token).
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> unigram_ids_;
  std::unordered_map<uint64_t, int32_t> ngram_ids_;
};

}  // namespace bertft
