#include "tokenizer/token_index.h"

#include <cstring>

namespace bertft {
namespace {

uint64_t mix(uint64_t h) {
  h ^= h >> 32;
  h *= 0xD6E8FEB86659FD93ull;
  h ^= h >> 32;
  return h;
}

uint64_t load64(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

uint64_t load32(const char* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}

// Vocabulary keys are short (a few bytes): a word-at-a-time multiply-xorshift is plenty. The
// 1..7 byte tail is read with fixed-size loads (overlapping for 4..7), never a byte loop.
uint64_t hash_bytes(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xFF51AFD7ED558CCDull);
  for (; n >= 8; p += 8, n -= 8) {
    h = (h ^ load64(p)) * 0x9FB21C651E98DF25ull;
    h ^= h >> 29;
  }
  if (n > 0) {
    uint64_t w;
    if (n >= 4)
      w = (load32(p) << 32) | load32(p + n - 4);
    else
      w = (uint64_t(static_cast<unsigned char>(p[0])) << 16) |
          (uint64_t(static_cast<unsigned char>(p[n / 2])) << 8) | static_cast<unsigned char>(p[n - 1]);
    h = (h ^ w) * 0x9FB21C651E98DF25ull;
    h ^= h >> 29;
  }
  return mix(h);
}

constexpr unsigned kFilterBits = 20;  // 128 KiB: a few % false positives for 30k keys

}  // namespace

void TokenIndex::grow() {
  if (filter_.empty()) filter_.assign((size_t{1} << kFilterBits) / 64, 0);
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{});
  size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.id < 0) continue;
    size_t i = s.hash & mask;
    while (slots_[i].id >= 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

bool TokenIndex::insert(std::string_view key, int32_t id) {
  if (find(key) >= 0) return false;
  if ((count_ + 1) * 2 > slots_.size()) grow();  // load factor <= 1/2 keeps probes short
  uint64_t h = hash_bytes(key);
  size_t mask = slots_.size() - 1, i = h & mask;
  while (slots_[i].id >= 0) i = (i + 1) & mask;
  slots_[i] = Slot{static_cast<uint32_t>(h), id, static_cast<uint32_t>(arena_.size()),
                   static_cast<uint32_t>(key.size())};
  uint64_t bit = h >> (64 - kFilterBits);
  filter_[bit / 64] |= uint64_t{1} << (bit % 64);
  arena_.append(key);
  ++count_;
  if (key.size() > max_key_bytes_) max_key_bytes_ = key.size();
  return true;
}

int32_t TokenIndex::find(std::string_view key) const {
  if (slots_.empty()) return -1;
  uint64_t h = hash_bytes(key);
  uint64_t bit = h >> (64 - kFilterBits);
  if (!(filter_[bit / 64] >> (bit % 64) & 1)) return -1;
  size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.id < 0) return -1;
    if (s.hash == static_cast<uint32_t>(h) && s.length == key.size() &&
        std::memcmp(arena_.data() + s.offset, key.data(), key.size()) == 0)
      return s.id;
  }
}

}  // namespace bertft
