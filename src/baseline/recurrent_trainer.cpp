#include "baseline/recurrent_trainer.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <numeric>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/io.h"
#include "common/progress.h"
#include "data/rng.h"
#include "kernels/classifier_head.h"
#include "kernels/dropout.h"
#include "training/adamw.h"
#include "training/grad_clip.h"

namespace bertft {
namespace {

constexpr size_t kBatchesPerPool = 50;

// One batch's texts laid out as the model takes them: tokens[B, T] padded with padding_idx.
struct RecurrentBatch {
  std::vector<int32_t> tokens, lengths, labels;
  int64_t B = 0, T = 0;
};

void fill_batch(RecurrentBatch& batch, const TokenizedTexts& texts, const size_t* rows, size_t count,
                int32_t padding_idx) {
  batch.B = static_cast<int64_t>(count);
  batch.T = 0;
  for (size_t i = 0; i < count; i++) batch.T = std::max<int64_t>(batch.T, static_cast<int64_t>(texts.ids[rows[i]].size()));
  batch.tokens.assign(static_cast<size_t>(batch.B * batch.T), padding_idx);
  batch.lengths.resize(count);
  batch.labels.resize(count);
  for (size_t i = 0; i < count; i++) {
    const std::vector<int32_t>& ids = texts.ids[rows[i]];
    std::copy(ids.begin(), ids.end(), batch.tokens.begin() + static_cast<ptrdiff_t>(i * batch.T));
    batch.lengths[i] = static_cast<int32_t>(ids.size());
    batch.labels[i] = texts.labels.empty() ? 0 : texts.labels[rows[i]];
  }
}

// The epoch's batches as lists of text indices (see recurrent_trainer.h).
std::vector<std::vector<size_t>> epoch_batches(const TokenizedTexts& texts, const RecurrentTrainOptions& o, int epoch) {
  std::vector<size_t> order(texts.ids.size());
  std::iota(order.begin(), order.end(), size_t{0});
  const size_t batch_size = static_cast<size_t>(o.batch_size);
  DataRng rng(o.seed + 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(epoch + 1));
  if (!o.no_shuffle) {
    rng.shuffle(order);
    const size_t pool = batch_size * kBatchesPerPool;
    for (size_t begin = 0; begin < order.size(); begin += pool) {
      const auto first = order.begin() + static_cast<ptrdiff_t>(begin);
      const auto last = order.begin() + static_cast<ptrdiff_t>(std::min(order.size(), begin + pool));
      std::stable_sort(first, last, [&](size_t a, size_t b) { return texts.ids[a].size() > texts.ids[b].size(); });
    }
  }
  std::vector<std::vector<size_t>> batches;
  for (size_t begin = 0; begin < order.size(); begin += batch_size)
    batches.emplace_back(order.begin() + static_cast<ptrdiff_t>(begin),
                         order.begin() + static_cast<ptrdiff_t>(std::min(order.size(), begin + batch_size)));
  if (!o.no_shuffle) rng.shuffle(batches);
  return batches;
}

double accuracy(const std::vector<float>& probs, const std::vector<int32_t>& labels, int64_t C) {
  if (labels.empty()) return 0.0;
  size_t correct = 0;
  for (size_t i = 0; i < labels.size(); i++) {
    const float* p = probs.data() + i * static_cast<size_t>(C);
    correct += std::max_element(p, p + C) - p == labels[i];
  }
  return static_cast<double>(correct) / static_cast<double>(labels.size());
}

}  // namespace

std::vector<float> recurrent_probs(RecurrentClassifier& model, const TokenizedTexts& texts, int batch_size) {
  const int64_t C = model.config().num_labels;
  std::vector<float> probs(texts.ids.size() * static_cast<size_t>(C));
  // Longest first, so each batch pads little.
  std::vector<size_t> order(texts.ids.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return texts.ids[a].size() > texts.ids[b].size(); });
  RecurrentBatch batch;
  std::vector<float> batch_probs;
  for (size_t begin = 0; begin < order.size(); begin += static_cast<size_t>(batch_size)) {
    const size_t count = std::min(order.size() - begin, static_cast<size_t>(batch_size));
    fill_batch(batch, texts, order.data() + begin, count, model.config().padding_idx);
    model.forward(batch.tokens.data(), batch.lengths.data(), batch.B, batch.T, 0.0f, 0);
    batch_probs.resize(count * static_cast<size_t>(C));
    softmax_forward(batch_probs.data(), model.logits(), batch.B, C);
    for (size_t i = 0; i < count; i++)
      std::copy_n(batch_probs.data() + i * static_cast<size_t>(C), C, probs.data() + order[begin + i] * static_cast<size_t>(C));
  }
  return probs;
}

RecurrentTrainResult train_recurrent(RecurrentClassifier& model, const TokenizedTexts& train,
                                     const TokenizedTexts& valid, const RecurrentTrainOptions& o) {
  std::vector<AdamW::Segment> segments;
  std::string layout;
  for (const RecurrentTensor& t : model.tensors()) {
    layout += t.name + ";";
    if (!segments.empty() && segments.back().decay == t.decayed && segments.back().end == t.offset)
      segments.back().end = t.offset + t.numel;
    else
      segments.push_back({t.offset, t.offset + t.numel, t.decayed});
  }
  AdamW optimizer(model.params().size(), std::move(segments), layout,
                  AdamWOptions{o.adam_beta1, o.adam_beta2, o.adam_epsilon, o.weight_decay});
  std::ofstream log;
  if (!o.log.empty()) {
    log.open(o.log, std::ios::trunc);
    if (!log) throw Error(o.log + ": cannot write the log");
  }
  const int64_t C = model.config().num_labels;
  const int64_t steps_per_epoch = (static_cast<int64_t>(train.ids.size()) + o.batch_size - 1) / o.batch_size;
  Progress progress("baseline", steps_per_epoch * o.epochs);
  RecurrentTrainResult result;
  std::vector<float> best = model.params(), dlogits;
  double best_accuracy = -1.0;
  RecurrentBatch batch;
  for (int epoch = 0; epoch < o.epochs; epoch++) {
    for (const std::vector<size_t>& rows : epoch_batches(train, o, epoch)) {
      fill_batch(batch, train, rows.data(), rows.size(), model.config().padding_idx);
      const uint64_t seed = dropout_step_seed(o.seed, static_cast<uint64_t>(result.steps));
      std::fill(model.grads().begin(), model.grads().end(), 0.0f);
      model.forward(batch.tokens.data(), batch.lengths.data(), batch.B, batch.T, o.dropout, seed);
      const float loss = crossentropy_forward(model.logits(), batch.labels.data(), batch.B, C);
      dlogits.resize(static_cast<size_t>(batch.B * C));
      crossentropy_backward(dlogits.data(), model.logits(), batch.labels.data(), batch.B, C);
      model.backward(dlogits.data(), o.dropout, seed);
      const double norm = global_grad_norm(model.grads().data(), model.grads().size());
      optimizer.step(model.params().data(), model.grads().data(), model.params().size(), o.learning_rate,
                     clip_coefficient(norm, o.max_grad_norm));
      result.steps++;
      if (log.is_open())
        log << nlohmann::json{{"step", result.steps}, {"epoch", epoch}, {"loss", loss}, {"grad_norm", norm}}.dump()
            << "\n";
      char status[64];
      std::snprintf(status, sizeof status, "epoch %d loss %.4f", epoch + 1, loss);
      progress.update(result.steps, status);
    }
    result.epochs_run = epoch + 1;
    const double acc = accuracy(recurrent_probs(model, valid, o.batch_size), valid.labels, C);
    result.valid_accuracy.push_back(acc);
    std::fprintf(stderr, "bertft: epoch %d: validation accuracy %.4f\n", epoch + 1, acc);
    if (acc > best_accuracy) {
      best_accuracy = acc;
      best = model.params();
      result.best_epoch = epoch + 1;
    } else if (result.epochs_run - result.best_epoch >= o.patience) {
      break;
    }
  }
  progress.finish();
  if (log.is_open() && !log.flush()) throw Error(o.log + ": write failed");
  model.params() = std::move(best);
  return result;
}

}  // namespace bertft
