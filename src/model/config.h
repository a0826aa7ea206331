#pragma once
// ModelConfig: the fields of Hugging Face's config.json for the BERT family, under BertConfig's names
// (each family's own spelling is mapped in its architecture table, model/architecture.h).
#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/architecture.h"

namespace bertft {

// What the classification head reads of the encoder's last layer: the first token's row, as every
// transformers *ForSequenceClassification does, or the mean / per-dimension max of the rows of the
// tokens whose attention mask is 1 (special tokens included, padding excluded: sentence-transformers'
// mean and max pooling). config.json key "classifier_pooling", ModernBERT's name for the same choice;
// absent means cls.
enum class Pooling : uint8_t { Cls, Mean, Max };

inline constexpr const char* kPoolingKey = "classifier_pooling";

const char* pooling_name(Pooling pooling);
// "cls", "mean" or "max"; std::nullopt for anything else.
std::optional<Pooling> pooling_from_name(std::string_view name);

struct ModelConfig {
  Family family = Family::Bert;
  int vocab_size = 30522;
  int hidden_size = 768;
  int num_hidden_layers = 12;
  int num_attention_heads = 12;
  int intermediate_size = 3072;
  std::string hidden_act = "gelu";  // gelu (erf), gelu_new / gelu_pytorch_tanh (tanh approx.), relu, silu
  float hidden_dropout_prob = 0.1f;
  float attention_probs_dropout_prob = 0.1f;
  int max_position_embeddings = 512;
  int type_vocab_size = 2;
  float initializer_range = 0.02f;
  float layer_norm_eps = 1e-12f;
  int pad_token_id = 0;
  std::string position_embedding_type = "absolute";
  int embedding_size = 0;             // ELECTRA: the embeddings' width; 0: hidden_size
  bool sinusoidal_positions = false;  // DistilBERT's sinusoidal_pos_embds: fixed position embeddings
  std::optional<float> classifier_dropout;  // null in HF: falls back to hidden_dropout_prob
  std::vector<std::string> id2label = {"LABEL_0", "LABEL_1"};  // num_labels == id2label.size()
  std::string problem_type;  // "" (unset), single_label_classification, ...
  std::vector<std::string> architectures;
  Pooling classifier_pooling = Pooling::Cls;  // written to config.json only when not cls
  // Every other key of the file, kept so a load/save round trip loses nothing.
  nlohmann::json extra = nlohmann::json::object();

  int num_labels() const { return static_cast<int>(id2label.size()); }
  int head_size() const { return hidden_size / num_attention_heads; }
  const Architecture& arch() const { return architecture(family); }
  int embedding_width() const { return embedding_size > 0 ? embedding_size : hidden_size; }
  bool has_token_types() const { return arch().token_types; }
  // The position id of a sequence's first token (RoBERTa counts from pad_token_id + 1), and so the
  // longest sequence the position table allows.
  int first_position() const { return arch().position_ids_after_padding ? pad_token_id + 1 : 0; }
  int max_sequence_length() const { return max_position_embeddings - first_position(); }
};

// The hidden_act values bertft computes (kernels/activation.h maps them): "gelu" is the exact erf
// form, "gelu_new" / "gelu_pytorch_tanh" the tanh approximation, "swish" an alias of "silu". Other
// names transformers knows (gelu_fast, quick_gelu, mish, ...) are rejected when the config is read,
// so a model never runs with an activation it was not trained with.
inline constexpr std::array<std::string_view, 6> kSupportedActivations = {
    "gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu", "swish"};

// The transformers release whose config.json format config_to_json reproduces.
inline constexpr const char* kTransformersVersion = "4.46.0";

// The --max-length a command runs with: `requested`, or 0 for the longest sequence the model takes
// (max_sequence_length). Throws Error when the model cannot take `requested` tokens.
int resolve_max_length(const ModelConfig& config, int requested);

// A family's defaults: the values its transformers config class gives keys config.json omits.
ModelConfig default_config(Family family);

// Parses config.json text of any supported model_type (absent: bert); `path` names the file in errors
// ("config.json: field 'hidden_size': ..."). Validates ranges and consistency (hidden_size divisible
// by heads, known hidden_act, ...).
ModelConfig parse_config(const std::string& json_text, const std::string& path);
ModelConfig load_config(const std::string& path);
// The checks parse_config applies, for a config built or edited in code; `path` names it in errors.
void validate_config(const ModelConfig& config, const std::string& path);
// Serialises as HF's PretrainedConfig.to_json_string would (indent 2, sorted keys, ASCII-escaped,
// the family's own key names, id2label/label2id maps, model_type, transformers_version; torch_dtype
// and use_cache taken from `extra` when present, else "float32" and true where the family has
// use_cache). Unknown keys kept in `extra` are written back.
std::string config_to_json(const ModelConfig& config);

}  // namespace bertft
