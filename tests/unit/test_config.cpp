#include <gtest/gtest.h>

#include "common/error.h"
#include "model/config.h"

namespace bertft {

namespace {

std::string error_of(const std::string& text) {
  try {
    parse_config(text, "config.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

void expect_rejected(const std::string& text, const std::string& expected) {
  std::string message = error_of(text);
  EXPECT_NE(message.find(expected), std::string::npos) << "message: " << message;
  EXPECT_EQ(message.rfind("config.json: ", 0), 0u) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

}  // namespace

TEST(Config, EmptyObjectGivesTransformersDefaults) {
  ModelConfig c = parse_config("{}", "config.json");
  ModelConfig d;
  EXPECT_EQ(c.vocab_size, 30522);
  EXPECT_EQ(c.hidden_size, d.hidden_size);
  EXPECT_EQ(c.id2label, (std::vector<std::string>{"LABEL_0", "LABEL_1"}));
  EXPECT_FALSE(c.classifier_dropout.has_value());
  EXPECT_TRUE(c.extra.empty());
}

TEST(Config, ReadsEveryField) {
  ModelConfig c = parse_config(R"({
    "architectures": ["BertForMaskedLM"], "attention_probs_dropout_prob": 0.2, "classifier_dropout": 0.3,
    "hidden_act": "gelu_new", "hidden_dropout_prob": 0, "hidden_size": 64, "initializer_range": 0.05,
    "intermediate_size": 96, "layer_norm_eps": 1e-5, "max_position_embeddings": 40, "model_type": "bert",
    "num_attention_heads": 4, "num_hidden_layers": 3, "pad_token_id": 2, "position_embedding_type": "absolute",
    "type_vocab_size": 1, "vocab_size": 99, "problem_type": "multi_label_classification",
    "id2label": {"1": "pos", "0": "neg", "2": "mixed"}, "label2id": {"neg": 0, "pos": 1, "mixed": 2},
    "torch_dtype": "bfloat16", "use_cache": false, "my_key": {"nested": [1, 2]}, "transformers_version": "4.30.0"
  })",
                              "config.json");
  EXPECT_EQ(c.architectures, (std::vector<std::string>{"BertForMaskedLM"}));
  EXPECT_FLOAT_EQ(c.attention_probs_dropout_prob, 0.2f);
  EXPECT_FLOAT_EQ(*c.classifier_dropout, 0.3f);
  EXPECT_EQ(c.hidden_act, "gelu_new");
  EXPECT_EQ(c.hidden_dropout_prob, 0.0f);
  EXPECT_EQ(c.hidden_size, 64);
  EXPECT_FLOAT_EQ(c.initializer_range, 0.05f);
  EXPECT_EQ(c.intermediate_size, 96);
  EXPECT_FLOAT_EQ(c.layer_norm_eps, 1e-5f);
  EXPECT_EQ(c.max_position_embeddings, 40);
  EXPECT_EQ(c.num_attention_heads, 4);
  EXPECT_EQ(c.head_size(), 16);
  EXPECT_EQ(c.num_hidden_layers, 3);
  EXPECT_EQ(c.pad_token_id, 2);
  EXPECT_EQ(c.type_vocab_size, 1);
  EXPECT_EQ(c.vocab_size, 99);
  EXPECT_EQ(c.problem_type, "multi_label_classification");
  EXPECT_EQ(c.id2label, (std::vector<std::string>{"neg", "pos", "mixed"}));
  EXPECT_EQ(c.num_labels(), 3);
  EXPECT_EQ(c.extra["torch_dtype"], "bfloat16");
  EXPECT_EQ(c.extra["use_cache"], false);
  EXPECT_EQ(c.extra["my_key"]["nested"][1], 2);
  EXPECT_FALSE(c.extra.contains("model_type"));
  EXPECT_FALSE(c.extra.contains("label2id"));
}

TEST(Config, NumLabelsWithoutId2LabelNamesThemLikeTransformers) {
  ModelConfig c = parse_config(R"({"num_labels": 3})", "config.json");
  EXPECT_EQ(c.id2label, (std::vector<std::string>{"LABEL_0", "LABEL_1", "LABEL_2"}));
  EXPECT_EQ(parse_config(R"({"num_labels": 2, "id2label": {"0": "a", "1": "b"}})", "c").id2label[1], "b");
  EXPECT_EQ(parse_config(R"({"id2label": null, "label2id": null, "architectures": null, "problem_type": null})", "c")
                .num_labels(),
            2);
}

TEST(Config, SerialisesAsTransformersDoes) {
  ModelConfig c = parse_config(R"({"hidden_size": 8, "num_attention_heads": 2, "intermediate_size": 16,
    "num_hidden_layers": 1, "vocab_size": 50, "max_position_embeddings": 16, "hidden_act": "gelu",
    "id2label": {"0": "n\u00e9g", "1": "pos"}, "gradient_checkpointing": false})",
                              "config.json");
  c.architectures = {"BertForSequenceClassification"};
  EXPECT_EQ(config_to_json(c), R"({
  "architectures": [
    "BertForSequenceClassification"
  ],
  "attention_probs_dropout_prob": 0.1,
  "classifier_dropout": null,
  "gradient_checkpointing": false,
  "hidden_act": "gelu",
  "hidden_dropout_prob": 0.1,
  "hidden_size": 8,
  "id2label": {
    "0": "n\u00e9g",
    "1": "pos"
  },
  "initializer_range": 0.02,
  "intermediate_size": 16,
  "label2id": {
    "n\u00e9g": 0,
    "pos": 1
  },
  "layer_norm_eps": 1e-12,
  "max_position_embeddings": 16,
  "model_type": "bert",
  "num_attention_heads": 2,
  "num_hidden_layers": 1,
  "pad_token_id": 0,
  "position_embedding_type": "absolute",
  "torch_dtype": "float32",
  "transformers_version": "4.46.0",
  "type_vocab_size": 2,
  "use_cache": true,
  "vocab_size": 50
}
)");
}

TEST(Config, RoundTripKeepsEverything) {
  const std::string text = R"({"hidden_size": 12, "num_attention_heads": 3, "classifier_dropout": 0.25,
    "problem_type": "regression", "num_labels": 1, "layer_norm_eps": 1e-7, "torch_dtype": "float16",
    "custom": {"a": [1, 2.5, null, "x"]}, "use_cache": false, "transformers_version": "4.0.0"})";
  ModelConfig a = parse_config(text, "config.json");
  std::string once = config_to_json(a);
  ModelConfig b = parse_config(once, "config.json");
  EXPECT_EQ(config_to_json(b), once);
  EXPECT_EQ(b.id2label, (std::vector<std::string>{"LABEL_0"}));
  EXPECT_EQ(*b.classifier_dropout, 0.25f);
  EXPECT_EQ(b.problem_type, "regression");
  EXPECT_EQ(b.layer_norm_eps, 1e-7f);
  EXPECT_EQ(b.extra["custom"], a.extra["custom"]);
  EXPECT_NE(once.find("\"layer_norm_eps\": 1e-07,"), std::string::npos) << once;  // Python's repr, not 9.99e-08
  EXPECT_NE(once.find("\"torch_dtype\": \"float16\""), std::string::npos);
  EXPECT_NE(once.find("\"use_cache\": false"), std::string::npos);
  EXPECT_NE(once.find("\"transformers_version\": \"4.46.0\""), std::string::npos);
}

// classifier_pooling (ModernBERT's key) is read, written only when it is not cls (so a first-token
// model's file is the one transformers writes), and anything but cls, mean or max is refused.
TEST(Config, ClassifierPoolingIsReadAndWrittenOnlyWhenNotCls) {
  EXPECT_EQ(parse_config("{}", "config.json").classifier_pooling, Pooling::Cls);
  for (const Pooling pooling : {Pooling::Cls, Pooling::Mean, Pooling::Max}) {
    const std::string name = pooling_name(pooling);
    EXPECT_EQ(pooling_from_name(name), pooling);
    const ModelConfig c = parse_config(R"({"classifier_pooling": ")" + name + R"("})", "config.json");
    EXPECT_EQ(c.classifier_pooling, pooling);
    const std::string text = config_to_json(c);
    EXPECT_EQ(text.find("classifier_pooling") != std::string::npos, pooling != Pooling::Cls) << text;
    EXPECT_EQ(parse_config(text, "config.json").classifier_pooling, pooling);
    EXPECT_FALSE(c.extra.contains("classifier_pooling"));
  }
  EXPECT_EQ(config_to_json(parse_config(R"({"classifier_pooling": "cls"})", "config.json")),
            config_to_json(parse_config("{}", "config.json")));
  EXPECT_NE(config_to_json(parse_config(R"({"classifier_pooling": "max"})", "config.json"))
                .find("\"classifier_pooling\": \"max\","),
            std::string::npos);
  EXPECT_EQ(pooling_from_name("MEAN"), std::nullopt);
  expect_rejected(R"({"classifier_pooling": "avg"})",
                  "field 'classifier_pooling': expected 'cls', 'mean' or 'max', got \"avg\"");
  expect_rejected(R"({"classifier_pooling": null})", "field 'classifier_pooling': expected a string, got null");
  expect_rejected(R"({"model_type": "distilbert", "classifier_pooling": 2})",
                  "field 'classifier_pooling': expected a string, got 2");
}

TEST(Config, RejectsWrongTypesAndRanges) {
  expect_rejected(R"({"hidden_size": "768"})", "field 'hidden_size': expected a positive integer, got \"768\"");
  expect_rejected(R"({"hidden_size": 768.0})", "field 'hidden_size': expected a positive integer, got 768.0");
  expect_rejected(R"({"hidden_size": 0})", "field 'hidden_size': expected a positive integer");
  expect_rejected(R"({"num_hidden_layers": -2})", "field 'num_hidden_layers': expected a positive integer, got -2");
  expect_rejected(R"({"vocab_size": 99999999999})", "field 'vocab_size': expected a positive integer");
  expect_rejected(R"({"vocab_size": true})", "field 'vocab_size': expected a positive integer, got true");
  expect_rejected(R"({"vocab_size": null})", "field 'vocab_size': expected a positive integer, got null");
  expect_rejected(R"({"hidden_dropout_prob": 1.5})", "field 'hidden_dropout_prob': expected a number in [0, 1]");
  expect_rejected(R"({"classifier_dropout": "0.1"})", "field 'classifier_dropout': expected null or a number");
  expect_rejected(R"({"layer_norm_eps": 0})", "field 'layer_norm_eps': expected a positive number");
  expect_rejected(R"({"layer_norm_eps": 1e-60})", "field 'layer_norm_eps': expected a positive number");
  expect_rejected(R"({"initializer_range": -1})", "field 'initializer_range': expected a non-negative number");
  expect_rejected(R"({"pad_token_id": -1})", "field 'pad_token_id': expected a non-negative integer");
  expect_rejected(R"({"pad_token_id": 30522})", "field 'pad_token_id': 30522 is outside the vocabulary 0..30521");
  expect_rejected(R"({"hidden_act": 3})", "field 'hidden_act': expected a string, got 3");
  expect_rejected(R"({"architectures": "Bert"})", "field 'architectures': expected a list of class names");
  expect_rejected(R"({"architectures": [1]})", "field 'architectures': expected a string");
  expect_rejected(R"({"label2id": {"a": "0"}})", "field 'label2id': id of label 'a' must be an integer");
  expect_rejected(R"({"num_labels": 0})", "field 'num_labels': expected a positive integer");
}

TEST(Config, RejectsWhatBertftCannotRun) {
  expect_rejected(R"({"hidden_size": 770})", "hidden_size 770 is not a multiple of num_attention_heads 12");
  expect_rejected(R"({"hidden_act": "gelu_fast"})",
                  "field 'hidden_act': 'gelu_fast' is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu, silu, swish)");
  expect_rejected(R"({"position_embedding_type": "relative_key"})",
                  "field 'position_embedding_type': 'relative_key' is not supported (only 'absolute')");
  expect_rejected(R"({"model_type": "gpt2"})",
                  "field 'model_type': 'gpt2' is not supported (bertft reads bert, distilbert, roberta, electra)");
  // Another family's field is kept as an unknown key, as transformers keeps it.
  EXPECT_EQ(parse_config(R"({"model_type": "bert", "embedding_size": 128})", "c").extra["embedding_size"], 128);
  expect_rejected(R"({"model_type": "roberta", "pad_token_id": 1, "max_position_embeddings": 2})",
                  "field 'max_position_embeddings': 2 leaves no position for a token");
  expect_rejected(R"({"model_type": "distilbert", "dim": 100, "n_heads": 3})",
                  "dim 100 is not a multiple of n_heads 3");
  expect_rejected(R"({"model_type": "distilbert", "sinusoidal_pos_embds": 1})", "field 'sinusoidal_pos_embds'");
  expect_rejected(R"({"problem_type": "ranking"})", "field 'problem_type': 'ranking' is not one of");
  expect_rejected(R"({"vocab_size": 4194304, "hidden_size": 65536, "num_attention_heads": 1})",
                  "parameters, more than bertft supports (2^36)");
  for (const char* act : {"gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu", "swish"})
    EXPECT_EQ(parse_config(std::string(R"({"hidden_act": ")") + act + "\"}", "c").hidden_act, act);
}

// Sizes are bounded before anything is built from them: num_labels 2000000000 used to make 2e9 label
// names (4 GB) before any check, and num_hidden_layers 20000 to plan 320,000 tensors.
TEST(Config, RejectsSizesFarBeyondAnyBert) {
  expect_rejected(R"({"num_labels": 2000000000})", "field 'num_labels': 2000000000 is more than bertft supports (65536)");
  expect_rejected(R"({"num_hidden_layers": 20000})",
                  "field 'num_hidden_layers': 20000 is more than bertft supports (1024)");
  expect_rejected(R"({"max_position_embeddings": 2000000})",
                  "field 'max_position_embeddings': 2000000 is more than bertft supports (65536)");
  expect_rejected(R"({"vocab_size": 4194305})", "field 'vocab_size': 4194305 is more than bertft supports (4194304)");
  expect_rejected(R"({"hidden_size": 131072, "num_attention_heads": 1})", "field 'hidden_size': 131072 is more than");
  expect_rejected(R"({"intermediate_size": 262145})", "field 'intermediate_size': 262145 is more than");
  expect_rejected(R"({"type_vocab_size": 1025})", "field 'type_vocab_size': 1025 is more than");
  expect_rejected(R"({"num_attention_heads": 65537})", "field 'num_attention_heads': 65537 is more than");
  // The bounds themselves are allowed.
  ModelConfig c = parse_config(R"({"num_labels": 65536, "num_hidden_layers": 1024, "max_position_embeddings": 65536,
    "vocab_size": 4194304, "type_vocab_size": 1024, "hidden_size": 64, "num_attention_heads": 1,
    "intermediate_size": 262144})",
                              "config.json");
  EXPECT_EQ(c.num_labels(), 65536);
  EXPECT_EQ(c.num_hidden_layers, 1024);
  c.id2label.push_back("one too many");
  try {
    validate_config(c, "out/config.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "out/config.json: field 'id2label': 65537 labels, more than bertft supports (65536)");
  }
}

TEST(Config, RejectsBadLabelMaps) {
  expect_rejected(R"({"id2label": {"0": "a", "2": "b"}})", "field 'id2label': keys must be the label ids 0..1, got '2'");
  expect_rejected(R"({"id2label": {"0": "a", "01": "b"}})", "got '01'");
  expect_rejected(R"({"id2label": {"-1": "a"}})", "got '-1'");
  expect_rejected(R"({"id2label": {"x": "a"}})", "got 'x'");
  expect_rejected(R"({"id2label": {"0": 5}})", "field 'id2label': label '0' must be a string, got 5");
  expect_rejected(R"({"id2label": {}})", "field 'id2label': expected a non-empty object");
  expect_rejected(R"({"id2label": ["a", "b"]})", "field 'id2label': expected a non-empty object");
  expect_rejected(R"({"num_labels": 3, "id2label": {"0": "a", "1": "b"}})",
                  "field 'num_labels': 3 disagrees with the 2 labels of id2label");
}

TEST(Config, ValidateRejectsLabelsThatAreNotUtf8) {
  ModelConfig c;
  c.id2label = {"ok", "bad\xff"};
  try {
    validate_config(c, "out/config.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "out/config.json: field 'id2label': labels must be valid UTF-8");
  }
}

TEST(Config, RejectsMalformedJsonWithItsPosition) {
  expect_rejected("{\n  \"hidden_size\": 768,\n  \"vocab_size\": ,\n}",
                  "invalid JSON: parse error at line 3, column 17: syntax error while parsing value");
  expect_rejected("", "invalid JSON: parse error at line 1, column 1");
  expect_rejected("[1]", "expected a JSON object, got [1]");
  expect_rejected(R"({"a": 1, "a": 2})", "duplicate key 'a'");
  expect_rejected(R"({"x": 1e999})", "invalid JSON: number overflow");
  expect_rejected(std::string(300, '[') + std::string(300, ']'), "JSON nested deeper than 256 levels");
  expect_rejected("{\"x\": \"\xff\"}", "invalid JSON");
  expect_rejected(std::string("{}\0{\"hidden_size\": -1}", 22), "invalid JSON: NUL byte at line 1, column 3");
}

// Each family's config.json as transformers writes it, read into BertConfig's names and written back
// in the family's own.
TEST(Config, ReadsAndWritesEachFamily) {
  const ModelConfig distil = parse_config(R"({"activation": "gelu", "architectures": ["DistilBertForSequenceClassification"],
    "attention_dropout": 0.1, "dim": 768, "dropout": 0.1, "finetuning_task": "sst-2", "hidden_dim": 3072,
    "id2label": {"0": "NEGATIVE", "1": "POSITIVE"}, "initializer_range": 0.02,
    "label2id": {"NEGATIVE": 0, "POSITIVE": 1}, "max_position_embeddings": 512, "model_type": "distilbert",
    "n_heads": 12, "n_layers": 6, "output_past": true, "pad_token_id": 0, "qa_dropout": 0.1,
    "seq_classif_dropout": 0.2, "sinusoidal_pos_embds": false, "tie_weights_": true, "vocab_size": 30522})",
                                          "config.json");
  EXPECT_EQ(distil.family, Family::DistilBert);
  EXPECT_EQ(distil.hidden_size, 768);
  EXPECT_EQ(distil.num_hidden_layers, 6);
  EXPECT_EQ(distil.intermediate_size, 3072);
  EXPECT_FLOAT_EQ(*distil.classifier_dropout, 0.2f);
  EXPECT_FALSE(distil.has_token_types());
  EXPECT_FLOAT_EQ(distil.layer_norm_eps, 1e-12f);
  EXPECT_TRUE(distil.extra.contains("qa_dropout") && distil.extra.contains("tie_weights_"));
  const nlohmann::json written = nlohmann::json::parse(config_to_json(distil));
  for (const char* key : {"dim", "n_layers", "n_heads", "hidden_dim", "activation", "dropout", "attention_dropout",
                          "seq_classif_dropout", "sinusoidal_pos_embds", "qa_dropout", "tie_weights_"})
    EXPECT_TRUE(written.contains(key)) << key;
  for (const char* key : {"hidden_size", "type_vocab_size", "layer_norm_eps", "use_cache", "embedding_size"})
    EXPECT_FALSE(written.contains(key)) << key;
  EXPECT_EQ(written["model_type"], "distilbert");

  const ModelConfig roberta = parse_config(R"({"model_type": "roberta", "max_position_embeddings": 514,
    "type_vocab_size": 1, "layer_norm_eps": 1e-05, "bos_token_id": 0, "eos_token_id": 2})", "config.json");
  EXPECT_EQ(roberta.pad_token_id, 1);  // RobertaConfig's default
  EXPECT_EQ(roberta.vocab_size, 50265);
  EXPECT_EQ(roberta.first_position(), 2);
  EXPECT_EQ(roberta.max_sequence_length(), 512);
  EXPECT_EQ(nlohmann::json::parse(config_to_json(roberta))["bos_token_id"], 0);

  const ModelConfig electra = parse_config(R"({"model_type": "electra", "embedding_size": 128, "hidden_size": 256})",
                                           "config.json");
  EXPECT_EQ(electra.embedding_width(), 128);
  EXPECT_EQ(parse_config(config_to_json(electra), "config.json").embedding_width(), 128);
  EXPECT_EQ(parse_config(R"({"model_type": "electra"})", "config.json").embedding_width(), 128);  // ElectraConfig
  EXPECT_EQ(resolve_max_length(roberta, 0), 512);
  EXPECT_THROW(resolve_max_length(roberta, 513), Error);
}

TEST(Config, LoadNamesTheMissingFile) {
  try {
    load_config("/nonexistent/config.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("/nonexistent/config.json: cannot open", 0), 0u) << e.what();
  }
}

}  // namespace bertft
