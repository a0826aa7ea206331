#include "evaluation/evaluate.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "inference/classifier.h"
#include "kernels/classifier_head.h"

namespace bertft {

namespace {

// -log softmax(logits)[label], from the logits (log-sum-exp), not from rounded probabilities.
float cross_entropy(const float* logits, int C, int label) {
  const float max = *std::max_element(logits, logits + C);
  double sum = 0;
  for (int c = 0; c < C; c++) sum += std::exp(static_cast<double>(logits[c] - max));
  return static_cast<float>(std::log(sum) - (logits[label] - max));
}

}  // namespace

Evaluation evaluate(const Model& model, const EncodedDataset& data, int batch_size, int max_length,
                    Precision precision) {
  const int C = model.config.num_labels();
  const size_t n = data.inputs.size();
  Evaluation out;
  out.predicted.resize(n);
  out.probs.resize(n * C);
  out.losses.resize(n);
  if (n == 0) return out;

  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return data.inputs[a].ids.size() > data.inputs[b].ids.size();
  });

  SequenceClassifier classifier(model, batch_size, max_length, precision);
  std::vector<TokenizedInput> batch;
  std::vector<float> logits(static_cast<size_t>(batch_size) * C);
  for (size_t start = 0; start < n; start += batch_size) {
    const size_t end = std::min(n, start + batch_size);
    batch.clear();
    for (size_t k = start; k < end; k++) batch.push_back(data.inputs[order[k]]);
    classifier.forward(batch, logits.data());
    for (size_t k = start; k < end; k++) {
      const size_t i = order[k];
      float* p = &out.probs[i * C];
      softmax_forward(p, &logits[(k - start) * C], 1, C);
      out.predicted[i] = static_cast<int32_t>(std::max_element(p, p + C) - p);
      out.losses[i] = cross_entropy(&logits[(k - start) * C], C, data.labels[i]);
    }
  }
  return out;
}

std::vector<size_t> confident_mistakes(const Evaluation& ev, std::span<const int32_t> labels, int num_labels) {
  std::vector<size_t> wrong;
  for (size_t i = 0; i < labels.size(); i++)
    if (ev.predicted[i] != labels[i]) wrong.push_back(i);
  std::stable_sort(wrong.begin(), wrong.end(), [&](size_t a, size_t b) {
    return confidence(ev, a, num_labels) > confidence(ev, b, num_labels);
  });
  return wrong;
}

}  // namespace bertft
