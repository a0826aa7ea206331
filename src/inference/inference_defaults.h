#pragma once
// What a model directory says about the inputs it expects: the max length, how longer texts are cut
// (truncation, encoding/encoded_dataset.h) and how text is cleaned before tokenizing (<br /> line
// breaks). `bertft train` records the options it trained with, so that predict, eval, serve, analyze
// and the Python module use them when the caller gives none; an explicit option always wins.
//
// Stored in config.json under the key "bertft_defaults", which Hugging Face's PretrainedConfig keeps
// as an attribute of unknown name (from_pretrained loads it, save_pretrained writes it back), and
// which bertft's own config reader keeps in ModelConfig::extra, so convert and further training
// carry it along:
//   "bertft_defaults": {"max_length": 128, "truncation": "chunks", "head_tokens": 128,
//                       "chunk_overlap": 32, "strip_html": true}
// Every member is optional (absent: the built-in default below); an unknown member or a value of the
// wrong type or range is an error naming config.json and the member.
#include <string>

#include "encoding/encoded_dataset.h"
#include "model/config.h"

namespace bertft {

inline constexpr const char* kInferenceDefaultsKey = "bertft_defaults";

struct InferenceDefaults {
  int max_length = 0;        // tokens per input incl. special tokens; 0: the longest the model takes
  Truncation truncation;     // head (HF's truncation=True), head+tail or chunks, with their parameters
  bool strip_html = false;   // <br /> line breaks become spaces; off: text reaches the tokenizer as HF sees it
};

// The defaults `config` records (the built-in ones where it records none); `path` names config.json
// in errors.
InferenceDefaults inference_defaults(const ModelConfig& config, const std::string& path);

// The same read from MODEL_DIR/config.json (a missing or malformed file is an Error naming it).
InferenceDefaults read_inference_defaults(const std::string& model_dir);

// Writes `defaults` into config.extra, so that saving the model records them.
void record_inference_defaults(ModelConfig& config, const InferenceDefaults& defaults);

}  // namespace bertft
