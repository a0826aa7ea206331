#pragma once
// Hugging Face model directories: config.json + model.safetensors (+ tokenizer files).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/config.h"
#include "model/params.h"
#include "model/safetensors.h"  // DType

namespace bertft {

class Tokenizer;  // tokenizer/tokenizer.h

struct Model {
  ModelConfig config;
  ModelParams params;
  // How many of the weights the directory stored int8 (bertft quantize, docs/int8.md): load_model
  // dequantizes them into params.
  size_t int8_weights = 0;
};

struct LoadOptions {
  Heads heads;             // heads the caller needs (classification: pooler + classifier)
  // Instead of `heads`, the heads the checkpoint carries (an MLM checkpoint: mlm, no classifier, maybe
  // a pooler), for callers that keep a checkpoint as it is (bertft convert).
  bool heads_of_checkpoint = false;
  uint64_t seed = 42;      // for heads the checkpoint lacks, initialised as HF does
  // Replaces config.json's labels (HF's from_pretrained(dir, id2label=..., ignore_mismatched_sizes=True)):
  // a classifier in the checkpoint with another number of labels is then re-initialised, with a notice,
  // instead of being an error.
  std::optional<std::vector<std::string>> id2label;
};

// Loads DIR/config.json and DIR/model.safetensors of any family in model/architecture.h, accepting the
// tensor names of its sequence classifier, masked LM, pretraining model (BERT) and base model
// (un-prefixed, e.g. BertModel's). Tensors the caller
// needs but the file lacks (e.g. classifier.* of an MLM checkpoint) are initialised and a one-line
// notice per group is appended to `notices`. Any malformed input throws Error naming file + problem.
Model load_model(const std::string& dir, const LoadOptions& options, std::vector<std::string>* notices);

// Weights stored int8 (a directory bertft quantize wrote, docs/int8.md "Model directory layout") are
// checked and dequantized (w = q * scale) into params; Model::int8_weights counts them. Encoder's int8
// mode quantizes the dequantized weights back to exactly the stored values and scales (the layout's
// scales and values are checked to be ones quantize_weight_per_channel produces).
//
// The transformers class a model of this family with these heads is saved as (e.g.
// "BertForSequenceClassification", "RobertaForMaskedLM" or "DistilBertModel"); named in config.json's
// architectures and in notices.
const char* architecture_name(const Architecture& arch, const Heads& heads);

// Throws Error unless the word embeddings of `config` (read from config_path) have a row for every id
// `tokenizer` can produce; checked when a model and its tokenizer are loaded, since at run time an
// out-of-range id would fail whichever batch it lands in:
// "DIR/tokenizer.json: vocabulary has 30600 tokens (highest id 30599), more than DIR/config.json
// vocab_size 30522".
void check_tokenizer_fits(const Tokenizer& tokenizer, const ModelConfig& config, const std::string& config_path);

// Writes DIR/config.json and DIR/model.safetensors atomically (creating DIR), loadable unchanged by
// transformers' from_pretrained: architectures and torch_dtype are set to match what is written.
void save_model(const Model& model, const std::string& dir, DType dtype = DType::F32);

// The tokenizer files present in `dir` (vocab.txt, vocab.json, merges.txt, tokenizer.json,
// tokenizer_config.json, special_tokens_map.json, added_tokens.json), by file name.
std::vector<std::string> tokenizer_files(const std::string& dir);

// The tokenizer files of a directory, (name, contents) in tokenizer_files order; throws Error if there
// are none. A training run reads them once and writes them with every model it saves, so a source
// directory moved or changed during a long run cannot cost the run its output.
using TokenizerFiles = std::vector<std::pair<std::string, std::string>>;
TokenizerFiles read_tokenizer_files(const std::string& dir);
// Writes each file atomically into dir, creating it.
void write_tokenizer_files(const TokenizerFiles& files, const std::string& dir);

// Copies tokenizer_files(src_dir) to dst_dir and returns their names; throws Error if there are none.
std::vector<std::string> copy_tokenizer_files(const std::string& src_dir, const std::string& dst_dir);

// As save_model, but the weights int8 inference quantizes (is_int8_slot) stored int8 per output
// channel with their F32 scales (docs/int8.md "Model directory layout"), and config.json marked with
// "quantization_config": {"quant_method": "bertft-int8", ...}. dtype is that of the other tensors.
void save_quantized_model(const Model& model, const std::string& dir, DType dtype);

// Whether int8 inference runs this weight in int8: the encoder's dense layers (query, key, value,
// attention output, FFN in and out) and ELECTRA's embeddings projection.
bool is_int8_slot(Slot slot);
// Whether quantize_weight_per_channel can make this scale, max|w| / 127 in fp32 of some float max|w|:
// exactly the positive normal floats s (127 * s finite) with fl(fl(127 * s) / 127) = s, 99.2% of them
// (tests/unit/test_quantized_model.cpp). A row dequantized with such a scale quantizes back to it.
bool is_int8_scale(float scale);
// The scales tensor stored beside an int8 weight: "<name>_scale".
std::string int8_scale_name(const std::string& weight_name);
// The notice for a model whose int8 weights were dequantized to run in `precision` (empty when there
// were none or precision is int8, which uses them as stored).
std::string dequantized_notice(const Model& model, const std::string& dir, const char* precision_name);
// The notice for writing to `dir` a classifier whose classifier_pooling is mean or max (empty for cls, or
// without a classifier): transformers' *ForSequenceClassification would load it without error but
// classify from the first token, so its outputs would not be the model's.
std::string pooling_notice(const Model& model, const std::string& dir);

// HF's _init_weights, decided by each tensor's role: Linear/Embedding weights ~ normal(0,
// initializer_range), biases 0, LayerNorm weight 1 / bias 0, the padding row of the word embeddings
// (and of RoBERTa's positions) 0, DistilBERT's fixed sinusoidal positions computed. Deterministic in `seed`;
// each tensor draws from its own stream (seed + name), so a tensor initialised by load_model gets
// the same values it would get from init_params.
void init_params(ModelParams& params, const ModelConfig& config, uint64_t seed);
void init_tensor(const TensorSpec& spec, float* data, const ModelConfig& config, uint64_t seed);

// Overwrites the position embeddings with Vaswani et al.'s sinusoids (sin / cos pairs at geometric
// wavelengths), scaled to the initializer_range standard deviation. Shifting a position is then a
// linear map of its embedding, so attention can find neighbouring tokens from the first steps; with
// normal(0, 0.02) positions, masked-LM pretraining from scratch sits for thousands of steps on the
// unigram plateau. Still learned parameters: only the starting point differs from HF's.
void init_sinusoidal_positions(ModelParams& params, const ModelConfig& config);

}  // namespace bertft
