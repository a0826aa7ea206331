// Model directories in the layout transformers' save_pretrained writes and from_pretrained reads.
#include "model/checkpoint.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <deque>
#include <filesystem>
#include <map>
#include <new>
#include <set>
#include <stdexcept>

#include "common/error.h"
#include "common/io.h"
#include "common/json_input.h"
#include "kernels/int8_linear.h"
#include "model/checkpoint_tensors.h"
#include "tokenizer/tokenizer.h"

namespace bertft {

namespace {

namespace fs = std::filesystem;

constexpr const char* kTokenizerFiles[] = {"vocab.txt",      "vocab.json",           "merges.txt",
                                           "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                           "added_tokens.json"};

std::string name_list(const std::vector<std::string>& names) {
  std::string s = "[";
  for (size_t i = 0; i < names.size(); i++) s += (i ? ", " : "") + names[i];
  return s + "]";
}

// The name a checkpoint tensor has in the task model's state_dict: base-model files (BertModel, ...)
// lack the base prefix, and TF-era files call LayerNorm parameters gamma / beta.
std::string canonical_name(const Architecture& arch, std::string name) {
  auto replace_suffix = [&](std::string_view from, std::string_view to) {
    if (name.ends_with(from)) name.replace(name.size() - from.size(), from.size(), to);
  };
  replace_suffix("LayerNorm.gamma", "LayerNorm.weight");
  replace_suffix("LayerNorm.beta", "LayerNorm.bias");
  const size_t dot = name.find('.');
  if (dot == std::string::npos) return name;
  const std::string_view module(name.data(), dot + 1);  // "embeddings."
  for (int s = 0; s < kSlotCount; s++) {
    const char* pattern = arch.names[s];
    if (pattern && in_base_model(arch, static_cast<Slot>(s)) && std::string_view(pattern).starts_with(module))
      return arch.base_prefix + name;
  }
  return name;
}

// A checkpoint's tensors under their canonical names, plus the tied decoder copies HF never loads.
struct CheckpointIndex {
  std::map<std::string, const StoredTensor*> tensors;
  std::vector<const StoredTensor*> tied;

  CheckpointIndex(const CheckpointTensors& st, const Architecture& arch) {
    const std::string position_ids = arch.base_prefix + std::string("embeddings.position_ids");
    const std::string lm_bias = tensor_name(arch, Slot::LmBias);
    auto is_tied = [&](const std::string& name) {
      return name == arch.lm_decoder_weight || (arch.lm_decoder_bias_alias && name == arch.lm_decoder_bias_alias);
    };
    for (const StoredTensor& e : st.tensors()) {
      std::string name = canonical_name(arch, e.name);
      // A non-persistent buffer in current transformers; older versions saved it.
      if (name == position_ids) continue;
      if (is_tied(name)) {
        tied.push_back(&e);
        continue;
      }
      auto [it, inserted] = tensors.emplace(name, &e);
      if (!inserted)
        fail_file(st.path(), "tensors " + single_quoted(it->second->name) + " and " + single_quoted(e.name) +
                                 " are the same weight " + single_quoted(name));
    }
    // Old MLM files may store the output bias only under its tied decoder name.
    for (auto it = tied.begin(); it != tied.end(); ++it) {
      if (arch.lm_decoder_bias_alias && canonical_name(arch, (*it)->name) == arch.lm_decoder_bias_alias &&
          !tensors.count(lm_bias)) {
        tensors.emplace(lm_bias, *it);
        tied.erase(it);
        break;
      }
    }
  }
};

Heads heads_of(const CheckpointIndex& index, const Architecture& arch) {
  auto has = [&](Slot slot) { return index.tensors.count(tensor_name(arch, slot)) > 0; };
  Heads heads;
  heads.pooler = arch.head_dense_in_base && has(Slot::HeadDenseWeight);
  heads.classifier = has(Slot::HeadOutWeight);
  heads.mlm = has(Slot::LmDenseWeight);
  heads.discriminator = has(Slot::DiscriminatorOutWeight);
  return heads;
}

void check_tied_shapes(const CheckpointIndex& index, const ModelConfig& c, const std::string& path) {
  for (const StoredTensor* e : index.tied) {
    bool weight = canonical_name(c.arch(), e->name) == c.arch().lm_decoder_weight;
    std::vector<int64_t> want = weight ? std::vector<int64_t>{c.vocab_size, c.embedding_width()}
                                       : std::vector<int64_t>{c.vocab_size};
    if (e->shape != want)
      fail_file(path, "tensor " + single_quoted(e->name) + " has shape " + shape_string(e->shape) + ", config.json implies " +
                          shape_string(want) + (weight ? " (tied to the word embeddings)" : ""));
  }
}

// A NaN or infinity in a weight reaches every output it touches (serve would answer "score": null,
// eval a meaningless accuracy), so a checkpoint holding one is refused.
void require_finite(const float* values, const StoredTensor& entry, const std::string& path) {
  // The exponent bits of a float are all ones exactly for NaN and infinities; adding one to them
  // carries into bit 31. One OR per value, so the common all-finite case is a single vectorised pass.
  auto non_finite_bit = [](float v) { return (std::bit_cast<uint32_t>(v) & 0x7f800000u) + 0x00800000u; };
  uint32_t seen = 0;
  for (size_t i = 0; i < entry.numel; i++) seen |= non_finite_bit(values[i]);
  if (!(seen & 0x80000000u)) return;
  for (size_t i = 0; i < entry.numel; i++) {
    if (std::isfinite(values[i])) continue;
    const char* what = std::isnan(values[i]) ? "NaN" : values[i] > 0 ? "inf" : "-inf";
    fail_file(path, "tensor " + single_quoted(entry.name) + " holds " + what + " at index " + std::to_string(i));
  }
}

// A stored int8 weight and its scales, to be dequantized into params.specs()[spec].
struct Int8Load {
  size_t spec;
  const StoredTensor* values;
  const StoredTensor* scales;
};

// The scales tensor of the int8 weight `values` (stored as `spec`), checked against the header.
const StoredTensor& int8_scales(const CheckpointIndex& index, const CheckpointTensors& st, const TensorSpec& spec,
                                const StoredTensor& values) {
  const std::string& file = st.file_of(values);
  if (!is_int8_slot(spec.slot))
    fail_file(file, "tensor " + single_quoted(values.name) + " is I8, but only the encoder's dense weights may be "
                    "stored int8 (docs/int8.md)");
  auto it = index.tensors.find(int8_scale_name(spec.name));
  if (it == index.tensors.end())
    fail_file(file, "tensor " + single_quoted(values.name) + " is I8 without its scales " +
                        single_quoted(int8_scale_name(values.name)) + " (docs/int8.md)");
  const StoredTensor& scales = *it->second;
  if (scales.dtype != "F32")
    fail_file(st.file_of(scales), "tensor " + single_quoted(scales.name) + " is " + scales.dtype + ", expected F32");
  const std::vector<int64_t> want{spec.shape[0]};
  if (scales.shape != want)
    fail_file(st.file_of(scales), "tensor " + single_quoted(scales.name) + " has shape " + shape_string(scales.shape) +
                                      ", expected " + shape_string(want) + " (one scale per row of " +
                                      single_quoted(values.name) + ")");
  return scales;
}

// w = q * scale per row, after checking that q and scale are what quantize_weight_per_channel makes of
// some weight: scales is_int8_scale, values in -127..127 with 127 or -127 in every row but all-zero
// ones, whose scale is 1. Quantizing the result then gives back exactly q and scale
// (tests/unit/test_quantized_model.cpp proves it), so int8 inference runs on the stored values.
void dequantize_stored(const CheckpointTensors& st, const Int8Load& load, const TensorSpec& spec, float* out) {
  const int64_t N = spec.shape[0], K = spec.shape[1];
  std::vector<int8_t> q(load.values->numel);
  std::vector<float> scale(N);
  st.read_i8(*load.values, q.data());
  st.read_f32(*load.scales, scale.data());
  const std::string& q_file = st.file_of(*load.values);
  for (int64_t n = 0; n < N; n++) {
    const float s = scale[n];
    if (!is_int8_scale(s))
      fail_file(st.file_of(*load.scales), "tensor " + single_quoted(load.scales->name) + " holds " +
                                              std::to_string(s) + " at index " + std::to_string(n) +
                                              " (not a scale max|w| / 127 of any weight: docs/int8.md)");
    int max_abs = 0;
    for (int64_t k = 0; k < K; k++) {
      const int v = q[n * K + k];
      if (v == -128)
        fail_file(q_file, "tensor " + single_quoted(load.values->name) + " holds -128 at index " +
                              std::to_string(n * K + k) + " (int8 weights are symmetric: -127..127)");
      max_abs = std::max(max_abs, std::abs(v));
    }
    if (max_abs == 0 ? s != 1 : max_abs != 127)
      fail_file(q_file, "tensor " + single_quoted(load.values->name) + " row " + std::to_string(n) +
                            (max_abs == 0 ? " is all zero but its scale is " + std::to_string(s) + ", not 1"
                                          : ": largest |value| " + std::to_string(max_abs) + ", not 127") +
                            " (not quantized as bertft quantize does: docs/int8.md)");
    for (int64_t k = 0; k < K; k++) out[n * K + k] = static_cast<float>(q[n * K + k]) * s;
  }
}

ModelParams allocate(const ModelConfig& config, const Heads& heads, const std::string& config_path) {
  try {
    return ModelParams(config, heads);
  } catch (const std::bad_alloc&) {
  } catch (const std::length_error&) {
  }
  fail_file(config_path, "the model it describes does not fit in memory");
}

}  // namespace

const char* architecture_name(const Architecture& arch, const Heads& heads) {
  if (heads.classifier) return arch.classifier_class;
  if (heads.mlm) return arch.masked_lm_class;
  if (heads.discriminator && arch.pretraining_class) return arch.pretraining_class;
  return arch.base_class;
}

Model load_model(const std::string& dir, const LoadOptions& options, std::vector<std::string>* notices) {
  const CheckpointTensors st(dir);
  const std::string& path = st.path();
  const std::string config_path = path_in(dir, "config.json");
  ModelConfig config = load_config(config_path);
  if (options.id2label) {
    config.id2label = *options.id2label;
    validate_config(config, config_path);
  }
  const Architecture& arch = config.arch();
  const CheckpointIndex index(st, arch);
  const Heads heads = options.heads_of_checkpoint ? heads_of(index, arch) : options.heads;
  const std::string model_class = architecture_name(arch, heads);

  // Every tensor is checked against the header before the model is allocated, so sizes in
  // config.json that the checkpoint does not back cost no memory.
  const std::vector<TensorSpec> specs = param_specs(config, heads);
  std::vector<std::pair<size_t, const StoredTensor*>> loads;  // index into specs, tensor
  std::vector<Int8Load> int8_loads;
  std::vector<size_t> fresh;
  std::vector<std::string> missing_encoder, fresh_names, mismatched;
  std::set<const StoredTensor*> used;
  for (size_t i = 0; i < specs.size(); i++) {
    const TensorSpec& spec = specs[i];
    auto it = index.tensors.find(spec.name);
    if (it == index.tensors.end()) {
      if (is_encoder_slot(spec.slot)) {
        missing_encoder.push_back(spec.name);
      } else {
        fresh.push_back(i);
        fresh_names.push_back(spec.name);
      }
      continue;
    }
    const StoredTensor& e = *it->second;
    used.insert(&e);
    if (e.shape != spec.shape) {
      const bool classifier = spec.slot == Slot::HeadOutWeight || spec.slot == Slot::HeadOutBias;
      if (classifier && options.id2label) {
        fresh.push_back(i);
        mismatched.push_back(spec.name + ": found shape " + shape_string(e.shape) + " in the checkpoint and " +
                             shape_string(spec.shape) + " in the model instantiated");
        continue;
      }
      fail_file(path, "tensor " + single_quoted(e.name) + " has shape " + shape_string(e.shape) + ", config.json implies " +
                          shape_string(spec.shape) +
                          (classifier ? " (" + std::to_string(config.num_labels()) + " labels)" : ""));
    }
    if (e.dtype == "I8") {
      const StoredTensor& scales = int8_scales(index, st, spec, e);
      used.insert(&scales);
      int8_loads.push_back({i, &e, &scales});
      continue;
    }
    st.require_float(e);
    loads.emplace_back(i, &e);
  }
  if (!missing_encoder.empty()) {
    const bool any_encoder = !int8_loads.empty() || std::any_of(loads.begin(), loads.end(), [&](const auto& load) {
      return is_encoder_slot(specs[load.first].slot);
    });
    if (!any_encoder)
      fail_file(path, std::string("no ") + arch.display_name + " encoder tensors found (expected names like " +
                          single_quoted(tensor_name(arch, Slot::WordEmbeddings)) + "; config.json says model_type " +
                          arch.model_type + ")");
    std::string more = missing_encoder.size() > 1 ? " and " + std::to_string(missing_encoder.size() - 1) + " more" : "";
    fail_file(path, "missing tensor " + single_quoted(missing_encoder.front()) + more + " (config.json: " +
                        std::to_string(config.num_hidden_layers) + " layers, hidden_size " +
                        std::to_string(config.hidden_size) + ")");
  }
  if (heads.mlm) check_tied_shapes(index, config, path);

  ModelParams params = allocate(config, heads, config_path);
  for (const auto& [i, entry] : loads) {
    float* values = params.tensor(params.specs()[i]);
    st.read_f32(*entry, values);
    require_finite(values, *entry, st.file_of(*entry));
  }
  for (const Int8Load& load : int8_loads)
    dequantize_stored(st, load, params.specs()[load.spec], params.tensor(params.specs()[load.spec]));
  for (size_t i : fresh) init_tensor(params.specs()[i], params.tensor(params.specs()[i]), config, options.seed);

  if (notices) {
    std::vector<std::string> unused;
    for (const auto& [name, entry] : index.tensors)
      if (!used.count(entry)) unused.push_back(entry->name);
    if (!heads.mlm)
      for (const StoredTensor* e : index.tied) unused.push_back(e->name);
    std::sort(unused.begin(), unused.end());
    std::sort(fresh_names.begin(), fresh_names.end());
    if (!unused.empty())
      notices->push_back("Some weights of the model checkpoint at " + dir + " were not used when initializing " +
                         model_class + ": " + name_list(unused));
    if (!fresh_names.empty())
      notices->push_back("Some weights of " + model_class + " were not initialized from the model checkpoint at " +
                         dir + " and are newly initialized: " + name_list(fresh_names));
    if (!mismatched.empty())
      notices->push_back("Some weights of " + model_class + " were not initialized from the model checkpoint at " +
                         dir + " and are newly initialized because the shapes did not match: " + name_list(mismatched));
  }
  return Model{std::move(config), std::move(params), int8_loads.size()};
}

void check_tokenizer_fits(const Tokenizer& tokenizer, const ModelConfig& config, const std::string& config_path) {
  const size_t ids = tokenizer.vocab_size();
  if (ids > static_cast<size_t>(config.vocab_size))
    fail_file(tokenizer.origin(), "vocabulary has " + std::to_string(ids) + " tokens (highest id " +
                                      std::to_string(ids - 1) + "), more than " + config_path + " vocab_size " +
                                      std::to_string(config.vocab_size));
}

namespace {

constexpr const char* kQuantizationConfig = "quantization_config";

// save_model and save_quantized_model: with int8, the weights of is_int8_slot are stored I8 with F32
// scales beside them.
void write_model(const Model& model, const std::string& dir, DType dtype, bool int8) {
  if (model.params.generator())
    throw std::logic_error("save_model: a joint discriminator and generator is saved as two models");
  const Heads& heads = model.params.heads();
  const std::string config_path = path_in(dir, "config.json");
  validate_config(model.config, config_path);
  if (heads.classifier && model.params.find(Slot::HeadOutBias)->numel != static_cast<size_t>(model.config.num_labels()))
    throw std::logic_error("save_model: the classifier was built for another number of labels than the config has");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail_file(dir, "cannot create directory: " + ec.message());

  ModelConfig config = model.config;
  const Architecture& arch = config.arch();
  config.architectures = {architecture_name(arch, heads)};
  config.extra["torch_dtype"] = torch_dtype_name(dtype);
  config.extra.erase(kQuantizationConfig);  // a model loaded from a quantized directory is fp32 now
  if (int8)
    config.extra[kQuantizationConfig] = {
        {"quant_method", "bertft-int8"},
        {"bits", 8},
        {"weights", "symmetric per output channel: <name> I8 [out, in], <name>_scale F32 [out], w = q * scale"},
        {"activations", "asymmetric uint8 per token, computed at run time"},
        {"format", "docs/int8.md, Model directory layout"}};
  // BertModel.save_pretrained (and its kin) writes its own parameter names, without the base prefix.
  const bool bare = !heads.classifier && !heads.mlm && !heads.discriminator;
  const std::string_view prefix = arch.base_prefix;
  std::vector<TensorToWrite> tensors;
  std::deque<std::vector<int8_t>> values;
  std::deque<std::vector<float>> scales;
  for (const TensorSpec& spec : model.params.specs()) {
    std::string name = bare && spec.name.starts_with(prefix) ? spec.name.substr(prefix.size()) : spec.name;
    const float* data = model.params.data() + spec.offset;
    if (int8 && is_int8_slot(spec.slot)) {
      const int64_t N = spec.shape[0], K = spec.shape[1];
      std::vector<int8_t>& q = values.emplace_back(N * K);
      std::vector<float>& scale = scales.emplace_back(N);
      quantize_weight_per_channel(q.data(), scale.data(), data, N, K);
      tensors.push_back({int8_scale_name(name), {N}, scale.data(), nullptr, true});
      tensors.push_back({std::move(name), spec.shape, nullptr, q.data()});
      continue;
    }
    tensors.push_back({std::move(name), spec.shape, data});
  }
  const std::string config_text = config_to_json(config);
  write_safetensors(path_in(dir, "model.safetensors"), std::move(tensors), dtype);
  write_file_atomic(config_path, config_text);
}

}  // namespace

void save_model(const Model& model, const std::string& dir, DType dtype) { write_model(model, dir, dtype, false); }

void save_quantized_model(const Model& model, const std::string& dir, DType dtype) {
  write_model(model, dir, dtype, true);
}

bool is_int8_slot(Slot slot) {
  switch (slot) {
    case Slot::QueryWeight:
    case Slot::KeyWeight:
    case Slot::ValueWeight:
    case Slot::AttentionOutWeight:
    case Slot::FfnInWeight:
    case Slot::FfnOutWeight:
    case Slot::EmbeddingsProjectWeight:
      return true;
    default:
      return false;
  }
}

bool is_int8_scale(float scale) {
  if (!(std::isnormal(scale) && scale > 0 && std::isfinite(127.0f * scale))) return false;
  const float largest = 127.0f * scale;  // the largest |w| of a row dequantized with this scale
  return largest / 127.0f == scale;
}

std::string int8_scale_name(const std::string& weight_name) { return weight_name + "_scale"; }

std::string dequantized_notice(const Model& model, const std::string& dir, const char* precision_name) {
  if (model.int8_weights == 0 || std::string_view(precision_name) == "int8") return "";
  return dir + " stores " + std::to_string(model.int8_weights) + " weights in int8 (bertft quantize): dequantized "
         "(w = q * scale) for " + precision_name + "; --precision int8 runs them as stored";
}

std::string pooling_notice(const Model& model, const std::string& dir) {
  const Pooling pooling = model.config.classifier_pooling;
  if (pooling == Pooling::Cls || !model.params.heads().classifier) return "";
  return path_in(dir, "config.json") + ": " + kPoolingKey + " '" + pooling_name(pooling) + "': only bertft reads it; " +
         architecture_name(model.config.arch(), model.params.heads()) +
         " in transformers loads this model without error but classifies from the first token, so its outputs differ";
}

std::vector<std::string> tokenizer_files(const std::string& dir) {
  std::vector<std::string> found;
  for (const char* name : kTokenizerFiles)
    if (file_exists(path_in(dir, name))) found.push_back(name);
  return found;
}

TokenizerFiles read_tokenizer_files(const std::string& dir) {
  TokenizerFiles files;
  for (const std::string& name : tokenizer_files(dir)) files.emplace_back(name, read_file(path_in(dir, name.c_str())));
  if (files.empty()) fail_file(dir, "no tokenizer files found (vocab.txt, tokenizer.json, tokenizer_config.json, ...)");
  return files;
}

void write_tokenizer_files(const TokenizerFiles& files, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail_file(dir, "cannot create directory: " + ec.message());
  for (const auto& [name, contents] : files) write_file_atomic(path_in(dir, name.c_str()), contents);
}

std::vector<std::string> copy_tokenizer_files(const std::string& src_dir, const std::string& dst_dir) {
  const TokenizerFiles files = read_tokenizer_files(src_dir);
  std::vector<std::string> names;
  for (const auto& file : files) names.push_back(file.first);
  std::error_code ec;
  if (!fs::equivalent(src_dir, dst_dir, ec)) write_tokenizer_files(files, dst_dir);
  return names;
}

}  // namespace bertft
