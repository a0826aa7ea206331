#pragma once
// String -> id hash table for vocabularies: open addressing over one byte arena, so a lookup takes
// a string_view and never allocates. WordPiece does one lookup per candidate piece and most of
// them miss, so a one-bit-per-hash filter small enough for L2 answers most misses before the table.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bertft {

class TokenIndex {
 public:
  // Longest key accepted (the tokenizer loaders refuse longer tokens with an error). Real vocabulary
  // tokens are short (bert-base-uncased's longest has 18 bytes); a WordPiece search costs up to the
  // longest key's length per piece, which a hostile file must not make thousands.
  static constexpr size_t kMaxKeyBytes = 256;

  // Returns false (and changes nothing) if `key` is already present; throws std::length_error if
  // it is longer than kMaxKeyBytes.
  bool insert(std::string_view key, int32_t id);
  // -1 if absent.
  int32_t find(std::string_view key) const;
  size_t size() const { return count_; }

  struct Match {
    int32_t id = -1;  // -1: no key is a prefix of the text
    size_t length = 0;
  };
  // The longest key that is a prefix of `text`. Keys share the hash states of their common
  // prefixes, so this costs O(min(text.size(), longest key)), not one full hash per candidate
  // length (which made a search quadratic in the longest key).
  Match longest_prefix(std::string_view text) const;

 private:
  struct Slot {
    uint32_t hash = 0;  // low half of the key's hash: most mismatches never reach the arena
    int32_t id = -1;    // -1: empty
    uint32_t offset = 0, length = 0;
  };
  void grow();
  int32_t find(std::string_view key, uint64_t hash) const;

  std::vector<Slot> slots_;
  std::vector<uint64_t> filter_;  // bit (hash >> 44) set for every key
  std::string arena_;
  size_t count_ = 0, max_key_bytes_ = 0;
};

}  // namespace bertft
