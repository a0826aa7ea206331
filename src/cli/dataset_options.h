#pragma once
// The dataset options every command that reads labeled data shares (train, eval, analyze,
// dataset-stats), so they are spelled and documented the same everywhere. See data/dataset.h for the
// semantics.
#include <memory>
#include <optional>
#include <string>

#include "cli/command.h"
#include "data/dataset.h"

namespace bertft {

struct DatasetCliOptions {
  std::string text_column, text_columns, label_column, text_pair_column;
  std::string column_names;  // "label,title,description"
  std::string label_map;     // "4=positive,0=negative"
  std::string label_names;   // FILE or "World,Sports,..."
  std::string label_from = "label";
  std::optional<bool> strip_html;  // unset: the model directory's default (off without one)
  bool no_header = false;
  size_t max_samples = 0;

  // Parses the lists and reads the --label-names file (throws Error on a malformed one);
  // known_labels is left for the caller.
  DatasetOptions to_options() const;
};

// Adds --text-column(s), --text-pair-column, --label-column, --no-header, --column-names, --label-map,
// --label-names, --label-from, --strip-html / --no-strip-html and
// (unless the command has its own per-split limits) --max-samples to `sub`, bound to `o` (which must
// outlive parsing).
void add_dataset_options(CLI::App* sub, DatasetCliOptions& o, bool with_max_samples = true);

// --strip-html / --no-strip-html, the same in every command: <br /> line breaks become spaces, or not.
// Unset: the model directory's default (inference/inference_defaults.h), off where there is none.
CLI::Option* add_strip_html_option(CLI::App* sub, std::optional<bool>& strip_html);

// The options that say where a file's texts are, without the label ones: --text-column(s),
// --text-pair-column, --no-header, --column-names and --strip-html / --no-strip-html (predict).
void add_text_column_options(CLI::App* sub, DatasetCliOptions& o);

// Help text for a --data / --train-data option.
extern const char* const kDatasetSpecHelp;

}  // namespace bertft
