// libFuzzer target for the tokenizer's untrusted inputs. The first byte picks the entry point:
//   0: tokenizer.json text (+ tokenizer_config.json after a NUL), then a few encodes with it;
//   1: vocab.txt text (+ tokenizer_config.json after a NUL), then a few encodes with it;
//   2, 3: arbitrary bytes, sanitize_utf8'd, encoded (split at a TAB into text and pair) by a fixed
//         tokenizer with every pipeline feature on, truncated to a length taken from the input.
// Seeds are JSON Lines reviews ('{' selects 3), so most runs encode text. Besides memory errors
// (ASan/UBSan), the encodings' invariants are checked; a violation aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/error.h"
#include "tokenizer/tokenizer.h"

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
  for (const char* text : {"Hello, [MASK] w\xC3\xB6rld! \xE4\xB8\xAD\xE6\x96\x87 \xCE\xA3\xCE\xA3 [UNK]", "", "a b c d e f"}) {
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
    switch (data[0] % 4) {
      case 0:
        exercise_loaded(bertft::Tokenizer::from_tokenizer_json(file, "tokenizer.json", config));
        break;
      case 1:
        exercise_loaded(bertft::Tokenizer::from_vocab_txt(file, "vocab.txt", config));
        break;
      default: {
        bertft::sanitize_utf8(input);
        size_t max_length = input.empty() ? 0 : static_cast<unsigned char>(input.back()) % 64;
        size_t tab = input.find('\t');
        std::string_view text = std::string_view(input).substr(0, tab);
        std::optional<std::string_view> pair;
        if (tab != std::string::npos) pair = std::string_view(input).substr(tab + 1);
        check_encoding(fixed_tokenizer(), text, pair, max_length);
        check_encoding(fixed_tokenizer(), input, std::nullopt, 0);
      }
    }
  } catch (const bertft::Error&) {
    // Rejecting bad files with an Error is the expected outcome.
  }
  return 0;
}
