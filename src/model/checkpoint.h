#pragma once
// Hugging Face model directories: config.json + model.safetensors (+ tokenizer files).
#include <cstdint>
#include <string>
#include <vector>

#include "model/config.h"
#include "model/params.h"

namespace bertft {

enum class DType { F32, F16, BF16 };

struct Model {
  BertConfig config;
  BertParams params;
};

struct LoadOptions {
  Heads heads;             // heads the caller needs (classification: pooler + classifier)
  uint64_t seed = 42;      // for heads the checkpoint lacks, initialised as HF does
};

// Loads DIR/config.json and DIR/model.safetensors, accepting BertForSequenceClassification,
// BertForMaskedLM, BertForPreTraining and BertModel (un-prefixed) tensor names. Tensors the caller
// needs but the file lacks (e.g. classifier.* of an MLM checkpoint) are initialised and a one-line
// notice per group is appended to `notices`. Any malformed input throws Error naming file + problem.
Model load_model(const std::string& dir, const LoadOptions& options, std::vector<std::string>* notices);

// Writes DIR/config.json and DIR/model.safetensors atomically (creating DIR), loadable unchanged by
// transformers' from_pretrained.
void save_model(const Model& model, const std::string& dir, DType dtype = DType::F32);

// Copies the tokenizer files found in src_dir (vocab.txt, tokenizer_config.json, tokenizer.json,
// special_tokens_map.json) to dst_dir.
void copy_tokenizer_files(const std::string& src_dir, const std::string& dst_dir);

// HF's _init_weights: Linear/Embedding weights ~ normal(0, initializer_range), biases 0,
// LayerNorm weight 1 / bias 0, the padding row of the word embeddings 0. Deterministic in `seed`.
void init_params(BertParams& params, const BertConfig& config, uint64_t seed);

}  // namespace bertft
