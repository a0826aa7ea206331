#pragma once
// Labeled datasets for training and evaluation, read from the formats people keep them in.
//
// load_dataset(SPEC, options), SPEC being one of:
//   FILE.jsonl / FILE.json   JSON Lines, one object per line: {"text": "...", "label": 1} or
//                            {"text": "...", "label": "positive"}, optional "text_pair" (absent,
//                            null or "" = single text). Blank lines are skipped. Parsed strictly
//                            (common/json_input.h).
//   FILE.csv / FILE.tsv      Comma / tab separated, RFC 4180 quoting: a field that starts with '"'
//                            is quoted, may hold delimiters, newlines and "" (a literal quote), and
//                            must be followed by a delimiter or the end of the record; a '"' inside
//                            an unquoted field is an ordinary character. A UTF-8 BOM is ignored,
//                            "\r\n" ends a record like "\n", empty records are skipped. The first
//                            record is the header unless options.no_header or options.column_names.
//   DIR                      An aclImdb-style directory (e.g. aclImdb/train): DIR/neg/*.txt are
//                            "negative", DIR/pos/*.txt "positive", other entries (unsup/, urls,
//                            .feat files) ignored. Files are read in byte-wise sorted name order,
//                            neg before pos; a name like 123_8.txt sets Example::rating to 8.
//   ARCHIVE#MEMBER           The same inside an archive libarchive reads (.tar.gz, .tgz, .tar,
//                            .zip, ...): MEMBER is a directory in aclImdb layout
//                            (data/aclImdb.tar.gz#aclImdb/train) or a .jsonl/.csv/.tsv file.
//
// Columns / keys: the text is options.text_columns if given (several are joined with one space,
// e.g. a title and a description), else the first of text, review, sentence, content present
// (case-insensitive in CSV headers); the label is options.label_column, else label, sentiment,
// labels, class; the pair is options.text_pair_column, else text_pair if present. With no_header
// (CSV/TSV) the columns are 0-based indexes and text_columns / label_column are required; with
// column_names (CSV/TSV without a header row) the columns get those names instead. AG News:
// --column-names label,title,description --text-columns title,description --label-names classes.txt.
// In JSON Lines the keys are chosen from the first record and then required in every record.
//
// Soft labels (JSON Lines only): a record may also carry "probs": [p_0, ..., p_{n-1}], its class
// probabilities in class-id order, or {"NAME": p, ...} by class name (a teacher model's predictions as
// bertft predict prints them), for training by knowledge distillation: train then learns these probabilities
// instead of the one-hot label. The label is still required (metrics, stratified splits). Each
// value must be a number in [0, 1], their sum within 1e-3 of 1, and there must be one per class.
//
// Labels, in this order:
//   0. options.label_from == "rating": the star rating from aclImdb file names is the label (every
//      example must have one); classes are the ratings present in numeric order ("1" .. "10").
//   1. options.label_names fixes the classes and their order: a name label must be one of them (id
//      = its position); integer labels are 0-based ids, or 1-based when none is 0 and the largest
//      equals the number of names (AG News' 1-4). A value outside is an error.
//   2. options.label_map ("4=positive,0=negative") rewrites every raw label value (a JSON integer is
//      matched by its decimal text) to a name; a value not in the map is an error.
//   3. Integer class ids (JSON integers; in CSV/TSV, when every label of the file is a decimal
//      integer; never after a label_map): used as they are, like HF's integer "label" column.
//      label_names = known_labels if every id is below its size, else LABEL_0 .. LABEL_<max id>
//      (the names transformers gives a config without id2label).
//   4. Names (strings; CSV labels when not all are integers): if every name is in known_labels,
//      the ids are their positions there and label_names = known_labels (so an existing model's
//      id2label is kept); otherwise the distinct names sorted byte-wise get ids 0..n-1 (negative=0,
//      positive=1, as in the IMDb/SST-2 conventions). Mixing JSON integers and strings is an error.
// Label ids are fixed from the whole file before max_samples, so a sample never renumbers classes.
//
// Text: invalid UTF-8 is replaced with U+FFFD; options.strip_html turns <br />, <br/>, <br> (any
// case) into a space. An empty text is kept; an empty label is an error.
// max_samples > 0 keeps that many examples chosen by a fixed-seed shuffle (the same every run),
// kept in their file order: for class-sorted sources like aclImdb the sample has both classes in
// about their proportions, which "the first N" would not.
//
// Every error is one line naming where: "FILE:LINE: ..." (CSV: the line the record starts on),
// "ARCHIVE#aclImdb/train/pos/1_8.txt: ...", or the spec.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bertft {

struct Example {
  std::string text;
  std::string text_pair;  // empty = none
  int label = 0;
  int rating = -1;        // aclImdb star rating from the file name, -1 if none
  std::string origin;     // "file:line" or archive member path, for errors and error analysis
  std::vector<float> probs;  // soft label: class probabilities in id order, empty if none
};

struct Dataset {
  std::vector<Example> examples;
  std::vector<std::string> label_names;  // id -> name
};

struct DatasetOptions {
  std::vector<std::string> text_columns;  // empty = auto; several are joined with a space
  std::string label_column;               // "" = auto; 0-based indexes with no_header
  std::vector<std::string> column_names;  // CSV/TSV without a header row: the columns' names
  std::string text_pair_column;           // "" = "text_pair" if present
  std::vector<std::pair<std::string, std::string>> label_map;  // raw value -> name
  std::vector<std::string> label_names;   // the classes in id order (see Labels above)
  std::string label_from = "label";       // label | rating (aclImdb file names)
  std::optional<bool> strip_html;         // <br /> to spaces; unset: off (commands resolve it first)
  bool no_header = false;                 // CSV/TSV only
  std::vector<std::string> known_labels;  // the model's id2label, used when the labels fit
  size_t max_samples = 0;                 // 0 = all
  bool unlabeled = false;                 // load_texts: the label column is neither looked for nor read
};

Dataset load_dataset(const std::string& spec, const DatasetOptions& options);

// The texts of SPEC alone, for prediction: the same formats, columns, text pairs and cleaning as
// load_dataset, in file order; labels (and the label options, max_samples) are neither needed nor read,
// so a labeled file can be classified as it is. Each Example's label is 0.
std::vector<Example> load_texts(const std::string& spec, DatasetOptions options);

// The same for a file's contents already in memory; `name` picks the format by its extension
// (.jsonl/.json, .csv, .tsv) and prefixes errors.
Dataset parse_dataset_text(const std::string& data, const std::string& name, const DatasetOptions& options);

// "4=positive,0=negative" -> {{"4","positive"},{"0","negative"}}; names and values are trimmed of
// spaces and may not contain ',' or '='. Throws Error("--label-map: ...") on a malformed entry or a
// value given twice.
std::vector<std::pair<std::string, std::string>> parse_label_map(const std::string& text);

// "a,b,c" -> {"a","b","c"}, each trimmed of spaces; `option` prefixes errors (an empty item, or an
// empty list).
std::vector<std::string> parse_name_list(const std::string& text, const std::string& option);

// --label-names: FILE (one name per line, blank lines skipped, like AG News' classes.txt) if such a
// file exists, else a comma-separated list. Throws Error on an empty list or a name given twice.
std::vector<std::string> read_label_names(const std::string& file_or_list);

// "the data's labels [neg, pos] differ from the model's id2label [negative, positive]", then how to map
// them: `--label-map "neg=negative,pos=positive"` by position when both have as many labels, else the form.
std::string label_mismatch(const std::vector<std::string>& data_labels, const std::vector<std::string>& model_labels);

// Replaces <br />, <br/>, <br> (case-insensitive) with one space each.
std::string strip_html_breaks(const std::string& text);

// Splits into (train, valid): for each class, round-to-nearest of its share goes to valid, the
// remainders distributed so valid has round(n * valid_fraction) examples overall (largest
// remainder first, then lower class id). Which examples go where is a seeded shuffle per class; both
// halves keep the input order. valid_fraction must be in (0, 1). Deterministic in seed.
std::pair<Dataset, Dataset> stratified_split(const Dataset& dataset, double valid_fraction, uint64_t seed);

}  // namespace bertft
