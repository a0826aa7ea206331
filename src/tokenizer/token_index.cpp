#include "tokenizer/token_index.h"

#include <array>
#include <cstring>
#include <stdexcept>
#include <string>

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

constexpr uint64_t kSeed = 0x9E3779B97F4A7C15ull;

uint64_t absorb(uint64_t h, uint64_t word) {
  h = (h ^ word) * 0x9FB21C651E98DF25ull;
  return h ^ (h >> 29);
}

// The hash of an n-byte key from `state`, the key's whole 8-byte words absorbed from kSeed, and
// `tail`, its last n % 8 bytes. Those 1..7 bytes are read with fixed-size loads (overlapping for
// 4..7), never a byte loop. The length goes in last, so a key's prefixes share its word states.
uint64_t finish(uint64_t state, const char* tail, size_t n) {
  const size_t rest = n % 8;
  if (rest > 0) {
    uint64_t w;
    if (rest >= 4)
      w = (load32(tail) << 32) | load32(tail + rest - 4);
    else
      w = (uint64_t(static_cast<unsigned char>(tail[0])) << 16) |
          (uint64_t(static_cast<unsigned char>(tail[rest / 2])) << 8) | static_cast<unsigned char>(tail[rest - 1]);
    state = absorb(state, w);
  }
  return mix(state ^ (n * 0xFF51AFD7ED558CCDull));
}

// Vocabulary keys are short (a few bytes): a word-at-a-time multiply-xorshift is plenty.
uint64_t hash_bytes(std::string_view s) {
  const size_t words = s.size() / 8;
  uint64_t h = kSeed;
  for (size_t i = 0; i < words; i++) h = absorb(h, load64(s.data() + 8 * i));
  return finish(h, s.data() + 8 * words, s.size());
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
  if (key.size() > kMaxKeyBytes)
    throw std::length_error("TokenIndex: a key of " + std::to_string(key.size()) + " bytes is over kMaxKeyBytes");
  uint64_t h = hash_bytes(key);
  if (find(key, h) >= 0) return false;
  if ((count_ + 1) * 2 > slots_.size()) grow();  // load factor <= 1/2 keeps probes short
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

int32_t TokenIndex::find(std::string_view key) const { return find(key, hash_bytes(key)); }

TokenIndex::Match TokenIndex::longest_prefix(std::string_view text) const {
  text = text.substr(0, max_key_bytes_);  // no longer key exists
  std::array<uint64_t, kMaxKeyBytes / 8 + 1> states;  // states[w]: the first w words absorbed
  states[0] = kSeed;
  for (size_t w = 0; w < text.size() / 8; w++) states[w + 1] = absorb(states[w], load64(text.data() + 8 * w));
  for (size_t n = text.size(); n > 0; n--) {
    const size_t words = n / 8;
    const int32_t id = find(text.substr(0, n), finish(states[words], text.data() + 8 * words, n));
    if (id >= 0) return {id, n};
  }
  return {};
}

int32_t TokenIndex::find(std::string_view key, uint64_t h) const {
  if (slots_.empty()) return -1;
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
