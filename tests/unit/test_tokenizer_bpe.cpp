// Byte-level BPE (RoBERTa): GPT-2's split pattern, the byte mapping, merges by rank, added tokens
// with lstrip, add_prefix_space, pairs and truncation, both file formats and their one-line errors.
// Expected values follow the Rust `tokenizers` library (src/tokenizer/tokenizer.h); the parity test
// (tests/integration/test_tokenizer_bpe_parity) checks roberta-base itself.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.h"
#include "temp_files.h"
#include "test_util.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"
#include "encoding/encoded_dataset.h"
#include "training/mlm_data.h"

namespace bertft {
namespace {

using V = std::vector<std::string>;
using Ids = std::vector<int32_t>;

V splits(std::string_view text) {
  V out;
  split_gpt2(text, [&](std::string_view s) { out.emplace_back(s); });
  return out;
}

// A byte-level BPE vocabulary small enough to reason about: RoBERTa's special tokens <s> <pad> </s>
// <unk> (0-3), one token per byte (4-259), the result of each merge ("left right", in byte-level
// form, Ġ for a space) in order, then <mask>.
struct TinyBpe {
  std::string vocab_json, merges_txt;
  int32_t mask_id = 0;
};

TinyBpe tiny_bpe(const V& merges) {
  nlohmann::ordered_json vocab = {{"<s>", 0}, {"<pad>", 1}, {"</s>", 2}, {"<unk>", 3}};
  for (int b = 0; b < 256; ++b) {
    std::string token;
    utf8::append(token, byte_to_char(static_cast<unsigned char>(b)));
    vocab[token] = 4 + b;
  }
  TinyBpe bpe{"", "#version: 0.2\n"};
  for (const std::string& merge : merges) {
    std::string merged = merge;
    merged.erase(merged.find(' '), 1);
    if (!vocab.contains(merged)) vocab[merged] = vocab.size();
    bpe.merges_txt += merge + "\n";
  }
  bpe.mask_id = static_cast<int32_t>(vocab.size());
  vocab["<mask>"] = bpe.mask_id;
  bpe.vocab_json = vocab.dump();
  return bpe;
}

Tokenizer load(const V& merges, const std::string& config = "") {
  const TinyBpe bpe = tiny_bpe(merges);
  return Tokenizer::from_vocab_json(bpe.vocab_json, "m/vocab.json", bpe.merges_txt, "m/merges.txt", config);
}

// The tokens between <s> and </s>.
V words(const Tokenizer& t, std::string_view text) {
  const Encoding e = t.encode(text);
  EXPECT_GE(e.tokens.size(), 2u);
  EXPECT_EQ(e.tokens.front(), "<s>");
  EXPECT_EQ(e.tokens.back(), "</s>");
  EXPECT_EQ(t.encode_ids(text), e.ids);
  return V(e.tokens.begin() + 1, e.tokens.end() - 1);
}

TEST(ByteLevel, SplitsLikeGpt2sPattern) {
  EXPECT_EQ(splits(""), V{});
  EXPECT_EQ(splits("Hello world!"), (V{"Hello", " world", "!"}));
  // A run of whitespace leaves its last character to what follows, unless the text ends there.
  EXPECT_EQ(splits("Hello  world   "), (V{"Hello", " ", " world", "   "}));
  EXPECT_EQ(splits("a\n\nb"), (V{"a", "\n", "\n", "b"}));
  EXPECT_EQ(splits(" \tb"), (V{" ", "\t", "b"}));  // only a space joins the next run
  EXPECT_EQ(splits("a \n"), (V{"a", " \n"}));
  EXPECT_EQ(splits("x\xE3\x80\x80y"), (V{"x", "\xE3\x80\x80", "y"}));         // U+3000 is whitespace
  EXPECT_EQ(splits("x \xC2\xA0y"), (V{"x", " ", "\xC2\xA0", "y"}));            // so is U+00A0
  EXPECT_EQ(splits("x!\xC2\x85 y"), (V{"x", "!", "\xC2\x85", " y"}));          // and U+0085 (not in JS)
  EXPECT_EQ(splits("x!\xEF\xBB\xBF y"), (V{"x", "!\xEF\xBB\xBF", " y"}));      // U+FEFF is not (it is in JS)
  // Contractions: lowercase, and only where a split starts.
  EXPECT_EQ(splits("it's we're I'll"), (V{"it", "'s", " we", "'re", " I", "'ll"}));
  EXPECT_EQ(splits("IT'S 'sup"), (V{"IT", "'", "S", " '", "sup"}));
  EXPECT_EQ(splits("x''ll !'s"), (V{"x", "''", "ll", " !'", "s"}));
  EXPECT_EQ(splits("'"), (V{"'"}));
  // Letters, numbers and everything else are separate runs; marks and emoji are "else".
  EXPECT_EQ(splits("abc123def 42 \xC2\xBD"), (V{"abc", "123", "def", " 42", " \xC2\xBD"}));  // ½ is \p{N}
  EXPECT_EQ(splits("e\xCC\x81t\xC3\xA9"), (V{"e", "\xCC\x81", "t\xC3\xA9"}));                 // e + U+0301, té
  EXPECT_EQ(splits("\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD!"), (V{"\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD!"}));  // 👍🏽!
  EXPECT_EQ(splits("\xE4\xB8\xAD\xE6\x96\x87 ok"), (V{"\xE4\xB8\xAD\xE6\x96\x87", " ok"}));     // 中文 are letters
}

TEST(ByteLevel, MapsEveryByteToOneCharacter) {
  EXPECT_EQ(byte_to_char('A'), U'A');
  EXPECT_EQ(byte_to_char('~'), U'~');
  EXPECT_EQ(byte_to_char(0xE9), U'\u00E9');
  EXPECT_EQ(byte_to_char(0), U'\u0100');
  EXPECT_EQ(byte_to_char('\n'), U'\u010A');  // Ċ
  EXPECT_EQ(byte_to_char(' '), U'\u0120');   // Ġ
  EXPECT_EQ(byte_to_char(0x7F), U'\u0121');
  EXPECT_EQ(byte_to_char(0xA0), U'\u0142');
  EXPECT_EQ(byte_to_char(0xAD), U'\u0143');
  std::vector<char32_t> all;
  for (int b = 0; b < 256; ++b) all.push_back(byte_to_char(static_cast<unsigned char>(b)));
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::unique(all.begin(), all.end()), all.end());
  std::string mapped;
  for (unsigned char b : std::string_view("\xE2\x80\x99")) utf8::append(mapped, byte_to_char(b));  // ’
  EXPECT_EQ(mapped, "\xC3\xA2\xC4\xA2\xC4\xBB");  // âĢĻ, as in GPT-2's vocabulary
  // A multi-byte character is one symbol per byte until merges join them.
  EXPECT_EQ(words(load({}), "\xC3\xA9"), (V{"\xC3\x83", "\xC2\xA9"}));  // é: Ã ©
  EXPECT_EQ(words(load({"\xC3\x83 \xC2\xA9"}), "\xC3\xA9"), (V{"\xC3\x83\xC2\xA9"}));
}

TEST(Bpe, MergesTheLowestRankFirstAndTheLeftmostAmongEquals) {
  EXPECT_EQ(words(load({"a b", "b c"}), "abc"), (V{"ab", "c"}));
  EXPECT_EQ(words(load({"b c", "a b"}), "abc"), (V{"a", "bc"}));
  EXPECT_EQ(words(load({"a a"}), "aaa"), (V{"aa", "a"}));
  EXPECT_EQ(words(load({"a a", "aa aa"}), "aaaaaaa"), (V{"aaaa", "aa", "a"}));
  // A merge makes new pairs with both neighbours; pairs it broke are never merged.
  EXPECT_EQ(words(load({"b c", "a bc", "bc d"}), "abcd"), (V{"abc", "d"}));
  EXPECT_EQ(words(load({"b c", "bc d", "a bc"}), "abcd"), (V{"a", "bcd"}));
  EXPECT_EQ(words(load({"c d", "b c", "a b"}), "abcd"), (V{"ab", "cd"}));
  // Words never merge across splits; the space is part of the word after it.
  EXPECT_EQ(words(load({"Ġ a", "Ġa b", "b Ġ"}), "ab ab"), (V{"a", "b", "Ġab"}));
  // A pair listed twice keeps its later rank, as in Rust.
  EXPECT_EQ(words(load({"b c", "a b", "b c"}), "abc"), (V{"ab", "c"}));
}

TEST(Bpe, MergeTimeGrowsNoFasterThanNLogN) {
  // Hostile single words: no space, so one split of n bytes, merged up to tokens of 256 x's.
  V merges;
  for (std::string token = "x"; token.size() < 256; token += token) merges.push_back(token + " " + token);
  const Tokenizer t = load(merges);
  auto seconds = [&](size_t n, int runs) {
    const std::string word(n, 'x');
    return test::cpu_seconds([&] {
      EXPECT_EQ(t.encode_ids(word).size(), 2 + n / 256 + static_cast<size_t>(std::popcount(n % 256)));
    }, runs);
  };
  // 16x the input: n log n costs ~20x (cache misses push it further on a busy machine), n^2 256x.
  const double small = seconds((1 << 14) - 1, 3), large = seconds((1 << 18) - 1, 3);
  EXPECT_LT(large / small, 80.0) << small << " s vs " << large << " s";
  EXPECT_LT(seconds((1 << 20) - 1, 1), 3.0);  // a 1 MB word
}

TEST(Bpe, PairsTruncationAndSpecialTokens) {
  const Tokenizer t = load({"a b"});
  Encoding e = t.encode("ab", std::string_view("ba"));
  EXPECT_EQ(e.tokens, (V{"<s>", "ab", "</s>", "</s>", "b", "a", "</s>"}));
  EXPECT_EQ(e.type_ids, Ids(7, 0));  // RoBERTa has one token type
  EXPECT_EQ(t.num_special_tokens(false), 2u);
  EXPECT_EQ(t.num_special_tokens(true), 4u);
  EXPECT_EQ(t.encode("ab", std::string_view("")).tokens, (V{"<s>", "ab", "</s>", "</s>", "</s>"}));
  EXPECT_EQ(t.encode("xyz", std::nullopt, 3).tokens, (V{"<s>", "x", "</s>"}));
  EXPECT_EQ(t.encode("xyz", std::nullopt, 3, TruncationSide::Left).tokens, (V{"<s>", "z", "</s>"}));
  EXPECT_EQ(t.encode_ids("xyz", 4), t.encode("xyz", std::nullopt, 4).ids);
  // Longest first: the longer sequence gives up tokens until both fit.
  EXPECT_EQ(t.encode("wxyz", std::string_view("q"), 7).tokens, (V{"<s>", "w", "x", "</s>", "</s>", "q", "</s>"}));
  EXPECT_ERROR(t.encode("x", std::string_view("y"), 3), "max_length 3 leaves no room for the 4 special tokens");
  EXPECT_EQ(t.sequence_start_id(), 0);
  EXPECT_EQ(t.sequence_end_id(), 2);
  EXPECT_EQ(t.pad_id(), 1);
  EXPECT_EQ(t.unk_id(), -1);
  EXPECT_EQ(t.mask_id(), tiny_bpe({"a b"}).mask_id);
  EXPECT_EQ(t.vocab_size(), static_cast<size_t>(t.mask_id()) + 1);
  EXPECT_TRUE(t.is_special(0) && t.is_special(t.mask_id()));
  EXPECT_FALSE(t.is_special(t.token_to_id("ab")));
  EXPECT_TRUE(t.continues_word(t.token_to_id("ab")));
  EXPECT_FALSE(t.continues_word(t.token_to_id("Ġ")));
  EXPECT_FALSE(t.continues_word(0));
}

TEST(Bpe, AddedTokensStripWhitespaceAsFlagged) {
  const Tokenizer t = load({"Ġ a"});
  // <mask> takes the whitespace before it (lstrip, as RobertaTokenizer sets it), never after it.
  EXPECT_EQ(words(t, "a <mask> a"), (V{"a", "<mask>", "Ġa"}));
  EXPECT_EQ(words(t, "a \t\n<mask>"), (V{"a", "<mask>"}));
  EXPECT_EQ(words(t, "a<mask>a"), (V{"a", "<mask>", "a"}));
  EXPECT_EQ(words(t, " <mask>"), (V{"<mask>"}));
  EXPECT_EQ(words(t, "<mask><mask> <mask>"), (V{"<mask>", "<mask>", "<mask>"}));
  EXPECT_EQ(words(t, "a\xC2\x85<mask>"), (V{"a", "<mask>"}));  // U+0085 is White_Space
  // <s> and </s> have no strip: the space stays with the next word.
  EXPECT_EQ(words(t, "<s> a</s>"), (V{"<s>", "Ġa", "</s>"}));
  // Flags from tokenizer_config.json: an AddedToken object, or added_tokens_decoder.
  const Tokenizer both = load({"Ġ a"}, R"({"mask_token": {"content": "<mask>", "lstrip": true, "rstrip": true}})");
  EXPECT_EQ(words(both, "a <mask> a"), (V{"a", "<mask>", "a"}));
  const TinyBpe bpe = tiny_bpe({"Ġ a"});
  const Tokenizer decoder = load({"Ġ a"}, R"({"added_tokens_decoder": {")" + std::to_string(bpe.mask_id) +
                                              R"(": {"content": "<mask>", "special": true, "lstrip": false}}})");
  EXPECT_EQ(words(decoder, "a <mask> a"), (V{"a", "Ġ", "<mask>", "Ġa"}));
}

TEST(Bpe, AddPrefixSpaceGivesEveryPieceALeadingSpace) {
  const Tokenizer t = load({"Ġ a"}, R"({"add_prefix_space": true})");
  EXPECT_EQ(words(t, "a a"), (V{"Ġa", "Ġa"}));
  EXPECT_EQ(words(t, " a"), (V{"Ġa"}));
  EXPECT_EQ(words(t, "<s>a"), (V{"<s>", "Ġa"}));  // the piece after an added token too
  EXPECT_EQ(words(t, ""), V{});
  EXPECT_EQ(words(t, "<s>"), (V{"<s>"}));
  EXPECT_EQ(words(load({"Ġ a"}), "a a"), (V{"a", "Ġa"}));
}

// The same tokenizer as tiny_bpe({"a b"}) in tokenizer.json form (as tokenizers writes roberta-base),
// with `model` and `pre_tokenizer` spliced in when given.
std::string tokenizer_json(const std::string& model_extra = "", const std::string& pre_tokenizer = "") {
  const TinyBpe bpe = tiny_bpe({"a b"});
  return R"({"version": "1.0", "truncation": null, "padding": null,
    "added_tokens": [
      {"id": 0, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": true, "special": true},
      {"id": 1, "content": "<pad>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": true, "special": true},
      {"id": 2, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": true, "special": true},
      {"id": 3, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": true, "special": true},
      {"id": )" + std::to_string(bpe.mask_id) + R"(, "content": "<mask>", "single_word": false, "lstrip": true, "rstrip": false, "normalized": true, "special": true}],
    "normalizer": null,
    "pre_tokenizer": )" + (pre_tokenizer.empty() ? R"({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true})" : pre_tokenizer) + R"(,
    "post_processor": {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0], "trim_offsets": true, "add_prefix_space": false},
    "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true},
    "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": "", "end_of_word_suffix": "",
      "fuse_unk": false)" + model_extra + R"(, "vocab": )" + bpe.vocab_json + R"(, "merges": ["a b"]}})";
}

TEST(BpeFiles, TokenizerJsonAndVocabJsonAgree) {
  const Tokenizer a = Tokenizer::from_tokenizer_json(tokenizer_json(), "m/tokenizer.json", R"({"model_max_length": 512})");
  const Tokenizer b = load({"a b"}, R"({"model_max_length": 512})");
  for (const char* text : {"ab ba <mask>!", "", "<s>x</s>", "\xF0\x9F\x98\x80 caf\xC3\xA9\n\n"}) {
    const Encoding ea = a.encode(text, std::string_view("ab")), eb = b.encode(text, std::string_view("ab"));
    EXPECT_EQ(ea.ids, eb.ids) << text;
    EXPECT_EQ(ea.type_ids, eb.type_ids) << text;
    EXPECT_EQ(ea.tokens, eb.tokens) << text;
  }
  EXPECT_EQ(a.vocab_size(), b.vocab_size());
  EXPECT_EQ(a.model_max_length(), 512u);
  EXPECT_EQ(a.mask_id(), b.mask_id());
  EXPECT_EQ(a.pad_id(), 1);  // RoBERTa's default pad token, <pad>
  // Newer tokenizers write merges as pairs.
  const Tokenizer pairs = Tokenizer::from_tokenizer_json(
      test::replaced(tokenizer_json(), R"("merges": ["a b"])", R"("merges": [["a", "b"]])"), "m/tokenizer.json");
  EXPECT_EQ(pairs.encode("ab").tokens, (V{"<s>", "ab", "</s>"}));
  // ByteLevel without the pattern: the whole piece is one word.
  const Tokenizer no_regex = Tokenizer::from_tokenizer_json(
      tokenizer_json("", R"({"type": "ByteLevel", "add_prefix_space": true, "use_regex": false})"), "m/tokenizer.json");
  EXPECT_EQ(no_regex.encode("ab ab").tokens, (V{"<s>", "Ġ", "ab", "Ġ", "ab", "</s>"}));
  // An unk token, fused or not, for bytes without a token.
  std::string without_z = test::replaced(tokenizer_json(R"(, "unk_token": "<unk>")"), R"("z":)", R"("zz":)");
  without_z = test::replaced(without_z, R"("unk_token": null, )", "");
  EXPECT_EQ(Tokenizer::from_tokenizer_json(without_z, "t.json").encode("azzb").tokens,
            (V{"<s>", "a", "<unk>", "<unk>", "b", "</s>"}));
  EXPECT_EQ(Tokenizer::from_tokenizer_json(test::replaced(without_z, R"("fuse_unk": false)", R"("fuse_unk": true)"), "t.json")
                .encode("azzb")
                .tokens,
            (V{"<s>", "a", "<unk>", "b", "</s>"}));
}

TEST(BpeFiles, UnnormalizedAddedTokensAreSplitOutFirst) {
  // As in Rust: unnormalized tokens come out of the text first, normalized ones (even without a
  // normalizer) out of what remains, so "xy" wins over the longer "xyz".
  const Tokenizer t = Tokenizer::from_tokenizer_json(
      test::replaced(tokenizer_json(), R"("added_tokens": [)", R"("added_tokens": [
        {"id": 262, "content": "xyz", "normalized": true, "special": false},
        {"id": 263, "content": "xy", "normalized": false, "special": false},)"),
      "m/tokenizer.json");
  EXPECT_EQ(t.encode("axyz xyz").tokens, (V{"<s>", "a", "xy", "z", "Ġ", "xy", "z", "</s>"}));
  EXPECT_EQ(t.encode("yz xyx").tokens, (V{"<s>", "y", "z", "Ġ", "xy", "x", "</s>"}));
  EXPECT_FALSE(t.is_special(262));
}

TEST(BpeFiles, MergesTxtErrorsNameTheLine) {
  const TinyBpe bpe = tiny_bpe({"a b"});
  auto load_merges = [&](const std::string& merges) {
    return Tokenizer::from_vocab_json(bpe.vocab_json, "m/vocab.json", merges, "m/merges.txt");
  };
  EXPECT_ERROR(load_merges("#version: 0.2\na b\na b c\n"), "m/merges.txt:3: expected two tokens separated by one space, got 'a b c'");
  EXPECT_ERROR(load_merges("a b\n\n"), "m/merges.txt:2: expected two tokens separated by one space, got ''");
  EXPECT_ERROR(load_merges("ab\n"), "m/merges.txt:1: expected two tokens separated by one space, got 'ab'");
  EXPECT_ERROR(load_merges("a  b\n"), "m/merges.txt:1: expected two tokens");
  EXPECT_ERROR(load_merges("a zz\n"), "m/merges.txt:1: 'zz' is not in the vocabulary");
  EXPECT_ERROR(load_merges("b a\n"), "m/merges.txt:1: the merged token 'ba' is not in the vocabulary");
  EXPECT_ERROR(load_merges("a \xE9\n"), "m/merges.txt:1: invalid UTF-8");
  // The #version line is optional, CRLF line ends and a last line without a newline are fine.
  for (const char* merges : {"a b\n", "#version: 0.2\r\na b\r\n", "a b", ""})
    EXPECT_EQ(load_merges(merges).encode("ab").tokens.size(), std::string(merges).find("a b") == std::string::npos ? 4u : 3u)
        << merges;
}

TEST(BpeFiles, VocabJsonErrors) {
  const std::string merges = "a b\n";
  auto load_vocab = [&](const std::string& vocab, const std::string& config = "") {
    return Tokenizer::from_vocab_json(vocab, "m/vocab.json", merges, "m/merges.txt", config);
  };
  const std::string good = tiny_bpe({"a b"}).vocab_json;
  EXPECT_ERROR(load_vocab("[\"a\", \"b\"]"), "m/vocab.json: expected a JSON object, got [\"a\",\"b\"]");
  EXPECT_ERROR(load_vocab("{\"a\": 1,"), "m/vocab.json: invalid JSON: ");
  EXPECT_ERROR(load_vocab("{}"), "m/vocab.json: empty vocabulary");
  EXPECT_ERROR(load_vocab(test::replaced(good, R"("ab":)", R"("ab":"x","xyz":)")), "m/vocab.json: ['ab']: expected an integer, got string");
  EXPECT_ERROR(load_vocab(test::replaced(good, R"("<s>":0)", R"("<s>":-1)")), "m/vocab.json: ['<s>']: must be at least 0");
  EXPECT_ERROR(load_vocab(test::replaced(good, R"("<s>":0)", R"("<s>":4000000)")),
               "m/vocab.json: ['<s>']: id 4000000 is not below 262, the number of tokens in the file");
  EXPECT_ERROR(load_vocab(test::replaced(good, R"("<pad>":1)", R"("<pad>":0)")), "m/vocab.json: ['<s>']: id 0 is used by both '<pad>' and '<s>'");
  EXPECT_ERROR(load_vocab(test::replaced(good, R"("<pad>":1)", R"("<s>":1)")), "m/vocab.json: duplicate key '<s>'");
  EXPECT_ERROR(load_vocab(test::replaced(good, R"("<mask>")", R"("<MASK>")")), "m/vocab.json: mask_token '<mask>' is not in the vocabulary");
  EXPECT_ERROR(load_vocab(good, R"({"cls_token": null})"), "m/vocab.json: cls_token is null in tokenizer_config.json");
  EXPECT_ERROR(load_vocab(good, R"({"add_prefix_space": "yes"})"), "tokenizer_config.json: add_prefix_space: expected true or false");
}

TEST(BpeFiles, TokenizerJsonErrors) {
  auto load_json = [](const std::string& json) { return Tokenizer::from_tokenizer_json(json, "m/tokenizer.json"); };
  const std::string good = tokenizer_json();
  EXPECT_ERROR(load_json(test::replaced(good, R"("merges": ["a b"])", R"("merges": ["a b c"])")),
               "m/tokenizer.json: model.merges[0]: expected two tokens separated by one space, got 'a b c'");
  EXPECT_ERROR(load_json(test::replaced(good, R"("merges": ["a b"])", R"("merges": [["a"]])")),
               "m/tokenizer.json: model.merges[0]: expected [left, right]");
  EXPECT_ERROR(load_json(test::replaced(good, R"("merges": ["a b"])", R"("merges": ["a qq"])")),
               "m/tokenizer.json: model.merges[0]: 'qq' is not in the vocabulary");
  EXPECT_ERROR(load_json(test::replaced(good, R"("dropout": null)", R"("dropout": 0.1)")), "model.dropout: unsupported: BPE dropout");
  EXPECT_EQ(load_json(test::replaced(good, R"("dropout": null)", R"("dropout": 0.0)")).encode("ab").tokens.size(), 3u);
  EXPECT_ERROR(load_json(tokenizer_json(R"(, "byte_fallback": true)")), "model.byte_fallback: unsupported: byte_fallback");
  EXPECT_ERROR(load_json(tokenizer_json(R"(, "ignore_merges": true)")), "model.ignore_merges: unsupported");
  EXPECT_ERROR(load_json(test::replaced(good, R"("end_of_word_suffix": "")", R"("end_of_word_suffix": "</w>")")),
               "model.end_of_word_suffix: unsupported");
  EXPECT_ERROR(load_json(test::replaced(good, R"("unk_token": null)", R"("unk_token": "<nope>")")),
               "model.unk_token: '<nope>' is not in model.vocab");
  EXPECT_ERROR(load_json(tokenizer_json("", R"({"type": "BertPreTokenizer"})")),
               "pre_tokenizer: unsupported pre_tokenizer 'BertPreTokenizer' for BPE");
  EXPECT_ERROR(load_json(tokenizer_json("", R"({"type": "ByteLevel"})")),
               "pre_tokenizer.add_prefix_space: expected true or false, got nothing");
  EXPECT_ERROR(load_json(test::replaced(good, R"("sep": ["</s>", 2])", R"("sep": ["</s>"])")), "post_processor.sep: expected [token, id]");
}

class BpeDir : public test::TempFilesTest {};

TEST_F(BpeDir, FromDirReadsVocabJsonAndMergesTxt) {
  const TinyBpe bpe = tiny_bpe({"a b"});
  write("m/vocab.json", bpe.vocab_json);
  EXPECT_ERROR(Tokenizer::from_dir((dir_ / "m").string()), "m: vocab.json but no merges.txt in this directory");
  write("m/merges.txt", bpe.merges_txt);
  const Tokenizer t = Tokenizer::from_dir((dir_ / "m").string());
  EXPECT_EQ(t.encode("ab").tokens, (V{"<s>", "ab", "</s>"}));
  EXPECT_EQ(t.origin(), (dir_ / "m" / "vocab.json").string());
  EXPECT_EQ(t.model_max_length(), 0u);
  // RoBERTa's positions start after pad_token_id: 514 embeddings take 512 tokens.
  write("m/config.json", R"({"model_type": "roberta", "max_position_embeddings": 514, "pad_token_id": 1})");
  EXPECT_EQ(Tokenizer::from_dir((dir_ / "m").string()).model_max_length(), 512u);
  write("m/config.json", R"({"model_type": "roberta", "max_position_embeddings": 2, "pad_token_id": 1})");
  EXPECT_ERROR(Tokenizer::from_dir((dir_ / "m").string()), "config.json: max_position_embeddings: leaves no position");
  write("m/config.json", R"({"model_type": "bert", "max_position_embeddings": 514, "pad_token_id": 1})");
  EXPECT_EQ(Tokenizer::from_dir((dir_ / "m").string()).model_max_length(), 514u);
}

// Masked-LM packing and head+tail / chunk windows put the tokenizer's own start and end tokens around
// content: <s> ... </s> for RoBERTa.
TEST(Bpe, MaskedLmAndWindowsUseItsSpecialTokens) {
  const Tokenizer t = load({"Ġ a"});
  const PackedCorpus corpus = pack_corpus(t, {{"a a a a a a", "d0"}, {"a a", "d1"}}, 5);
  ASSERT_GE(corpus.num_sequences(), 2);
  for (int64_t s = 0; s < corpus.num_sequences(); s++) {
    EXPECT_EQ(corpus.ids[corpus.offsets[s]], 0);
    EXPECT_EQ(corpus.ids[corpus.offsets[s + 1] - 1], 2);
  }
  const Masker masker(t, MaskingOptions{.mask_rate = 0.5, .whole_word = true, .seed = 1});
  Batch batch;
  MaskedTokens masked;
  masker.add(corpus, 0, 0, batch, masked);
  ASSERT_FALSE(masked.positions.empty());
  for (size_t i = 0; i < masked.positions.size(); i++) EXPECT_NE(masked.targets[i], 0) << "never a special token";

  bool truncated = false;
  const Truncation head_tail{.strategy = Truncation::Strategy::HeadTail, .head_tokens = 1};
  const TokenizedInput cut = encode_input(t, "a a a a a", std::nullopt, 4, head_tail, &truncated);
  EXPECT_TRUE(truncated);
  EXPECT_EQ(cut.ids.front(), 0);
  EXPECT_EQ(cut.ids.back(), 2);
  const Truncation chunks{.strategy = Truncation::Strategy::Chunks, .chunk_overlap = 1};
  for (const TokenizedInput& window : encode_windows(t, "a a a a a", std::nullopt, 4, chunks, &truncated)) {
    EXPECT_EQ(window.ids.size(), 4u);
    EXPECT_EQ(window.ids.front(), 0);
    EXPECT_EQ(window.ids.back(), 2);
  }
}

}  // namespace
}  // namespace bertft
