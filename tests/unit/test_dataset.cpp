#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>
#include <sstream>

#include "baseline/logistic_regression.h"
#include "baseline/tfidf.h"
#include "common/error.h"
#include "data/csv.h"
#include "data/dataset.h"
#include "data/synth.h"
#include "temp_files.h"

namespace bertft {
namespace {

namespace fs = std::filesystem;

class DatasetTest : public test::TempFilesTest {
 protected:
  Dataset load(const std::string& name, const std::string& contents, DatasetOptions options = {}) {
    return load_dataset(write(name, contents), options);
  }

  std::string load_error(const std::string& name, const std::string& contents, DatasetOptions options = {}) {
    try {
      load(name, contents, options);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
};

TEST_F(DatasetTest, JsonLinesWithIntegerIdsAndPairs) {
  Dataset d = load("a.jsonl",
                   "{\"text\": \"good\", \"label\": 1}\n\n"
                   "{\"text\": \"bad\", \"text_pair\": \"worse\", \"label\": 0}\r\n"
                   "{\"text\": \"meh\", \"text_pair\": null, \"label\": 2}\n");
  ASSERT_EQ(d.examples.size(), 3u);
  EXPECT_EQ(d.examples[0].text, "good");
  EXPECT_EQ(d.examples[0].label, 1);
  EXPECT_EQ(d.examples[1].text_pair, "worse");
  EXPECT_EQ(d.examples[2].text_pair, "");
  EXPECT_TRUE(d.examples[2].origin.ends_with("a.jsonl:4")) << d.examples[2].origin;
  EXPECT_EQ(d.label_names, (std::vector<std::string>{"LABEL_0", "LABEL_1", "LABEL_2"}));
  // Known labels apply when every id fits; otherwise LABEL_i.
  DatasetOptions o;
  o.known_labels = {"neg", "neutral", "pos"};
  EXPECT_EQ(load("b.jsonl", "{\"text\": \"x\", \"label\": 2}\n", o).label_names, o.known_labels);
  o.known_labels = {"neg", "pos"};
  EXPECT_EQ(load("c.jsonl", "{\"text\": \"x\", \"label\": 2}\n", o).label_names,
            (std::vector<std::string>{"LABEL_0", "LABEL_1", "LABEL_2"}));
}

TEST_F(DatasetTest, StringLabelsSortedOrFromKnownLabels) {
  const std::string data =
      "{\"text\": \"a\", \"label\": \"positive\"}\n{\"text\": \"b\", \"label\": \"negative\"}\n";
  Dataset d = load("a.jsonl", data);
  EXPECT_EQ(d.label_names, (std::vector<std::string>{"negative", "positive"}));
  EXPECT_EQ(d.examples[0].label, 1);
  EXPECT_EQ(d.examples[1].label, 0);
  DatasetOptions o;
  o.known_labels = {"positive", "neutral", "negative"};
  d = load("b.jsonl", data, o);
  EXPECT_EQ(d.label_names, o.known_labels);
  EXPECT_EQ(d.examples[0].label, 0);
  EXPECT_EQ(d.examples[1].label, 2);
  o.known_labels = {"LABEL_0", "LABEL_1"};  // names do not fit: sorted
  EXPECT_EQ(load("c.jsonl", data, o).label_names, (std::vector<std::string>{"negative", "positive"}));
}

TEST_F(DatasetTest, AlternativeKeysAndExplicitColumns) {
  Dataset d = load("a.jsonl", "{\"review\": \"r\", \"sentiment\": \"pos\"}\n");
  EXPECT_EQ(d.examples[0].text, "r");
  DatasetOptions o;
  o.text_columns = {"body"};
  o.label_column = "y";
  d = load("b.jsonl", "{\"body\": \"t\", \"y\": 0, \"text\": \"no\"}\n", o);
  EXPECT_EQ(d.examples[0].text, "t");
}

TEST_F(DatasetTest, JsonLinesErrorsNameFileAndLine) {
  EXPECT_TRUE(load_error("a.jsonl", "{\"text\": \"a\", \"label\": 0}\n{\"text\": \"b\"}\n").ends_with("a.jsonl:2: missing label 'label'"))
      << load_error("a.jsonl", "{\"text\": \"a\", \"label\": 0}\n{\"text\": \"b\"}\n");
  EXPECT_NE(load_error("b.jsonl", "{\"text\": \"a\", \"label\": 0}\n{\"text\": \"b\", \"label\": 0\n").find("b.jsonl:2: "),
            std::string::npos);
  EXPECT_NE(load_error("c.jsonl", "{\"text\": \"a\", \"label\": \"\"}\n").find("c.jsonl:1: empty label"), std::string::npos);
  EXPECT_NE(load_error("d.jsonl", "{\"label\": 1}\n").find("d.jsonl:1: no text field"), std::string::npos);
  EXPECT_NE(load_error("e.jsonl", "{\"text\": \"a\", \"label\": 0}\n{\"text\": \"b\", \"label\": \"x\"}\n")
                .find("e.jsonl:2: label is a string but the first label"),
            std::string::npos);
  EXPECT_NE(load_error("f.jsonl", "{\"text\": \"a\", \"label\": 1.5}\n").find("f.jsonl:1: label: expected a class id"),
            std::string::npos);
  EXPECT_NE(load_error("g.jsonl", "{\"text\": \"a\", \"label\": -1}\n").find("g.jsonl:1: label -1 is not a class id"),
            std::string::npos);
  EXPECT_NE(load_error("h.json", "[{\"text\": \"a\", \"label\": 1}]").find("h.json:1: a JSON array"), std::string::npos);
  EXPECT_NE(load_error("i.jsonl", "\n\n").find("i.jsonl: no examples"), std::string::npos);
  EXPECT_NE(load_error("j.txt", "x").find("j.txt: unknown dataset format"), std::string::npos);
  EXPECT_NE(load_error("k.jsonl", "{\"text\": 3, \"label\": 1}\n").find("k.jsonl:1: text: expected"), std::string::npos);
  try {
    load_dataset((dir_ / "missing.csv").string(), {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.csv: no such file"), std::string::npos);
  }
}

TEST_F(DatasetTest, SoftLabelsAreClassProbabilitiesInIdOrder) {
  const Dataset d = load("soft.jsonl",
                         "{\"text\": \"a\", \"label\": \"positive\", \"probs\": [0.25, 0.75]}\n"
                         "{\"text\": \"b\", \"label\": \"negative\"}\n");
  ASSERT_EQ(d.examples.size(), 2u);
  EXPECT_EQ(d.label_names, (std::vector<std::string>{"negative", "positive"}));
  EXPECT_EQ(d.examples[0].probs, (std::vector<float>{0.25f, 0.75f}));
  EXPECT_TRUE(d.examples[1].probs.empty());
  auto error = [&](const std::string& probs) {
    return load_error("bad.jsonl", "{\"text\": \"a\", \"label\": 0}\n{\"text\": \"b\", \"label\": 1, \"probs\": " +
                                       probs + "}\n");
  };
  EXPECT_NE(error("0.5").find("bad.jsonl:2: probs: expected an array"), std::string::npos) << error("0.5");
  EXPECT_NE(error("[0.5, \"x\"]").find("bad.jsonl:2: probs: expected class probabilities"), std::string::npos)
      << error("[0.5, \"x\"]");
  EXPECT_NE(error("[1.5, -0.5]").find("bad.jsonl:2: probs: expected class probabilities"), std::string::npos);
  EXPECT_NE(error("[0.5, 0.4]").find("bad.jsonl:2: probs: the class probabilities sum to 0.9"), std::string::npos)
      << error("[0.5, 0.4]");
  EXPECT_NE(error("[0.2, 0.3, 0.5]").find("bad.jsonl:2: 'probs' has 3 values but the data has 2 classes"),
            std::string::npos)
      << error("[0.2, 0.3, 0.5]");
}

TEST_F(DatasetTest, SoftLabelsByLabelNameAsPredictPrintsThem) {
  const Dataset d = load("soft.jsonl",
                         "{\"text\": \"a\", \"label\": \"positive\", \"probs\": {\"positive\": 0.75, \"negative\": 0.25}}\n"
                         "{\"text\": \"b\", \"label\": \"negative\", \"probs\": [0.9, 0.1]}\n");
  EXPECT_EQ(d.examples[0].probs, (std::vector<float>{0.25f, 0.75f}));
  EXPECT_EQ(d.examples[1].probs, (std::vector<float>{0.9f, 0.1f}));
  EXPECT_NE(load_error("bad.jsonl", "{\"text\": \"a\", \"label\": \"negative\", \"probs\": {\"negative\": 1.0}}\n"
                                    "{\"text\": \"b\", \"label\": \"positive\"}\n")
                .find("bad.jsonl:1: 'probs' has 1 values but the data has 2 classes [negative, positive]"),
            std::string::npos);
}

TEST_F(DatasetTest, TextsAloneForPrediction) {
  const std::string csv = write("a.csv", "label,text,other\npositive,\"good, really\",x\n,no label<br />here,y\n");
  DatasetOptions options;
  options.strip_html = true;
  const std::vector<Example> texts = load_texts(csv, options);
  ASSERT_EQ(texts.size(), 2u);
  EXPECT_EQ(texts[0].text, "good, really");
  EXPECT_EQ(texts[1].text, "no label here");
  EXPECT_EQ(texts[1].origin, csv + ":3");
  options.no_header = true;
  options.text_columns = {"1"};
  EXPECT_EQ(load_texts(csv, options).size(), 3u);  // --no-header: the header row is a text too
  const std::string jsonl = write("b.jsonl", "{\"review\": \"r\", \"text_pair\": \"p\"}\n");
  const std::vector<Example> pairs = load_texts(jsonl, {});
  EXPECT_EQ(pairs[0].text, "r");
  EXPECT_EQ(pairs[0].text_pair, "p");
}

TEST(LabelMismatch, NamesBothSetsAndTheMapThatJoinsThem) {
  EXPECT_EQ(label_mismatch({"neg", "pos"}, {"negative", "positive"}),
            "the data's labels [neg, pos] differ from the model's id2label [negative, positive]; if they mean the "
            "same, say so with --label-map \"neg=negative,pos=positive\"");
  EXPECT_EQ(label_mismatch({"a", "b", "c"}, {"x", "y"}),
            "the data's labels [a, b, c] differ from the model's id2label [x, y]; --label-map \"DATA=MODEL,...\" "
            "renames the data's labels");
}

TEST_F(DatasetTest, CsvReaderQuoting) {
  const std::string data =
      "\xEF\xBB\xBFh1,h2\r\n"
      "\"a, \"\"quoted\"\"\nsecond line\",1\r\n"
      "\n"
      "plain \"inner\" quote,\"\"\n"
      "last,\"x\"";
  CsvReader reader(data, ',', "f.csv");
  CsvRecord r;
  ASSERT_TRUE(reader.next(r));
  EXPECT_EQ(r.fields, (std::vector<std::string>{"h1", "h2"}));
  ASSERT_TRUE(reader.next(r));
  EXPECT_EQ(r.line, 2);
  EXPECT_EQ(r.fields, (std::vector<std::string>{"a, \"quoted\"\nsecond line", "1"}));
  ASSERT_TRUE(reader.next(r));
  EXPECT_EQ(r.line, 5);
  EXPECT_EQ(r.fields, (std::vector<std::string>{"plain \"inner\" quote", ""}));
  ASSERT_TRUE(reader.next(r));
  EXPECT_EQ(r.line, 6);
  EXPECT_EQ(r.fields, (std::vector<std::string>{"last", "x"}));
  EXPECT_FALSE(reader.next(r));

  CsvReader trailing("a,\n", ',', "t.csv");
  ASSERT_TRUE(trailing.next(r));
  EXPECT_EQ(r.fields, (std::vector<std::string>{"a", ""}));
}

TEST_F(DatasetTest, CsvWithHeaderEmbeddedNewlinesAndIntegerLabels) {
  Dataset d = load("a.csv",
                   "id,Review,Sentiment\n"
                   "1,\"Great film,\nloved it\",positive\n"
                   "2,\"Said \"\"meh\"\"\",negative\n");
  ASSERT_EQ(d.examples.size(), 2u);
  EXPECT_EQ(d.examples[0].text, "Great film,\nloved it");
  EXPECT_EQ(d.examples[1].text, "Said \"meh\"");
  EXPECT_EQ(d.examples[0].label, 1);
  EXPECT_TRUE(d.examples[1].origin.ends_with("a.csv:4"));
  // All-integer labels are class ids.
  d = load("b.csv", "text,label\nx,0\ny,3\n");
  EXPECT_EQ(d.label_names.size(), 4u);
  EXPECT_EQ(d.examples[1].label, 3);
  // A mix is names, sorted.
  d = load("c.csv", "text,label\nx,0\ny,neutral\n");
  EXPECT_EQ(d.label_names, (std::vector<std::string>{"0", "neutral"}));
  // text_pair column is picked up.
  d = load("d.csv", "text,text_pair,label\na,b,0\n");
  EXPECT_EQ(d.examples[0].text_pair, "b");
}

TEST_F(DatasetTest, TsvAndNoHeader) {
  Dataset d = load("a.tsv", "sentence\tlabel\nit 's \"fine\"\t1\nnot good\t0\n");
  ASSERT_EQ(d.examples.size(), 2u);
  EXPECT_EQ(d.examples[0].text, "it 's \"fine\"");
  DatasetOptions o;
  o.no_header = true;
  o.text_columns = {"2"};
  o.label_column = "0";
  o.label_map = parse_label_map("1=World, 2=Sports");
  d = load("b.csv", "\"1\",\"Title\",\"Body one\"\n\"2\",\"T2\",\"Body two\"\n", o);
  EXPECT_EQ(d.examples[0].text, "Body one");
  EXPECT_EQ(d.label_names, (std::vector<std::string>{"Sports", "World"}));
  EXPECT_EQ(d.examples[0].label, 1);
  o.label_map.clear();
  o.label_column = "x";
  EXPECT_NE(load_error("c.csv", "1,a\n", o).find("--label-column 'x': with --no-header"), std::string::npos);
}

TEST_F(DatasetTest, CsvErrorsNameTheRecordStartLine) {
  EXPECT_NE(load_error("a.csv", "text,label\nok,1\n\"open\nstill open,1\n").find("a.csv:3: unterminated quoted field"),
            std::string::npos);
  EXPECT_NE(load_error("b.csv", "text,label\n\"x\"y,1\n").find("b.csv:2: text after the closing quote"),
            std::string::npos);
  EXPECT_NE(load_error("c.csv", "body,label\nx,1\n").find("c.csv:1: no text column (looked for text, review"),
            std::string::npos);
  EXPECT_NE(load_error("d.csv", "text,y\nx,1\n").find("d.csv:1: no label column"), std::string::npos);
  EXPECT_NE(load_error("e.csv", "text,label\nx,1\n\"multi\nline\",\n").find("e.csv:3: empty label"),
            std::string::npos);
  EXPECT_NE(load_error("f.csv", "text,label\nx,1,extra\n").find("f.csv:2: 3 fields, the header has 2"),
            std::string::npos);
  DatasetOptions o;
  o.text_columns = {"body"};
  EXPECT_NE(load_error("g.csv", "text,label\nx,1\n", o).find("g.csv:1: no column 'body'"), std::string::npos);
  EXPECT_NE(load_error("h.csv", "").find("h.csv: empty file"), std::string::npos);
}

TEST_F(DatasetTest, LabelMap) {
  DatasetOptions o;
  o.label_map = parse_label_map("4=positive,0=negative");
  Dataset d = load("a.jsonl", "{\"text\": \"a\", \"label\": 4}\n{\"text\": \"b\", \"label\": 0}\n", o);
  EXPECT_EQ(d.label_names, (std::vector<std::string>{"negative", "positive"}));
  EXPECT_EQ(d.examples[0].label, 1);
  EXPECT_EQ(d.examples[1].label, 0);
  EXPECT_NE(load_error("b.csv", "text,label\na,4\nb,2\n", o).find("b.csv:3: label '2' is not in --label-map"),
            std::string::npos);
  EXPECT_THROW(parse_label_map("4positive"), Error);
  EXPECT_THROW(parse_label_map("4=a,4=b"), Error);
  EXPECT_THROW(parse_label_map("=a"), Error);
  EXPECT_EQ(parse_label_map("a=b,").size(), 1u);
}

TEST_F(DatasetTest, AgNewsStyleColumnNamesTextColumnsAndLabelNames) {
  const std::string csv = "\"3\",\"Title A\",\"Body a\"\n\"1\",\"Title B\",\"Body b\"\n\"4\",\"T\",\"\"\n";
  DatasetOptions o;
  o.column_names = {"label", "title", "description"};
  o.text_columns = {"title", "description"};
  o.label_names = read_label_names(write("classes.txt", "World\nSports\n\nBusiness\nSci/Tech\n"));
  Dataset d = load("ag.csv", csv, o);
  ASSERT_EQ(d.examples.size(), 3u);
  EXPECT_EQ(d.examples[0].text, "Title A Body a");
  EXPECT_EQ(d.examples[2].text, "T ");
  EXPECT_EQ(d.label_names, (std::vector<std::string>{"World", "Sports", "Business", "Sci/Tech"}));
  EXPECT_EQ(d.examples[0].label, 2);  // 1-based: 3 is Business
  EXPECT_EQ(d.examples[1].label, 0);
  EXPECT_EQ(d.examples[2].label, 3);
  EXPECT_TRUE(d.examples[0].origin.ends_with("ag.csv:1"));  // no header line

  // The same by index with --no-header; 0-based ids when a 0 is present.
  DatasetOptions by_index;
  by_index.no_header = true;
  by_index.text_columns = {"1", "2"};
  by_index.label_column = "0";
  by_index.label_names = parse_name_list("a, b,c,d", "--label-names");
  d = load("ag0.csv", "0,x,y\n3,z,w\n", by_index);
  EXPECT_EQ(d.examples[0].label, 0);
  EXPECT_EQ(d.examples[1].label, 3);
  EXPECT_EQ(d.examples[1].text, "z w");
  EXPECT_NE(load_error("ag1.csv", "5,x,y\n", by_index).find("ag1.csv:1: label 5 has no name: --label-names gives 4"),
            std::string::npos);

  // Names as labels keep the listed order (not sorted); JSON keys joined the same way.
  DatasetOptions named;
  named.label_names = {"pos", "neg"};
  named.text_columns = {"title", "body"};
  d = load("n.jsonl", "{\"title\": \"T\", \"body\": \"B\", \"label\": \"neg\"}\n", named);
  EXPECT_EQ(d.examples[0].text, "T B");
  EXPECT_EQ(d.examples[0].label, 1);
  EXPECT_NE(load_error("n2.jsonl", "{\"title\": \"T\", \"body\": \"B\", \"label\": \"meh\"}\n", named)
                .find("n2.jsonl:1: label 'meh' is not in --label-names (pos, neg)"),
            std::string::npos);
  EXPECT_NE(load_error("n3.jsonl", "{\"title\": \"T\", \"label\": \"neg\"}\n", named).find("n3.jsonl:1: missing 'body'"),
            std::string::npos);

  EXPECT_NE(load_error("ag2.csv", "1,x\n", o).find("ag2.csv:1: 2 fields, --column-names has 3"), std::string::npos);
  o.text_columns = {"title", "summary"};
  EXPECT_NE(load_error("ag3.csv", csv, o).find("ag3.csv (--column-names): no column 'summary'"), std::string::npos);
  o.label_map = parse_label_map("1=x");
  EXPECT_THROW(load("ag4.csv", csv, o), Error);
  DatasetOptions json_columns;
  json_columns.column_names = {"label", "text"};
  EXPECT_NE(load_error("cols.jsonl", "{\"text\": \"a\", \"label\": 0}\n", json_columns)
                .find("--no-header and --column-names apply to CSV/TSV files only"),
            std::string::npos);
  EXPECT_THROW(read_label_names("a,,b"), Error);
  EXPECT_THROW(read_label_names("a,b,a"), Error);
  EXPECT_THROW(read_label_names(write("empty.txt", "\n\n")), Error);
}

TEST_F(DatasetTest, StripHtmlAndUtf8) {
  EXPECT_EQ(strip_html_breaks("a<br />b<br/>c<BR>d<br  />e<bra>"), "a b c d e<bra>");
  DatasetOptions o;
  o.strip_html = true;
  Dataset d = load("a.jsonl", "{\"text\": \"one<br /><br />two\", \"label\": 0}\n", o);
  EXPECT_EQ(d.examples[0].text, "one  two");
  d = load("b.csv", "text,label\nbad\xff byte,0\n");
  EXPECT_EQ(d.examples[0].text, "bad\xEF\xBF\xBD byte");
}

std::map<std::string, std::string> imdb_files() {
  return {{"aclImdb/train/pos/10_9.txt", "Loved it.<br />Really."},
          {"aclImdb/train/pos/2_7.txt", "Nice."},
          {"aclImdb/train/neg/1_2.txt", "Awful."},
          {"aclImdb/train/unsup/5_0.txt", "Unlabeled."},
          {"aclImdb/train/urls_pos.txt", "http://x"},
          {"aclImdb/test/neg/0_1.txt", "Test."},
          {"data/train.csv", "text,label\nhello,1\n"}};
}

void expect_imdb_train(const Dataset& d) {
  ASSERT_EQ(d.examples.size(), 3u);
  EXPECT_EQ(d.label_names, (std::vector<std::string>{"negative", "positive"}));
  EXPECT_EQ(d.examples[0].text, "Awful.");
  EXPECT_EQ(d.examples[0].label, 0);
  EXPECT_EQ(d.examples[0].rating, 2);
  EXPECT_EQ(d.examples[1].text, "Loved it. Really.");  // sorted by name: "10_9" < "2_7"
  EXPECT_EQ(d.examples[1].rating, 9);
  EXPECT_EQ(d.examples[2].rating, 7);
  EXPECT_EQ(d.examples[2].label, 1);
}

TEST_F(DatasetTest, ImdbDirectoryAndArchive) {
  for (const auto& [path, contents] : imdb_files()) write(path, contents);
  DatasetOptions o;
  o.strip_html = true;
  Dataset d = load_dataset((dir_ / "aclImdb" / "train").string(), o);
  expect_imdb_train(d);
  EXPECT_TRUE(d.examples[0].origin.ends_with("aclImdb/train/neg/1_2.txt"));

  const std::string archive = write_tar_gz("imdb.tar.gz", imdb_files());
  d = load_dataset(archive + "#aclImdb/train/", o);
  expect_imdb_train(d);
  EXPECT_EQ(d.examples[0].origin, "aclImdb/train/neg/1_2.txt");
  EXPECT_EQ(load_dataset(archive + "#aclImdb/test", o).examples.size(), 1u);
  d = load_dataset(archive + "#data/train.csv", o);
  ASSERT_EQ(d.examples.size(), 1u);
  EXPECT_EQ(d.examples[0].origin, archive + "#data/train.csv:2");

  auto error = [&](const std::string& spec) {
    try {
      load_dataset(spec, o);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error(archive).find("imdb.tar.gz: an archive: name the data inside it after '#'"), std::string::npos);
  EXPECT_NE(error(archive + "#aclImdb/trian").find("no member 'aclImdb/trian'"), std::string::npos);
  EXPECT_NE(error(archive + "#data/missing.csv").find("no file 'data/missing.csv'"), std::string::npos);
  EXPECT_NE(error((dir_ / "aclImdb").string()).find("not an aclImdb-style directory"), std::string::npos);
  EXPECT_NE(error(write("notgz.tar.gz", "plain") + "#x").find("notgz.tar.gz: "), std::string::npos);
}

TEST_F(DatasetTest, LabelFromRatingOrdersClassesNumerically) {
  for (const auto& [path, contents] : imdb_files()) write(path, contents);
  DatasetOptions o;
  o.label_from = "rating";
  Dataset d = load_dataset((dir_ / "aclImdb" / "train").string(), o);
  EXPECT_EQ(d.label_names, (std::vector<std::string>{"2", "7", "9"}));
  EXPECT_EQ(d.examples[0].label, 0);  // neg/1_2.txt
  EXPECT_EQ(d.examples[1].label, 2);  // pos/10_9.txt
  EXPECT_EQ(d.examples[2].label, 1);  // pos/2_7.txt
  o.known_labels = {"1", "2", "3", "4", "7", "8", "9", "10"};  // a model's classes that cover the data
  d = load_dataset((dir_ / "aclImdb" / "train").string(), o);
  EXPECT_EQ(d.label_names, o.known_labels);
  EXPECT_EQ(d.examples[1].label, 6);
  const std::string error = load_error("r.jsonl", "{\"text\": \"a\", \"label\": 1}\n", o);
  EXPECT_NE(error.find("r.jsonl:1: --label-from rating: no star rating"), std::string::npos) << error;
  o.label_from = "stars";
  EXPECT_THROW(load_dataset((dir_ / "aclImdb" / "train").string(), o), Error);
}

TEST_F(DatasetTest, MaxSamplesIsAFixedSampleInFileOrder) {
  std::string data;
  for (int i = 0; i < 100; i++)
    data += "{\"text\": \"t" + std::to_string(i) + "\", \"label\": \"" + (i < 50 ? "neg" : "pos") + "\"}\n";
  DatasetOptions o;
  o.max_samples = 20;
  Dataset a = load("a.jsonl", data, o), b = load("b.jsonl", data, o);
  ASSERT_EQ(a.examples.size(), 20u);
  int pos = 0;
  for (size_t i = 0; i < 20; i++) {
    EXPECT_EQ(a.examples[i].text, b.examples[i].text);
    if (i) {
      EXPECT_LT(std::stoi(a.examples[i - 1].text.substr(1)), std::stoi(a.examples[i].text.substr(1)));
    }
    pos += a.examples[i].label;
  }
  EXPECT_GT(pos, 3);
  EXPECT_LT(pos, 17);
  EXPECT_EQ(a.label_names.size(), 2u);
}

TEST(DatasetSplit, StratifiedProportionsAndDeterminism) {
  Dataset d;
  d.label_names = {"a", "b", "c"};
  const int counts[3] = {70, 20, 10};
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < counts[c]; i++) d.examples.push_back({"x" + std::to_string(d.examples.size()), "", c, -1, "", {}});
  auto [train, valid] = stratified_split(d, 0.2, 7);
  EXPECT_EQ(valid.examples.size(), 20u);
  EXPECT_EQ(train.examples.size(), 80u);
  int per[3] = {0, 0, 0};
  for (const Example& ex : valid.examples) per[ex.label]++;
  EXPECT_EQ(per[0], 14);
  EXPECT_EQ(per[1], 4);
  EXPECT_EQ(per[2], 2);
  EXPECT_EQ(train.label_names, d.label_names);
  std::set<std::string> all;
  for (const Example& ex : train.examples) all.insert(ex.text);
  for (const Example& ex : valid.examples) all.insert(ex.text);
  EXPECT_EQ(all.size(), 100u);
  auto [train2, valid2] = stratified_split(d, 0.2, 7);
  auto [train3, valid3] = stratified_split(d, 0.2, 8);
  bool same = true, differs = false;
  for (size_t i = 0; i < valid.examples.size(); i++) {
    same = same && valid.examples[i].text == valid2.examples[i].text;
    differs = differs || valid.examples[i].text != valid3.examples[i].text;
  }
  EXPECT_TRUE(same);
  EXPECT_TRUE(differs);
  // Remainders: 3 classes of 5 at 0.5 -> 8 overall (round(7.5)), distributed largest-remainder.
  Dataset e;
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < 5; i++) e.examples.push_back({"y", "", c, -1, "", {}});
  e.label_names = {"a", "b", "c"};
  EXPECT_EQ(stratified_split(e, 0.5, 1).second.examples.size(), 8u);
  EXPECT_THROW(stratified_split(d, 0.0, 1), Error);
  EXPECT_THROW(stratified_split(d, 1.0, 1), Error);
}

TEST(Synth, DeterministicBalancedAndNotBagOfWordsSeparable) {
  const auto a = synth_reviews(1001, 5), b = synth_reviews(1001, 5), c = synth_reviews(1001, 6);
  ASSERT_EQ(a.size(), 1001u);
  int positive = 0, differ = 0;
  for (size_t i = 0; i < a.size(); i++) {
    EXPECT_EQ(a[i].text, b[i].text);
    EXPECT_EQ(a[i].positive, b[i].positive);
    differ += a[i].text != c[i].text;
    positive += a[i].positive;
  }
  EXPECT_EQ(positive, 501);
  EXPECT_GT(differ, 900);
  // Negation and contrast are present.
  int negations = 0, contrasts = 0;
  auto has = [](const std::string& text, std::initializer_list<const char*> cues) {
    for (const char* cue : cues)
      if (text.find(cue) != std::string::npos) return true;
    return false;
  };
  for (const auto& ex : a) {
    negations += has(ex.text, {" not ", " never ", "n't ", " hardly "});
    contrasts += has(ex.text, {", but ", ", yet ", "however", ". But ", ". Still, ", "Although ", "Even though ",
                               "While ", ", although ", ", even if "});
  }
  EXPECT_GT(negations, 200);
  EXPECT_GT(contrasts, 300);
  // Word order decides: a bag-of-words model (TF-IDF + logistic regression) trained on these reviews
  // learns the sentiment words but stays well below 100% on new ones.
  const auto many = synth_reviews(20000, 1), held_out = synth_reviews(2000, 2);
  auto texts = [](const std::vector<SynthExample>& examples) {
    std::vector<std::string_view> out;
    for (const auto& ex : examples) out.push_back(ex.text);
    return out;
  };
  auto labels = [](const std::vector<SynthExample>& examples) {
    std::vector<int32_t> out;
    for (const auto& ex : examples) out.push_back(ex.positive);
    return out;
  };
  TfidfVectorizer tfidf;
  tfidf.fit(texts(many));
  LogisticRegression bag_of_words;
  bag_of_words.fit(tfidf.transform(texts(many)), labels(many), 2, {});
  const std::vector<int32_t> predicted = bag_of_words.predict(tfidf.transform(texts(held_out))), truth = labels(held_out);
  int correct = 0;
  for (size_t i = 0; i < truth.size(); i++) correct += predicted[i] == truth[i];
  const double accuracy = static_cast<double>(correct) / static_cast<double>(truth.size());
  EXPECT_GT(accuracy, 0.6);
  EXPECT_LT(accuracy, 0.9);
  // Varied shapes and lengths: from one sentence to several, exclamations too.
  size_t shortest = SIZE_MAX, longest = 0, exclamations = 0;
  for (const auto& ex : many) {
    shortest = std::min(shortest, ex.text.size());
    longest = std::max(longest, ex.text.size());
    exclamations += ex.text.find('!') != std::string::npos;
  }
  EXPECT_LT(shortest, 30u);
  EXPECT_GT(longest, 250u);
  EXPECT_GT(exclamations, 2000u);
  // JSON Lines output.
  const std::string lines = synth_json_lines({{"A \"q\".", true}, {"B.", false}});
  EXPECT_EQ(lines, "{\"text\":\"A \\\"q\\\".\",\"label\":\"positive\"}\n{\"text\":\"B.\",\"label\":\"negative\"}\n");
}

// examples/reviews.jsonl is what the demo model is judged on: the generator must not write its sentences.
TEST(Synth, NeverWritesTheExampleReviewsSentences) {
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  std::vector<std::string> sentences;
  std::ifstream examples(std::string(BERTFT_SOURCE_DIR) + "/examples/reviews.jsonl");
  for (std::string line; std::getline(examples, line);) {
    const std::string text = lower(nlohmann::json::parse(line).at("text").get<std::string>());
    size_t start = 0;
    for (size_t i = 0; i < text.size(); i++)
      if ((text[i] == '.' || text[i] == '!' || text[i] == '?') && (i + 1 == text.size() || text[i + 1] == ' ')) {
        sentences.push_back(text.substr(start, i + 1 - start));
        start = i + 2;
      }
  }
  ASSERT_GE(sentences.size(), 8u);
  // The demo's training and test sets (scripts/main.sh), and many more.
  for (const auto& [n, seed] : {std::pair<size_t, uint64_t>{12000, 1}, {2000, 2}, {100000, 3}})
    for (const auto& ex : synth_reviews(n, seed)) {
      const std::string text = lower(ex.text);
      for (const std::string& sentence : sentences) ASSERT_EQ(text.find(sentence), std::string::npos) << ex.text;
    }
}

}  // namespace
}  // namespace bertft
