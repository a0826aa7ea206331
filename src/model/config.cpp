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

void validate_config(const ModelConfig& c, const std::string& path) {
  FieldReader r(path);
  for (const auto& [key, member, max] : kSizes) {
    if (c.*member < 1) r.fail(key, "expected a positive integer, got " + std::to_string(c.*member));
    if (c.*member > max) r.fail(key, too_large(c.*member, max));
  }
  if (c.hidden_size % c.num_attention_heads != 0)
    fail_file(path, "hidden_size " + std::to_string(c.hidden_size) + " is not a multiple of num_attention_heads " +
                        std::to_string(c.num_attention_heads));
  if (c.pad_token_id < 0 || c.pad_token_id >= c.vocab_size)
    r.fail("pad_token_id", std::to_string(c.pad_token_id) + " is outside the vocabulary 0.." +
                               std::to_string(c.vocab_size - 1));
  if (std::find(kSupportedActivations.begin(), kSupportedActivations.end(), c.hidden_act) ==
      kSupportedActivations.end())
    r.fail("hidden_act", single_quoted(c.hidden_act) +
                             " is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu, silu, swish)");
  if (c.position_embedding_type != "absolute")
    r.fail("position_embedding_type", single_quoted(c.position_embedding_type) + " is not supported (only 'absolute')");
  for (const auto& [key, member] : kProbabilities)
    if (!(c.*member >= 0 && c.*member <= 1)) r.fail(key, "expected a number in [0, 1]");
  if (c.classifier_dropout && !(*c.classifier_dropout >= 0 && *c.classifier_dropout <= 1))
    r.fail("classifier_dropout", "expected null or a number in [0, 1]");
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
  long double H = c.hidden_size, I = c.intermediate_size;
  long double params = (static_cast<long double>(c.vocab_size) * 2 + c.max_position_embeddings + c.type_vocab_size +
                        c.num_labels() + 16) * (H + 1) +
                       (c.num_hidden_layers + 2.0L) * (4 * H * H + 2 * I * H + I + 16 * H);
  if (params > kMaxParameters) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3Lg", params);
    fail_file(path, std::string("sizes imply about ") + buf + " parameters, more than bertft supports (2^36)");
  }
}

ModelConfig parse_config(const std::string& json_text, const std::string& path) {
  json j = parse_json_object(json_text, path);
  FieldReader r(path);
  ModelConfig c;
  std::optional<int64_t> num_labels;
  bool have_id2label = false;
  for (const auto& item : j.items()) {
    // Named copies rather than a structured binding: clang 14 cannot capture those in the lambdas.
    const std::string& key = item.key();
    const json& v = item.value();
    auto size = std::find_if(std::begin(kSizes), std::end(kSizes), [&](const auto& f) { return key == f.key; });
    auto prob = std::find_if(std::begin(kProbabilities), std::end(kProbabilities),
                             [&](const auto& f) { return key == f.first; });
    if (size != std::end(kSizes)) {
      c.*(size->member) = static_cast<int>(r.integer(key, v, 1, "a positive integer"));
    } else if (prob != std::end(kProbabilities)) {
      c.*(prob->second) = r.number(key, v, 0, 1, "a number in [0, 1]");
    } else if (key == "classifier_dropout") {
      if (v.is_null()) c.classifier_dropout.reset();
      else c.classifier_dropout = r.number(key, v, 0, 1, "null or a number in [0, 1]");
    } else if (key == "initializer_range") {
      c.initializer_range = r.number(key, v, 0, std::numeric_limits<float>::max(), "a non-negative number");
    } else if (key == "layer_norm_eps") {
      c.layer_norm_eps = r.number(key, v, std::numeric_limits<float>::denorm_min(),
                                  std::numeric_limits<float>::max(), "a positive number");
    } else if (key == "pad_token_id") {
      c.pad_token_id = static_cast<int>(r.integer(key, v, 0, "a non-negative integer"));
    } else if (key == "hidden_act") {
      c.hidden_act = r.string(key, v);
    } else if (key == "position_embedding_type") {
      c.position_embedding_type = r.string(key, v);
    } else if (key == "model_type") {
      if (r.string(key, v) != "bert")
        r.fail(key, single_quoted(v.get<std::string>()) + " is not supported (bertft reads 'bert' models)");
    } else if (key == "id2label") {
      have_id2label = !v.is_null();
      if (have_id2label) c.id2label = r.id2label(key, v);
    } else if (key == "label2id") {
      // Rebuilt from id2label on save (as HF does when only id2label is given); only its shape is checked.
      if (v.is_null()) continue;
      if (!v.is_object()) r.expected(key, "an object {label: id, ...}", v);
      for (const auto& [label, id] : v.items())
        if (!id.is_number_integer()) r.fail(key, "id of label " + single_quoted(label) + " must be an integer");
    } else if (key == "num_labels") {
      num_labels = r.integer(key, v, 1, "a positive integer");
      if (*num_labels > kMaxLabels) r.fail(key, too_large(*num_labels, kMaxLabels));
    } else if (key == "problem_type") {
      c.problem_type = v.is_null() ? "" : r.string(key, v);
    } else if (key == "architectures") {
      c.architectures.clear();
      if (v.is_null()) continue;
      if (!v.is_array()) r.expected(key, "a list of class names", v);
      for (const json& name : v) c.architectures.push_back(r.string(key, name));
    } else {
      c.extra[key] = v;
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

ModelConfig load_config(const std::string& path) { return parse_config(read_file(path), path); }

std::string config_to_json(const ModelConfig& c) {
  json j = c.extra.is_object() ? c.extra : json::object();
  for (const auto& [key, member, max] : kSizes) j[key] = c.*member;
  for (const auto& [key, member] : kProbabilities) j[key] = shortest_double(c.*member);
  j["classifier_dropout"] = c.classifier_dropout ? json(shortest_double(*c.classifier_dropout)) : json(nullptr);
  j["initializer_range"] = shortest_double(c.initializer_range);
  j["layer_norm_eps"] = shortest_double(c.layer_norm_eps);
  j["pad_token_id"] = c.pad_token_id;
  j["hidden_act"] = c.hidden_act;
  j["position_embedding_type"] = c.position_embedding_type;
  json id2label = json::object(), label2id = json::object();
  for (int i = 0; i < c.num_labels(); i++) {
    id2label[std::to_string(i)] = c.id2label[i];
    label2id[c.id2label[i]] = i;
  }
  j["id2label"] = id2label;
  j["label2id"] = label2id;
  if (!c.problem_type.empty()) j["problem_type"] = c.problem_type;
  if (!c.architectures.empty()) j["architectures"] = c.architectures;
  j["model_type"] = "bert";
  j["transformers_version"] = kTransformersVersion;
  if (!j.contains("torch_dtype")) j["torch_dtype"] = "float32";
  if (!j.contains("use_cache")) j["use_cache"] = true;
  // Python's json.dumps(indent=2, sort_keys=True) with its default ensure_ascii, plus HF's newline.
  return j.dump(2, ' ', true) + "\n";
}

}  // namespace bertft
