// Tokenizer semantics on a small vocabulary: the Unicode edge cases of BertNormalizer /
// BertPreTokenizer / WordPiece, special tokens in text, truncation. Expected values follow the Rust
// `tokenizers` library (see src/tokenizer/tokenizer.h for where tokenizers.js differs).
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "tokenizer/tokenizer.h"

namespace bertft {
namespace {

// Ids are line numbers - 1: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4.
const std::string kVocab =
    "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n"
    "hello\nworld\n,\n!\n.\n[\n]\n$\n~\n\xE2\x80\x94\n"  // U+2014 em dash
    "un\n##aff\n##able\ncafe\nnaive\n"
    "a\n##a\nb\nc\nd\nab\nabc\nx\ny\n##x\n"
    "i\n##\xCC\x87\n"                                  // ##U+0307 (combining dot above)
    "\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x83\n"               // οδοσ
    "\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x82\n"               // οδος
    "\xE4\xB8\xAD\n\xE6\x96\x87\n"                     // 中 文
    "\xF0\xA0\x80\x80\n\xF0\xAB\xA4\xA0\n"             // U+20000, U+2B920
    "\xF0\x9F\x98\x80\n"                               // 😀
    "a\xC2\xA9\n";                                     // a©

Tokenizer make(const std::string& config = "") { return Tokenizer::from_vocab_txt(kVocab, "vocab.txt", config); }

// The tokens between [CLS] and [SEP].
std::vector<std::string> words(const Tokenizer& t, std::string_view text) {
  Encoding e = t.encode(text);
  EXPECT_GE(e.tokens.size(), 2u);
  EXPECT_EQ(e.tokens.front(), "[CLS]");
  EXPECT_EQ(e.tokens.back(), "[SEP]");
  return std::vector<std::string>(e.tokens.begin() + 1, e.tokens.end() - 1);
}

using V = std::vector<std::string>;

std::string repeat(const char* word, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += word;
  return s;
}

TEST(Tokenizer, BasicPipeline) {
  Tokenizer t = make();
  Encoding e = t.encode("Hello, World!");
  EXPECT_EQ(e.tokens, (V{"[CLS]", "hello", ",", "world", "!", "[SEP]"}));
  EXPECT_EQ(e.ids, (std::vector<int32_t>{2, 5, 7, 6, 8, 3}));
  EXPECT_EQ(e.type_ids, (std::vector<int32_t>(6, 0)));
  EXPECT_EQ(t.encode_ids("Hello, World!"), e.ids);
  EXPECT_EQ(t.pad_id(), 0);
  EXPECT_EQ(t.unk_id(), 1);
  EXPECT_EQ(t.token_to_id("hello"), 5);
  EXPECT_EQ(t.token_to_id("nope"), -1);
  EXPECT_EQ(t.id_to_token(6), "world");
  EXPECT_EQ(t.id_to_token(100000), "");
}

TEST(Tokenizer, WordPieceGreedyLongestMatch) {
  Tokenizer t = make();
  EXPECT_EQ(words(t, "unaffable"), (V{"un", "##aff", "##able"}));
  EXPECT_EQ(words(t, "abcx"), (V{"abc", "##x"}));
  // One unmatchable piece makes the whole word a single [UNK].
  EXPECT_EQ(words(t, "unaffablez hello"), (V{"[UNK]", "hello"}));
}

// Greedy longest-match-first against a direct transcription of it (candidates shortened one code point
// at a time), on random vocabularies and words mixing 1- to 4-byte characters.
TEST(Tokenizer, WordPieceMatchesTheGreedyDefinition) {
  const std::vector<std::string> alphabet = {"a", "b", "\xC3\xA9", "\xE4\xB8\xAD", "\xF0\x9F\x98\x80"};
  std::mt19937 rng(5);
  auto random_chars = [&](size_t max_chars) {
    std::vector<std::string> chars(1 + rng() % max_chars);
    for (std::string& c : chars) c = alphabet[rng() % alphabet.size()];
    return chars;
  };
  auto join = [](const std::vector<std::string>& chars, size_t begin, size_t end) {
    std::string s;
    for (size_t i = begin; i < end; i++) s += chars[i];
    return s;
  };
  for (int round = 0; round < 20; round++) {
    std::set<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    std::string vocab_txt = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
    for (int i = 0; i < 60; i++) {
      const std::vector<std::string> chars = random_chars(8);
      std::string token = (rng() % 2 ? "##" : "") + join(chars, 0, chars.size());
      if (vocab.insert(token).second) vocab_txt += token + "\n";
    }
    const Tokenizer t = Tokenizer::from_vocab_txt(
        vocab_txt, "vocab.txt", R"({"do_lower_case": false, "strip_accents": false, "tokenize_chinese_chars": false})");
    for (int w = 0; w < 100; w++) {
      const std::vector<std::string> chars = random_chars(30);
      V expected;
      for (size_t start = 0; start < chars.size();) {
        size_t end = chars.size();
        while (end > start && !vocab.count((start ? "##" : "") + join(chars, start, end))) --end;
        if (end == start) {
          expected = {"[UNK]"};
          break;
        }
        expected.push_back((start ? "##" : "") + join(chars, start, end));
        start = end;
      }
      const std::string word = join(chars, 0, chars.size());
      ASSERT_EQ(words(t, word), expected) << word;
    }
  }
}

TEST(Tokenizer, WordsOverHundredCodePointsAreUnknown) {
  Tokenizer t = make();
  EXPECT_EQ(words(t, std::string(100, 'a')).size(), 100u);
  EXPECT_EQ(words(t, std::string(101, 'a')), (V{"[UNK]"}));
  // Counted after normalization, in code points: é (2 bytes) x 60 = 120 bytes -> 60 x "a".
  std::string accented;
  for (int i = 0; i < 60; ++i) accented += "\xC3\xA1";
  EXPECT_EQ(words(t, accented).size(), 60u);
  accented.clear();
  for (int i = 0; i < 101; ++i) accented += "\xC3\xA1";
  EXPECT_EQ(words(t, accented), (V{"[UNK]"}));
}

TEST(Tokenizer, AccentsAreStrippedComposedOrNot) {
  Tokenizer t = make();
  EXPECT_EQ(words(t, "Caf\xC3\xA9 NA\xC3\x8FVE"), (V{"cafe", "naive"}));
  EXPECT_EQ(words(t, "Cafe\xCC\x81"), (V{"cafe"}));                // e + U+0301
  EXPECT_EQ(words(t, "a\xCC\x81\xCC\x82\xCC\xA3"), (V{"a"}));       // stacked marks
  EXPECT_EQ(words(t, "\xCC\x81"), V{});                             // a lone mark vanishes
  // strip_accents false keeps them (and the word is then unknown).
  EXPECT_EQ(words(make(R"({"strip_accents": false})"), "caf\xC3\xA9"), (V{"[UNK]"}));
}

TEST(Tokenizer, CapitalSigmaAlwaysLowercasesToSigma) {
  // Rust lowercases per character; tokenizers.js would apply Final_Sigma and give οδος.
  EXPECT_EQ(words(make(), "\xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3"), (V{"\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x83"}));
}

TEST(Tokenizer, DottedCapitalI) {
  // U+0130 lowercases to i + U+0307; with accent stripping only "i" remains.
  EXPECT_EQ(words(make(), "\xC4\xB0"), (V{"i"}));
  EXPECT_EQ(words(make(R"({"strip_accents": false})"), "\xC4\xB0"), (V{"i", "##\xCC\x87"}));
  // Without lowercasing it stays as is (and is unknown here).
  EXPECT_EQ(words(make(R"({"do_lower_case": false})"), "\xC4\xB0"), (V{"[UNK]"}));
}

TEST(Tokenizer, CjkIdeographsAreSpacedIncludingAstral) {
  Tokenizer t = make();
  EXPECT_EQ(words(t, "ab\xE4\xB8\xAD\xE6\x96\x87x"), (V{"ab", "\xE4\xB8\xAD", "\xE6\x96\x87", "x"}));
  EXPECT_EQ(words(t, "a\xF0\xA0\x80\x80" "b"), (V{"a", "\xF0\xA0\x80\x80", "b"}));  // U+20000
  EXPECT_EQ(words(t, "a\xF0\xAB\xA4\xA0" "b"), (V{"a", "\xF0\xAB\xA4\xA0", "b"}));  // U+2B920
  // U+2B820..U+2B91F fall outside Rust's ranges: not spaced, so "aXb" is one unknown word.
  EXPECT_EQ(words(t, "a\xF0\xAB\xA0\xA0" "b"), (V{"[UNK]"}));
  EXPECT_EQ(words(make(R"({"tokenize_chinese_chars": false})"), "ab\xE4\xB8\xAD"), (V{"[UNK]"}));
}

TEST(Tokenizer, ControlAndFormatCharactersAreRemoved) {
  Tokenizer t = make();
  EXPECT_EQ(words(t, std::string("a\0b\x01" "c", 5)), (V{"abc"}));
  EXPECT_EQ(words(t, "a\x0b" "b\x0c" "c\x7f"), (V{"abc"}));                       // \v \f are Cc here
  EXPECT_EQ(words(t, "a\xC2\x85" "b"), (V{"ab"}));                                // U+0085
  EXPECT_EQ(words(t, "a\xE2\x80\x8B" "b\xE2\x80\x8D" "c\xEF\xBB\xBF"), (V{"abc"}));  // ZWSP ZWJ BOM
  EXPECT_EQ(words(t, "a\xEE\x80\x80" "b\xEF\xBF\xBD" "c"), (V{"abc"}));           // private use, U+FFFD
  EXPECT_EQ(words(t, "a\tb\nc\rd"), (V{"a", "b", "c", "d"}));
}

TEST(Tokenizer, UnicodeWhitespaceSplits) {
  Tokenizer t = make();
  EXPECT_EQ(words(t, "a\xC2\xA0" "b\xE3\x80\x80" "c\xE2\x80\x83" "d\xE2\x80\xA8x"), (V{"a", "b", "c", "d", "x"}));
  EXPECT_EQ(words(t, "   \t\n "), V{});
}

TEST(Tokenizer, PunctuationIsIsolated) {
  Tokenizer t = make();
  EXPECT_EQ(words(t, "a$b~c"), (V{"a", "$", "b", "~", "c"}));          // ASCII symbols count
  EXPECT_EQ(words(t, "a\xE2\x80\x94" "b"), (V{"a", "\xE2\x80\x94", "b"}));  // \p{Pd}
  EXPECT_EQ(words(t, "a\xC2\xA9"), (V{"a\xC2\xA9"}));                  // © is So: part of the word
  EXPECT_EQ(words(t, "hello..."), (V{"hello", ".", ".", "."}));
}

TEST(Tokenizer, EmojiAreOrdinaryCharacters) {
  Tokenizer t = make();
  EXPECT_EQ(words(t, "\xF0\x9F\x98\x80 hello"), (V{"\xF0\x9F\x98\x80", "hello"}));
  EXPECT_EQ(words(t, "a\xF0\x9F\x98\x80"), (V{"[UNK]"}));  // no ##😀 in the vocabulary
}

TEST(Tokenizer, SpecialTokensInTextAreKeptWhole) {
  Tokenizer t = make();
  EXPECT_EQ(words(t, "[CLS]hello[SEP]x[MASK][PAD]"), (V{"[CLS]", "hello", "[SEP]", "x", "[MASK]", "[PAD]"}));
  EXPECT_EQ(t.encode("[UNK]").ids, (std::vector<int32_t>{2, 1, 3}));
  // Matching is case-sensitive and happens before normalization.
  EXPECT_EQ(words(t, "[cls]"), (V{"[", "[UNK]", "]"}));
  EXPECT_EQ(words(t, "[[SEP]]"), (V{"[", "[SEP]", "]"}));
}

TEST(Tokenizer, EmptyTextAndEmptyPair) {
  Tokenizer t = make();
  EXPECT_EQ(t.encode("").tokens, (V{"[CLS]", "[SEP]"}));
  // An empty pair is still a pair, as in Rust (tokenizers.js would drop it).
  Encoding e = t.encode("", std::string_view(""));
  EXPECT_EQ(e.tokens, (V{"[CLS]", "[SEP]", "[SEP]"}));
  EXPECT_EQ(e.type_ids, (std::vector<int32_t>{0, 0, 1}));
}

TEST(Tokenizer, PairTypeIds) {
  Encoding e = make().encode("hello", std::string_view("world ."));
  EXPECT_EQ(e.tokens, (V{"[CLS]", "hello", "[SEP]", "world", ".", "[SEP]"}));
  EXPECT_EQ(e.type_ids, (std::vector<int32_t>{0, 0, 0, 1, 1, 1}));
}

TEST(Tokenizer, SingleTruncationKeepsTheStart) {
  Tokenizer t = make();
  Encoding e = t.encode("a b c d x y", std::nullopt, 5);
  EXPECT_EQ(e.tokens, (V{"[CLS]", "a", "b", "c", "[SEP]"}));
  EXPECT_EQ(t.encode_ids("a b c d x y", 5), e.ids);
  EXPECT_EQ(t.encode("a b", std::nullopt, 2).tokens, (V{"[CLS]", "[SEP]"}));
  EXPECT_EQ(t.encode("a b", std::nullopt, 0).tokens.size(), 4u);  // 0: no truncation
  EXPECT_THROW(t.encode("a", std::nullopt, 1), Error);
  EXPECT_THROW(t.encode("a", std::string_view("b"), 2), Error);
}

TEST(Tokenizer, PairTruncationIsRustLongestFirst) {
  // The table of Rust's truncate_encodings_longest_first test: max 7 (+3 special tokens).
  struct Case { int a, b, want_a, want_b; };
  const Case cases[] = {{0, 0, 0, 0}, {0, 2, 0, 2}, {0, 4, 0, 4}, {0, 8, 0, 7}, {2, 0, 2, 0}, {2, 2, 2, 2},
                        {2, 4, 2, 4}, {2, 8, 2, 5}, {4, 0, 4, 0}, {4, 2, 4, 2}, {4, 4, 3, 4}, {4, 8, 3, 4},
                        {8, 0, 7, 0}, {8, 2, 5, 2}, {8, 4, 4, 3}, {8, 8, 3, 4}};
  Tokenizer t = make();
  for (const Case& c : cases) {
    Encoding e = t.encode(repeat("a ", c.a), std::string_view(repeat("b ", c.b)), 10);
    std::vector<std::string> want{"[CLS]"};
    want.insert(want.end(), c.want_a, "a");
    want.push_back("[SEP]");
    want.insert(want.end(), c.want_b, "b");
    want.push_back("[SEP]");
    EXPECT_EQ(e.tokens, want) << c.a << " + " << c.b;
  }
}

TEST(Tokenizer, SanitizeUtf8ReplacesMaximalSubparts) {
  std::string s = "valid \xC3\xA9 \xF0\x9F\x98\x80";
  EXPECT_FALSE(sanitize_utf8(s));
  EXPECT_EQ(s, "valid \xC3\xA9 \xF0\x9F\x98\x80");
  // Expected strings are Python's bytes.decode("utf-8", "replace").
  const std::pair<std::string, std::string> cases[] = {
      {"a\xFF" "b", "a\xEF\xBF\xBD" "b"},
      {"\xE0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD"},                      // overlong: two subparts
      {"\xF0\x9F\x98", "\xEF\xBF\xBD"},                              // truncated emoji: one
      {"\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},      // surrogate: three
      {"\xF4\x90\x80\x80", repeat("\xEF\xBF\xBD", 4)},                 // above U+10FFFF: four
      {"\xC3", "\xEF\xBF\xBD"},
  };
  for (auto [in, want] : cases) {
    EXPECT_TRUE(sanitize_utf8(in));
    EXPECT_EQ(in, want);
  }
  // After sanitizing, U+FFFD is dropped by clean_text like any other invalid character.
  std::string text = "ab\xFF" "c";
  sanitize_utf8(text);
  EXPECT_EQ(words(make(), text), (V{"abc"}));
}

TEST(Tokenizer, IllFormedInputDoesNotCrash) {
  // encode's contract is valid UTF-8, but stray bytes must still give some encoding.
  Tokenizer t = make();
  EXPECT_EQ(words(t, "a\xFF" "b"), (V{"ab"}));
  EXPECT_EQ(words(t, "\xE4\xB8"), V{});
}

}  // namespace
}  // namespace bertft
