#include "tokenizer/wordpiece_trainer.h"

#include <omp.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "common/error.h"
#include "common/io.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/utf8.h"

namespace bertft {
namespace {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using CountMap = std::unordered_map<std::string, uint64_t, StringHash, std::equal_to<>>;

// A pair of token ids as one key; comparing keys compares (left, right) lexicographically, which
// is HF's tie order.
using PairKey = uint64_t;
inline PairKey pair_key(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}
inline int32_t pair_left(PairKey k) { return static_cast<int32_t>(k >> 32); }
inline int32_t pair_right(PairKey k) { return static_cast<int32_t>(k & 0xffffffffu); }

struct QueueEntry {
  int64_t count;
  PairKey pair;
};
// Max-heap order: the higher count first, then the lower pair.
struct QueueOrder {
  bool operator()(const QueueEntry& x, const QueueEntry& y) const {
    return x.count != y.count ? x.count < y.count : x.pair > y.pair;
  }
};

class Vocabulary {
 public:
  int32_t id(const std::string& token) {
    auto [it, inserted] = ids_.emplace(token, static_cast<int32_t>(tokens_.size()));
    if (inserted) tokens_.push_back(token);
    return it->second;
  }
  size_t size() const { return tokens_.size(); }
  const std::string& token(int32_t id) const { return tokens_[static_cast<size_t>(id)]; }
  std::vector<std::string> take() { return std::move(tokens_); }

 private:
  std::unordered_map<std::string, int32_t> ids_;
  std::vector<std::string> tokens_;
};

// The pair-merge state: every multi-token word, how often each adjacent pair occurs (weighted by
// word counts), and which words may hold a pair. The word lists are appended to, never pruned: a
// word listed for a pair it no longer holds is simply unchanged by the merge.
class MergeState {
 public:
  MergeState(std::vector<std::vector<int32_t>> words, std::vector<int64_t> counts)
      : words_(std::move(words)), counts_(std::move(counts)) {
    pair_counts_.reserve(words_.size() * 2);
    where_.reserve(words_.size() * 2);
    for (size_t w = 0; w < words_.size(); w++) {
      const std::vector<int32_t>& s = words_[w];
      for (size_t i = 0; i + 1 < s.size(); i++) add(pair_key(s[i], s[i + 1]), static_cast<uint32_t>(w), counts_[w]);
    }
    for (const auto& [key, count] : pair_counts_)
      if (count > 0) queue_.push({count, key});
  }

  // The most frequent pair and its count; false when no pair is left.
  bool best(QueueEntry& out) {
    while (!queue_.empty()) {
      QueueEntry top = queue_.top();
      queue_.pop();
      const auto it = pair_counts_.find(top.pair);
      const int64_t current = it == pair_counts_.end() ? 0 : it->second;
      if (current == top.count) {
        out = top;
        return true;
      }
      // Stale: the count fell since this entry was queued (a rise always queues a new entry).
      if (current > 0 && current < top.count) queue_.push({current, top.pair});
    }
    return false;
  }

  // Replaces every occurrence of `pair` (left to right, non-overlapping) by `merged`.
  void merge(PairKey pair, int32_t merged) {
    const int32_t a = pair_left(pair), b = pair_right(pair);
    std::vector<uint32_t> list;
    if (auto it = where_.find(pair); it != where_.end()) {
      list = std::move(it->second);
      where_.erase(it);
    }
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
    fresh_.clear();
    for (const uint32_t w : list) {
      std::vector<int32_t>& s = words_[w];
      const int64_t c = counts_[w];
      size_t out = 0;
      for (size_t r = 0; r < s.size();) {
        if (r + 1 < s.size() && s[r] == a && s[r + 1] == b) {
          // The neighbours' pairs change; the left neighbour may itself be an earlier replacement
          // in this word, which keeps the counts exact for runs like "a a a a".
          if (out > 0) {
            add(pair_key(s[out - 1], a), w, -c);
            add(pair_key(s[out - 1], merged), w, c);
            fresh_.push_back(pair_key(s[out - 1], merged));
          }
          if (r + 2 < s.size()) {
            add(pair_key(b, s[r + 2]), w, -c);
            add(pair_key(merged, s[r + 2]), w, c);
            fresh_.push_back(pair_key(merged, s[r + 2]));
          }
          add(pair, w, -c);
          s[out++] = merged;
          r += 2;
        } else {
          s[out++] = s[r++];
        }
      }
      s.resize(out);
    }
    std::sort(fresh_.begin(), fresh_.end());
    fresh_.erase(std::unique(fresh_.begin(), fresh_.end()), fresh_.end());
    for (const PairKey key : fresh_)
      if (const int64_t count = pair_counts_[key]; count > 0) queue_.push({count, key});
  }

 private:
  void add(PairKey key, uint32_t word, int64_t delta) {
    pair_counts_[key] += delta;
    if (delta > 0) {
      std::vector<uint32_t>& list = where_[key];
      if (list.empty() || list.back() != word) list.push_back(word);
    }
  }

  std::vector<std::vector<int32_t>> words_;
  std::vector<int64_t> counts_;
  std::unordered_map<PairKey, int64_t> pair_counts_;
  std::unordered_map<PairKey, std::vector<uint32_t>> where_;
  std::priority_queue<QueueEntry, std::vector<QueueEntry>, QueueOrder> queue_;
  std::vector<PairKey> fresh_;
};

std::string json_string(std::string_view s) { return nlohmann::json(std::string(s)).dump(); }

}  // namespace

WordCounts count_words(const std::vector<std::string_view>& texts, const WordPieceTrainerOptions& options) {
  const BertNormalizer normalizer(true, true, options.lowercase, options.lowercase);
  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  std::vector<CountMap> maps(static_cast<size_t>(threads));
  std::vector<uint64_t> totals(static_cast<size_t>(threads), 0);
  const int64_t n = static_cast<int64_t>(texts.size());
  // Errors (ICU failures) cannot leave an OpenMP region as exceptions: the first is kept and rethrown.
  std::string error;
#pragma omp parallel num_threads(threads)
  {
    const size_t t = static_cast<size_t>(omp_get_thread_num());
    CountMap& map = maps[t];
    std::string normalized;
#pragma omp for schedule(dynamic, 64)
    for (int64_t i = 0; i < n; i++) {
      try {
        normalized.clear();
        normalizer.normalize(texts[static_cast<size_t>(i)], normalized);
        pre_tokenize(normalized, [&](std::string_view word) {
          auto it = map.find(word);
          if (it == map.end()) it = map.emplace(std::string(word), 0).first;
          it->second++;
          totals[t]++;
        });
      } catch (const std::exception& e) {
#pragma omp critical
        if (error.empty()) error = e.what();
      }
    }
  }
  if (!error.empty()) throw Error(error);
  CountMap& all = maps[0];
  for (size_t t = 1; t < maps.size(); t++)
    for (auto& [word, count] : maps[t]) all[word] += count;
  WordCounts out;
  out.words.reserve(all.size());
  for (auto& [word, count] : all) out.words.emplace_back(word, count);
  std::sort(out.words.begin(), out.words.end());
  for (uint64_t total : totals) out.total += total;
  return out;
}

WordPieceVocab train_wordpiece(const WordCounts& counts, const WordPieceTrainerOptions& options) {
  if (options.vocab_size == 0) throw Error("vocabulary size must be positive");
  Vocabulary vocab;
  for (const std::string& token : kBertSpecialTokens) vocab.id(token);

  // The alphabet: characters by occurrences (ties: lower code point), cut to limit_alphabet, then
  // added in code point order.
  std::unordered_map<char32_t, uint64_t> char_counts;
  for (const auto& [word, count] : counts.words)
    for (size_t i = 0; i < word.size();) char_counts[utf8::next(word, i)] += count;
  std::vector<std::pair<char32_t, uint64_t>> chars(char_counts.begin(), char_counts.end());
  std::sort(chars.begin(), chars.end(), [](const auto& x, const auto& y) {
    return x.second != y.second ? x.second > y.second : x.first < y.first;
  });
  if (options.limit_alphabet > 0 && chars.size() > options.limit_alphabet) chars.resize(options.limit_alphabet);
  std::sort(chars.begin(), chars.end());
  std::unordered_set<char32_t> alphabet;
  for (const auto& [c, count] : chars) {
    std::string s;
    utf8::append(s, c);
    vocab.id(s);
    alphabet.insert(c);
  }

  // Words as token ids; single-token words hold no pair and are left out.
  std::vector<std::vector<int32_t>> words;
  std::vector<int64_t> word_counts;
  for (const auto& [word, count] : counts.words) {
    std::vector<int32_t> symbols;
    for (size_t i = 0; i < word.size();) {
      const size_t start = i;
      const char32_t c = utf8::next(word, i);
      if (!alphabet.count(c)) continue;
      // Prefixed by position in the word, as HF does: when the first character is dropped, the
      // second still carries the prefix.
      std::string piece = start == 0 ? std::string() : options.continuing_subword_prefix;
      piece.append(word, start, i - start);
      symbols.push_back(vocab.id(piece));
    }
    if (symbols.size() >= 2) {
      words.push_back(std::move(symbols));
      word_counts.push_back(static_cast<int64_t>(count));
    }
  }

  WordPieceVocab out;
  out.alphabet_size = alphabet.size();
  MergeState state(std::move(words), std::move(word_counts));
  const std::string& prefix = options.continuing_subword_prefix;
  const int64_t min_count = std::max<int64_t>(1, static_cast<int64_t>(std::min<uint64_t>(options.min_frequency, INT64_MAX)));
  QueueEntry best;
  while (vocab.size() < options.vocab_size && state.best(best)) {
    if (best.count < min_count) break;
    std::string merged = vocab.token(pair_left(best.pair));
    const std::string& right = vocab.token(pair_right(best.pair));
    if (right.compare(0, prefix.size(), prefix) == 0)
      merged.append(right, prefix.size());
    else
      merged += right;
    state.merge(best.pair, vocab.id(merged));
    out.merges++;
  }
  out.tokens = vocab.take();
  return out;
}

std::string wordpiece_tokenizer_json(const std::vector<std::string>& tokens, const WordPieceTrainerOptions& options) {
  auto id_of = [&](const std::string& token) {
    const auto it = std::find(tokens.begin(), tokens.end(), token);
    if (it == tokens.end()) throw Error("vocabulary lacks the special token " + token);
    return static_cast<int64_t>(it - tokens.begin());
  };
  nlohmann::ordered_json added = nlohmann::ordered_json::array();
  for (const std::string& token : kBertSpecialTokens)
    added.push_back({{"id", id_of(token)}, {"special", true}, {"content", token}, {"single_word", false},
                     {"lstrip", false}, {"rstrip", false}, {"normalized", false}});
  auto special = [](const char* id, int type_id) {
    return nlohmann::ordered_json{{"SpecialToken", {{"id", id}, {"type_id", type_id}}}};
  };
  auto sequence = [](const char* id, int type_id) {
    return nlohmann::ordered_json{{"Sequence", {{"id", id}, {"type_id", type_id}}}};
  };
  nlohmann::ordered_json head = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added},
      {"normalizer",
       {{"type", "BertNormalizer"},
        {"clean_text", true},
        {"handle_chinese_chars", true},
        {"strip_accents", nullptr},
        {"lowercase", options.lowercase}}},
      {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single", {special("[CLS]", 0), sequence("A", 0), special("[SEP]", 0)}},
        {"pair", {special("[CLS]", 0), sequence("A", 0), special("[SEP]", 0), sequence("B", 1), special("[SEP]", 1)}},
        {"special_tokens",
         {{"[CLS]", {{"id", "[CLS]"}, {"ids", {id_of("[CLS]")}}, {"tokens", {"[CLS]"}}}},
          {"[SEP]", {{"id", "[SEP]"}, {"ids", {id_of("[SEP]")}}, {"tokens", {"[SEP]"}}}}}}}},
      {"decoder", {{"type", "WordPiece"}, {"prefix", options.continuing_subword_prefix}, {"cleanup", true}}},
      {"model",
       {{"type", "WordPiece"},
        {"unk_token", "[UNK]"},
        {"continuing_subword_prefix", options.continuing_subword_prefix},
        {"max_input_chars_per_word", 100}}}};
  // The vocabulary is spliced in as text: nlohmann's ordered object inserts in linear time per key.
  std::string text = head.dump(2);
  const size_t model_end = text.rfind('}', text.rfind('}') - 1);  // the "model" object's brace
  std::string vocab = ",\n    \"vocab\": {";
  for (size_t i = 0; i < tokens.size(); i++) {
    vocab += i ? ",\n      " : "\n      ";
    vocab += json_string(tokens[i]) + ": " + std::to_string(i);
  }
  vocab += "\n    }\n  ";
  // Replace the whitespace before the model's closing brace with the vocabulary.
  const size_t last_value = text.find_last_not_of(" \n", model_end - 1);
  text = text.substr(0, last_value + 1) + vocab + text.substr(model_end);
  text += '\n';
  return text;
}

std::string wordpiece_tokenizer_config(const WordPieceTrainerOptions& options) {
  nlohmann::ordered_json config = {{"do_lower_case", options.lowercase},
                                   {"model_max_length", 512},
                                   {"tokenizer_class", "BertTokenizer"},
                                   {"unk_token", "[UNK]"},
                                   {"sep_token", "[SEP]"},
                                   {"pad_token", "[PAD]"},
                                   {"cls_token", "[CLS]"},
                                   {"mask_token", "[MASK]"}};
  return config.dump(2) + "\n";
}

void write_wordpiece_tokenizer(const std::string& dir, const std::vector<std::string>& tokens,
                               const WordPieceTrainerOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail_file(dir, "cannot create the directory: " + ec.message());
  std::string vocab;
  for (const std::string& token : tokens) vocab += token + "\n";
  const std::string json = wordpiece_tokenizer_json(tokens, options);
  write_file_atomic(dir + "/vocab.txt", vocab);
  write_file_atomic(dir + "/tokenizer_config.json", wordpiece_tokenizer_config(options));
  write_file_atomic(dir + "/tokenizer.json", json);
}

}  // namespace bertft
