#include "cli/dataset_options.h"

#include "common/error.h"

namespace bertft {

const char* const kDatasetSpecHelp =
    "Labeled data: FILE.jsonl ({\"text\", \"label\"}, optional \"text_pair\"), FILE.csv / FILE.tsv "
    "(header row), an aclImdb-style directory (pos/, neg/), or ARCHIVE#MEMBER such as "
    "aclImdb.tar.gz#aclImdb/train";

DatasetOptions DatasetCliOptions::to_options() const {
  DatasetOptions o;
  if (!text_column.empty() && !text_columns.empty()) throw Error("give --text-column or --text-columns, not both");
  if (!text_column.empty()) o.text_columns = {text_column};
  if (!text_columns.empty()) o.text_columns = parse_name_list(text_columns, "--text-columns");
  o.label_column = label_column;
  o.text_pair_column = text_pair_column;
  if (!column_names.empty()) o.column_names = parse_name_list(column_names, "--column-names");
  if (!label_map.empty()) o.label_map = parse_label_map(label_map);
  if (!label_names.empty()) o.label_names = read_label_names(label_names);
  o.label_from = label_from;
  o.strip_html = strip_html;
  o.no_header = no_header;
  o.max_samples = max_samples;
  return o;
}

CLI::Option* add_strip_html_option(CLI::App* sub, std::optional<bool>& strip_html) {
  return sub
      ->add_flag_function(
          "--strip-html,!--no-strip-html", [&strip_html](int64_t count) { strip_html = count > 0; },
          "Replace <br /> line breaks (as in IMDb reviews) with spaces, or not. Default: what the model "
          "directory records (config.json bertft_defaults), else off: text reaches the tokenizer as Hugging "
          "Face would see it")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

void add_text_column_options(CLI::App* sub, DatasetCliOptions& o) {
  const char* group = "Dataset";
  sub->add_option("--text-column", o.text_column,
                  "Text column / JSON key (default: the first of text, review, sentence, content); a "
                  "0-based index with --no-header")
      ->group(group);
  sub->add_option("--text-columns", o.text_columns,
                  "Several text columns / JSON keys joined with a space, e.g. title,description")
      ->group(group);
  sub->add_option("--text-pair-column", o.text_pair_column,
                  "Second-text column / JSON key (default: text_pair if present)")
      ->group(group);
  sub->add_flag("--no-header", o.no_header, "CSV/TSV without a header row (columns by index)")->group(group);
  sub->add_option("--column-names", o.column_names,
                  "CSV/TSV without a header row: its columns' names, e.g. label,title,description")
      ->group(group);
  add_strip_html_option(sub, o.strip_html)->group(group);
}

void add_dataset_options(CLI::App* sub, DatasetCliOptions& o, bool with_max_samples) {
  const char* group = "Dataset";
  add_text_column_options(sub, o);
  sub->add_option("--label-column", o.label_column,
                  "Label column / JSON key (default: the first of label, sentiment, labels, class); a "
                  "0-based index with --no-header")
      ->group(group);
  sub->add_option("--label-map", o.label_map,
                  "Rename raw label values before anything else, e.g. \"4=positive,0=negative\"; a value "
                  "not listed is an error")
      ->group(group);
  sub->add_option("--label-names", o.label_names,
                  "The classes in id order: a file with one name per line (AG News' classes.txt) or a,b,c; "
                  "integer labels are 0-based ids, or 1-based when none is 0 and the largest is the number "
                  "of names")
      ->group(group);
  sub->add_option("--label-from", o.label_from,
                  "label | rating: the star rating in aclImdb file names (ID_RATING.txt) as the class")
      ->check(CLI::IsMember({"label", "rating"}))
      ->group(group);
  if (!with_max_samples) return;
  add_number_option(sub, "--max-samples", o.max_samples, "[0, inf)",
                    "Use N examples chosen by a fixed-seed shuffle (same every run), 0 = all")
      ->group(group);
}

}  // namespace bertft
