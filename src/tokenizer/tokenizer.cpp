// Tokenizer's public surface: special tokens, truncation and type ids around the per-sequence
// pipeline of TokenizerData::tokenize.
#include "tokenizer/tokenizer.h"

#include <algorithm>

#include "common/error.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/tokenizer_data.h"

namespace bertft {
namespace {

size_t count_special(const Template& t) {
  size_t n = 0;
  for (const TemplatePart& part : t) n += part.ids.size();
  return n;
}

void keep(std::vector<int32_t>& ids, size_t n, TruncationSide side) {
  if (ids.size() <= n) return;
  if (side == TruncationSide::Left) ids.erase(ids.begin(), ids.end() - static_cast<ptrdiff_t>(n));
  else ids.resize(n);
}

// Rust tokenizers' truncate_encodings with LongestFirst (no stride): a single sequence keeps `max`
// ids; a pair gives the shorter sequence what it needs, up to half. `side` says which end is cut.
void truncate_longest_first(size_t max, std::vector<int32_t>& a, std::vector<int32_t>* b, TruncationSide side) {
  size_t total = a.size() + (b ? b->size() : 0);
  if (total <= max) return;
  if (!b) {
    keep(a, max, side);
    return;
  }
  size_t n1 = a.size(), n2 = b->size();
  bool swap = n1 > n2;
  if (swap) std::swap(n1, n2);
  n2 = n1 > max ? n1 : std::max(n1, max - n1);
  if (n1 + n2 > max) {
    n1 = max / 2;
    n2 = n1 + max % 2;
  }
  if (swap) std::swap(n1, n2);
  keep(a, n1, side);
  keep(*b, n2, side);
}

void truncate(size_t max_length, const Template& t, std::vector<int32_t>& a, std::vector<int32_t>* b,
              TruncationSide side) {
  if (max_length == 0) return;
  size_t special = count_special(t);
  if (max_length < special)
    throw Error("max_length " + std::to_string(max_length) + " leaves no room for the " +
                std::to_string(special) + " special tokens");
  truncate_longest_first(max_length - special, a, b, side);
}

void assemble(const Template& t, const std::vector<int32_t>& a, const std::vector<int32_t>& b,
              std::vector<int32_t>& ids, std::vector<int32_t>* type_ids) {
  ids.reserve(a.size() + b.size() + count_special(t));
  for (const TemplatePart& part : t) {
    const std::vector<int32_t>& src =
        part.kind == TemplatePart::kSpecial ? part.ids : part.kind == TemplatePart::kSequenceA ? a : b;
    ids.insert(ids.end(), src.begin(), src.end());
    if (type_ids) type_ids->insert(type_ids->end(), src.size(), part.type_id);
  }
}

}  // namespace

Tokenizer::Tokenizer() = default;
Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::Tokenizer(std::unique_ptr<TokenizerData> data) : data_(std::move(data)) {}

const TokenizerData& Tokenizer::data() const {
  if (!data_) throw Error("Tokenizer used before loading (use from_dir or from_*)");
  return *data_;
}

Encoding Tokenizer::encode(std::string_view text, std::optional<std::string_view> pair, size_t max_length,
                               TruncationSide side) const {
  const TokenizerData& d = data();
  std::vector<int32_t> a, b;
  d.tokenize(text, a);
  // An empty pair is still a pair ([CLS] A [SEP] [SEP], <s> A </s></s></s>), as in Rust.
  // tokenizers.js differs: it tests `text_pair || null` and so encodes "" as no pair at all.
  if (pair) d.tokenize(*pair, b);
  const Template& t = pair ? d.pair : d.single;
  truncate(max_length, t, a, pair ? &b : nullptr, side);
  Encoding e;
  assemble(t, a, b, e.ids, &e.type_ids);
  e.tokens.reserve(e.ids.size());
  for (int32_t id : e.ids) e.tokens.push_back(d.id_to_token[static_cast<size_t>(id)]);
  return e;
}

std::vector<int32_t> Tokenizer::encode_ids(std::string_view text, size_t max_length, TruncationSide side) const {
  const TokenizerData& d = data();
  std::vector<int32_t> a, ids;
  d.tokenize(text, a);
  truncate(max_length, d.single, a, nullptr, side);
  assemble(d.single, a, {}, ids, nullptr);
  return ids;
}

size_t Tokenizer::vocab_size() const { return data().id_to_token.size(); }
const std::string& Tokenizer::origin() const { return data().origin; }
int32_t Tokenizer::pad_id() const { return data().pad_id; }
int32_t Tokenizer::unk_id() const {
  const TokenizerData& d = data();
  return d.model == ModelKind::kWordPiece ? d.wordpiece.unk_id() : d.bpe.unk_id();
}
int32_t Tokenizer::mask_id() const { return data().mask_id; }
int32_t Tokenizer::token_to_id(std::string_view token) const { return data().token_to_id(token); }

const std::string& Tokenizer::id_to_token(int32_t id) const {
  static const std::string none;
  const std::vector<std::string>& tokens = data().id_to_token;
  return id < 0 || static_cast<size_t>(id) >= tokens.size() ? none : tokens[static_cast<size_t>(id)];
}

size_t Tokenizer::num_special_tokens(bool pair) const {
  return count_special(pair ? data().pair : data().single);
}

int32_t Tokenizer::sequence_start_id() const {
  const Template& t = data().single;
  return t.size() == 3 && t[0].ids.size() == 1 && t[1].kind == TemplatePart::kSequenceA && t[2].ids.size() == 1
             ? t[0].ids[0]
             : -1;
}

int32_t Tokenizer::sequence_end_id() const {
  return sequence_start_id() >= 0 ? data().single[2].ids[0] : -1;
}

bool Tokenizer::is_special(int32_t id) const {
  const std::vector<uint8_t>& special = data().special_ids;
  return id >= 0 && static_cast<size_t>(id) < special.size() && special[static_cast<size_t>(id)];
}

bool Tokenizer::continues_word(int32_t id) const {
  const TokenizerData& d = data();
  const std::string& token = id_to_token(id);
  if (token.empty() || is_special(id)) return false;
  if (d.model == ModelKind::kWordPiece) return token.starts_with(d.wordpiece.continuing_subword_prefix());
  return !token.starts_with(kByteLevelSpace);
}

size_t Tokenizer::model_max_length() const { return data().model_max_length; }

}  // namespace bertft
