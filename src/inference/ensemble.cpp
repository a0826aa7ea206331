#include "inference/ensemble.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/hub_cache.h"
#include "kernels/classifier_head.h"

namespace bertft {

namespace {

// The shortest text that reads back as `value` ("0.5", "-1", "nan", "inf").
std::string number_text(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// "1 model", "2 models".
std::string counted(size_t n, const std::string& noun) { return std::to_string(n) + " " + noun + (n == 1 ? "" : "s"); }

std::string labels_text(const std::vector<std::string>& labels) {
  return nlohmann::json(labels).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::vector<double> ensemble_weights(std::span<const double> given, size_t models) {
  if (models == 0) throw Error("--model: no model given");
  if (given.empty()) return std::vector<double>(models, 1.0 / static_cast<double>(models));
  if (given.size() != models)
    throw Error("--model-weights gives " + counted(given.size(), "weight") + " for " + counted(models, "model") +
                ": one per --model, in the same order");
  for (const double w : given)
    if (!std::isfinite(w) || w < 0) throw Error("--model-weights must be finite and not negative, got " + number_text(w));
  // Scaled by the largest first, so that weights near the largest double do not sum to infinity.
  const double largest = *std::max_element(given.begin(), given.end());
  if (largest == 0) throw Error("--model-weights are all 0: give at least one model a positive weight");
  std::vector<double> weights(given.begin(), given.end());
  double sum = 0;
  for (double& w : weights) sum += (w /= largest);
  for (double& w : weights) w /= sum;
  return weights;
}

void check_same_labels(std::span<const std::string> model_dirs) {
  if (model_dirs.size() < 2) return;
  const auto labels_of = [](const std::string& model_dir) {
    if (!std::filesystem::is_directory(model_dir)) fail_missing_model(model_dir);
    return load_config(model_dir + "/config.json").id2label;
  };
  const std::vector<std::string> first = labels_of(model_dirs[0]);
  for (size_t m = 1; m < model_dirs.size(); m++) {
    const std::vector<std::string> labels = labels_of(model_dirs[m]);
    if (labels != first)
      throw Error("--model " + model_dirs[m] + " has the labels " + labels_text(labels) + ", --model " + model_dirs[0] +
                  " has " + labels_text(first) +
                  ": an ensemble's models need the same labels in the same order (config.json id2label)");
  }
}

void average_members(std::span<const float* const> member_logits, std::span<const double> weights, int C,
                     float* probs, float* logits) {
  if (member_logits.size() == 1) {
    softmax_forward(probs, member_logits[0], 1, C);
    std::copy_n(member_logits[0], C, logits);
    return;
  }
  // log p[c] = log sum_m weights[m] exp(log_softmax(member_logits[m])[c]): each member's log-softmax
  // needs its log-sum-exp, then each class a log-sum-exp over the members of positive weight.
  const size_t M = member_logits.size();
  std::vector<double> log_weight_less_norm(M);
  for (size_t m = 0; m < M; m++) {
    const float* row = member_logits[m];
    const double max = *std::max_element(row, row + C);
    double sum = 0;
    for (int c = 0; c < C; c++) sum += std::exp(row[c] - max);
    log_weight_less_norm[m] = weights[m] > 0 ? std::log(weights[m]) - (max + std::log(sum))
                                             : -std::numeric_limits<double>::infinity();
  }
  std::vector<double> terms(M);
  for (int c = 0; c < C; c++) {
    for (size_t m = 0; m < M; m++) terms[m] = log_weight_less_norm[m] + member_logits[m][c];
    const double max = *std::max_element(terms.begin(), terms.end());
    double sum = 0;
    for (const double t : terms) sum += std::exp(t - max);
    const double log_prob = max + std::log(sum);
    logits[c] = static_cast<float>(log_prob);
    probs[c] = static_cast<float>(std::exp(log_prob));
  }
}

Ensemble::Ensemble(std::vector<std::string> model_dirs, std::span<const double> weights,
                   const MemberOptionsFor& options_for, std::vector<std::string>* notices)
    : model_dirs_(std::move(model_dirs)), weights_(ensemble_weights(weights, model_dirs_.size())) {
  check_same_labels(model_dirs_);
  for (const std::string& dir : model_dirs_)
    members_.push_back(std::make_unique<TextClassifier>(
        dir, [&](const ModelConfig& config) { return options_for(dir, config); }, notices));
}

void Ensemble::classify(std::span<const TextInput> texts, const std::function<std::string(size_t)>& where,
                        float* probs, float* logits) {
  if (members_.size() == 1) return members_.front()->classify(texts, where, probs, logits);
  const size_t n = texts.size(), C = static_cast<size_t>(config().num_labels());
  std::vector<std::vector<float>> member_logits(members_.size(), std::vector<float>(n * C));
  std::vector<float> member_probs(n * C);  // averaged from the logits instead, in log space
  for (size_t m = 0; m < members_.size(); m++)
    members_[m]->classify(
        texts, [&](size_t i) { return where(i) + " (--model " + model_dirs_[m] + ")"; }, member_probs.data(),
        member_logits[m].data());
  std::vector<const float*> rows(members_.size());
  for (size_t i = 0; i < n; i++) {
    for (size_t m = 0; m < members_.size(); m++) rows[m] = member_logits[m].data() + i * C;
    average_members(rows, weights_, static_cast<int>(C), probs + i * C, logits + i * C);
  }
}

void Ensemble::set_batch_size(int batch_size) {
  for (const std::unique_ptr<TextClassifier>& member : members_) member->set_batch_size(batch_size);
}

}  // namespace bertft
