#pragma once
// Masked-LM training data: a corpus tokenized and packed into full sequences, and BERT's masking.
//
// Packing (RoBERTa's FULL-SENTENCES, HF run_mlm's group_texts): every document's token ids,
// each document followed by [SEP], back to back; cut into sequences of [CLS] + up to max_length - 2
// tokens + [SEP] (<s> and </s> for RoBERTa: the tokenizer's sequence start and end). Nothing is
// padded; only the corpus's last sequence may be shorter.
//
// Masking (Devlin et al. 2019): in each sequence, round(mask_rate x candidates) tokens, at least
// one, are chosen among the non-special tokens; of those, 80% become [MASK], 10% a random
// non-special token, 10% stay as they are (HF's mask_replace_prob and random_replace_prob; ELECTRA
// uses 85%, 0% and 15%), and the model must predict the original id at all of them. With whole-word masking, whole words are chosen (a token and the pieces that continue it,
// Tokenizer::continues_word: "##" pieces, or BPE tokens without a leading space), skipping words
// that would overshoot the count. Masks depend only on (seed, epoch, sequence), so every epoch sees
// fresh masks and a resumed run the same ones.
#include <cstdint>
#include <string>
#include <vector>

#include "data/corpus.h"
#include "tokenizer/tokenizer.h"
#include "training/batch.h"
#include "training/masked_lm_step.h"

namespace bertft {

struct PackedCorpus {
  std::vector<int32_t> ids;      // every sequence's ids, back to back
  std::vector<int64_t> offsets;  // [sequences + 1]
  int64_t documents = 0;
  int64_t tokens = 0;            // tokens of the documents (without [CLS]/[SEP])

  int64_t num_sequences() const { return static_cast<int64_t>(offsets.size()) - 1; }
};

// Tokenizes the documents (in parallel) and packs them; max_length >= 3.
PackedCorpus pack_corpus(const Tokenizer& tokenizer, const std::vector<Document>& documents, int max_length);

struct MaskingOptions {
  double mask_rate = 0.15;
  double mask_replace_prob = 0.8;    // of the chosen tokens, the share that becomes [MASK]
  double random_replace_prob = 0.1;  // ... and the share that becomes a random token
  bool whole_word = false;
  bool draws = false;  // also a uniform draw per masked token (MaskedTokens::draws), from the same stream
  uint64_t seed = 42;
};

// Throws Error for options no Masker takes (the rates out of range), naming the options.
void validate_masking(const MaskingOptions& options);

class Masker {
 public:
  // Reads the special tokens ([CLS], [SEP], [MASK], [PAD], [UNK] and added special tokens: never
  // chosen, never drawn as random replacements) and the word continuations from the tokenizer.
  Masker(const Tokenizer& tokenizer, MaskingOptions options);

  // Appends sequence `index` of `corpus`, masked for `epoch`, to batch (label 0) and its masked
  // positions (in batch coordinates, ascending) and original ids to `masked`.
  void add(const PackedCorpus& corpus, int64_t index, int64_t epoch, Batch& batch, MaskedTokens& masked) const;

  // The most tokens add() masks in a sequence of `length` tokens.
  int64_t max_masked(int64_t length) const;

 private:
  MaskingOptions options_;
  int32_t mask_id_;
  std::vector<uint8_t> special_;       // [vocab]
  std::vector<uint8_t> continuation_;  // [vocab]: Tokenizer::continues_word
  std::vector<int32_t> replacements_;  // the non-special ids
};

}  // namespace bertft
