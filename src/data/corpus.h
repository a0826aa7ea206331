#pragma once
// Unlabeled text for vocabulary training and pretraining: documents read from the formats corpora
// come in.
//
// load_corpus(SPECS, options) reads every spec in order; each spec is one of:
//   FILE.jsonl / FILE.json   JSON Lines: one object per line, the text under options.text_column,
//                            else the first of text, review, sentence, content present in the first
//                            record (then required, as a string, in every record). Blank lines are
//                            skipped; parsed strictly (common/json_input.h).
//   FILE (any other name)    Plain text: every non-blank line is one document (the Hugging Face
//                            `datasets` "text" loader's unit, minus empty lines); "\r\n" ends a line
//                            like "\n".
//   DIR                      aclImdb layout: every *.txt file of DIR/neg, DIR/pos, DIR/unsup
//                            (whichever exist), or if none exists, the *.txt files directly in DIR;
//                            one document per file, in byte-wise order of the path below DIR.
//   ARCHIVE#MEMBER           The same inside an archive libarchive reads (.tar.gz, .zip, ...):
//                            MEMBER is such a directory (aclImdb.tar.gz#aclImdb/train: pos + neg +
//                            unsup, 75,000 reviews; #aclImdb/train/unsup: 50,000) or a file, read
//                            by its extension as above.
// Texts: invalid UTF-8 is replaced with U+FFFD; options.strip_html turns <br /> (and <br/>, <br>,
// any case) into a space.
// Errors are one line naming the file (and line): a missing file, a malformed record, a spec that
// yields no documents ("SPEC: no documents").
#include <cstddef>
#include <string>
#include <vector>

namespace bertft {

struct CorpusOptions {
  std::string text_column;  // "" = auto: text, review, sentence, content
  bool strip_html = false;
};

struct Document {
  std::string text;
  std::string origin;  // "FILE:LINE", a file path, or "ARCHIVE#member path"
};

// Reads every document of every spec, in spec order and a fixed order within a spec.
std::vector<Document> load_corpus(const std::vector<std::string>& specs, const CorpusOptions& options);

// The documents of one spec (load_corpus without the "no documents" check across specs).
std::vector<Document> load_corpus_spec(const std::string& spec, const CorpusOptions& options);

}  // namespace bertft
