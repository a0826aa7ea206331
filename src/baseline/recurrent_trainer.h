#pragma once
// Training and scoring the recurrent baselines (baseline/recurrent_classifier.h) the way a PyTorch
// user trains them: torch.optim.AdamW at a constant learning rate, clip_grad_norm_, mean
// cross-entropy per batch, and early stopping on validation accuracy (the best epoch's weights are
// kept). Batches are made of texts of similar length (shuffled, then sorted by length within pools
// of 50 batches, the batches in random order), so little of a batch is padding.
#include <cstdint>
#include <string>
#include <vector>

#include "baseline/recurrent_classifier.h"

namespace bertft {

// Token ids per text (each at least one token) and, for labeled texts, their labels.
struct TokenizedTexts {
  std::vector<std::vector<int32_t>> ids;
  std::vector<int32_t> labels;
};

struct RecurrentTrainOptions {
  int epochs = 10;
  int batch_size = 32;
  int patience = 2;  // epochs without a better validation accuracy before stopping
  double learning_rate = 1e-3, weight_decay = 0.01, adam_beta1 = 0.9, adam_beta2 = 0.999, adam_epsilon = 1e-8;
  double max_grad_norm = 1.0;  // <= 0: no clipping
  float dropout = 0.3f;
  uint64_t seed = 42;
  bool no_shuffle = false;  // batches are consecutive texts in input order
  std::string log;      // JSON Lines, one per optimizer step: {"step", "epoch", "loss", "grad_norm"}
};

struct RecurrentTrainResult {
  int epochs_run = 0, best_epoch = 0;
  int64_t steps = 0;
  std::vector<double> valid_accuracy;  // per epoch
};

// Trains `model` (already initialised) on `train`, choosing the epoch by `valid`'s accuracy.
RecurrentTrainResult train_recurrent(RecurrentClassifier& model, const TokenizedTexts& train,
                                     const TokenizedTexts& valid, const RecurrentTrainOptions& options);

// probs[texts, num_labels]: softmax of the logits, without dropout.
std::vector<float> recurrent_probs(RecurrentClassifier& model, const TokenizedTexts& texts, int batch_size);

}  // namespace bertft
