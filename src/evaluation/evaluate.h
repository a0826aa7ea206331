#pragma once
// Classifies an encoded dataset with the inference engine and scores it: the evaluation that
// `bertft train` runs on its validation / test sets and `bertft eval` runs on its own.
#include <span>
#include <vector>

#include "common/precision.h"
#include "model/checkpoint.h"
#include "encoding/encoded_dataset.h"

namespace bertft {

struct Evaluation {
  std::vector<int32_t> predicted;   // [n]
  std::vector<float> probs;         // [n, num_labels], softmax of the logits
  std::vector<float> logits;        // [n, num_labels]; an example's windows: the log of their mean probabilities
  std::vector<float> losses;        // [n], cross-entropy of each example
};

// Batches inputs by length (longest first) for the padding-free forward; results in example order. An
// example encoded as several windows (EncodedDataset::first_input) gets the mean of their probabilities,
// and the cross-entropy of that mean.
Evaluation evaluate(const Model& model, const EncodedDataset& data, int batch_size, int max_length,
                    Precision precision = Precision::Fp32);

// The evaluation of an ensemble (inference/ensemble.h) from its members' evaluations of the same
// examples: each example's probabilities and logits averaged with `weights` (average_members), its
// prediction their argmax and its loss their cross-entropy.
Evaluation average_evaluations(std::span<const Evaluation> members, std::span<const double> weights,
                               std::span<const int32_t> labels, int num_labels);

// The probability the model gave its predicted class for example i.
inline float confidence(const Evaluation& ev, size_t i, int num_labels) {
  return ev.probs[i * num_labels + ev.predicted[i]];
}

// Indexes of the misclassified examples, most confident mistake first (ties in input order).
std::vector<size_t> confident_mistakes(const Evaluation& ev, std::span<const int32_t> labels, int num_labels);

}  // namespace bertft
