#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "baseline/recurrent_classifier.h"
#include "baseline/word_vocabulary.h"
#include "common/error.h"

namespace bertft {
namespace {

TEST(WordVocabulary, KeepsWordsByDocumentFrequencyThenCodePoint) {
  const std::vector<std::string_view> docs = {"the film the film", "The plot, a film!", "zoo plot the", "only once"};
  WordVocabulary words;
  words.fit(docs, /*min_df=*/2, /*max_size=*/10);
  // df: the 3, film 2, plot 2 (ties by code point); "a" is no token; once-only words are dropped.
  EXPECT_EQ(words.to_text(), "[PAD]\n[UNK]\nthe\nfilm\nplot\n");
  EXPECT_EQ(words.encode("Film noir: THE plot"), (std::vector<int32_t>{3, 1, 2, 4}));
  EXPECT_TRUE(words.encode("! a ?").empty());
  words.fit(docs, 2, /*max_size=*/1);
  EXPECT_EQ(words.to_text(), "[PAD]\n[UNK]\nthe\n");
  EXPECT_THROW(words.fit(docs, 4, 10), Error);
}

TEST(RecurrentConfig, ReadsItselfBackFromItsTensorShapes) {
  RecurrentConfig config;
  config.kind = RecurrentKind::BilstmAttention;
  config.vocab_size = 30;
  config.embedding_dim = 6;
  config.hidden_size = 5;
  config.num_layers = 2;
  config.attention_dim = 4;
  config.num_labels = 3;
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const RecurrentTensor& t : recurrent_tensors(config)) shapes[t.name] = t.shape;
  EXPECT_EQ(shapes.at("lstm.weight_ih_l1_reverse"), (std::vector<int64_t>{20, 10}));
  const RecurrentConfig read = recurrent_config_from_shapes(shapes, "m");
  EXPECT_EQ(read.kind, config.kind);
  EXPECT_EQ(read.num_layers, 2);
  EXPECT_EQ(read.attention_dim, 4);
  EXPECT_EQ(read.output_dim(), 10);

  auto misshapen = shapes;
  misshapen["lstm.weight_hh_l1"] = {20, 4};
  EXPECT_THROW(recurrent_config_from_shapes(misshapen, "m"), Error);
  auto extra = shapes;
  extra["lstm.weight_ih_l3"] = {20, 10};
  EXPECT_THROW(recurrent_config_from_shapes(extra, "m"), Error);
  auto missing = shapes;
  missing.erase("attention.score.weight");
  EXPECT_THROW(recurrent_config_from_shapes(missing, "m"), Error);
}

}  // namespace
}  // namespace bertft
