#include "inference/inference_defaults.h"

#include <filesystem>
#include <limits>

#include "common/error.h"
#include "common/json_input.h"

namespace bertft {

namespace {

const char* truncation_name(Truncation::Strategy strategy) {
  switch (strategy) {
    case Truncation::Strategy::HeadTail: return "head+tail";
    case Truncation::Strategy::Chunks: return "chunks";
    case Truncation::Strategy::Head: break;
  }
  return "head";
}

}  // namespace

InferenceDefaults inference_defaults(const ModelConfig& config, const std::string& path) {
  InferenceDefaults d;
  const auto it = config.extra.find(kInferenceDefaultsKey);
  if (it == config.extra.end() || it->is_null()) return d;
  const JsonField field(*it, path, kInferenceDefaultsKey);
  field.as_object();
  for (const auto& [key, value] : it->items())
    if (key != "max_length" && key != "truncation" && key != "head_tokens" && key != "chunk_overlap" &&
        key != "strip_html")
      field.entry(key, value).fail("unknown member (bertft reads max_length, truncation, head_tokens, "
                                   "chunk_overlap, strip_html)");
  constexpr int64_t kMax = std::numeric_limits<int>::max();
  d.max_length = static_cast<int>(field["max_length"].int_or(0, 0, kMax));
  const std::string name = field["truncation"].string_or("head");
  const int head_tokens = static_cast<int>(field["head_tokens"].int_or(d.truncation.head_tokens, 0, kMax));
  const int overlap = static_cast<int>(field["chunk_overlap"].int_or(d.truncation.chunk_overlap, 0, kMax));
  if (name != "head" && name != "head+tail" && name != "chunks")
    field["truncation"].fail("expected head, head+tail or chunks, got " + single_quoted(name));
  d.truncation = truncation_from_name(name, head_tokens, overlap);
  d.strip_html = field["strip_html"].bool_or(false);
  return d;
}

InferenceDefaults read_inference_defaults(const std::string& model_dir) {
  const std::string path = (std::filesystem::path(model_dir) / "config.json").string();
  return inference_defaults(load_config(path), path);
}

void record_inference_defaults(ModelConfig& config, const InferenceDefaults& defaults) {
  config.extra[kInferenceDefaultsKey] = {{"max_length", defaults.max_length},
                                         {"truncation", truncation_name(defaults.truncation.strategy)},
                                         {"head_tokens", defaults.truncation.head_tokens},
                                         {"chunk_overlap", defaults.truncation.chunk_overlap},
                                         {"strip_html", defaults.strip_html}};
}

}  // namespace bertft
