#include "baseline/tfidf.h"

#include <unicode/uchar.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "common/error.h"

namespace bertft {
namespace {

// Python's re \w on str: '_' or str.isalnum() (a letter, or any numeric type, e.g. '²', '½', '①').
bool is_word_char(UChar32 c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  if (U_GET_GC_MASK(c) & U_GC_L_MASK) return true;
  return u_getIntPropertyValue(c, UCHAR_NUMERIC_TYPE) != U_NT_NONE;
}

// Full Unicode lowercasing (root locale: final sigma, 'İ' -> "i\u0307"), as Python's str.lower().
void icu_lower(std::string_view text, std::string& out) {
  UErrorCode err = U_ZERO_ERROR;
  int32_t len16 = 0;
  const auto n = static_cast<int32_t>(text.size());
  u_strFromUTF8WithSub(nullptr, 0, &len16, text.data(), n, 0xFFFD, nullptr, &err);
  std::u16string src(static_cast<size_t>(len16), u'\0');
  err = U_ZERO_ERROR;
  u_strFromUTF8WithSub(src.data(), len16, nullptr, text.data(), n, 0xFFFD, nullptr, &err);
  // Lowercasing grows a string by at most 3x (U+0130 is the only 1 -> 2 mapping in UTF-16 terms).
  std::u16string lower(src.size() * 3 + 1, u'\0');
  err = U_ZERO_ERROR;
  const int32_t len_lower = u_strToLower(lower.data(), static_cast<int32_t>(lower.size()), src.data(), len16, "", &err);
  if (U_FAILURE(err)) throw Error(std::string("ICU lowercasing failed: ") + u_errorName(err));
  int32_t len8 = 0;
  err = U_ZERO_ERROR;
  u_strToUTF8(nullptr, 0, &len8, lower.data(), len_lower, &err);
  out.assign(static_cast<size_t>(len8), '\0');
  err = U_ZERO_ERROR;
  u_strToUTF8(out.data(), len8, nullptr, lower.data(), len_lower, &err);
  if (U_FAILURE(err)) throw Error(std::string("ICU UTF-8 conversion failed: ") + u_errorName(err));
}

uint64_t pair_key(uint32_t prefix, uint32_t last) { return (static_cast<uint64_t>(prefix) << 32) | last; }

}  // namespace

SparseMatrix SparseMatrix::transpose() const {
  SparseMatrix t;
  t.cols = rows();
  t.indptr.assign(static_cast<size_t>(cols) + 1, 0);
  for (int32_t c : indices) t.indptr[static_cast<size_t>(c) + 1]++;
  std::partial_sum(t.indptr.begin(), t.indptr.end(), t.indptr.begin());
  t.indices.resize(indices.size());
  t.values.resize(values.size());
  std::vector<int64_t> next(t.indptr.begin(), t.indptr.end() - 1);
  for (int64_t r = 0; r < rows(); r++)
    for (int64_t k = indptr[r]; k < indptr[r + 1]; k++) {
      const int64_t at = next[indices[k]]++;
      t.indices[at] = static_cast<int32_t>(r);
      t.values[at] = values[k];
    }
  return t;
}

void tfidf_tokens(std::string_view text, std::string& lowered, std::vector<std::string_view>& tokens) {
  tokens.clear();
  const bool ascii = std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) {
    lowered.assign(text);
    for (char& c : lowered)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  } else {
    icu_lower(text, lowered);
  }
  const auto* s = reinterpret_cast<const uint8_t*>(lowered.data());
  const auto n = static_cast<int32_t>(lowered.size());
  int32_t run_start = 0, run_chars = 0, i = 0;
  while (i < n) {
    const int32_t at = i;
    UChar32 c;
    U8_NEXT(s, i, n, c);
    if (c >= 0 && is_word_char(c)) {
      if (run_chars++ == 0) run_start = at;
      continue;
    }
    if (run_chars >= 2) tokens.emplace_back(lowered.data() + run_start, static_cast<size_t>(at - run_start));
    run_chars = 0;
  }
  if (run_chars >= 2) tokens.emplace_back(lowered.data() + run_start, static_cast<size_t>(n - run_start));
}

TfidfVectorizer::TfidfVectorizer(const TfidfOptions& options) : options_(options) {
  if (options.ngram_max < 1) throw Error("ngram_max must be at least 1");
  if (options.min_df < 1) throw Error("min_df must be at least 1");
}

void TfidfVectorizer::fit(const std::vector<std::string_view>& docs) {
  // Every n-gram of the training set gets an id (unigrams: their token's id); an n-gram is the pair
  // (id of its first n-1 tokens, id of its last token), so no n-gram string is built until it is kept.
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> token_ids;
  std::unordered_map<uint64_t, uint32_t> pair_ids;
  std::vector<std::string> token_text;      // per distinct token
  std::vector<uint32_t> unigram_of_token;    // token -> its n-gram id
  std::vector<uint32_t> prefix_of, last_of;  // per n-gram id; prefix = UINT32_MAX for unigrams; last = token
  std::vector<int64_t> df, seen_in;          // seen_in: last document counted, to count each once
  const auto new_gram = [&](uint32_t prefix, uint32_t last) {
    if (prefix_of.size() >= std::numeric_limits<uint32_t>::max() - 1)
      throw Error("baseline: more than 4 billion distinct n-grams");
    prefix_of.push_back(prefix);
    last_of.push_back(last);
    df.push_back(0);
    seen_in.push_back(-1);
    return static_cast<uint32_t>(prefix_of.size() - 1);
  };
  std::string lowered;
  std::vector<std::string_view> tokens;
  std::vector<uint32_t> unigram, current, next;
  for (size_t d = 0; d < docs.size(); d++) {
    const auto count = [&](uint32_t g) {
      if (seen_in[g] != static_cast<int64_t>(d)) {
        seen_in[g] = static_cast<int64_t>(d);
        df[g]++;
      }
    };
    tfidf_tokens(docs[d], lowered, tokens);
    unigram.clear();
    for (std::string_view t : tokens) {
      auto it = token_ids.find(t);
      if (it == token_ids.end()) {
        const uint32_t id = new_gram(std::numeric_limits<uint32_t>::max(), static_cast<uint32_t>(token_text.size()));
        token_text.emplace_back(t);
        unigram_of_token.push_back(id);
        it = token_ids.emplace(std::string(t), id).first;
      }
      unigram.push_back(it->second);
      count(it->second);
    }
    current = unigram;
    for (int n = 2; n <= options_.ngram_max && static_cast<size_t>(n) <= unigram.size(); n++) {
      next.resize(unigram.size() - n + 1);
      for (size_t i = 0; i < next.size(); i++) {
        const uint64_t key = pair_key(current[i], unigram[i + n - 1]);
        auto it = pair_ids.find(key);
        if (it == pair_ids.end()) it = pair_ids.emplace(key, new_gram(current[i], last_of[unigram[i + n - 1]])).first;
        next[i] = it->second;
        count(it->second);
      }
      std::swap(current, next);
    }
  }

  // Kept n-grams and their text; a prefix always has a smaller id than the n-grams extending it.
  std::vector<uint32_t> kept;
  std::vector<int32_t> kept_index(prefix_of.size(), -1);
  std::vector<std::string> text;
  for (uint32_t g = 0; g < prefix_of.size(); g++) {
    if (df[g] < options_.min_df) continue;
    kept_index[g] = static_cast<int32_t>(kept.size());
    kept.push_back(g);
    if (prefix_of[g] == std::numeric_limits<uint32_t>::max())
      text.push_back(token_text[last_of[g]]);
    else
      text.push_back(text[kept_index[prefix_of[g]]] + ' ' + token_text[last_of[g]]);
  }
  if (kept.empty())
    throw Error("baseline: no n-gram occurs in at least " + std::to_string(options_.min_df) +
                " training documents (lower --min-df)");
  std::vector<int32_t> order(kept.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return text[a] < text[b]; });
  std::vector<int32_t> feature_of_kept(kept.size());
  terms_.clear();
  idf_.clear();
  df_.clear();
  for (size_t f = 0; f < order.size(); f++) {
    feature_of_kept[order[f]] = static_cast<int32_t>(f);
    const uint32_t g = kept[order[f]];
    terms_.push_back(std::move(text[order[f]]));
    df_.push_back(df[g]);
    idf_.push_back(std::log((1.0 + static_cast<double>(docs.size())) / (1.0 + static_cast<double>(df[g]))) + 1.0);
  }
  unigram_ids_.clear();
  ngram_ids_.clear();
  for (size_t k = 0; k < kept.size(); k++) {
    const uint32_t g = kept[k];
    if (prefix_of[g] == std::numeric_limits<uint32_t>::max())
      unigram_ids_.emplace(terms_[feature_of_kept[k]], feature_of_kept[k]);
    else
      ngram_ids_.emplace(pair_key(static_cast<uint32_t>(feature_of_kept[kept_index[prefix_of[g]]]),
                                  static_cast<uint32_t>(feature_of_kept[kept_index[unigram_of_token[last_of[g]]]])),
                         feature_of_kept[k]);
  }
}

void TfidfVectorizer::features_of(const std::vector<std::string_view>& tokens, std::vector<int32_t>& unigram,
                                  std::vector<int32_t>& out) const {
  out.clear();
  unigram.clear();
  for (std::string_view t : tokens) {
    auto it = unigram_ids_.find(t);
    unigram.push_back(it == unigram_ids_.end() ? -1 : it->second);
    if (unigram.back() >= 0) out.push_back(unigram.back());
  }
  std::vector<int32_t> current = unigram, next;
  for (int n = 2; n <= options_.ngram_max && static_cast<size_t>(n) <= unigram.size(); n++) {
    next.resize(unigram.size() - n + 1);
    for (size_t i = 0; i < next.size(); i++) {
      next[i] = -1;
      if (current[i] < 0 || unigram[i + n - 1] < 0) continue;
      auto it = ngram_ids_.find(pair_key(static_cast<uint32_t>(current[i]), static_cast<uint32_t>(unigram[i + n - 1])));
      if (it == ngram_ids_.end()) continue;
      next[i] = it->second;
      out.push_back(it->second);
    }
    std::swap(current, next);
  }
}

SparseMatrix TfidfVectorizer::transform(const std::vector<std::string_view>& docs) const {
  if (terms_.empty()) throw Error("baseline: the TF-IDF vectorizer is not fitted");
  const auto n_docs = static_cast<int64_t>(docs.size());
  std::vector<std::vector<int32_t>> row_indices(docs.size());
  std::vector<std::vector<double>> row_values(docs.size());
#pragma omp parallel
  {
    std::string lowered;
    std::vector<std::string_view> tokens;
    std::vector<int32_t> unigram, features;
#pragma omp for schedule(dynamic, 64)
    for (int64_t d = 0; d < n_docs; d++) {
      tfidf_tokens(docs[d], lowered, tokens);
      features_of(tokens, unigram, features);
      std::sort(features.begin(), features.end());
      auto& idx = row_indices[d];
      auto& val = row_values[d];
      for (size_t i = 0; i < features.size();) {
        size_t j = i;
        while (j < features.size() && features[j] == features[i]) j++;
        const auto tf = static_cast<double>(j - i);
        idx.push_back(features[i]);
        val.push_back((options_.sublinear_tf ? 1.0 + std::log(tf) : tf) * idf_[features[i]]);
        i = j;
      }
      double norm = 0;
      for (double v : val) norm += v * v;
      if (norm > 0) {
        norm = std::sqrt(norm);
        for (double& v : val) v /= norm;
      }
    }
  }
  SparseMatrix m;
  m.cols = num_features();
  for (int64_t d = 0; d < n_docs; d++) {
    m.indices.insert(m.indices.end(), row_indices[d].begin(), row_indices[d].end());
    m.values.insert(m.values.end(), row_values[d].begin(), row_values[d].end());
    m.indptr.push_back(m.nnz());
    std::vector<int32_t>().swap(row_indices[d]);
    std::vector<double>().swap(row_values[d]);
  }
  return m;
}

}  // namespace bertft
