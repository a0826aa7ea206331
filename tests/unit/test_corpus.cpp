#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "common/error.h"
#include "data/corpus.h"
#include "temp_files.h"

namespace bertft {
namespace {

namespace fs = std::filesystem;

class CorpusTest : public test::TempFilesTest {
 protected:
  static std::vector<std::string> texts(const std::vector<Document>& docs) {
    std::vector<std::string> out;
    for (const Document& d : docs) out.push_back(d.text);
    return out;
  }

  static std::string error(const std::vector<std::string>& specs, CorpusOptions options = {}) {
    try {
      load_corpus(specs, options);
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  }

  // An aclImdb-like tree, written out of order to show that reading sorts it.
  std::map<std::string, std::string> imdb_files() {
    return {{"aclImdb/train/unsup/1_0.txt", "u1"}, {"aclImdb/train/unsup/0_0.txt", "u0"},
            {"aclImdb/train/pos/0_9.txt", "p0<br />x"}, {"aclImdb/train/neg/0_2.txt", "n0"},
            {"aclImdb/train/neg/10_1.txt", "n10"}, {"aclImdb/train/urls_pos.txt", "http://x"},
            {"aclImdb/train/labeledBow.feat", "0 0:1"}, {"aclImdb/test/pos/0_10.txt", "test"},
            {"aclImdb/train/neg/.hidden.txt", "hidden"}, {"aclImdb/corpus.jsonl", "{\"text\": \"j\"}\n"}};
  }

};

TEST_F(CorpusTest, TextFileOneDocumentPerNonBlankLine) {
  const std::string path = write("a.txt", "first line\r\n\n   \nsecond<br />line\nbad \xff byte\nlast without newline");
  CorpusOptions strip;
  strip.strip_html = true;
  const std::vector<Document> docs = load_corpus({path}, strip);
  EXPECT_EQ(texts(docs), (std::vector<std::string>{"first line", "second line", "bad \xEF\xBF\xBD byte",
                                                   "last without newline"}));
  EXPECT_EQ(docs[1].origin, path + ":4");
  // Off by default: the text as Hugging Face's tools see it.
  EXPECT_EQ(load_corpus({path}, {})[1].text, "second<br />line");
  // Any extension that is not JSON is text.
  EXPECT_EQ(texts(load_corpus({write("b.md", "x\ny\n")}, {})), (std::vector<std::string>{"x", "y"}));
}

TEST_F(CorpusTest, JsonLinesAutoKeyAndExplicitColumn) {
  const std::string path = write("a.jsonl", "{\"review\": \"one\", \"label\": 1}\n\n{\"review\": \"two\\u00e9\"}\n");
  const std::vector<Document> docs = load_corpus({path}, {});
  EXPECT_EQ(texts(docs), (std::vector<std::string>{"one", "two\xC3\xA9"}));
  EXPECT_EQ(docs[1].origin, path + ":3");
  CorpusOptions o;
  o.text_column = "body";
  EXPECT_EQ(texts(load_corpus({write("b.json", "{\"text\": \"t\", \"body\": \"b\"}\n")}, o)),
            (std::vector<std::string>{"b"}));
}

TEST_F(CorpusTest, JsonLinesErrorsNameTheLine) {
  const std::string a = write("a.jsonl", "{\"text\": \"x\"}\n{\"text\": 3}\n");
  EXPECT_EQ(error({a}), a + ":2: text: expected a string, got number");
  const std::string b = write("b.jsonl", "{\"text\": \"x\"}\n{\"other\": \"y\"}\n");
  EXPECT_EQ(error({b}), b + ":2: missing 'text'");
  const std::string c = write("c.jsonl", "{\"body\": \"x\"}\n");
  EXPECT_NE(error({c}).find(c + ":1: no text field"), std::string::npos) << error({c});
  const std::string d = write("d.jsonl", "{\"text\": \"x\"\n");
  EXPECT_NE(error({d}).find(d + ":1: "), std::string::npos) << error({d});
  const std::string e = write("e.jsonl", "[1, 2]\n");
  EXPECT_NE(error({e}).find(e + ":1: expected a JSON object"), std::string::npos) << error({e});
}

TEST_F(CorpusTest, ImdbDirectoryAndPlainDirectory) {
  for (const auto& [path, contents] : imdb_files()) write(path, contents);
  const std::vector<Document> docs = load_corpus({(dir_ / "aclImdb/train").string()}, {});
  // neg, pos, unsup, names in byte-wise order; URL lists and hidden files are not documents.
  EXPECT_EQ(texts(docs), (std::vector<std::string>{"n0", "n10", "p0<br />x", "u0", "u1"}));
  EXPECT_EQ(docs[0].origin, (dir_ / "aclImdb/train/neg/0_2.txt").string());
  // A directory without pos/neg/unsup: its own *.txt files.
  EXPECT_EQ(texts(load_corpus({(dir_ / "aclImdb/train/unsup").string()}, {})),
            (std::vector<std::string>{"u0", "u1"}));
}

TEST_F(CorpusTest, ArchiveMembers) {
  const std::string archive = write_tar_gz("imdb.tar.gz", imdb_files());
  std::vector<Document> docs = load_corpus({archive + "#aclImdb/train"}, {});
  EXPECT_EQ(texts(docs), (std::vector<std::string>{"n0", "n10", "p0<br />x", "u0", "u1"}));
  EXPECT_EQ(docs[0].origin, archive + "#aclImdb/train/neg/0_2.txt");
  EXPECT_EQ(texts(load_corpus({archive + "#./aclImdb/train/unsup/"}, {})), (std::vector<std::string>{"u0", "u1"}));
  docs = load_corpus({archive + "#aclImdb/corpus.jsonl"}, {});
  EXPECT_EQ(texts(docs), (std::vector<std::string>{"j"}));
  EXPECT_EQ(docs[0].origin, archive + "#aclImdb/corpus.jsonl:1");
  EXPECT_EQ(texts(load_corpus({archive + "#aclImdb/train/urls_pos.txt"}, {})), (std::vector<std::string>{"http://x"}));
  // Specs concatenate in order.
  const std::string extra = write("extra.txt", "e\n");
  EXPECT_EQ(texts(load_corpus({extra, archive + "#aclImdb/test", extra}, {})),
            (std::vector<std::string>{"e", "test", "e"}));
}

TEST_F(CorpusTest, Errors) {
  const std::string missing = (dir_ / "missing.txt").string();
  EXPECT_EQ(error({missing}), missing + ": no such file or directory");
  const std::string blank = write("blank.txt", "\n  \n\t\n");
  EXPECT_EQ(error({blank}), blank + ": no documents");
  EXPECT_EQ(error({}), "no corpus given");
  fs::create_directories(dir_ / "empty");
  EXPECT_NE(error({(dir_ / "empty").string()}).find("empty: no *.txt documents"), std::string::npos);
  const std::string archive = write_tar_gz("imdb.tar.gz", imdb_files());
  EXPECT_NE(error({archive}).find("imdb.tar.gz: an archive: name the data inside it after '#'"), std::string::npos);
  EXPECT_NE(error({archive + "#aclImdb/nothing"}).find(archive + ": no member 'aclImdb/nothing'"), std::string::npos)
      << error({archive + "#aclImdb/nothing"});
  EXPECT_NE(error({archive + "#"}).find("no member after '#'"), std::string::npos);
  EXPECT_NE(error({write("notgz.tar.gz", "plain") + "#x"}).find("notgz.tar.gz: "), std::string::npos);
  for (const std::string& message : {error({missing}), error({archive + "#aclImdb/nothing"})})
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

}  // namespace
}  // namespace bertft
