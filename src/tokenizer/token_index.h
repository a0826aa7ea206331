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
  // Returns false (and changes nothing) if `key` is already present.
  bool insert(std::string_view key, int32_t id);
  // -1 if absent.
  int32_t find(std::string_view key) const;
  size_t size() const { return count_; }
  // Length of the longest key: no longer piece can match, which bounds WordPiece's search.
  size_t max_key_bytes() const { return max_key_bytes_; }

 private:
  struct Slot {
    uint32_t hash = 0;  // low half of the key's hash: most mismatches never reach the arena
    int32_t id = -1;    // -1: empty
    uint32_t offset = 0, length = 0;
  };
  void grow();

  std::vector<Slot> slots_;
  std::vector<uint64_t> filter_;  // bit (hash >> 44) set for every key
  std::string arena_;
  size_t count_ = 0, max_key_bytes_ = 0;
};

}  // namespace bertft
