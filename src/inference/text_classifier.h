#pragma once
// A classifier of raw texts: a model directory's model and tokenizer, texts in and per-text
// probabilities and logits out. What `bertft predict` and the Python module (python/) both run, so
// that they give the same numbers.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/precision.h"
#include "data/text_input.h"
#include "encoding/encoded_dataset.h"
#include "inference/classifier.h"
#include "inference/inference_defaults.h"
#include "model/checkpoint.h"
#include "tokenizer/tokenizer.h"

namespace bertft {

struct TextClassifierOptions {
  int batch_size = 32;  // inputs per forward pass
  int max_length = 0;   // tokens per input incl. special tokens; 0: the model's (resolve_max_length)
  Precision precision = Precision::Fp32;
  Truncation truncation;
  bool strip_html = false;  // <br /> line breaks become spaces before tokenizing (data/dataset.h)
};

// Options that read texts as `inputs` says (max length, truncation, <br /> cleaning), in `precision`.
TextClassifierOptions text_classifier_options(const InferenceDefaults& inputs, Precision precision);

// The options for a model, given its config: so that they can take what the model directory records
// (inference/inference_defaults.h) where the caller gives nothing.
using TextClassifierOptionsFor = std::function<TextClassifierOptions(const ModelConfig& config)>;

class TextClassifier {
 public:
  // Loads the model (with its classification head) and tokenizer of model_dir, then runs with
  // options_for(its config); what loading notes (e.g. weights it did not use) is appended to
  // `notices`. Buffers are sized for the current OpenMP thread count. Throws Error on a bad directory
  // or a max length without room for the special tokens.
  TextClassifier(const std::string& model_dir, const TextClassifierOptionsFor& options_for,
                 std::vector<std::string>* notices);
  ~TextClassifier();
  TextClassifier(const TextClassifier&) = delete;
  TextClassifier& operator=(const TextClassifier&) = delete;

  // probs and logits [texts.size(), num_labels]: each text is encoded into its inputs (one, or its
  // windows with truncation "chunks"), the inputs are classified in batches of similar lengths, and a
  // text gets the mean of its windows' softmax and the logits of that mean (kernels/classifier_head.h).
  // Errors about text i start with where(i).
  void classify(std::span<const TextInput> texts, const std::function<std::string(size_t)>& where, float* probs,
                float* logits);

  // Classifies `batch_size` inputs per forward pass from now on (resizing the buffers, for the
  // current OpenMP thread count, when it changes).
  void set_batch_size(int batch_size);

  // logits[batch.size(), num_labels] of inputs this classifier's tokenizer made, at most the batch
  // size of them, each of at most max_length() tokens: what a server that tokenizes and batches
  // requests itself (serving/batcher.h) runs.
  void forward(std::span<const TokenizedInput> batch, float* logits) { classifier_->forward(batch, logits); }

  const ModelConfig& config() const { return model_.config; }
  const Tokenizer& tokenizer() const { return tokenizer_; }
  int max_length() const { return classifier_->max_length(); }
  const Truncation& truncation() const { return truncation_; }
  bool strip_html() const { return strip_html_; }
  // Texts longer than max_length() so far (cut, or classified by their windows).
  int64_t truncated() const { return truncated_; }

 private:
  Model model_;
  Tokenizer tokenizer_;
  Truncation truncation_;
  bool strip_html_ = false;
  Precision precision_ = Precision::Fp32;
  std::unique_ptr<SequenceClassifier> classifier_;
  int64_t truncated_ = 0;
};

}  // namespace bertft
