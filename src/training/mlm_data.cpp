#include "training/mlm_data.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "data/rng.h"

namespace bertft {

PackedCorpus pack_corpus(const Tokenizer& tokenizer, const std::vector<Document>& documents, int max_length) {
  if (max_length < 3) throw Error("--max-length must be at least 3 for masked-LM sequences");
  const int32_t cls = tokenizer.sequence_start_id(), sep = tokenizer.sequence_end_id();
  if (cls < 0 || sep < 0) throw Error("the tokenizer's single-sequence template is not [CLS] A [SEP] (or <s> A </s>)");
  const auto n = static_cast<int64_t>(documents.size());
  std::vector<std::vector<int32_t>> encoded(n);
#pragma omp parallel for schedule(dynamic, 64)
  for (int64_t i = 0; i < n; i++) {
    std::vector<int32_t> ids = tokenizer.encode_ids(documents[i].text);
    // Drop [CLS] and keep [SEP] as the separator after the document.
    encoded[i].assign(ids.begin() + 1, ids.end());
  }
  PackedCorpus corpus;
  corpus.documents = n;
  corpus.offsets.push_back(0);
  const int64_t content = max_length - 2;
  int64_t in_sequence = 0;
  auto close_sequence = [&] {
    corpus.ids.push_back(sep);
    corpus.offsets.push_back(static_cast<int64_t>(corpus.ids.size()));
    in_sequence = 0;
  };
  for (const std::vector<int32_t>& doc : encoded) {
    corpus.tokens += static_cast<int64_t>(doc.size()) - 1;
    for (int32_t id : doc) {
      if (in_sequence == 0) corpus.ids.push_back(cls);
      corpus.ids.push_back(id);
      if (++in_sequence == content) close_sequence();
    }
  }
  if (in_sequence > 0) close_sequence();
  if (corpus.num_sequences() == 0) throw Error("the corpus has no tokens");
  return corpus;
}

void validate_masking(const MaskingOptions& options) {
  if (!(options.mask_rate > 0 && options.mask_rate < 1)) throw Error("--mask-rate must be in (0, 1)");
  if (!(options.mask_replace_prob >= 0 && options.random_replace_prob >= 0 &&
        options.mask_replace_prob + options.random_replace_prob <= 1))
    throw Error("--mask-replace-prob and --random-replace-prob must be at least 0 and add up to at most 1");
}

Masker::Masker(const Tokenizer& tokenizer, MaskingOptions options) : options_(options) {
  validate_masking(options);
  mask_id_ = tokenizer.mask_id();
  if (mask_id_ < 0) throw Error("the tokenizer has no mask token ([MASK] or <mask>)");
  const auto V = static_cast<int32_t>(tokenizer.vocab_size());
  special_.assign(V, 0);
  continuation_.assign(V, 0);
  for (int32_t id = 0; id < V; id++) {
    const std::string& token = tokenizer.id_to_token(id);
    // Added special tokens ([CLS], <s>, <mask>, ...) and WordPiece's [unusedN] placeholders.
    special_[id] = token.empty() || tokenizer.is_special(id) ||
                   (token.size() >= 3 && token.front() == '[' && token.back() == ']');
    continuation_[id] = tokenizer.continues_word(id);
    if (!special_[id]) replacements_.push_back(id);
  }
  if (replacements_.empty()) throw Error("the tokenizer has only special tokens");
}

int64_t Masker::max_masked(int64_t length) const {
  return std::max<int64_t>(1, std::llround(options_.mask_rate * static_cast<double>(length)));
}

void Masker::add(const PackedCorpus& corpus, int64_t index, int64_t epoch, Batch& batch, MaskedTokens& masked) const {
  const int64_t begin = corpus.offsets[index], end = corpus.offsets[index + 1];
  const auto base = static_cast<int32_t>(batch.ids.size());
  const std::span<const int32_t> seq(corpus.ids.data() + begin, static_cast<size_t>(end - begin));
  batch.add(seq, {}, 0);
  int32_t* ids = batch.ids.data() + base;

  // Candidate units: single tokens, or whole words (a token and the pieces that continue it).
  std::vector<std::pair<int32_t, int32_t>> units;  // [first, last) within the sequence
  int64_t candidates = 0;
  for (int32_t t = 0; t < static_cast<int32_t>(seq.size()); t++) {
    if (special_[seq[t]]) continue;
    candidates++;
    if (options_.whole_word && continuation_[seq[t]] && !units.empty() && units.back().second == t)
      units.back().second = t + 1;
    else
      units.emplace_back(t, t + 1);
  }
  if (units.empty()) return;
  const int64_t want = max_masked(candidates);
  DataRng rng(options_.seed ^ (0x3A5C0000ULL + static_cast<uint64_t>(epoch) * 0x9E3779B97F4A7C15ULL) ^
              (static_cast<uint64_t>(index) * 0xD1B54A32D192ED03ULL));
  rng.shuffle(units);
  std::vector<int32_t> chosen;
  for (const auto& [first, last] : units) {
    if (static_cast<int64_t>(chosen.size()) >= want) break;
    if (static_cast<int64_t>(chosen.size()) + (last - first) > want) continue;
    for (int32_t t = first; t < last; t++) chosen.push_back(t);
  }
  // Every word longer than the count (a short sequence): part of one, so no sequence goes unmasked
  // and none masks more than max_masked(length).
  if (chosen.empty())
    for (int32_t t = units.front().first; t < units.front().second && static_cast<int64_t>(chosen.size()) < want; t++)
      chosen.push_back(t);
  std::sort(chosen.begin(), chosen.end());
  auto uniform = [&rng] { return static_cast<double>(rng.next() >> 11) * 0x1p-53; };
  for (int32_t t : chosen) {
    masked.positions.push_back(base + t);
    masked.targets.push_back(ids[t]);
    const double r = uniform();
    if (r < options_.mask_replace_prob)
      ids[t] = mask_id_;
    else if (r < options_.mask_replace_prob + options_.random_replace_prob)
      ids[t] = rng.pick(replacements_);
    if (options_.draws) masked.draws.push_back(static_cast<float>(rng.next() >> 40) * 0x1p-24f);  // in [0, 1)
  }
}

}  // namespace bertft
