#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/io.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/wordpiece_trainer.h"

namespace bertft {
namespace {

std::vector<std::string> train(const std::vector<std::string>& texts, WordPieceTrainerOptions options) {
  std::vector<std::string_view> views(texts.begin(), texts.end());
  return train_wordpiece(count_words(views, options), options).tokens;
}

std::string repeat(const std::string& word, int n) {
  std::string out;
  for (int i = 0; i < n; i++) out += word + " ";
  return out;
}

// The text of the classic BPE example: hug x10, pug x5, pun x12, bun x4, hugs x5.
std::vector<std::string> hug_corpus() {
  return {repeat("hug", 10) + repeat("pug", 5), repeat("Pun", 12), repeat("bun", 4) + repeat("HUGS", 5)};
}

const std::vector<std::string> kSpecials = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};

std::vector<std::string> with_specials(std::vector<std::string> rest) {
  std::vector<std::string> out = kSpecials;
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

// Worked out by hand. Alphabet b g h n p s u (ids 5-11); prefixed characters by first use over the
// words in byte order (bun hug hugs pug pun): ##u 12, ##n 13, ##g 14, ##s 15. Pair counts:
// (##u,##g) 20, (p,##u) 17, (##u,##n) 16, (h,##u) 15, (##g,##s) 5, (b,##u) 4. Merges:
//   ##u ##g -> ##ug (20); ##u ##n -> ##un (16, (p,##u) fell to 12); h ##ug -> hug (15);
//   p ##un -> pun (12); then a tie at 5 between (p,##ug) = (9,16) and (hug,##s) = (18,15):
//   the lower pair first -> pug, hugs; last b ##un -> bun (4).
TEST(WordPieceTrainer, MergeOrderWorkedByHand) {
  WordPieceTrainerOptions o;
  o.vocab_size = 100;
  o.min_frequency = 1;
  const std::vector<std::string> all = with_specials({"b", "g", "h", "n", "p", "s", "u", "##u", "##n", "##g", "##s",
                                                      "##ug", "##un", "hug", "pun", "pug", "hugs", "bun"});
  EXPECT_EQ(train(hug_corpus(), o), all);
  // The size counts every token and stops the merges exactly there.
  o.vocab_size = 20;
  EXPECT_EQ(train(hug_corpus(), o), std::vector<std::string>(all.begin(), all.begin() + 20));
  // min_frequency: (b,##un) occurs 4 times.
  o.vocab_size = 100;
  o.min_frequency = 5;
  EXPECT_EQ(train(hug_corpus(), o), std::vector<std::string>(all.begin(), all.end() - 1));
  // The special tokens and the alphabet are kept even past the size.
  o.vocab_size = 3;
  EXPECT_EQ(train(hug_corpus(), o).size(), 16u);
}

TEST(WordPieceTrainer, RepeatedCharactersCountExactly) {
  // a ##a ##a ##a: (##a,##a) occurs twice but merges once (left to right), leaving a ##aa ##a; then
  // the tie (a,##aa) = (5,7) before (##aa,##a) = (7,6).
  WordPieceTrainerOptions o;
  o.min_frequency = 1;
  EXPECT_EQ(train({"aaaa"}, o), with_specials({"a", "##a", "##aa", "aaa", "aaaa"}));
  // Overlapping windows all count, as in HF: (##a,##a) starts at 2 and passes min_frequency 2;
  // after it every pair occurs once.
  o.min_frequency = 2;
  EXPECT_EQ(train({"aaaa"}, o), with_specials({"a", "##a", "##aa"}));
}

TEST(WordPieceTrainer, NormalizesAndSplitsLikeBertTokenizer) {
  WordPieceTrainerOptions o;
  const std::vector<std::string> texts = {"Héllo, HELLO! 中文 don't\tstop\x01."};
  const WordCounts counts = count_words({texts[0]}, o);
  std::vector<std::pair<std::string, uint64_t>> expected = {
      {"!", 1}, {"'", 1}, {",", 1}, {".", 1}, {"don", 1}, {"hello", 2}, {"stop", 1}, {"t", 1},
      {"中", 1}, {"文", 1}};
  EXPECT_EQ(counts.words, expected);
  EXPECT_EQ(counts.total, 11u);
  o.lowercase = false;
  const WordCounts cased = count_words({texts[0]}, o);
  EXPECT_EQ(cased.words[4].first, "HELLO");
  EXPECT_EQ(cased.words[5].first, "Héllo");
}

TEST(WordPieceTrainer, AlphabetLimitDropsRareCharacters) {
  // x occurs twice, z once: with 3 characters kept (a, b, x), z disappears from "azb", leaving
  // a ##b, as HF's trainer does (it prefixes by position, so b keeps its "##").
  WordPieceTrainerOptions o;
  o.min_frequency = 1;
  o.limit_alphabet = 3;
  const std::vector<std::string> tokens = train({"ab ab ab xa xa azb"}, o);
  EXPECT_EQ(std::vector<std::string>(tokens.begin() + 5, tokens.begin() + 8), (std::vector<std::string>{"a", "b", "x"}));
  EXPECT_EQ(std::find(tokens.begin(), tokens.end(), "z"), tokens.end());
  EXPECT_EQ(std::find(tokens.begin(), tokens.end(), "##z"), tokens.end());
  EXPECT_NE(std::find(tokens.begin(), tokens.end(), "ab"), tokens.end());
}

TEST(WordPieceTrainer, DeterministicAcrossThreadsAndLoadsAsBertTokenizer) {
  std::vector<std::string> texts;
  for (int i = 0; i < 300; i++)
    texts.push_back("Review " + std::to_string(i) + ": the movie was " + (i % 3 ? "wonderful" : "terrible") +
                    ", really (" + std::to_string(i * 7919 % 1000) + "/10) naïve acting; unbelievable!");
  WordPieceTrainerOptions o;
  o.vocab_size = 150;
  o.threads = 1;
  const std::vector<std::string> one = train(texts, o);
  o.threads = 2;
  EXPECT_EQ(train(texts, o), one);
  EXPECT_EQ(one.size(), 150u);

  const std::string json = wordpiece_tokenizer_json(one, o);
  std::string vocab_txt;
  for (const std::string& t : one) vocab_txt += t + "\n";
  const std::string config = wordpiece_tokenizer_config(o);
  const Tokenizer from_json = Tokenizer::from_tokenizer_json(json, "tokenizer.json", config);
  const Tokenizer from_txt = Tokenizer::from_vocab_txt(vocab_txt, "vocab.txt", config);
  EXPECT_EQ(from_json.vocab_size(), 150u);
  EXPECT_EQ(from_json.model_max_length(), 512u);
  EXPECT_EQ(from_json.token_to_id("[CLS]"), 2);
  EXPECT_EQ(from_json.pad_id(), 0);
  EXPECT_EQ(from_json.unk_id(), 1);
  for (const std::string& text : texts) {
    const Encoding a = from_json.encode(text);
    EXPECT_EQ(a.ids, from_txt.encode(text).ids);
    // Every character of the corpus is in the alphabet, so no word of it is unknown.
    EXPECT_EQ(std::count(a.ids.begin(), a.ids.end(), 1), 0) << text;
    EXPECT_EQ(a.tokens.front(), "[CLS]");
    EXPECT_EQ(a.tokens.back(), "[SEP]");
  }
  // A character never seen is.
  EXPECT_EQ(from_json.encode("qj").tokens[1], "[UNK]");
  // The JSON is the shape of bert-base-uncased's.
  const nlohmann::json parsed = nlohmann::json::parse(json);
  EXPECT_EQ(parsed["model"]["vocab"].size(), 150u);
  EXPECT_EQ(parsed["model"]["vocab"]["[MASK]"], 4);
  EXPECT_EQ(parsed["post_processor"]["special_tokens"]["[SEP]"]["ids"][0], 3);
  EXPECT_EQ(parsed["normalizer"]["lowercase"], true);
  EXPECT_EQ(nlohmann::json::parse(config)["do_lower_case"], true);
}

TEST(WordPieceTrainer, WritesTheDirectoryAtomically) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("bertft_vocab_test_" + std::to_string(getpid())) / "out";
  WordPieceTrainerOptions o;
  o.min_frequency = 1;
  const std::vector<std::string> tokens = train(hug_corpus(), o);
  write_wordpiece_tokenizer(dir.string(), tokens, o);
  const Tokenizer t = Tokenizer::from_dir(dir.string());
  EXPECT_EQ(t.encode("hugs pun bug").tokens,
            (std::vector<std::string>{"[CLS]", "hugs", "pun", "b", "##ug", "[SEP]"}));
  EXPECT_EQ(read_file((dir / "vocab.txt").string()).substr(0, 6), "[PAD]\n");
  std::filesystem::remove_all(dir.parent_path());
  EXPECT_THROW(train_wordpiece(WordCounts{}, WordPieceTrainerOptions{0}), Error);
}

}  // namespace
}  // namespace bertft
