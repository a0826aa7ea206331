#pragma once
// Byte-level BPE (GPT-2, RoBERTa), as Rust tokenizers' models::bpe behind a ByteLevel
// pre-tokenizer: each byte of a split starts as one symbol, the vocabulary token of the byte's
// character (byte_level.h); then the adjacent pair with the lowest merge rank is merged, the
// leftmost among equals, until no adjacent pair has a merge.
//
// A min-heap of (rank, position) over a linked list of symbols makes a split of n bytes cost
// O(n log n) however hostile: each merge pushes at most two entries, and entries made stale by an
// earlier merge (a symbol merged away, or a pair that changed) are dropped when popped, as in
// Rust's Word::merge_all. tokenizers.js orders its queue the same way (rank, then position).
//
// Each thread keeps the ids of recently seen short splits (a direct-mapped cache, bpe.cpp): running
// text is mostly frequent words, and one probe of that table replaces a word's merge-table probes,
// which miss the caches (50,000 merges). Rust and tokenizers.js cache words too.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/token_index.h"

namespace bertft {

// Working memory of Bpe::tokenize, reused across the splits of one text.
struct BpeScratch {
  struct Symbol {
    int32_t id;          // -1: merged into the symbol before it
    int32_t prev, next;  // -1 at either end
  };
  // A pair that merges, queued with the ids it was found with: when it comes out of the heap it is
  // still the pair at `position` exactly when both ids still are (no merge-table lookup).
  struct Candidate {
    uint64_t order;  // rank << 32 | position of the left symbol: the heap pops the smallest
    int32_t left, right, merged;
    bool operator>(const Candidate& other) const { return order > other.order; }
  };
  std::vector<Symbol> symbols;
  std::vector<Candidate> heap;
};

class Bpe {
 public:
  // Returns false if the token is already in the vocabulary.
  bool add(std::string_view token, int32_t id);
  int32_t token_to_id(std::string_view token) const { return vocab_.find(token); }
  size_t size() const { return vocab_.size(); }

  // Adds the merge of `left` and `right`, ranked after the ones added before. A pair given again
  // takes its later rank, as in Rust (whose merge map keeps the last). Returns "" or the problem:
  // both tokens and their concatenation must be in the vocabulary (Rust's MergeTokenOutOfVocabulary).
  std::string add_merge(std::string_view left, std::string_view right);
  // A byte whose character has no token becomes the unk token if there is one (a run of them one
  // unk when `fuse`), else nothing, as in Rust.
  void set_unk(int32_t id, bool fuse) { unk_id_ = id, fuse_unk_ = fuse; }
  int32_t unk_id() const { return unk_id_; }
  // Builds the merge table and each byte's token, once the vocabulary and merges are in.
  void finish();

  // Appends the ids of one split (its raw bytes; the byte-level mapping is implied) to out.
  void tokenize(std::string_view split, std::vector<int32_t>& out, BpeScratch& scratch) const;

 private:
  void merge(std::string_view split, std::vector<int32_t>& out, BpeScratch& scratch) const;
  struct Merge {
    uint64_t pair;  // left id << 32 | right id; kNoPair marks an empty slot
    int32_t rank, merged;
  };
  static constexpr uint64_t kNoPair = ~uint64_t{0};
  const Merge* find_merge(int32_t left, int32_t right) const;

  TokenIndex vocab_;
  std::vector<Merge> ranked_;  // every add_merge, in rank order
  std::vector<Merge> table_;   // open addressing on pair, load factor <= 1/2
  unsigned table_shift_ = 64;
  int32_t byte_ids_[256] = {};
  int32_t unk_id_ = -1;
  bool fuse_unk_ = false;
  uint64_t generation_ = 0;  // unique per finish(): whose results a thread's cache holds
};

}  // namespace bertft
