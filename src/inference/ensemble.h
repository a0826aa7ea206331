#pragma once
// Several classifiers with the same labels used as one: what predict, eval and serve run when given
// several --model, and the Python module's Classifier when given several model directories. The
// ensemble's probabilities are the weighted mean of its members', each member reading a text its own
// way (its tokenizer, and the max length, truncation and <br /> cleaning its model directory records
// unless the caller sets them for every member), so that a BERT, a DistilBERT and a RoBERTa can vote
// together. Its logits are the log of those probabilities, so that softmax(logits) = probs, as for a
// text classified by its windows (kernels/classifier_head.h's mean_window_logits); one model alone
// keeps its own logits.
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "data/text_input.h"
#include "inference/text_classifier.h"
#include "model/config.h"

namespace bertft {

// `given` (one weight per model, each finite and not negative, not all 0) scaled to sum to 1; none
// given: equal weights. Throws Error naming --model-weights otherwise.
std::vector<double> ensemble_weights(std::span<const double> given, size_t models);

// Throws Error unless every model directory's config.json has the labels of the first: as many, with
// the same id2label names in the same order (averaging probabilities is only meaningful then). The
// message names both directories and their labels; a directory that does not exist is named as such
// (fail_missing_model). Read before any model is loaded, so a mismatch costs no loading.
void check_same_labels(std::span<const std::string> model_dirs);

// One text's probs[C] and logits[C] from its members' logits (member_logits[m]: member m's C logits,
// whose softmax is its probabilities, as TextClassifier::classify gives them) and their weights
// (ensemble_weights): probs = sum_m weights[m] softmax(member_logits[m]) and logits = log(probs),
// computed in log space, so that a class every member all but rules out keeps a finite logit. One
// member: softmax of its logits, and the logits themselves.
void average_members(std::span<const float* const> member_logits, std::span<const double> weights, int C,
                     float* probs, float* logits);

// A member's options, given its model directory and config: the caller's, else what the directory
// records (inference/inference_defaults.h), resolved for each member as for one model.
using MemberOptionsFor = std::function<TextClassifierOptions(const std::string& model_dir, const ModelConfig& config)>;

class Ensemble {
 public:
  // Checks `weights` (ensemble_weights) and the labels (check_same_labels), then loads each of
  // model_dirs once, as a TextClassifier with options_for(its directory, its config); loading notices
  // are appended to `notices`. Throws Error.
  Ensemble(std::vector<std::string> model_dirs, std::span<const double> weights, const MemberOptionsFor& options_for,
           std::vector<std::string>* notices);

  // probs and logits [texts.size(), num_labels]: one model's (TextClassifier::classify), or every
  // member's in turn, averaged (average_members). Errors about text i start with where(i), and with
  // several models name the model.
  void classify(std::span<const TextInput> texts, const std::function<std::string(size_t)>& where, float* probs,
                float* logits);

  // Every member classifies `batch_size` inputs per forward pass from now on.
  void set_batch_size(int batch_size);

  size_t size() const { return members_.size(); }
  TextClassifier& member(size_t m) { return *members_[m]; }
  const TextClassifier& member(size_t m) const { return *members_[m]; }
  const std::string& model_dir(size_t m) const { return model_dirs_[m]; }
  const std::vector<double>& weights() const { return weights_; }
  // The first member's config: its labels are every member's.
  const ModelConfig& config() const { return members_.front()->config(); }

 private:
  std::vector<std::string> model_dirs_;
  std::vector<double> weights_;
  std::vector<std::unique_ptr<TextClassifier>> members_;
};

}  // namespace bertft
