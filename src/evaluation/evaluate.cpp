#include "evaluation/evaluate.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "inference/classifier.h"
#include "inference/ensemble.h"
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

// -log(mean over the windows of softmax(logits[w])[label]) in log space, so that a confident mistake
// gives a large finite loss rather than log(0).
float mean_window_cross_entropy(const float* logits, int windows, int C, int label) {
  std::vector<double> log_probs(windows);
  for (int w = 0; w < windows; w++) log_probs[w] = -cross_entropy(logits + w * C, C, label);
  const double max = *std::max_element(log_probs.begin(), log_probs.end());
  double sum = 0;
  for (double lp : log_probs) sum += std::exp(lp - max);
  return static_cast<float>(-(max + std::log(sum / windows)));
}

}  // namespace

Evaluation evaluate(const Model& model, const EncodedDataset& data, int batch_size, int max_length,
                    Precision precision) {
  const int C = model.config.num_labels();
  const size_t n = data.labels.size(), inputs = data.inputs.size();
  Evaluation out;
  out.predicted.resize(n);
  out.probs.resize(n * C);
  out.logits.resize(n * C);
  out.losses.resize(n);
  if (n == 0) return out;

  std::vector<size_t> order(inputs);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return data.inputs[a].ids.size() > data.inputs[b].ids.size();
  });

  SequenceClassifier classifier(model, batch_size, max_length, precision);
  std::vector<TokenizedInput> batch;
  std::vector<float> logits(inputs * C), batch_logits(static_cast<size_t>(batch_size) * C);  // input order, a batch's
  for (size_t start = 0; start < inputs; start += batch_size) {
    const size_t end = std::min(inputs, start + batch_size);
    batch.clear();
    for (size_t k = start; k < end; k++) batch.push_back(data.inputs[order[k]]);
    classifier.forward(batch, batch_logits.data());
    for (size_t k = start; k < end; k++)
      std::copy_n(&batch_logits[(k - start) * C], C, &logits[order[k] * C]);
  }
  for (size_t i = 0; i < n; i++) {
    const size_t first = data.first_input.empty() ? i : data.first_input[i];
    const size_t windows = data.first_input.empty() ? 1 : data.first_input[i + 1] - first;
    float* p = &out.probs[i * C];
    const float* row = &logits[first * C];
    mean_softmax_forward(p, row, static_cast<int64_t>(windows), C);
    mean_window_logits(&out.logits[i * C], row, static_cast<int64_t>(windows), C);
    out.predicted[i] = static_cast<int32_t>(std::max_element(p, p + C) - p);
    out.losses[i] = mean_window_cross_entropy(row, static_cast<int>(windows), C, data.labels[i]);
  }
  return out;
}

Evaluation average_evaluations(std::span<const Evaluation> members, std::span<const double> weights,
                               std::span<const int32_t> labels, int num_labels) {
  const int C = num_labels;
  const size_t n = labels.size();
  Evaluation out;
  out.predicted.resize(n);
  out.probs.resize(n * C);
  out.logits.resize(n * C);
  out.losses.resize(n);
  std::vector<const float*> rows(members.size());
  for (size_t i = 0; i < n; i++) {
    for (size_t m = 0; m < members.size(); m++) rows[m] = &members[m].logits[i * C];
    float* p = &out.probs[i * C];
    float* logits = &out.logits[i * C];
    average_members(rows, weights, C, p, logits);
    out.predicted[i] = static_cast<int32_t>(std::max_element(p, p + C) - p);
    out.losses[i] = cross_entropy(logits, C, labels[i]);
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
