// --truncation head / head+tail / chunks on single texts and pairs.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/error.h"
#include "encoding/encoded_dataset.h"

namespace bertft {
namespace {

const Tokenizer& demo_tokenizer() {
  static const Tokenizer tokenizer = Tokenizer::from_dir(std::string(BERTFT_SOURCE_DIR) + "/models/demo");
  return tokenizer;
}

const Truncation kHeadTail10{Truncation::Strategy::HeadTail, 10};

std::string long_review() {
  std::string text = "an opening that promises much";
  for (int i = 0; i < 30; i++) text += " and then the middle part drags on";
  return text + " but the ending is truly wonderful";
}

TEST(Truncation, HeadTailKeepsTheStartAndTheEnd) {
  const Tokenizer& tok = demo_tokenizer();
  const std::vector<int32_t> full = tok.encode_ids(long_review());
  ASSERT_GT(full.size(), 64u);
  bool cut = false;
  const TokenizedInput got = encode_input(tok, long_review(), std::nullopt, 64, kHeadTail10, &cut);
  EXPECT_TRUE(cut);
  std::vector<int32_t> want(full.begin(), full.begin() + 11);  // [CLS] + 10 head tokens
  want.insert(want.end(), full.end() - 53, full.end());       // 52 tail tokens + [SEP]
  EXPECT_EQ(got.ids, want);
  EXPECT_EQ(got.type_ids, std::vector<int32_t>(64, 0));

  const TokenizedInput head = encode_input(tok, long_review(), std::nullopt, 64, {}, &cut);
  EXPECT_EQ(head.ids, tok.encode_ids(long_review(), 64));
  // More head tokens than fit: the same as head.
  EXPECT_EQ(encode_input(tok, long_review(), std::nullopt, 64, Truncation{Truncation::Strategy::HeadTail, 500}, &cut).ids, head.ids);
  // Short texts and pairs are untouched by the strategy.
  EXPECT_EQ(encode_input(tok, "short", std::nullopt, 64, kHeadTail10, &cut).ids, tok.encode_ids("short"));
  EXPECT_FALSE(cut);
  const TokenizedInput pair = encode_input(tok, long_review(), std::string_view("a pair"), 64, kHeadTail10, &cut);
  EXPECT_EQ(pair.ids, tok.encode(long_review(), std::string_view("a pair"), 64).ids);
  EXPECT_TRUE(cut);
}

TEST(Truncation, ChunksCoverTheWholeTextInOverlappingWindows) {
  const Tokenizer& tok = demo_tokenizer();
  const std::vector<int32_t> full = tok.encode_ids(long_review());
  const std::vector<int32_t> content(full.begin() + 1, full.end() - 1);
  const Truncation chunks{Truncation::Strategy::Chunks, 128, 10};
  bool cut = false;
  int32_t length = 0;
  const std::vector<TokenizedInput> windows = encode_windows(tok, long_review(), std::nullopt, 64, chunks, &cut, &length);
  EXPECT_TRUE(cut);
  EXPECT_EQ(length, static_cast<int32_t>(full.size()));
  // Windows of 62 content tokens starting every 52; the last one ends at the text's end.
  const size_t starts = (content.size() - 62 + 51) / 52 + 1;
  ASSERT_EQ(windows.size(), starts);
  for (size_t w = 0; w < windows.size(); w++) {
    const size_t start = std::min(w * 52, content.size() - 62);
    std::vector<int32_t> want = {full.front()};
    want.insert(want.end(), content.begin() + start, content.begin() + start + 62);
    want.push_back(full.back());
    EXPECT_EQ(windows[w].ids, want) << "window " << w;
    EXPECT_EQ(windows[w].type_ids, std::vector<int32_t>(64, 0));
  }
  // A text that fits, and pairs, give one input as head does.
  ASSERT_EQ(encode_windows(tok, "short", std::nullopt, 64, chunks, &cut).size(), 1u);
  EXPECT_FALSE(cut);
  const auto pair = encode_windows(tok, long_review(), std::string_view("a pair"), 64, chunks, &cut);
  ASSERT_EQ(pair.size(), 1u);
  EXPECT_EQ(pair[0].ids, tok.encode(long_review(), std::string_view("a pair"), 64).ids);
  // Exactly max_length tokens: one window, not cut.
  const std::vector<TokenizedInput> exact = encode_windows(tok, long_review(), std::nullopt,
                                                           static_cast<int>(full.size()), chunks, &cut);
  ASSERT_EQ(exact.size(), 1u);
  EXPECT_EQ(exact[0].ids, full);
  EXPECT_FALSE(cut);
  // The overlap must leave room to advance.
  EXPECT_THROW(encode_windows(tok, long_review(), std::nullopt, 12, chunks, &cut), Error);
}

TEST(Truncation, EncodeDatasetListsEachExamplesWindowsAndTrainingTakesThemAsExamples) {
  Dataset data;
  data.label_names = {"negative", "positive"};
  for (const auto& [text, label] : {std::pair<std::string, int>{"short", 0}, {long_review(), 1}, {"also short", 1}}) {
    data.examples.emplace_back();
    data.examples.back().text = text;
    data.examples.back().label = label;
  }
  const Truncation chunks{Truncation::Strategy::Chunks, 128, 10};
  const EncodedDataset encoded = encode_dataset(demo_tokenizer(), data, 64, chunks);
  bool cut = false;
  const size_t windows = encode_windows(demo_tokenizer(), long_review(), std::nullopt, 64, chunks, &cut).size();
  EXPECT_EQ(encoded.first_input, (std::vector<size_t>{0, 1, 1 + windows, 2 + windows}));
  EXPECT_EQ(encoded.inputs.size(), 2 + windows);
  EXPECT_EQ(encoded.labels, (std::vector<int32_t>{0, 1, 1}));
  EXPECT_EQ(encoded.truncated, 1);
  EXPECT_TRUE(encode_dataset(demo_tokenizer(), data, 64).first_input.empty());

  // Training takes each window as an example with its text's label.
  const EncodedDataset examples = windows_as_examples(encoded);
  EXPECT_TRUE(examples.first_input.empty());
  EXPECT_EQ(examples.inputs.size(), encoded.inputs.size());
  std::vector<int32_t> labels = {0};
  labels.insert(labels.end(), windows, 1);
  labels.push_back(1);
  EXPECT_EQ(examples.labels, labels);
  EXPECT_EQ(examples.lengths.size(), examples.inputs.size());
  EXPECT_EQ(examples.lengths[1], encoded.lengths[1]);
  EXPECT_TRUE(examples.targets.empty());

  // Soft labels: every example gets a row of targets (one-hot without probs), every window its text's.
  data.examples[1].probs = {0.3f, 0.7f};
  const EncodedDataset soft = windows_as_examples(encode_dataset(demo_tokenizer(), data, 64, chunks));
  std::vector<float> targets = {1.0f, 0.0f};
  for (size_t w = 0; w < windows; w++) targets.insert(targets.end(), {0.3f, 0.7f});
  targets.insert(targets.end(), {0.0f, 1.0f});
  EXPECT_EQ(soft.targets, targets);
}

TEST(Truncation, NamesAreChecked) {
  EXPECT_EQ(truncation_from_name("head+tail", 128).strategy, Truncation::Strategy::HeadTail);
  EXPECT_EQ(truncation_from_name("head", 128).strategy, Truncation::Strategy::Head);
  EXPECT_EQ(truncation_from_name("chunks", 128, 64).strategy, Truncation::Strategy::Chunks);
  EXPECT_THROW(truncation_from_name("middle", 128), Error);
  EXPECT_THROW(truncation_from_name("head+tail", -1), Error);
  EXPECT_THROW(truncation_from_name("chunks", 128, -1), Error);
  EXPECT_EQ(describe(truncation_from_name("chunks", 128, 64)), "chunks (64 tokens overlap)");
}

TEST(Truncation, HeadTailMustLeaveATail) {
  EXPECT_NO_THROW(check_truncation(Truncation{Truncation::Strategy::HeadTail, 125}, 128));
  EXPECT_THROW(check_truncation(Truncation{Truncation::Strategy::HeadTail, 126}, 128), Error);
  EXPECT_THROW(check_truncation(truncation_from_name("head+tail", 128), 128), Error);  // the default head
  EXPECT_NO_THROW(check_truncation(Truncation{Truncation::Strategy::Head, 500}, 128));
}

}  // namespace
}  // namespace bertft
