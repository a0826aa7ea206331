#pragma once
// BertNormalizer: clean_text -> handle_chinese_chars -> strip_accents -> lowercase, in the order
// and with the per-character semantics of the Rust `tokenizers` library.
#include <cstdint>
#include <string>
#include <string_view>

namespace bertft {

class BertNormalizer {
 public:
  // strip_accents is already resolved (HF's null means "same as lowercase").
  BertNormalizer(bool clean_text, bool handle_chinese_chars, bool strip_accents, bool lowercase);
  BertNormalizer() : BertNormalizer(true, true, true, true) {}

  // Appends the normalized form of `in` (valid UTF-8) to `out`.
  void normalize(std::string_view in, std::string& out) const;

 private:
  void normalize_non_ascii(std::string_view run, std::string& out) const;

  bool clean_text_, handle_chinese_chars_, strip_accents_, lowercase_;
  // What each ASCII byte becomes: itself, its lowercase, ' ' (whitespace) or kDrop.
  static constexpr int16_t kDrop = -1;
  int16_t ascii_[128];
};

}  // namespace bertft
