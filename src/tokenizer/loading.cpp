// Where a tokenizer comes from: a model directory, or tokenizer files already in memory.
#include <algorithm>

#include "common/error.h"
#include "common/io.h"
#include "common/json_input.h"
#include "tokenizer/loaders.h"
#include "tokenizer/tokenizer.h"

namespace bertft {
namespace {

// config.json's max_position_embeddings, if the file and the key exist: the hard limit on input
// length. Only this key is read; the model loader validates the rest.
size_t max_position_embeddings(const std::string& dir) {
  std::string path = dir + "/config.json";
  if (!file_exists(path)) return 0;
  nlohmann::json json = parse_json_object(read_file(path), path);
  JsonField field = JsonField(json, path)["max_position_embeddings"];
  return static_cast<size_t>(field.int_or(0, 1, INT32_MAX));
}

}  // namespace

Tokenizer Tokenizer::from_tokenizer_json(std::string_view json, const std::string& origin,
                                                 std::string_view tokenizer_config,
                                                 const std::string& config_origin) {
  TokenizerConfig config = parse_tokenizer_config(tokenizer_config, config_origin);
  return Tokenizer(load_tokenizer_json(json, origin, config));
}

Tokenizer Tokenizer::from_vocab_txt(std::string_view vocab, const std::string& origin,
                                            std::string_view tokenizer_config,
                                            const std::string& config_origin) {
  TokenizerConfig config = parse_tokenizer_config(tokenizer_config, config_origin);
  return Tokenizer(load_vocab_txt(vocab, origin, config));
}

Tokenizer Tokenizer::from_dir(const std::string& dir) {
  std::string config_path = dir + "/tokenizer_config.json";
  std::string config = file_exists(config_path) ? read_file(config_path) : "";
  std::string json_path = dir + "/tokenizer.json", vocab_path = dir + "/vocab.txt";
  Tokenizer tokenizer;
  if (file_exists(json_path)) {
    tokenizer = from_tokenizer_json(read_file(json_path), json_path, config, config_path);
  } else if (file_exists(vocab_path)) {
    MappedFile vocab(vocab_path);
    std::string_view text(reinterpret_cast<const char*>(vocab.data()), vocab.size());
    tokenizer = from_vocab_txt(text, vocab_path, config, config_path);
  } else {
    fail_file(dir, "no tokenizer.json or vocab.txt in this directory");
  }
  size_t limit = max_position_embeddings(dir);
  size_t& max_length = tokenizer.data_->model_max_length;
  if (limit > 0) max_length = max_length == 0 ? limit : std::min(max_length, limit);
  return tokenizer;
}

}  // namespace bertft
