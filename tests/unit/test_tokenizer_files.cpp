// Tokenizer files: tokenizer.json vs vocab.txt + tokenizer_config.json, model directories, and the
// one-line errors for bad files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/error.h"
#include "test_util.h"
#include "tokenizer/tokenizer.h"

namespace bertft {
namespace {

using V = std::vector<std::string>;

const std::string kVocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\n##s\n,\ncafe\n";

// The same tokenizer as kVocab in tokenizer.json form (as transformers writes it), with
// `normalizer`, `post_processor` and `added` spliced in.
std::string tokenizer_json(const std::string& normalizer = R"({"type": "BertNormalizer", "clean_text": true,
      "handle_chinese_chars": true, "strip_accents": null, "lowercase": true})",
                           const std::string& post_processor = R"({"type": "TemplateProcessing",
      "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
      "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
               {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
               {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
      "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
                         "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}}})",
                           const std::string& added = "") {
  std::string specials;
  const char* names[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  for (int i = 0; i < 5; ++i)
    specials += std::string(i ? "," : "") + R"({"id": )" + std::to_string(i) + R"(, "content": ")" + names[i] +
                R"(", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true})";
  return R"({"version": "1.0", "truncation": null, "padding": null,
    "added_tokens": [)" + specials + added + R"(],
    "normalizer": )" + normalizer + R"(,
    "pre_tokenizer": {"type": "BertPreTokenizer"},
    "post_processor": )" + post_processor + R"(,
    "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
    "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
      "max_input_chars_per_word": 100, "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4,
      "hello": 5, "world": 6, "##s": 7, ",": 8, "cafe": 9}}})";
}

TEST(TokenizerFiles, TokenizerJsonAndVocabTxtAgree) {
  Tokenizer a = Tokenizer::from_tokenizer_json(tokenizer_json(), "tokenizer.json");
  Tokenizer b = Tokenizer::from_vocab_txt(kVocab, "vocab.txt");
  for (const char* text : {"Hello, worlds! [MASK] CAFÉ", "", "[SEP][CLS]x"}) {
    Encoding ea = a.encode(text, std::string_view("world"));
    Encoding eb = b.encode(text, std::string_view("world"));
    EXPECT_EQ(ea.ids, eb.ids) << text;
    EXPECT_EQ(ea.type_ids, eb.type_ids) << text;
    EXPECT_EQ(ea.tokens, eb.tokens) << text;
  }
  EXPECT_EQ(a.vocab_size(), 10u);
  EXPECT_EQ(b.vocab_size(), 10u);
  EXPECT_EQ(a.num_special_tokens(false), 2u);
  EXPECT_EQ(a.num_special_tokens(true), 3u);
}

TEST(TokenizerFiles, NormalizerFlags) {
  auto tokens = [](const std::string& normalizer, const char* text) {
    return Tokenizer::from_tokenizer_json(tokenizer_json(normalizer), "t.json").encode(text).tokens;
  };
  EXPECT_EQ(tokens(R"({"type": "BertNormalizer", "lowercase": false})", "Hello hello"),
            (V{"[CLS]", "[UNK]", "hello", "[SEP]"}));
  EXPECT_EQ(tokens(R"({"type": "BertNormalizer", "lowercase": false, "strip_accents": true})", "cafe\xCC\x81"),
            (V{"[CLS]", "cafe", "[SEP]"}));
  EXPECT_EQ(tokens(R"({"type": "BertNormalizer", "strip_accents": false})", "caf\xC3\xA9"),
            (V{"[CLS]", "[UNK]", "[SEP]"}));
  // Without clean_text, control characters stay in words and U+000B is whitespace.
  EXPECT_EQ(tokens(R"({"type": "BertNormalizer", "clean_text": false})", "hel\x01lo world\x0bworld"),
            (V{"[CLS]", "[UNK]", "world", "world", "[SEP]"}));
  EXPECT_EQ(tokens("null", "Hello hello"), (V{"[CLS]", "[UNK]", "hello", "[SEP]"}));
}

TEST(TokenizerFiles, BertProcessingAndNoPostProcessor) {
  Tokenizer t = Tokenizer::from_tokenizer_json(
      tokenizer_json(R"({"type": "BertNormalizer"})", R"({"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]})"),
      "t.json");
  Encoding e = t.encode("hello", std::string_view("world"));
  EXPECT_EQ(e.tokens, (V{"[CLS]", "hello", "[SEP]", "world", "[SEP]"}));
  EXPECT_EQ(e.type_ids, (std::vector<int32_t>{0, 0, 0, 1, 1}));
  Tokenizer bare = Tokenizer::from_tokenizer_json(tokenizer_json(R"({"type": "BertNormalizer"})", "null"), "t.json");
  EXPECT_EQ(bare.encode("hello", std::string_view("world")).tokens, (V{"hello", "world"}));
  EXPECT_EQ(bare.encode("hello", std::nullopt, 1).tokens, (V{"hello"}));
}

TEST(TokenizerFiles, AddedTokensLeftmostLongestNormalizedAndSingleWord) {
  std::string added = R"(,
    {"id": 10, "content": "[MASK]x", "special": true, "normalized": false},
    {"id": 11, "content": "Hello World", "special": false, "normalized": true},
    {"id": 12, "content": "ss", "special": false, "normalized": false, "single_word": true})";
  Tokenizer t = Tokenizer::from_tokenizer_json(tokenizer_json(R"({"type": "BertNormalizer"})", R"({"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]})", added),
      "t.json");
  auto words = [&](const char* text) {
    V v = t.encode(text).tokens;
    return V(v.begin() + 1, v.end() - 1);
  };
  EXPECT_EQ(words("[MASK]x [MASK]"), (V{"[MASK]x", "[MASK]"}));  // longest match wins
  EXPECT_EQ(words("HELLO   world, hello world"), (V{"hello", "world", ",", "Hello World"}));  // normalized form
  EXPECT_EQ(words("ss hello,ss"), (V{"ss", "hello", ",", "ss"}));
  EXPECT_EQ(words("hellos"), (V{"hello", "##s"}));
  EXPECT_EQ(words("helloss"), (V{"hello", "##s", "##s"}));  // inside a word: single_word rejects it
  EXPECT_EQ(t.token_to_id("Hello World"), 11);
  EXPECT_EQ(t.vocab_size(), 13u);
}

TEST(TokenizerFiles, TokenizerConfigForVocabTxt) {
  std::string vocab = "<pad>\n<unk>\n<s>\n</s>\nhello\nHello\n<extra>\n";
  Tokenizer t = Tokenizer::from_vocab_txt(vocab, "vocab.txt", R"({
      "do_lower_case": false, "unk_token": "<unk>", "pad_token": {"content": "<pad>", "__type": "AddedToken"},
      "cls_token": "<s>", "sep_token": "</s>", "mask_token": null, "model_max_length": 128,
      "additional_special_tokens": ["<extra>"]})");
  EXPECT_EQ(t.encode("Hello hello HELLO<extra>").tokens, (V{"<s>", "Hello", "hello", "<unk>", "<extra>", "</s>"}));
  EXPECT_EQ(t.pad_id(), 0);
  EXPECT_EQ(t.model_max_length(), 128u);
  // transformers' "no limit" sentinel, int(1e30), means unknown.
  EXPECT_EQ(Tokenizer::from_vocab_txt(kVocab, "v", R"({"model_max_length": 1000000000000000019884624838656})")
                .model_max_length(),
            0u);
}

class TokenizerDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("bertft-tok-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name, std::ios::binary) << text; }
  std::string dir() const { return dir_.string(); }
  std::filesystem::path dir_;
};

TEST_F(TokenizerDir, PrefersTokenizerJsonAndCapsMaxLength) {
  write("vocab.txt", kVocab);
  write("tokenizer_config.json", R"({"model_max_length": 512})");
  EXPECT_EQ(Tokenizer::from_dir(dir()).model_max_length(), 512u);
  write("config.json", R"({"max_position_embeddings": 64, "hidden_size": 8})");
  EXPECT_EQ(Tokenizer::from_dir(dir()).model_max_length(), 64u);
  // tokenizer.json wins over vocab.txt: a broken one proves it is read.
  write("tokenizer.json", "{");
  EXPECT_ERROR(Tokenizer::from_dir(dir()), "tokenizer.json: invalid JSON");
  write("tokenizer.json", tokenizer_json());
  EXPECT_EQ(Tokenizer::from_dir(dir()).encode("hello").tokens, (V{"[CLS]", "hello", "[SEP]"}));
  write("config.json", R"({"max_position_embeddings": "many"})");
  EXPECT_ERROR(Tokenizer::from_dir(dir()), "config.json: max_position_embeddings: expected an integer");
}

TEST_F(TokenizerDir, MissingFiles) {
  EXPECT_ERROR(Tokenizer::from_dir(dir()), "no tokenizer.json, vocab.txt or vocab.json + merges.txt");
  EXPECT_ERROR(Tokenizer::from_dir(dir() + "/nope"), "/nope: not a model directory (it does not exist or is not a directory)");
}

TEST(TokenizerFiles, DefaultConstructedTokenizerThrows) {
  Tokenizer t;
  EXPECT_ERROR(t.encode("a"), "used before loading");
  t = Tokenizer::from_vocab_txt(kVocab, "vocab.txt");
  EXPECT_EQ(t.encode("hello").tokens, (V{"[CLS]", "hello", "[SEP]"}));
}

TEST(TokenizerFiles, VocabTxtErrors) {
  auto load = [](const std::string& vocab, const std::string& config = "") {
    return Tokenizer::from_vocab_txt(vocab, "m/vocab.txt", config);
  };
  EXPECT_ERROR(load(kVocab + "hello\n"), "m/vocab.txt:11: duplicate token 'hello' (first on line 6)");
  EXPECT_ERROR(load("\n" + kVocab + "\n"), "m/vocab.txt:12: duplicate token '' (first on line 1)");
  EXPECT_ERROR(load("[PAD]\r\n[UNK]\r\n"), "m/vocab.txt:1: token ends in \\r");
  EXPECT_ERROR(load(kVocab + "caf\xE9\n"), "m/vocab.txt:11: invalid UTF-8");
  EXPECT_ERROR(load(""), "m/vocab.txt: empty vocabulary");
  EXPECT_ERROR(load("[PAD]\n[CLS]\n[SEP]\n"), "m/vocab.txt: unk_token '[UNK]' is not in the vocabulary");
  EXPECT_ERROR(load("[PAD]\n[UNK]\n[CLS]\n[SEP]\n"), "mask_token '[MASK]' is not in the vocabulary");
  EXPECT_ERROR(load(kVocab, R"({"do_lower_case": "yes"})"), "tokenizer_config.json: do_lower_case: expected true or false, got string");
  EXPECT_ERROR(load(kVocab, R"({"model_max_length": -5})"), "tokenizer_config.json: model_max_length: must be a positive integer");
  EXPECT_ERROR(load(kVocab, R"({"sep_token": null})"), "sep_token is null");
  EXPECT_ERROR(load(kVocab, "[1, 2]"), "tokenizer_config.json: expected a JSON object");
  // Found by fuzzing: nlohmann reports number overflow as out_of_range, not parse_error.
  EXPECT_ERROR(load(kVocab, R"({"model_max_length": 2e22222222})"), "tokenizer_config.json: invalid JSON: number overflow");
  EXPECT_ERROR(load(kVocab, R"({"added_tokens_decoder": {"x": {"content": "a"}}})"),
               "added_tokens_decoder['x']: key must be a token id");
  // No trailing newline is fine; an empty line still takes an id, as in transformers.
  EXPECT_EQ(load(kVocab.substr(0, kVocab.size() - 1)).vocab_size(), 10u);
  Tokenizer blank = load("\n" + kVocab);
  EXPECT_EQ(blank.vocab_size(), 11u);
  EXPECT_EQ(blank.encode("hello").ids, (std::vector<int32_t>{3, 6, 4}));
}

TEST(TokenizerFiles, TokenizerJsonErrors) {
  auto load = [](const std::string& json) { return Tokenizer::from_tokenizer_json(json, "m/tokenizer.json"); };
  auto replace = test::replaced;
  const std::string good = tokenizer_json();
  EXPECT_ERROR(load("{\"model\": "), "m/tokenizer.json: invalid JSON: ");
  EXPECT_ERROR(load("[]"), "m/tokenizer.json: expected a JSON object");
  // Parsed as strictly as config.json and safetensors headers (common/json_input.h).
  EXPECT_ERROR(load(replace(good, R"("hello": 5)", R"("hello": 5, "hello": 5)")),
               "m/tokenizer.json: duplicate key 'hello'");
  EXPECT_ERROR(load(std::string("{}\0", 3)), "m/tokenizer.json: invalid JSON: NUL byte at line 1, column 3");
  EXPECT_ERROR(load("{}"), "m/tokenizer.json: model: expected an object, got nothing");
  EXPECT_ERROR(load(replace(good, R"("type": "WordPiece", "unk)", R"("type": "Unigram", "unk)")),
               "m/tokenizer.json: model.type: unsupported model type 'Unigram' (bertft supports WordPiece and BPE)");
  EXPECT_ERROR(load(replace(good, R"("hello": 5)", R"("hello": "5")")),
               "m/tokenizer.json: model.vocab['hello']: expected an integer, got string");
  EXPECT_ERROR(load(replace(good, R"("hello": 5)", R"("hello": -1)")), "model.vocab['hello']: must be at least 0");
  EXPECT_ERROR(load(replace(good, R"("hello": 5)", R"("hello": 6)")),
               "model.vocab['world']: id 6 is used by both 'hello' and 'world'");
  EXPECT_ERROR(load(replace(good, R"("unk_token": "[UNK]")", R"("unk_token": "<unk>")")),
               "model.unk_token: '<unk>' is not in model.vocab");
  EXPECT_ERROR(load(replace(good, R"("vocab": {)", R"("vocab": {}, "x": {)")), "model.vocab: empty vocabulary");
  EXPECT_ERROR(load(replace(good, R"("lowercase": true)", R"("lowercase": 1)")),
               "normalizer.lowercase: expected true or false, got number");
  EXPECT_ERROR(load(replace(good, R"("type": "BertNormalizer")", R"("type": "NFKC")")),
               "normalizer.type: unsupported normalizer 'NFKC'");
  EXPECT_ERROR(load(replace(good, R"({"type": "BertPreTokenizer"})", "null")),
               "pre_tokenizer: unsupported pre_tokenizer 'none'");
  EXPECT_ERROR(load(replace(good, R"("type": "TemplateProcessing")", R"("type": "Sequence")")),
               "post_processor.type: unsupported post_processor 'Sequence'");
  EXPECT_ERROR(load(replace(good, R"("ids": [2])", R"("ids": [99])")), "post_processor: special token id 99 has no token");
  EXPECT_ERROR(load(replace(good, R"({"id": "A", "type_id": 0})", R"({"id": "C", "type_id": 0})")),
               "post_processor.single[1].Sequence.id: expected \"A\" or \"B\"");
  EXPECT_ERROR(load(replace(good, R"("content": "[PAD]")", R"("content": 7)")),
               "added_tokens[0].content: expected a string, got number");
  EXPECT_ERROR(Tokenizer::from_tokenizer_json(good, "m/tokenizer.json", R"({"pad_token": "<pad>"})"),
               "m/tokenizer.json: pad token '<pad>' is neither in the vocabulary nor an added token");
}

// What a tokenizer file may ask for is bounded where it would cost time or memory per use: a word
// limit of 2^31-1 and a 4,000-byte token made one 20,000-character word take 15 s, and a single id
// of 4,000,000 reserved 4 million token slots.
TEST(TokenizerFiles, LimitsOnWordLengthTokenLengthAndIds) {
  auto load = [](const std::string& json) { return Tokenizer::from_tokenizer_json(json, "m/tokenizer.json"); };
  const std::string good = tokenizer_json();
  const std::string max_chars = R"("max_input_chars_per_word": 100)";
  EXPECT_ERROR(load(test::replaced(good, max_chars, R"("max_input_chars_per_word": 2147483647)")),
               "m/tokenizer.json: model.max_input_chars_per_word: must be at most 1000");
  EXPECT_EQ(load(test::replaced(good, max_chars, R"("max_input_chars_per_word": 1000)")).vocab_size(), 10u);

  const std::string longest = "##" + std::string(254, 'a');  // 256 bytes
  EXPECT_EQ(load(test::replaced(good, R"("cafe": 9)", R"("cafe": 9, ")" + longest + R"(": 10)")).vocab_size(), 11u);
  EXPECT_ERROR(load(test::replaced(good, R"("cafe": 9)", R"("cafe": 9, ")" + longest + R"(a": 10)")),
               "']: token of 257 bytes, more than bertft supports (256)");
  EXPECT_EQ(Tokenizer::from_vocab_txt(kVocab + longest + "\n", "m/vocab.txt").vocab_size(), 11u);
  EXPECT_ERROR(Tokenizer::from_vocab_txt(kVocab + longest + "a\n", "m/vocab.txt"),
               "m/vocab.txt:11: token of 257 bytes, more than bertft supports (256)");
  EXPECT_ERROR(Tokenizer::from_tokenizer_json(tokenizer_json(R"({"type": "BertNormalizer"})", "null",
                                                                 R"(, {"id": 10, "content": ")" + longest + R"(a"})"),
                                                  "m/tokenizer.json"),
               "m/tokenizer.json: added_tokens[5].content: 257 bytes, more than bertft supports (256)");

  // Ids stay below the number of tokens the file defines (10 in the vocabulary + 5 added).
  EXPECT_ERROR(load(test::replaced(good, R"("hello": 5)", R"("hello": 4000000)")),
               "m/tokenizer.json: model.vocab['hello']: id 4000000 is not below 15, the number of tokens in the file");
  EXPECT_ERROR(load(test::replaced(good, R"({"id": 4, "content": "[MASK]")", R"({"id": 15, "content": "[MASK]")")),
               "m/tokenizer.json: added_tokens[4].id: id 15 is not below 15");
  EXPECT_EQ(load(test::replaced(good, R"({"id": 4, "content": "[MASK]")", R"({"id": 14, "content": "[MASK]")")).vocab_size(),
            15u);
  EXPECT_ERROR(Tokenizer::from_vocab_txt(kVocab, "m/vocab.txt",
                                             R"({"added_tokens_decoder": {"4000000": {"content": "<x>"}}})"),
               "m/vocab.txt: added token id 4000000 is not below 11");
}

// WordPiece's longest-match search costs at most the longest token per piece: a word of n pieces
// costs O(n x longest token), where trying every candidate length with a fresh hash cost
// O(n x longest token^2). Quadrupling the longest token must not multiply the time by 16.
TEST(TokenizerFiles, WordPieceSearchIsLinearInTheLongestToken) {
  auto seconds_for_longest_token = [](size_t key_bytes) {
    // "a" then "##a" x 999: every piece first tries every length up to the long token's.
    const std::string long_token = "##" + std::string(key_bytes - 1, 'a') + "b";
    const Tokenizer t = Tokenizer::from_tokenizer_json(
        test::replaced(test::replaced(tokenizer_json(), R"("max_input_chars_per_word": 100)", R"("max_input_chars_per_word": 1000)"),
                 R"("cafe": 9)", R"("cafe": 9, "a": 10, "##a": 11, ")" + long_token + R"(": 12)"),
        "t.json");
    const std::string word(1000, 'a');
    EXPECT_EQ(t.encode_ids(word).size(), 1002u);
    return test::cpu_seconds([&] {
      for (int i = 0; i < 20; i++) t.encode_ids(word);
    }, 3);
  };
  const double short_token = seconds_for_longest_token(60), long_token = seconds_for_longest_token(240);
  EXPECT_LT(long_token / short_token, 8.0) << short_token << " s vs " << long_token << " s";
  EXPECT_LT(long_token, 0.5);
}

}  // namespace
}  // namespace bertft
