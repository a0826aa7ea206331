// config.json <-> ModelConfig, following transformers' PretrainedConfig and the family configs' semantics.
#include "model/config.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

#include "common/error.h"
#include "common/io.h"
#include "common/json_input.h"
#include "common/float_convert.h"
#include "tokenizer/tokenizer_data.h"

namespace bertft {

namespace {

using nlohmann::json;

// Fields read and written the same way, so parse and serialise cannot drift apart. Each has a
// ceiling far above any BERT (base: 30522, 768, 12, 12, 3072, 512, 2), so that a hostile config.json
// is refused before anything loops over or allocates its sizes.
struct SizeField {
  const char* key;
  int ModelConfig::*member;
  int max;
};
constexpr SizeField kSizes[] = {
    {"vocab_size", &ModelConfig::vocab_size, kMaxTokenId + 1},  // every id a tokenizer may hold
    {"hidden_size", &ModelConfig::hidden_size, 1 << 16},         // the widest published transformers: ~20k
    {"num_hidden_layers", &ModelConfig::num_hidden_layers, 1024},  // the deepest: ~130
    {"num_attention_heads", &ModelConfig::num_attention_heads, 1 << 16},
    {"intermediate_size", &ModelConfig::intermediate_size, 1 << 18},
    {"max_position_embeddings", &ModelConfig::max_position_embeddings, 1 << 16},  // BERT-family maximum: 8192
    {"type_vocab_size", &ModelConfig::type_vocab_size, 1 << 10},
};
constexpr int kMaxEmbeddingSize = 1 << 16;
// Label sets of sequence classifiers reach a few thousand (ICD codes: ~9k); the labels are built as
// strings when config.json is read, before the checkpoint can disagree.
constexpr int kMaxLabels = 1 << 16;
constexpr std::pair<const char*, float ModelConfig::*> kProbabilities[] = {
    {"hidden_dropout_prob", &ModelConfig::hidden_dropout_prob},
    {"attention_probs_dropout_prob", &ModelConfig::attention_probs_dropout_prob},
};
// HF validates problem_type against exactly these.
constexpr std::string_view kProblemTypes[] = {"regression", "single_label_classification",
                                              "multi_label_classification"};
// Far above any BERT (large is 3.4e8) yet small enough that no size computation can overflow.
constexpr long double kMaxParameters = 68719476736.0L;  // 2^36

// A config.json key under BertConfig's name, and back (DistilBERT spells most of them its own way).
std::string bert_key(const Architecture& arch, const std::string& key) {
  for (const auto& [family_name, bert_name] : arch.config_keys)
    if (key == family_name) return bert_name;
  return key;
}
std::string family_key(const Architecture& arch, const std::string& key) {
  for (const auto& [family_name, bert_name] : arch.config_keys)
    if (key == bert_name) return family_name;
  return key;
}
bool is_absent_key(const Architecture& arch, const std::string& key) {
  for (const char* absent : arch.absent_config_keys)
    if (key == absent) return true;
  return false;
}

std::string label_name(int i) { return "LABEL_" + std::to_string(i); }

std::string too_large(int64_t value, int64_t max) {
  return std::to_string(value) + " is more than bertft supports (" + std::to_string(max) + ")";
}

// Python writes a float32 0.1 as 0.1, not 0.10000000149011612: serialise the shortest decimal that
// reads back as the same float.
double shortest_double(float f) {
  char buf[64];
  auto end = std::to_chars(buf, buf + sizeof buf, f).ptr;
  double d = 0;
  std::from_chars(buf, end, d);
  return d;
}

class FieldReader {
 public:
  explicit FieldReader(const std::string& path) : path_(path) {}

  [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
    fail_file(path_, "field " + single_quoted(key) + ": " + problem);
  }
  [[noreturn]] void expected(const std::string& key, const std::string& what, const json& v) const {
    fail(key, "expected " + what + ", got " + brief(v));
  }

  int64_t integer(const std::string& key, const json& v, int64_t min, const std::string& what) const {
    int64_t x = 0;
    if (v.is_number_unsigned()) {
      if (v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int>::max())) expected(key, what, v);
      x = static_cast<int64_t>(v.get<uint64_t>());
    } else if (v.is_number_integer()) {
      x = v.get<int64_t>();
    } else {
      expected(key, what, v);
    }
    if (x < min || x > std::numeric_limits<int>::max()) expected(key, what, v);
    return x;
  }

  float number(const std::string& key, const json& v, float min, float max, const std::string& what) const {
    if (!v.is_number()) expected(key, what, v);
    float x = f64_to_f32(v.get<double>());
    if (!std::isfinite(x) || x < min || x > max) expected(key, what, v);
    return x;
  }

  std::string string(const std::string& key, const json& v) const {
    if (!v.is_string()) expected(key, "a string", v);
    return v.get<std::string>();
  }

  // id2label: {"0": "neg", "1": "pos"} with keys exactly 0..n-1 (HF converts them with int()).
  std::vector<std::string> id2label(const std::string& key, const json& v) const {
    if (!v.is_object() || v.empty()) expected(key, "a non-empty object {\"0\": label, ...}", v);
    // n distinct keys all below n: together they are exactly 0..n-1.
    std::vector<std::string> labels(v.size());
    for (const auto& [id, label] : v.items()) {
      size_t i = 0;
      auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), i);
      bool canonical = ec == std::errc() && end == id.data() + id.size() && (id == "0" || id[0] != '0');
      if (!canonical || i >= labels.size())
        fail(key, "keys must be the label ids 0.." + std::to_string(labels.size() - 1) + ", got " + single_quoted(id));
      if (!label.is_string()) fail(key, "label " + single_quoted(id) + " must be a string, got " + brief(label));
      labels[i] = label.get<std::string>();
    }
    return labels;
  }

 private:
  const std::string& path_;
};

}  // namespace

const char* pooling_name(Pooling pooling) {
  switch (pooling) {
    case Pooling::Mean: return "mean";
    case Pooling::Max: return "max";
    case Pooling::Cls: break;
  }
  return "cls";
}

std::optional<Pooling> pooling_from_name(std::string_view name) {
  for (const Pooling p : {Pooling::Cls, Pooling::Mean, Pooling::Max})
    if (name == pooling_name(p)) return p;
  return std::nullopt;
}

void validate_config(const ModelConfig& c, const std::string& path) {
  FieldReader r(path);
  const Architecture& arch = c.arch();
  auto name = [&](const char* bert_name) { return family_key(arch, bert_name); };
  for (const auto& [key, member, max] : kSizes) {
    if (member == &ModelConfig::type_vocab_size && !c.has_token_types()) continue;
    if (c.*member < 1) r.fail(name(key), "expected a positive integer, got " + std::to_string(c.*member));
    if (c.*member > max) r.fail(name(key), too_large(c.*member, max));
  }
  if (c.embedding_size != 0) {
    if (c.family != Family::Electra) r.fail("embedding_size", "only ELECTRA models have one");
    if (c.embedding_size < 1) r.fail("embedding_size", "expected a positive integer");
    if (c.embedding_size > kMaxEmbeddingSize) r.fail("embedding_size", too_large(c.embedding_size, kMaxEmbeddingSize));
  }
  if (c.sinusoidal_positions && c.family != Family::DistilBert)
    r.fail("sinusoidal_pos_embds", "only DistilBERT models have fixed sinusoidal positions");
  if (c.max_sequence_length() < 1)
    r.fail("max_position_embeddings", std::to_string(c.max_position_embeddings) + " leaves no position for a token (" +
                                          std::string(c.arch().display_name) + " positions start at pad_token_id + 1 = " +
                                          std::to_string(c.first_position()) + ")");
  if (c.hidden_size % c.num_attention_heads != 0)
    fail_file(path, name("hidden_size") + " " + std::to_string(c.hidden_size) + " is not a multiple of " +
                        name("num_attention_heads") + " " +
                        std::to_string(c.num_attention_heads));
  if (c.pad_token_id < 0 || c.pad_token_id >= c.vocab_size)
    r.fail("pad_token_id", std::to_string(c.pad_token_id) + " is outside the vocabulary 0.." +
                               std::to_string(c.vocab_size - 1));
  if (std::find(kSupportedActivations.begin(), kSupportedActivations.end(), c.hidden_act) ==
      kSupportedActivations.end())
    r.fail(name("hidden_act"), single_quoted(c.hidden_act) +
                             " is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu, silu, swish)");
  if (c.position_embedding_type != "absolute")
    r.fail("position_embedding_type", single_quoted(c.position_embedding_type) + " is not supported (only 'absolute')");
  for (const auto& [key, member] : kProbabilities)
    if (!(c.*member >= 0 && c.*member <= 1)) r.fail(name(key), "expected a number in [0, 1]");
  if (c.classifier_dropout && !(*c.classifier_dropout >= 0 && *c.classifier_dropout <= 1))
    r.fail(name("classifier_dropout"), "expected null or a number in [0, 1]");
  if (!(c.initializer_range >= 0 && std::isfinite(c.initializer_range)))
    r.fail("initializer_range", "expected a non-negative number");
  if (!(c.layer_norm_eps > 0 && std::isfinite(c.layer_norm_eps)))
    r.fail("layer_norm_eps", "expected a positive number");
  if (c.id2label.empty()) r.fail("id2label", "a classifier needs at least one label");
  if (c.id2label.size() > kMaxLabels)
    r.fail("id2label", std::to_string(c.id2label.size()) + " labels, more than bertft supports (" +
                           std::to_string(kMaxLabels) + ")");
  try {
    (void)json(c.id2label).dump();  // labels from a command line may be any bytes; JSON needs UTF-8
  } catch (const json::type_error&) {
    r.fail("id2label", "labels must be valid UTF-8");
  }
  if (!c.problem_type.empty() &&
      std::find(std::begin(kProblemTypes), std::end(kProblemTypes), c.problem_type) == std::end(kProblemTypes))
    r.fail("problem_type", single_quoted(c.problem_type) +
                               " is not one of regression, single_label_classification, multi_label_classification");
  // An upper bound on every head's parameters: keeps absurd sizes from overflowing later arithmetic.
  long double H = std::max(c.hidden_size, c.embedding_width()), I = c.intermediate_size;
  long double params = (static_cast<long double>(c.vocab_size) * 2 + c.max_position_embeddings + c.type_vocab_size +
                        c.num_labels() + 16) * (H + 1) +
                       (c.num_hidden_layers + 2.0L) * (4 * H * H + 2 * I * H + I + 16 * H);
  if (params > kMaxParameters) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3Lg", params);
    fail_file(path, std::string("sizes imply about ") + buf + " parameters, more than bertft supports (2^36)");
  }
}

ModelConfig default_config(Family family) {
  ModelConfig c;
  c.family = family;
  switch (family) {
    case Family::Bert:
      break;
    case Family::DistilBert:  // DistilBertConfig
      c.num_hidden_layers = 6;
      c.type_vocab_size = 0;
      c.classifier_dropout = 0.2f;  // seq_classif_dropout
      break;
    case Family::Roberta:  // RobertaConfig
      c.vocab_size = 50265;
      c.pad_token_id = 1;
      break;
    case Family::Electra:  // ElectraConfig: the small discriminator
      c.embedding_size = 128;
      c.hidden_size = 256;
      c.num_attention_heads = 4;
      c.intermediate_size = 1024;
      break;
  }
  return c;
}

ModelConfig parse_config(const std::string& json_text, const std::string& path) {
  json j = parse_json_object(json_text, path);
  FieldReader r(path);
  const Architecture* arch = &architecture(Family::Bert);  // BertConfig files from before model_type
  if (auto it = j.find("model_type"); it != j.end()) {
    arch = find_architecture(r.string("model_type", *it));
    if (!arch)
      r.fail("model_type", single_quoted(it->get<std::string>()) + " is not supported (bertft reads " +
                               supported_model_types() + ")");
  }
  ModelConfig c = default_config(arch->family);
  std::optional<int64_t> num_labels;
  bool have_id2label = false;
  for (const auto& item : j.items()) {
    // Named copies rather than a structured binding: clang 14 cannot capture those in the lambdas.
    const std::string& file_key = item.key();
    const std::string key = bert_key(*arch, file_key);
    const json& v = item.value();
    if (is_absent_key(*arch, key)) {  // another family's field: kept as it is
      c.extra[file_key] = v;
      continue;
    }
    auto size = std::find_if(std::begin(kSizes), std::end(kSizes), [&](const auto& f) { return key == f.key; });
    auto prob = std::find_if(std::begin(kProbabilities), std::end(kProbabilities),
                             [&](const auto& f) { return key == f.first; });
    if (size != std::end(kSizes)) {
      c.*(size->member) = static_cast<int>(r.integer(file_key, v, 1, "a positive integer"));
    } else if (prob != std::end(kProbabilities)) {
      c.*(prob->second) = r.number(file_key, v, 0, 1, "a number in [0, 1]");
    } else if (key == "classifier_dropout") {
      if (v.is_null()) c.classifier_dropout.reset();
      else c.classifier_dropout = r.number(file_key, v, 0, 1, "null or a number in [0, 1]");
    } else if (key == "initializer_range") {
      c.initializer_range = r.number(file_key, v, 0, std::numeric_limits<float>::max(), "a non-negative number");
    } else if (key == "layer_norm_eps") {
      c.layer_norm_eps = r.number(file_key, v, std::numeric_limits<float>::denorm_min(),
                                  std::numeric_limits<float>::max(), "a positive number");
    } else if (key == "pad_token_id") {
      c.pad_token_id = static_cast<int>(r.integer(file_key, v, 0, "a non-negative integer"));
    } else if (key == "hidden_act") {
      c.hidden_act = r.string(file_key, v);
    } else if (key == "position_embedding_type") {
      c.position_embedding_type = r.string(file_key, v);
    } else if (key == "model_type") {
      continue;  // read above
    } else if (key == "embedding_size") {
      c.embedding_size = static_cast<int>(r.integer(file_key, v, 1, "a positive integer"));
    } else if (key == "sinusoidal_pos_embds") {
      if (!v.is_boolean()) r.expected(file_key, "true or false", v);
      c.sinusoidal_positions = v.get<bool>();
    } else if (key == "id2label") {
      have_id2label = !v.is_null();
      if (have_id2label) c.id2label = r.id2label(file_key, v);
    } else if (key == "label2id") {
      // Rebuilt from id2label on save (as HF does when only id2label is given); only its shape is checked.
      if (v.is_null()) continue;
      if (!v.is_object()) r.expected(file_key, "an object {label: id, ...}", v);
      for (const auto& [label, id] : v.items())
        if (!id.is_number_integer()) r.fail(file_key, "id of label " + single_quoted(label) + " must be an integer");
    } else if (key == "num_labels") {
      num_labels = r.integer(file_key, v, 1, "a positive integer");
      if (*num_labels > kMaxLabels) r.fail(file_key, too_large(*num_labels, kMaxLabels));
    } else if (key == "problem_type") {
      c.problem_type = v.is_null() ? "" : r.string(file_key, v);
    } else if (key == kPoolingKey) {
      const std::optional<Pooling> pooling = pooling_from_name(r.string(file_key, v));
      if (!pooling) r.expected(file_key, "'cls', 'mean' or 'max'", v);
      c.classifier_pooling = *pooling;
    } else if (key == "architectures") {
      c.architectures.clear();
      if (v.is_null()) continue;
      if (!v.is_array()) r.expected(file_key, "a list of class names", v);
      for (const json& name : v) c.architectures.push_back(r.string(file_key, name));
    } else {
      c.extra[file_key] = v;
    }
  }
  if (num_labels && !have_id2label) {
    c.id2label.clear();
    for (int i = 0; i < *num_labels; i++) c.id2label.push_back(label_name(i));
  } else if (num_labels && *num_labels != c.num_labels()) {
    r.fail("num_labels", std::to_string(*num_labels) + " disagrees with the " + std::to_string(c.num_labels()) +
                             " labels of id2label");
  }
  validate_config(c, path);
  return c;
}

int resolve_max_length(const ModelConfig& c, int requested) {
  if (requested <= c.max_sequence_length()) return requested > 0 ? requested : c.max_sequence_length();
  std::string why = "max_position_embeddings " + std::to_string(c.max_position_embeddings);
  if (c.first_position() > 0)
    why += ", less the " + std::to_string(c.first_position()) + " positions before a " + c.arch().display_name +
           " sequence's first";
  throw Error("--max-length " + std::to_string(requested) + " is more than the model takes (" +
              std::to_string(c.max_sequence_length()) + ": " + why + ")");
}

ModelConfig load_config(const std::string& path) { return parse_config(read_file(path), path); }

std::string config_to_json(const ModelConfig& c) {
  const Architecture& arch = c.arch();
  json fields = json::object();  // under BertConfig's names, renamed below
  for (const auto& [key, member, max] : kSizes) fields[key] = c.*member;
  for (const auto& [key, member] : kProbabilities) fields[key] = shortest_double(c.*member);
  fields["classifier_dropout"] = c.classifier_dropout ? json(shortest_double(*c.classifier_dropout)) : json(nullptr);
  fields["initializer_range"] = shortest_double(c.initializer_range);
  fields["layer_norm_eps"] = shortest_double(c.layer_norm_eps);
  fields["pad_token_id"] = c.pad_token_id;
  fields["hidden_act"] = c.hidden_act;
  fields["position_embedding_type"] = c.position_embedding_type;
  fields["embedding_size"] = c.embedding_width();
  fields["sinusoidal_pos_embds"] = c.sinusoidal_positions;
  json j = c.extra.is_object() ? c.extra : json::object();
  for (const auto& [key, value] : fields.items())
    if (!is_absent_key(arch, key)) j[family_key(arch, key)] = value;
  json id2label = json::object(), label2id = json::object();
  for (int i = 0; i < c.num_labels(); i++) {
    id2label[std::to_string(i)] = c.id2label[i];
    label2id[c.id2label[i]] = i;
  }
  j["id2label"] = id2label;
  j["label2id"] = label2id;
  if (!c.problem_type.empty()) j["problem_type"] = c.problem_type;
  // Absent for cls, so a first-token model's config.json stays exactly the one transformers writes.
  if (c.classifier_pooling != Pooling::Cls) j[kPoolingKey] = pooling_name(c.classifier_pooling);
  if (!c.architectures.empty()) j["architectures"] = c.architectures;
  j["model_type"] = arch.model_type;
  j["transformers_version"] = kTransformersVersion;
  if (!j.contains("torch_dtype")) j["torch_dtype"] = "float32";
  if (!j.contains("use_cache") && arch.family != Family::DistilBert) j["use_cache"] = true;
  // Python's json.dumps(indent=2, sort_keys=True) with its default ensure_ascii, plus HF's newline.
  return j.dump(2, ' ', true) + "\n";
}

}  // namespace bertft
