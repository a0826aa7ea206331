// Fuzzes the labeled-dataset parsers (CSV, TSV, JSON Lines): any input must either load or throw
// bertft::Error, never crash, hang or read out of bounds. The first byte picks the format and options.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/error.h"
#include "data/dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  static const char* const kNames[] = {"f.csv", "f.tsv", "f.jsonl", "f.json"};
  bertft::DatasetOptions options;
  options.strip_html = mode & 4;
  if (mode & 8) {
    options.no_header = true;
    options.text_columns = {"1"};
    options.label_column = "0";
    if (mode & 128) options.text_columns = {"1", "2"};
  } else if (mode & 128) {
    options.column_names = {"label", "title", "text"};
    options.text_columns = {"title", "text"};
  }
  if ((mode & 16) && (mode & 128)) {
    options.label_names = {"neg", "pos", "mixed"};
  } else if (mode & 16) {
    options.label_map = {{"0", "neg"}, {"1", "pos"}};
  }
  if (mode & 32) options.known_labels = {"neg", "pos"};
  if (mode & 64) options.max_samples = 3;
  try {
    bertft::Dataset d = bertft::parse_dataset_text(text, kNames[mode & 3], options);
    for (const bertft::Example& ex : d.examples)
      if (ex.label < 0 || static_cast<size_t>(ex.label) >= d.label_names.size()) __builtin_trap();
  } catch (const bertft::Error&) {
  }
  return 0;
}
