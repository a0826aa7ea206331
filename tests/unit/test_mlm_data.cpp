// Packing a corpus into masked-LM sequences, and BERT's masking.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"
#include "training/mlm_data.h"

namespace bertft {
namespace {

const Tokenizer& demo_tokenizer() {
  static const Tokenizer tokenizer = Tokenizer::from_dir(std::string(BERTFT_SOURCE_DIR) + "/models/demo");
  return tokenizer;
}

std::vector<Document> documents(int n) {
  std::vector<Document> docs;
  for (int i = 0; i < n; i++)
    docs.push_back({"the movie number " + std::to_string(i) + " was surprisingly wonderful, unforgettable acting!",
                    "doc" + std::to_string(i)});
  return docs;
}

TEST(PackCorpus, ConcatenatesDocumentsWithSeparatorsIntoFullSequences) {
  const Tokenizer& tok = demo_tokenizer();
  const auto docs = documents(3);
  const PackedCorpus corpus = pack_corpus(tok, docs, 16);
  const int32_t cls = tok.token_to_id("[CLS]"), sep = tok.token_to_id("[SEP]");
  // The stream: each document's pieces then [SEP].
  std::vector<int32_t> stream;
  for (const Document& d : docs) {
    const std::vector<int32_t> ids = tok.encode_ids(d.text);
    stream.insert(stream.end(), ids.begin() + 1, ids.end());
  }
  std::vector<int32_t> rebuilt;
  for (int64_t s = 0; s < corpus.num_sequences(); s++) {
    const int64_t begin = corpus.offsets[s], end = corpus.offsets[s + 1];
    ASSERT_EQ(corpus.ids[begin], cls);
    ASSERT_EQ(corpus.ids[end - 1], sep);
    if (s + 1 < corpus.num_sequences()) {
      EXPECT_EQ(end - begin, 16);  // only the last may be short
    }
    rebuilt.insert(rebuilt.end(), corpus.ids.begin() + begin + 1, corpus.ids.begin() + end - 1);
  }
  // Every sequence's closing [SEP] was added by packing, except where the stream's own [SEP] ends it.
  std::vector<int32_t> without_doc_seps, stream_without_seps;
  for (int32_t id : rebuilt)
    if (id != sep) without_doc_seps.push_back(id);
  for (int32_t id : stream)
    if (id != sep) stream_without_seps.push_back(id);
  EXPECT_EQ(without_doc_seps, stream_without_seps);
  EXPECT_EQ(corpus.documents, 3);
  EXPECT_EQ(corpus.tokens, static_cast<int64_t>(stream.size()) - 3);
  EXPECT_THROW(pack_corpus(tok, docs, 2), Error);
}

TEST(Masker, MasksFifteenPercentEightyTenTenNeverSpecialTokens) {
  const Tokenizer& tok = demo_tokenizer();
  const PackedCorpus corpus = pack_corpus(tok, documents(400), 64);
  const Masker masker(tok, {.mask_rate = 0.15, .whole_word = false, .seed = 1});
  const int32_t mask = tok.token_to_id("[MASK]");
  int64_t masked_count = 0, as_mask = 0, kept = 0, replaced = 0, candidates = 0;
  for (int64_t s = 0; s < corpus.num_sequences(); s++) {
    Batch batch;
    batch.clear();
    MaskedTokens masked;
    masker.add(corpus, s, 0, batch, masked);
    const int32_t* original = corpus.ids.data() + corpus.offsets[s];
    const int64_t length = corpus.offsets[s + 1] - corpus.offsets[s];
    int64_t seq_candidates = 0;
    for (int64_t t = 0; t < length; t++) {
      const std::string& token = tok.id_to_token(original[t]);
      seq_candidates += !(token.front() == '[' && token.back() == ']');
    }
    candidates += seq_candidates;
    EXPECT_EQ(static_cast<int64_t>(masked.positions.size()), std::max<int64_t>(1, std::llround(0.15 * seq_candidates)));
    EXPECT_TRUE(std::is_sorted(masked.positions.begin(), masked.positions.end()));
    for (size_t m = 0; m < masked.positions.size(); m++) {
      const int32_t p = masked.positions[m];
      EXPECT_EQ(masked.targets[m], original[p]);
      const std::string& target = tok.id_to_token(original[p]);
      EXPECT_FALSE(target.front() == '[' && target.back() == ']') << target;
      const int32_t now = batch.ids[p];
      as_mask += now == mask;
      kept += now == original[p];
      replaced += now != mask && now != original[p];
    }
    for (int64_t t = 0; t < length; t++) {  // unmasked tokens are untouched
      if (!std::binary_search(masked.positions.begin(), masked.positions.end(), static_cast<int32_t>(t))) {
        EXPECT_EQ(batch.ids[t], original[t]);
      }
    }
    masked_count += static_cast<int64_t>(masked.positions.size());
  }
  EXPECT_NEAR(static_cast<double>(masked_count) / candidates, 0.15, 0.01);
  EXPECT_NEAR(static_cast<double>(as_mask) / masked_count, 0.8, 0.03);
  EXPECT_NEAR(static_cast<double>(kept) / masked_count, 0.1, 0.03);  // a random draw may hit the original too
  EXPECT_NEAR(static_cast<double>(replaced) / masked_count, 0.1, 0.03);
}

TEST(Masker, ElectraMasksEightyFivePercentKeepsTheRestAndDrawsForEachMaskedToken) {
  const Tokenizer& tok = demo_tokenizer();
  const PackedCorpus corpus = pack_corpus(tok, documents(400), 64);
  const Masker masker(tok, {.mask_rate = 0.15, .mask_replace_prob = 0.85, .random_replace_prob = 0, .draws = true,
                            .seed = 1});
  const int32_t mask = tok.token_to_id("[MASK]");
  int64_t masked_count = 0, as_mask = 0, kept = 0;
  double draw_sum = 0;
  for (int64_t s = 0; s < corpus.num_sequences(); s++) {
    Batch batch;
    batch.clear();
    MaskedTokens masked;
    masker.add(corpus, s, 0, batch, masked);
    ASSERT_EQ(masked.draws.size(), masked.positions.size());
    const int32_t* original = corpus.ids.data() + corpus.offsets[s];
    for (size_t m = 0; m < masked.positions.size(); m++) {
      const int32_t now = batch.ids[masked.positions[m]];
      as_mask += now == mask;
      kept += now == original[masked.positions[m]];
      EXPECT_GE(masked.draws[m], 0.0f);
      EXPECT_LT(masked.draws[m], 1.0f);
      draw_sum += masked.draws[m];
    }
    masked_count += static_cast<int64_t>(masked.positions.size());
  }
  EXPECT_EQ(as_mask + kept, masked_count);  // no random replacements
  EXPECT_NEAR(static_cast<double>(as_mask) / masked_count, 0.85, 0.03);
  EXPECT_NEAR(draw_sum / masked_count, 0.5, 0.03);
  EXPECT_THROW(Masker(tok, {.mask_replace_prob = 0.9, .random_replace_prob = 0.2}), Error);
}

TEST(Masker, FreshMasksEachEpochTheSameOnEveryRun) {
  const Tokenizer& tok = demo_tokenizer();
  const PackedCorpus corpus = pack_corpus(tok, documents(20), 64);
  const Masker masker(tok, {.mask_rate = 0.15, .whole_word = false, .seed = 7});
  auto positions = [&](int64_t epoch) {
    Batch batch;
    batch.clear();
    MaskedTokens masked;
    for (int64_t s = 0; s < corpus.num_sequences(); s++) masker.add(corpus, s, epoch, batch, masked);
    return masked.positions;
  };
  EXPECT_EQ(positions(0), positions(0));
  EXPECT_NE(positions(0), positions(1));
}

TEST(Masker, WholeWordMaskingTakesEveryPieceOfAWord) {
  const Tokenizer& tok = demo_tokenizer();
  const PackedCorpus corpus = pack_corpus(tok, documents(200), 64);
  const Masker masker(tok, {.mask_rate = 0.15, .whole_word = true, .seed = 3});
  int64_t continuation_pieces = 0;
  for (int64_t s = 0; s < corpus.num_sequences(); s++) {
    Batch batch;
    batch.clear();
    MaskedTokens masked;
    masker.add(corpus, s, 0, batch, masked);
    const int32_t* original = corpus.ids.data() + corpus.offsets[s];
    const int64_t length = corpus.offsets[s + 1] - corpus.offsets[s];
    const std::set<int32_t> chosen(masked.positions.begin(), masked.positions.end());
    for (int64_t t = 1; t < length; t++) {
      // A word cut by packing starts a sequence with a "##" piece after [CLS]: a word of its own there.
      if (tok.id_to_token(original[t]).rfind("##", 0) != 0 || t == 1) continue;
      continuation_pieces += chosen.count(static_cast<int32_t>(t));
      // A piece is masked exactly when the piece before it is (both belong to one word).
      EXPECT_EQ(chosen.count(static_cast<int32_t>(t)), chosen.count(static_cast<int32_t>(t - 1)));
    }
  }
  EXPECT_GT(continuation_pieces, 0);  // the corpus has multi-piece words and some were masked
}

}  // namespace
}  // namespace bertft
