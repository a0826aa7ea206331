#pragma once
// Training a WordPiece vocabulary with the semantics of Hugging Face `tokenizers`'
// BertWordPieceTokenizer.train (WordPieceTrainer, i.e. its BPE trainer with the "##" continuing
// subword prefix):
//   1. every text is normalized and pre-tokenized exactly as Tokenizer does it (BertNormalizer
//      with clean_text, CJK spacing, lowercase + accent stripping when lowercasing; BertPreTokenizer),
//      and the words are counted;
//   2. the vocabulary starts with the special tokens ([PAD] [UNK] [CLS] [SEP] [MASK], ids 0-4), then
//      the alphabet: the limit_alphabet most frequent characters (counted over word occurrences),
//      in code point order; characters outside it are dropped from the words they occur in;
//   3. each word becomes its characters, every one but the first with the prefix ("h ##e ##l ##l
//      ##o"); each prefixed character is a token, added in order of first use;
//   4. the most frequent adjacent pair of tokens (counted over word occurrences) is merged into a new
//      token A + B-without-prefix, everywhere, until the vocabulary has vocab_size tokens, no pair is
//      left, or the best pair occurs fewer than min_frequency times.
// Where HF leaves the order to a hash map, we fix it: words are visited in byte-wise order (which
// decides the ids of the prefixed characters), alphabet ties keep the lower code point, and pairs
// with equal counts merge lowest ids first (HF's own tie rule). HF's other quirk, merging a pair in
// only some words when two different merges produce the same string, is not reproduced: a merge
// always applies to every word.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bertft {

inline const std::vector<std::string> kBertSpecialTokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};

struct WordPieceTrainerOptions {
  size_t vocab_size = 30000;
  uint64_t min_frequency = 2;   // BertWordPieceTokenizer.train's default
  size_t limit_alphabet = 1000; // 0: every character seen
  bool lowercase = true;        // also strips accents, as Tokenizer's strip_accents=None does
  std::string continuing_subword_prefix = "##";
  int threads = 0;              // word counting; 0: OpenMP's default
};

struct WordCounts {
  std::vector<std::pair<std::string, uint64_t>> words;  // distinct words, byte-wise sorted
  uint64_t total = 0;                                   // word occurrences
};

// Normalizes and pre-tokenizes each text (valid UTF-8) like Tokenizer, counting words.
WordCounts count_words(const std::vector<std::string_view>& texts, const WordPieceTrainerOptions& options);

struct WordPieceVocab {
  std::vector<std::string> tokens;  // id order
  size_t alphabet_size = 0;         // characters kept (without the prefixed forms)
  size_t merges = 0;
};

// Throws Error if vocab_size is 0.
WordPieceVocab train_wordpiece(const WordCounts& counts, const WordPieceTrainerOptions& options);

// The files that make `dir` a Tokenizer directory for `tokens` (which must begin with
// kBertSpecialTokens): vocab.txt, tokenizer_config.json (do_lower_case, model_max_length 512) and
// tokenizer.json in the shape of bert-base-uncased's. Each written atomically; `dir` is created.
std::string wordpiece_tokenizer_json(const std::vector<std::string>& tokens, const WordPieceTrainerOptions& options);
std::string wordpiece_tokenizer_config(const WordPieceTrainerOptions& options);
void write_wordpiece_tokenizer(const std::string& dir, const std::vector<std::string>& tokens,
                               const WordPieceTrainerOptions& options);

}  // namespace bertft
