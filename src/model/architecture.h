#pragma once
// The BERT family as data: one encoder body (embeddings, post-LayerNorm Transformer layers, a
// classification head on the first token, a masked-LM head) and, per family, a table of what
// differs — checkpoint tensor names, token types, position ids, the heads' shapes and activations,
// dropout sites, config.json's spelling. Adding a family is one Architecture entry plus, if its
// heads differ in kind, their forward/backward (docs/architectures.md).
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace bertft {

enum class Family : uint8_t { Bert, DistilBert, Roberta, Electra };

// What a tensor is. Initialisation, weight decay and sparse-row gradients follow from it, as in HF's
// _init_weights (by module type) and Trainer's decay groups (no decay for biases and LayerNorm weights).
enum class Role : uint8_t {
  Matrix,         // a Linear weight [out, in]: normal(0, initializer_range), decayed
  Bias,           // a Linear or LayerNorm bias: zero, not decayed
  Norm,           // a LayerNorm weight: one, not decayed
  Embedding,      // a position or token-type table: normal, decayed
  WordEmbedding,  // the token table: normal with the padding row zero, decayed, sparse-row gradients
};

// Each parameter of the generic model. Layer slots repeat per layer; the heads' slots exist when the
// model carries that head.
enum class Slot : uint8_t {
  // Embeddings: [V, E], [P, E], [TV, E], LayerNorm [E], and ELECTRA's projection [H, E] when E != H.
  WordEmbeddings, PositionEmbeddings, TokenTypeEmbeddings, EmbeddingsNormWeight, EmbeddingsNormBias,
  EmbeddingsProjectWeight, EmbeddingsProjectBias,
  // One Transformer layer. Query, key and value are adjacent so they form one [3H, H] matrix.
  QueryWeight, KeyWeight, ValueWeight, QueryBias, KeyBias, ValueBias, AttentionOutWeight, AttentionOutBias,
  AttentionNormWeight, AttentionNormBias, FfnInWeight, FfnInBias, FfnOutWeight, FfnOutBias, FfnNormWeight,
  FfnNormBias,
  // Classification head on the first token: dense [H, H] -> activation -> out [num_labels, H].
  HeadDenseWeight, HeadDenseBias, HeadOutWeight, HeadOutBias,
  // Masked-LM head: dense [E, H] -> activation -> LayerNorm [E] -> decoder tied to the word embeddings + bias [V].
  LmDenseWeight, LmDenseBias, LmNormWeight, LmNormBias, LmBias,
  // Replaced-token detection head (ELECTRA's discriminator) on every token: dense [H, H] -> activation
  // (config.hidden_act) -> out [1, H]: one logit per token, "replaced".
  DiscriminatorDenseWeight, DiscriminatorDenseBias, DiscriminatorOutWeight, DiscriminatorOutBias,
};
inline constexpr int kSlotCount = static_cast<int>(Slot::DiscriminatorOutBias) + 1;
inline constexpr Slot kFirstLayerSlot = Slot::QueryWeight, kLastLayerSlot = Slot::FfnNormBias;
inline constexpr bool is_layer_slot(Slot s) { return s >= kFirstLayerSlot && s <= kLastLayerSlot; }
inline constexpr bool is_encoder_slot(Slot s) { return s <= kLastLayerSlot; }
Role slot_role(Slot slot);

// The classification head's activation and dropout placement.
enum class HeadActivation : uint8_t { Tanh, Relu, Gelu };

struct Architecture {
  Family family;
  const char* model_type;       // config.json "model_type"
  const char* display_name;     // "BERT", "DistilBERT", ... in messages
  const char* base_prefix;      // the base model's attribute in the task models: "bert."
  // Checkpoint names per slot, with "{}" standing for the layer index, relative to the base model for
  // its tensors (see in_base_model); nullptr: the family has no such tensor.
  std::array<const char*, kSlotCount> names;
  // The decoder weight HF ties to the word embeddings (never stored separately), and an alias under
  // which older files store the LM bias.
  const char* lm_decoder_weight;
  const char* lm_decoder_bias_alias;  // nullptr: none
  // The transformers classes the heads make, as written to config.json's "architectures".
  const char* classifier_class;
  const char* masked_lm_class;
  const char* pretraining_class;  // with the replaced-token detection head; nullptr: the family has none
  const char* base_class;
  // The head dense belongs to the base model (BERT's pooler: kept by BertModel and BertForPreTraining).
  bool head_dense_in_base;
  bool token_types;             // token-type embeddings exist (DistilBERT has none)
  bool position_ids_after_padding;  // positions start at pad_token_id + 1 (RoBERTa)
  bool attention_output_dropout;    // dropout after the attention output dense (not in DistilBERT)
  HeadActivation head_activation;
  bool head_dropout_before_dense;   // RoBERTa / ELECTRA: dropout(features) -> dense -> act -> dropout -> out
  bool lm_activation_is_gelu;       // the LM transform's activation is GELU, not config.hidden_act
  // config.json keys spelled differently from BERT's ({family key, BERT key}), and BERT keys the
  // family's config does not have.
  std::span<const std::pair<const char*, const char*>> config_keys;
  std::span<const char* const> absent_config_keys;
};

// The table entry of a family / of config.json's model_type (nullptr if unknown).
const Architecture& architecture(Family family);
const Architecture* find_architecture(std::string_view model_type);
// "bert, distilbert, roberta, electra": for error messages.
std::string supported_model_types();

// Whether the tensor belongs to the base model (BertModel, ...), named under base_prefix in task models.
bool in_base_model(const Architecture& arch, Slot slot);
// The checkpoint name of `slot` in layer `layer` (ignored for non-layer slots); "" if the family lacks it.
std::string tensor_name(const Architecture& arch, Slot slot, int layer = 0);

}  // namespace bertft
