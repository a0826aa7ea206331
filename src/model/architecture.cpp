#include "model/architecture.h"

#include <initializer_list>
#include <stdexcept>

namespace bertft {

namespace {

using Names = std::array<const char*, kSlotCount>;

// Base-model tensors are named relative to the base model (BertModel's own state_dict); the task
// models put them under Architecture::base_prefix. BERT's layout, shared by RoBERTa and ELECTRA.
constexpr Names kBertStyleEncoder = {
    "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
    "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias",
    nullptr, nullptr,
    "encoder.layer.{}.attention.self.query.weight", "encoder.layer.{}.attention.self.key.weight",
    "encoder.layer.{}.attention.self.value.weight", "encoder.layer.{}.attention.self.query.bias",
    "encoder.layer.{}.attention.self.key.bias", "encoder.layer.{}.attention.self.value.bias",
    "encoder.layer.{}.attention.output.dense.weight", "encoder.layer.{}.attention.output.dense.bias",
    "encoder.layer.{}.attention.output.LayerNorm.weight", "encoder.layer.{}.attention.output.LayerNorm.bias",
    "encoder.layer.{}.intermediate.dense.weight", "encoder.layer.{}.intermediate.dense.bias",
    "encoder.layer.{}.output.dense.weight", "encoder.layer.{}.output.dense.bias",
    "encoder.layer.{}.output.LayerNorm.weight", "encoder.layer.{}.output.LayerNorm.bias"};

// An encoder's names with the heads' and any other slots given.
constexpr Names with(Names names, std::initializer_list<std::pair<Slot, const char*>> slots) {
  for (const auto& [slot, name] : slots) names[static_cast<int>(slot)] = name;
  return names;
}

constexpr Names kBertNames = with(kBertStyleEncoder, {
    {Slot::HeadDenseWeight, "pooler.dense.weight"}, {Slot::HeadDenseBias, "pooler.dense.bias"},
    {Slot::HeadOutWeight, "classifier.weight"}, {Slot::HeadOutBias, "classifier.bias"},
    {Slot::LmDenseWeight, "cls.predictions.transform.dense.weight"},
    {Slot::LmDenseBias, "cls.predictions.transform.dense.bias"},
    {Slot::LmNormWeight, "cls.predictions.transform.LayerNorm.weight"},
    {Slot::LmNormBias, "cls.predictions.transform.LayerNorm.bias"}, {Slot::LmBias, "cls.predictions.bias"}});

constexpr Names kRobertaNames = with(kBertStyleEncoder, {
    {Slot::HeadDenseWeight, "classifier.dense.weight"}, {Slot::HeadDenseBias, "classifier.dense.bias"},
    {Slot::HeadOutWeight, "classifier.out_proj.weight"}, {Slot::HeadOutBias, "classifier.out_proj.bias"},
    {Slot::LmDenseWeight, "lm_head.dense.weight"}, {Slot::LmDenseBias, "lm_head.dense.bias"},
    {Slot::LmNormWeight, "lm_head.layer_norm.weight"}, {Slot::LmNormBias, "lm_head.layer_norm.bias"},
    {Slot::LmBias, "lm_head.bias"}});

constexpr Names kElectraNames = with(kBertStyleEncoder, {
    {Slot::EmbeddingsProjectWeight, "embeddings_project.weight"},
    {Slot::EmbeddingsProjectBias, "embeddings_project.bias"},
    {Slot::HeadDenseWeight, "classifier.dense.weight"}, {Slot::HeadDenseBias, "classifier.dense.bias"},
    {Slot::HeadOutWeight, "classifier.out_proj.weight"}, {Slot::HeadOutBias, "classifier.out_proj.bias"},
    {Slot::LmDenseWeight, "generator_predictions.dense.weight"},
    {Slot::LmDenseBias, "generator_predictions.dense.bias"},
    {Slot::LmNormWeight, "generator_predictions.LayerNorm.weight"},
    {Slot::LmNormBias, "generator_predictions.LayerNorm.bias"}, {Slot::LmBias, "generator_lm_head.bias"},
    {Slot::DiscriminatorDenseWeight, "discriminator_predictions.dense.weight"},
    {Slot::DiscriminatorDenseBias, "discriminator_predictions.dense.bias"},
    {Slot::DiscriminatorOutWeight, "discriminator_predictions.dense_prediction.weight"},
    {Slot::DiscriminatorOutBias, "discriminator_predictions.dense_prediction.bias"}});

constexpr Names kDistilBertNames = {
    "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight", nullptr,
    "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias", nullptr, nullptr,
    "transformer.layer.{}.attention.q_lin.weight", "transformer.layer.{}.attention.k_lin.weight",
    "transformer.layer.{}.attention.v_lin.weight", "transformer.layer.{}.attention.q_lin.bias",
    "transformer.layer.{}.attention.k_lin.bias", "transformer.layer.{}.attention.v_lin.bias",
    "transformer.layer.{}.attention.out_lin.weight", "transformer.layer.{}.attention.out_lin.bias",
    "transformer.layer.{}.sa_layer_norm.weight", "transformer.layer.{}.sa_layer_norm.bias",
    "transformer.layer.{}.ffn.lin1.weight", "transformer.layer.{}.ffn.lin1.bias",
    "transformer.layer.{}.ffn.lin2.weight", "transformer.layer.{}.ffn.lin2.bias",
    "transformer.layer.{}.output_layer_norm.weight", "transformer.layer.{}.output_layer_norm.bias",
    "pre_classifier.weight", "pre_classifier.bias", "classifier.weight", "classifier.bias",
    "vocab_transform.weight", "vocab_transform.bias", "vocab_layer_norm.weight", "vocab_layer_norm.bias",
    "vocab_projector.bias"};

constexpr std::pair<const char*, const char*> kDistilBertKeys[] = {
    {"dim", "hidden_size"},
    {"n_layers", "num_hidden_layers"},
    {"n_heads", "num_attention_heads"},
    {"hidden_dim", "intermediate_size"},
    {"activation", "hidden_act"},
    {"dropout", "hidden_dropout_prob"},
    {"attention_dropout", "attention_probs_dropout_prob"},
    {"seq_classif_dropout", "classifier_dropout"},
};
constexpr const char* kDistilBertAbsentKeys[] = {"type_vocab_size", "layer_norm_eps", "position_embedding_type",
                                                 "embedding_size"};
constexpr const char* kBertStyleAbsentKeys[] = {"embedding_size", "sinusoidal_pos_embds"};
constexpr const char* kElectraAbsentKeys[] = {"sinusoidal_pos_embds"};

const Architecture kArchitectures[] = {
    {.family = Family::Bert, .model_type = "bert", .display_name = "BERT", .base_prefix = "bert.",
     .names = kBertNames, .lm_decoder_weight = "cls.predictions.decoder.weight",
     .lm_decoder_bias_alias = "cls.predictions.decoder.bias", .classifier_class = "BertForSequenceClassification",
     .masked_lm_class = "BertForMaskedLM", .pretraining_class = nullptr, .base_class = "BertModel", .head_dense_in_base = true,
     .token_types = true, .position_ids_after_padding = false, .attention_output_dropout = true,
     .head_activation = HeadActivation::Tanh, .head_dropout_before_dense = false, .lm_activation_is_gelu = false,
     .config_keys = {}, .absent_config_keys = kBertStyleAbsentKeys},
    {.family = Family::DistilBert, .model_type = "distilbert", .display_name = "DistilBERT",
     .base_prefix = "distilbert.", .names = kDistilBertNames, .lm_decoder_weight = "vocab_projector.weight",
     .lm_decoder_bias_alias = nullptr, .classifier_class = "DistilBertForSequenceClassification",
     .masked_lm_class = "DistilBertForMaskedLM", .pretraining_class = nullptr, .base_class = "DistilBertModel", .head_dense_in_base = false,
     .token_types = false, .position_ids_after_padding = false, .attention_output_dropout = false,
     .head_activation = HeadActivation::Relu, .head_dropout_before_dense = false, .lm_activation_is_gelu = false,
     .config_keys = kDistilBertKeys, .absent_config_keys = kDistilBertAbsentKeys},
    {.family = Family::Roberta, .model_type = "roberta", .display_name = "RoBERTa", .base_prefix = "roberta.",
     .names = kRobertaNames, .lm_decoder_weight = "lm_head.decoder.weight",
     .lm_decoder_bias_alias = "lm_head.decoder.bias", .classifier_class = "RobertaForSequenceClassification",
     .masked_lm_class = "RobertaForMaskedLM", .pretraining_class = nullptr, .base_class = "RobertaModel", .head_dense_in_base = false,
     .token_types = true, .position_ids_after_padding = true, .attention_output_dropout = true,
     .head_activation = HeadActivation::Tanh, .head_dropout_before_dense = true, .lm_activation_is_gelu = true,
     .config_keys = {}, .absent_config_keys = kBertStyleAbsentKeys},
    {.family = Family::Electra, .model_type = "electra", .display_name = "ELECTRA", .base_prefix = "electra.",
     .names = kElectraNames, .lm_decoder_weight = "generator_lm_head.weight", .lm_decoder_bias_alias = nullptr,
     .classifier_class = "ElectraForSequenceClassification", .masked_lm_class = "ElectraForMaskedLM",
     .pretraining_class = "ElectraForPreTraining", .base_class = "ElectraModel", .head_dense_in_base = false, .token_types = true,
     .position_ids_after_padding = false, .attention_output_dropout = true,
     .head_activation = HeadActivation::Gelu, .head_dropout_before_dense = true, .lm_activation_is_gelu = true,
     .config_keys = {}, .absent_config_keys = kElectraAbsentKeys},
};

}  // namespace

Role slot_role(Slot slot) {
  switch (slot) {
    case Slot::WordEmbeddings:
      return Role::WordEmbedding;
    case Slot::PositionEmbeddings:
    case Slot::TokenTypeEmbeddings:
      return Role::Embedding;
    case Slot::EmbeddingsNormWeight:
    case Slot::AttentionNormWeight:
    case Slot::FfnNormWeight:
    case Slot::LmNormWeight:
      return Role::Norm;
    case Slot::EmbeddingsProjectWeight:
    case Slot::QueryWeight:
    case Slot::KeyWeight:
    case Slot::ValueWeight:
    case Slot::AttentionOutWeight:
    case Slot::FfnInWeight:
    case Slot::FfnOutWeight:
    case Slot::HeadDenseWeight:
    case Slot::HeadOutWeight:
    case Slot::LmDenseWeight:
    case Slot::DiscriminatorDenseWeight:
    case Slot::DiscriminatorOutWeight:
      return Role::Matrix;
    default:
      return Role::Bias;
  }
}

const Architecture& architecture(Family family) {
  for (const Architecture& arch : kArchitectures)
    if (arch.family == family) return arch;
  throw std::logic_error("no architecture table entry for a family");
}

const Architecture* find_architecture(std::string_view model_type) {
  for (const Architecture& arch : kArchitectures)
    if (model_type == arch.model_type) return &arch;
  return nullptr;
}

std::string supported_model_types() {
  std::string list;
  for (const Architecture& arch : kArchitectures) list += (list.empty() ? "" : ", ") + std::string(arch.model_type);
  return list;
}

bool in_base_model(const Architecture& arch, Slot slot) {
  return is_encoder_slot(slot) ||
         (arch.head_dense_in_base && (slot == Slot::HeadDenseWeight || slot == Slot::HeadDenseBias));
}

std::string tensor_name(const Architecture& arch, Slot slot, int layer) {
  const char* pattern = arch.names[static_cast<int>(slot)];
  if (!pattern) return "";
  std::string name = in_base_model(arch, slot) ? arch.base_prefix + std::string(pattern) : pattern;
  if (const size_t at = name.find("{}"); at != std::string::npos) name.replace(at, 2, std::to_string(layer));
  return name;
}

}  // namespace bertft
