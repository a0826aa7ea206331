#pragma once
// The dataset options every command that reads labeled data shares (train, eval, analyze,
// dataset-stats), so they are spelled and documented the same everywhere. See data/dataset.h for the
// semantics.
#include <memory>
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
  bool strip_html = false;
  bool no_header = false;
  size_t max_samples = 0;

  // Parses the lists and reads the --label-names file (throws Error on a malformed one);
  // known_labels is left for the caller.
  DatasetOptions to_options() const;
};

// Adds --text-column(s), --text-pair-column, --label-column, --no-header, --column-names, --label-map,
// --label-names, --label-from, --strip-html and
// (unless the command has its own per-split limits) --max-samples to `sub`, bound to `o` (which must
// outlive parsing).
void add_dataset_options(CLI::App* sub, DatasetCliOptions& o, bool with_max_samples = true);

// Help text for a --data / --train-data option.
extern const char* const kDatasetSpecHelp;

}  // namespace bertft
