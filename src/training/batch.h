#pragma once
// A training batch, packed without padding: the tokens of all B sequences back to back, sequence b
// owning tokens [offsets[b], offsets[b + 1]). Positions restart at 0 for each sequence. Padding is
// possible too (add_padded, for comparison with frameworks that pad): then sequence b's first
// lengths[b] tokens are real and the rest are masked out of attention.
#include <cstdint>
#include <span>
#include <stdexcept>
#include <vector>

#include "encoding/tokenized_input.h"
#include "model/encoder.h"

namespace bertft {

struct Batch {
  std::vector<int32_t> ids, type_ids;  // [T]
  std::vector<int32_t> offsets;        // [B + 1], offsets[0] = 0, offsets[B] = T
  std::vector<int32_t> labels;         // [B]
  std::vector<int32_t> lengths;        // [B] real tokens per sequence when padded, else empty
  std::vector<float> targets;          // [B, C] class probabilities to learn (distillation), else empty:
                                       // the labels are the targets

  int num_seqs() const { return static_cast<int>(labels.size()); }
  PackedTokens tokens() const { return PackedTokens{ids, type_ids, offsets, lengths}; }
  int64_t num_tokens() const { return static_cast<int64_t>(ids.size()); }
  void clear() {
    ids.clear();
    type_ids.clear();
    offsets.assign(1, 0);
    labels.clear();
    lengths.clear();
    targets.clear();
  }
  // Appends one sequence (type_ids empty: all 0). Reuses capacity, so a batch refilled each step
  // stops allocating once it has seen its largest size.
  void add(std::span<const int32_t> seq_ids, std::span<const int32_t> seq_type_ids, int32_t label) {
    if (offsets.empty()) offsets.push_back(0);
    if (!seq_type_ids.empty() && seq_type_ids.size() != seq_ids.size())
      throw std::invalid_argument("Batch::add: ids and type_ids differ in length");
    ids.insert(ids.end(), seq_ids.begin(), seq_ids.end());
    if (seq_type_ids.empty())
      type_ids.resize(ids.size(), 0);
    else
      type_ids.insert(type_ids.end(), seq_type_ids.begin(), seq_type_ids.end());
    offsets.push_back(static_cast<int32_t>(ids.size()));
    labels.push_back(label);
  }
  // Appends one sequence followed by pad_id tokens (type 0) up to padded_length tokens, as HF's
  // padding="max_length" does. Every sequence of a batch must be added the same way.
  void add_padded(std::span<const int32_t> seq_ids, std::span<const int32_t> seq_type_ids, int32_t label,
                  int32_t padded_length, int32_t pad_id) {
    const auto real = static_cast<int32_t>(seq_ids.size());
    if (real > padded_length) throw std::invalid_argument("Batch::add_padded: sequence longer than the padding");
    if (lengths.size() != labels.size()) throw std::invalid_argument("Batch::add_padded: batch mixes padded and packed");
    add(seq_ids, seq_type_ids, label);
    ids.resize(ids.size() + (padded_length - real), pad_id);
    type_ids.resize(ids.size(), 0);
    offsets.back() = static_cast<int32_t>(ids.size());
    lengths.push_back(real);
  }
};

// Packs tokenized inputs and their labels (same count) into `batch` (cleared first).
inline void make_batch(Batch& batch, std::span<const TokenizedInput> inputs, std::span<const int32_t> labels) {
  if (inputs.size() != labels.size()) throw std::invalid_argument("make_batch: inputs and labels differ in count");
  batch.clear();
  for (size_t i = 0; i < inputs.size(); i++) batch.add(inputs[i].ids, inputs[i].type_ids, labels[i]);
}

inline Batch make_batch(std::span<const TokenizedInput> inputs, std::span<const int32_t> labels) {
  Batch batch;
  make_batch(batch, inputs, labels);
  return batch;
}

}  // namespace bertft
