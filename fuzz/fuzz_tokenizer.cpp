// libFuzzer target for the tokenizer's untrusted inputs. The first byte (mod 5) picks the entry point:
//   0: tokenizer.json text (+ tokenizer_config.json after a NUL), then a few encodes with it;
//   1: vocab.txt text (+ tokenizer_config.json after a NUL), then a few encodes with it;
//   2: vocab.json text, merges.txt after a NUL (+ tokenizer_config.json after another), then encodes;
//   3, 4: arbitrary bytes, sanitize_utf8'd, encoded (split at a TAB into text and pair) by a fixed
//         tokenizer with every pipeline feature on, truncated to a length taken from the input:
//         WordPiece (3) or byte-level BPE (4).
// Seeds are JSON Lines reviews ('{' selects 3, and again after a 4), vocab.json + merges.txt (2).
// Besides memory errors (ASan/UBSan), the encodings' invariants are checked; a violation aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "common/error.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// Every printable ASCII character alone and as a continuation, plus words, CJK and accented
// letters, so that texts exercise real WordPiece splits and not only [UNK].
std::string fixed_vocab() {
  std::string vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
  for (char c = '!'; c <= '~'; ++c)
    if (c < 'A' || c > 'Z') vocab += std::string(1, c) + "\n##" + std::string(1, c) + "\n";
  for (const char* w : {"the", "movie", "film", "great", "bad", "un", "##able", "##ing", "\xE4\xB8\xAD",
                        "\xCF\x83", "##\xCF\x83", "\xC3\xA9", "\xF0\x9F\x98\x80", "hello world"})
    vocab += std::string(w) + "\n";
  return vocab;
}

const bertft::Tokenizer& fixed_tokenizer() {
  static const bertft::Tokenizer tokenizer = bertft::Tokenizer::from_vocab_txt(
      fixed_vocab(), "vocab.txt",
      R"({"additional_special_tokens": ["the"], "added_tokens_decoder": {
           "6": {"content": "Hello World", "normalized": true, "special": false},
           "7": {"content": "the movie", "single_word": true, "normalized": false, "special": false}}})");
  return tokenizer;
}

// Every byte, RoBERTa's special tokens and a few merges, so that texts get real merges; <mask>
// strips the whitespace before it, "the movie" (single_word) the whitespace after it, and every
// piece gets a leading space.
const bertft::Tokenizer& fixed_bpe_tokenizer() {
  static const bertft::Tokenizer tokenizer = [] {
    nlohmann::ordered_json vocab = {{"<s>", 0}, {"<pad>", 1}, {"</s>", 2}, {"<unk>", 3}};
    for (int b = 0; b < 256; ++b) {
      std::string token;
      bertft::utf8::append(token, bertft::byte_to_char(static_cast<unsigned char>(b)));
      vocab[token] = vocab.size();
    }
    std::string merges = "#version: 0.2\n";
    for (const char* merge : {"\xC4\xA0 t", "h e", "\xC4\xA0t he", "i n", "\xC4\xA0 m", "o v", "ov ie",
                              "\xC4\xA0m ovie", "\xC3\x83 \xC2\xA9", "e \xC3\x83\xC2\xA9"}) {
      std::string merged = merge;
      merged.erase(merged.find(' '), 1);
      vocab[merged] = vocab.size();
      merges += std::string(merge) + "\n";
    }
    vocab["<mask>"] = vocab.size();
    return bertft::Tokenizer::from_vocab_json(
        vocab.dump(), "vocab.json", merges, "merges.txt",
        R"({"add_prefix_space": true, "added_tokens_decoder": {")" + std::to_string(vocab.size()) +
            R"(": {"content": "the movie", "single_word": true, "rstrip": true, "special": false}}})");
  }();
  return tokenizer;
}

void check_encoding(const bertft::Tokenizer& t, std::string_view text, std::optional<std::string_view> pair,
                    size_t max_length) {
  bertft::Encoding e;
  try {
    e = t.encode(text, pair, max_length);
  } catch (const bertft::Error&) {
    check(max_length > 0 && max_length < t.num_special_tokens(pair.has_value()));
    return;
  }
  check(e.ids.size() == e.type_ids.size() && e.ids.size() == e.tokens.size());
  check(max_length == 0 || e.ids.size() <= max_length);
  for (size_t i = 0; i < e.ids.size(); ++i) {
    check(e.ids[i] >= 0 && static_cast<size_t>(e.ids[i]) < t.vocab_size());
    check(e.tokens[i] == t.id_to_token(e.ids[i]));
  }
  if (!pair) check(t.encode_ids(text, max_length) == e.ids);
}

void exercise_loaded(const bertft::Tokenizer& t) {
  for (const char* text : {"Hello, [MASK] w\xC3\xB6rld! \xE4\xB8\xAD\xE6\x96\x87 \xCE\xA3\xCE\xA3 [UNK]", "",
                           "a b c d e f", "it's <mask> <s>x</s>  \n\t\xC2\x85 \xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD"}) {
    check_encoding(t, text, std::nullopt, 0);
    check_encoding(t, text, std::string_view("pair [SEP] text"), 5);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t nul = input.find('\0');
  std::string_view file = std::string_view(input).substr(0, nul);
  std::string_view config = nul == std::string::npos ? std::string_view() : std::string_view(input).substr(nul + 1);
  try {
    switch (data[0] % 5) {
      case 0:
        exercise_loaded(bertft::Tokenizer::from_tokenizer_json(file, "tokenizer.json", config));
        break;
      case 1:
        exercise_loaded(bertft::Tokenizer::from_vocab_txt(file, "vocab.txt", config));
        break;
      case 2: {
        size_t second_nul = config.find('\0');
        std::string_view merges = config.substr(0, second_nul);
        std::string_view bpe_config = second_nul == std::string_view::npos ? std::string_view() : config.substr(second_nul + 1);
        exercise_loaded(bertft::Tokenizer::from_vocab_json(file, "vocab.json", merges, "merges.txt", bpe_config));
        break;
      }
      default: {
        bertft::sanitize_utf8(input);
        size_t max_length = input.empty() ? 0 : static_cast<unsigned char>(input.back()) % 64;
        size_t tab = input.find('\t');
        std::string_view text = std::string_view(input).substr(0, tab);
        std::optional<std::string_view> pair;
        if (tab != std::string::npos) pair = std::string_view(input).substr(tab + 1);
        const bertft::Tokenizer& tokenizer = data[0] % 5 == 3 ? fixed_tokenizer() : fixed_bpe_tokenizer();
        check_encoding(tokenizer, text, pair, max_length);
        check_encoding(tokenizer, input, std::nullopt, 0);
      }
    }
  } catch (const bertft::Error&) {
    // Rejecting bad files with an Error is the expected outcome.
  }
  return 0;
}
