// Model directories in the layout transformers' save_pretrained writes and from_pretrained reads.
#include "model/checkpoint.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <filesystem>
#include <map>
#include <new>
#include <set>
#include <stdexcept>

#include "common/error.h"
#include "common/io.h"
#include "common/json_input.h"
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
    st.require_float(e);
    loads.emplace_back(i, &e);
  }
  if (!missing_encoder.empty()) {
    const bool any_encoder = std::any_of(loads.begin(), loads.end(), [&](const auto& load) {
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
  return Model{std::move(config), std::move(params)};
}

void check_tokenizer_fits(const Tokenizer& tokenizer, const ModelConfig& config, const std::string& config_path) {
  const size_t ids = tokenizer.vocab_size();
  if (ids > static_cast<size_t>(config.vocab_size))
    fail_file(tokenizer.origin(), "vocabulary has " + std::to_string(ids) + " tokens (highest id " +
                                      std::to_string(ids - 1) + "), more than " + config_path + " vocab_size " +
                                      std::to_string(config.vocab_size));
}

void save_model(const Model& model, const std::string& dir, DType dtype) {
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
  // BertModel.save_pretrained (and its kin) writes its own parameter names, without the base prefix.
  const bool bare = !heads.classifier && !heads.mlm;
  const std::string_view prefix = arch.base_prefix;
  std::vector<TensorToWrite> tensors;
  for (const TensorSpec& spec : model.params.specs()) {
    std::string name = bare && spec.name.starts_with(prefix) ? spec.name.substr(prefix.size()) : spec.name;
    tensors.push_back({std::move(name), spec.shape, model.params.data() + spec.offset});
  }
  const std::string config_text = config_to_json(config);
  write_safetensors(path_in(dir, "model.safetensors"), std::move(tensors), dtype);
  write_file_atomic(config_path, config_text);
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
