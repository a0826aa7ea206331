// Where a tokenizer comes from: a model directory, or tokenizer files already in memory.
#include <algorithm>
#include <filesystem>

#include "common/error.h"
#include "common/hub_cache.h"
#include "common/io.h"
#include "common/json_input.h"
#include "tokenizer/loaders.h"
#include "tokenizer/tokenizer.h"

namespace bertft {
namespace {

// The longest input config.json's position embeddings take, if the file and max_position_embeddings
// exist: the hard limit on input length. RoBERTa numbers positions from pad_token_id + 1
// (transformers' create_position_ids_from_input_ids), so it has that many fewer (roberta-base: 514
// embeddings, 512 tokens). Only these keys are read; the model loader validates the rest.
size_t max_positions(const std::string& dir) {
  std::string path = dir + "/config.json";
  if (!file_exists(path)) return 0;
  nlohmann::json json = parse_json_object(read_file(path), path);
  const JsonField root(json, path);
  const int64_t positions = root["max_position_embeddings"].int_or(0, 1, INT32_MAX);
  const std::string type = root["model_type"].string_or("");
  if (positions == 0 || type != "roberta") return static_cast<size_t>(positions);
  const int64_t first = root["pad_token_id"].int_or(1, 0, INT32_MAX) + 1;
  if (positions <= first)
    root["max_position_embeddings"].fail("leaves no position for a token (positions start at pad_token_id + 1)");
  return static_cast<size_t>(positions - first);
}

}  // namespace

Tokenizer Tokenizer::from_tokenizer_json(std::string_view json, const std::string& origin,
                                                 std::string_view tokenizer_config,
                                                 const std::string& config_origin) {
  return Tokenizer(load_tokenizer_json(json, origin, tokenizer_config, config_origin));
}

Tokenizer Tokenizer::from_vocab_txt(std::string_view vocab, const std::string& origin,
                                            std::string_view tokenizer_config,
                                            const std::string& config_origin) {
  return Tokenizer(load_vocab_txt(vocab, origin, tokenizer_config, config_origin));
}

Tokenizer Tokenizer::from_vocab_json(std::string_view vocab, const std::string& vocab_origin, std::string_view merges,
                                     const std::string& merges_origin, std::string_view tokenizer_config,
                                     const std::string& config_origin) {
  return Tokenizer(load_vocab_json(vocab, vocab_origin, merges, merges_origin, tokenizer_config, config_origin));
}

Tokenizer Tokenizer::from_dir(const std::string& dir) {
  if (!std::filesystem::is_directory(dir)) fail_missing_model(dir);
  std::string config_path = dir + "/tokenizer_config.json";
  std::string config = file_exists(config_path) ? read_file(config_path) : "";
  std::string json_path = dir + "/tokenizer.json", vocab_path = dir + "/vocab.txt";
  std::string bpe_vocab_path = dir + "/vocab.json", merges_path = dir + "/merges.txt";
  Tokenizer tokenizer;
  if (file_exists(json_path)) {
    tokenizer = from_tokenizer_json(read_file(json_path), json_path, config, config_path);
  } else if (file_exists(vocab_path)) {
    MappedFile vocab(vocab_path);
    std::string_view text(reinterpret_cast<const char*>(vocab.data()), vocab.size());
    tokenizer = from_vocab_txt(text, vocab_path, config, config_path);
  } else if (file_exists(bpe_vocab_path) || file_exists(merges_path)) {
    if (!file_exists(merges_path)) fail_file(dir, "vocab.json but no merges.txt in this directory");
    if (!file_exists(bpe_vocab_path)) fail_file(dir, "merges.txt but no vocab.json in this directory");
    MappedFile merges(merges_path);
    std::string_view merges_text(reinterpret_cast<const char*>(merges.data()), merges.size());
    tokenizer = from_vocab_json(read_file(bpe_vocab_path), bpe_vocab_path, merges_text, merges_path, config, config_path);
  } else {
    fail_file(dir, "no tokenizer.json, vocab.txt or vocab.json + merges.txt in this directory");
  }
  size_t limit = max_positions(dir);
  size_t& max_length = tokenizer.data_->model_max_length;
  if (limit > 0) max_length = max_length == 0 ? limit : std::min(max_length, limit);
  return tokenizer;
}

}  // namespace bertft
