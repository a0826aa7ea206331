#include "cli/dataset_options.h"

namespace bertft {

const char* const kDatasetSpecHelp =
    "Labeled data: FILE.jsonl ({\"text\", \"label\"}, optional \"text_pair\"), FILE.csv / FILE.tsv "
    "(header row), an aclImdb-style directory (pos/, neg/), or ARCHIVE#MEMBER such as "
    "aclImdb.tar.gz#aclImdb/train";

DatasetOptions DatasetCliOptions::to_options() const {
  DatasetOptions o;
  o.text_column = text_column;
  o.label_column = label_column;
  o.text_pair_column = text_pair_column;
  if (!label_map.empty()) o.label_map = parse_label_map(label_map);
  o.strip_html = strip_html;
  o.no_header = no_header;
  o.max_samples = max_samples;
  return o;
}

void add_dataset_options(CLI::App* sub, DatasetCliOptions& o, bool with_max_samples) {
  const char* group = "Dataset";
  sub->add_option("--text-column", o.text_column,
                  "Text column / JSON key (default: the first of text, review, sentence, content); a "
                  "0-based index with --no-header")
      ->group(group);
  sub->add_option("--text-pair-column", o.text_pair_column,
                  "Second-text column / JSON key (default: text_pair if present)")
      ->group(group);
  sub->add_option("--label-column", o.label_column,
                  "Label column / JSON key (default: the first of label, sentiment, labels, class); a "
                  "0-based index with --no-header")
      ->group(group);
  sub->add_flag("--no-header", o.no_header, "CSV/TSV without a header row (columns by index)")->group(group);
  sub->add_option("--label-map", o.label_map,
                  "Rename raw label values before anything else, e.g. \"4=positive,0=negative\"; a value "
                  "not listed is an error")
      ->group(group);
  sub->add_flag("--strip-html", o.strip_html, "Replace <br /> line breaks (as in IMDb reviews) with spaces")
      ->group(group);
  if (!with_max_samples) return;
  sub->add_option("--max-samples", o.max_samples,
                  "Use N examples chosen by a fixed-seed shuffle (same every run), 0 = all")
      ->group(group);
}

}  // namespace bertft
