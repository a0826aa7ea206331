// bertft._bertft: the Python binding over the bertft library (docs/python.md). The package
// python/bertft/__init__.py adds Hugging Face's calling conventions on top; everything that computes
// is here, in the library's own code paths: the tokenizer, the classifier `bertft predict` runs
// (inference/ensemble.h), and `train` / `eval` parsed by the CLI's own option tables.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/command_line.h"
#include "cli/eval_options.h"
#include "cli/train_options.h"
#include "cli/truncation_options.h"
#include "common/error.h"
#include "common/hub_cache.h"
#include "common/precision.h"
#include "distributed/communicator.h"
#include "inference/ensemble.h"
#include "inference/inference_defaults.h"
#include "inference/text_classifier.h"
#include "model/config.h"
#include "tokenizer/tokenizer.h"
#include "training/trainer.h"

namespace py = pybind11;

namespace bertft {
namespace {

// The model directory a model argument names, resolved as the CLI's --model is (cli/model_option.cpp).
std::string model_directory(const std::string& model) {
  try {
    return resolve_model_dir(model);
  } catch (const Error& e) {
    throw Error("--model " + std::string(e.what()));
  }
}

// Parses `args` ("--key", "value", ...) as `bertft <command> args...` would, with the command's own
// option table (added by add_options) and the CLI's reading of it (cli/command_line.h): the same
// spellings, suggestions and one-line errors.
void parse_command(const std::string& command, const std::vector<std::string>& args,
                   const std::function<void(CLI::App*)>& add_options) {
  CLI::App app{"bertft"};
  app.option_defaults()->always_capture_default();
  app.require_subcommand(1);
  add_options(app.add_subcommand(command));
  std::vector<std::string> command_line{command};
  command_line.insert(command_line.end(), args.begin(), args.end());
  parse_command_line(app, std::move(command_line));
}

py::object json_to_python(const std::string& json_text) {
  return py::module_::import("json").attr("loads")(json_text);
}

template <typename Json>
py::object json_to_python(const Json& j) {
  return json_to_python(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

py::array_t<float> float_matrix(std::vector<float>&& values, size_t rows, size_t cols) {
  auto* owned = new std::vector<float>(std::move(values));
  py::capsule free_when_done(owned, [](void* p) { delete static_cast<std::vector<float>*>(p); });
  return py::array_t<float>({rows, cols}, owned->data(), free_when_done);
}

// --- Tokenizer -------------------------------------------------------------------------------

std::vector<Encoding> encode_batch(const Tokenizer& tokenizer, const std::vector<std::string>& texts,
                                   const std::optional<std::vector<std::string>>& pairs, size_t max_length) {
  if (pairs && pairs->size() != texts.size())
    throw Error("text_pair has " + std::to_string(pairs->size()) + " texts for " + std::to_string(texts.size()) +
                " texts");
  std::vector<Encoding> out(texts.size());
  py::gil_scoped_release release;
  for (size_t i = 0; i < texts.size(); i++) {
    std::optional<std::string_view> pair;
    if (pairs) pair = (*pairs)[i];
    out[i] = tokenizer.encode(texts[i], pair, max_length);
  }
  return out;
}

// HF's BatchEncoding with return_tensors="np": input_ids, token_type_ids and attention_mask as int64
// [n, length], padded on the right with the pad id, type id 0 and mask 0.
py::dict padded_arrays(const Tokenizer& tokenizer, const std::vector<Encoding>& encodings, size_t length) {
  const size_t n = encodings.size();
  py::array_t<int64_t> ids({n, length}), type_ids({n, length}), mask({n, length});
  auto i_ = ids.mutable_unchecked<2>();
  auto t_ = type_ids.mutable_unchecked<2>();
  auto m_ = mask.mutable_unchecked<2>();
  const int64_t pad = tokenizer.pad_id();
  for (size_t r = 0; r < n; r++) {
    const Encoding& e = encodings[r];
    for (size_t c = 0; c < length; c++) {
      const bool real = c < e.ids.size();
      i_(r, c) = real ? e.ids[c] : pad;
      t_(r, c) = real ? e.type_ids[c] : 0;
      m_(r, c) = real;
    }
  }
  py::dict out;
  out["input_ids"] = ids;
  out["token_type_ids"] = type_ids;
  out["attention_mask"] = mask;
  return out;
}

// --- Classifier ------------------------------------------------------------------------------

class PyClassifier {
 public:
  // One model, or several as an ensemble (inference/ensemble.h) weighted by model_weights.
  PyClassifier(const std::vector<std::string>& models, const std::string& precision, std::optional<int> threads,
               std::optional<int> max_length, std::optional<std::string> truncation,
               const std::vector<double>& model_weights) {
    std::vector<std::string> dirs;
    for (const std::string& model : models) dirs.push_back(model_directory(model));
    threads_ = threads.value_or(default_threads());
    if (threads_ < 1) throw Error("threads must be at least 1, not " + std::to_string(threads_));
    if (max_length && *max_length < 0) throw Error("--max-length must not be negative");
    const Precision run_precision = precision_from_name(precision);  // a bad value before loading anything
    // What the caller leaves out (None) takes what the model directory records, as the CLI's flags do.
    auto options_for = [&](const std::string& dir, const ModelConfig& config) {
      TextClassifierOptions options =
          text_classifier_options(inference_defaults(config, dir + "/config.json"), run_precision);
      if (max_length) options.max_length = *max_length;
      if (truncation) {
        TruncationCliOptions named;
        named.name = *truncation;
        options.truncation = named.to_truncation();
      }
      return options;
    };
    std::vector<std::string> notices;
    {
      py::gil_scoped_release release;
      use_threads(threads_);
      classifier_.emplace(dirs, model_weights, options_for, &notices);
    }
    for (const std::string& notice : notices) std::fprintf(stderr, "bertft: notice: %s\n", notice.c_str());
  }

  // probs and logits [n, num_labels] of `texts` (and their pairs).
  std::pair<py::array_t<float>, py::array_t<float>> classify(const std::vector<std::string>& texts,
                                                             const std::optional<std::vector<std::string>>& pairs,
                                                             int batch_size) {
    if (batch_size < 1) throw Error("batch_size must be at least 1, not " + std::to_string(batch_size));
    if (pairs && pairs->size() != texts.size())
      throw Error("text_pair has " + std::to_string(pairs->size()) + " texts for " +
                  std::to_string(texts.size()) + " texts");
    std::vector<TextInput> inputs(texts.size());
    for (size_t i = 0; i < texts.size(); i++) {
      inputs[i].text = texts[i];
      if (pairs) inputs[i].text_pair = (*pairs)[i];
    }
    const size_t C = static_cast<size_t>(classifier_->config().num_labels());
    std::vector<float> probs(texts.size() * C), logits(texts.size() * C);
    {
      py::gil_scoped_release release;
      std::lock_guard<std::mutex> lock(mutex_);  // one call at a time uses the classifier's buffers
      use_threads(threads_);
      classifier_->set_batch_size(batch_size);
      classifier_->classify(
          inputs, [](size_t i) { return "texts[" + std::to_string(i) + "]"; }, probs.data(), logits.data());
    }
    return {float_matrix(std::move(probs), texts.size(), C), float_matrix(std::move(logits), texts.size(), C)};
  }

  const ModelConfig& config() const { return classifier_->config(); }
  const Ensemble& classifier() const { return *classifier_; }
  int threads() const { return threads_; }

 private:
  std::optional<Ensemble> classifier_;
  int threads_ = 1;
  std::mutex mutex_;
};

// --- train / evaluate ------------------------------------------------------------------------

// `bertft train args...` in this process: the summary it prints. on_log(entry) gets every log entry
// (steps and evaluations); Python's signal handlers run between steps, so Ctrl-C raises
// KeyboardInterrupt there, after the step's checkpoint (if one was due) is written.
py::object train(const std::vector<std::string>& args, py::object on_log) {
  TrainCliOptions cli;
  parse_command("train", args, [&](CLI::App* sub) { add_train_options(sub, cli); });
  TrainOptions options = cli.resolve();  // and OpenMP's thread count, for this thread
  // By address: the trainer copies the std::function while the GIL is released.
  const py::object* callback = &on_log;
  if (!on_log.is_none())
    options.on_log = [callback](const nlohmann::json& entry) {
      py::gil_scoped_acquire gil;
      (*callback)(json_to_python(entry));
    };
  options.between_steps = [] {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  };
  nlohmann::json summary;
  {
    py::gil_scoped_release release;
    summary = run_training(options, world_communicator());
  }
  return json_to_python(summary);
}

py::object evaluate(const std::vector<std::string>& args) {
  EvalOptions options;
  parse_command("eval", args, [&](CLI::App* sub) { add_eval_options(sub, options); });
  nlohmann::ordered_json metrics;
  {
    py::gil_scoped_release release;
    use_threads(options.threads);
    metrics = run_eval(options);
  }
  return json_to_python(metrics);
}

}  // namespace
}  // namespace bertft

PYBIND11_MODULE(_bertft, m) {
  using namespace bertft;
  m.doc() = "The native core of the bertft package (use the bertft package, not this module).";
  m.attr("__version__") = BERTFT_VERSION;

  // Never destroyed: the type must outlive every use, up to the interpreter's own finalisation.
  static py::exception<Error>* const error = new py::exception<Error>(m, "Error", PyExc_ValueError);
  error->attr("__doc__") = "A bertft error: bad input, a bad option or a model that cannot be read. The message "
                           "is the one line `bertft` prints after 'bertft: error: '.";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      (*error)(e.what());
    } catch (const CLI::ParseError& e) {
      (*error)(e.what());
    }
  });

  py::class_<Encoding>(m, "Encoding", "One tokenized text (or pair): ids, type_ids, tokens, attention_mask.")
      .def_readonly("ids", &Encoding::ids, "Token ids, special tokens included")
      .def_readonly("type_ids", &Encoding::type_ids, "Token type (segment) ids")
      .def_readonly("tokens", &Encoding::tokens, "The tokens as strings")
      .def_property_readonly(
          "attention_mask", [](const Encoding& e) { return std::vector<int32_t>(e.ids.size(), 1); },
          "1 for every token (an unpadded encoding)")
      .def("__len__", [](const Encoding& e) { return e.ids.size(); })
      .def("__repr__", [](const Encoding& e) {
        return "Encoding(num_tokens=" + std::to_string(e.ids.size()) + ", ids=" + py::repr(py::cast(e.ids)).cast<std::string>() + ")";
      });

  py::class_<Tokenizer>(m, "Tokenizer")
      .def(py::init([](const std::string& model) { return Tokenizer::from_dir(model_directory(model)); }),
           py::arg("model_dir"))
      .def("encode",
           [](const Tokenizer& t, const std::string& text, std::optional<std::string> pair, size_t max_length) {
             py::gil_scoped_release release;
             std::optional<std::string_view> pair_view;
             if (pair) pair_view = *pair;
             return t.encode(text, pair_view, max_length);
           },
           py::arg("text"), py::arg("text_pair") = py::none(), py::arg("max_length") = 0)
      .def("encode_batch", &encode_batch, py::arg("texts"), py::arg("text_pairs"), py::arg("max_length"))
      .def("padded_arrays", &padded_arrays, py::arg("encodings"), py::arg("length"))
      .def_property_readonly("model_max_length", &Tokenizer::model_max_length)
      .def_property_readonly("pad_token_id", &Tokenizer::pad_id)
      .def_property_readonly("vocab_size", &Tokenizer::vocab_size)
      .def("token_to_id", [](const Tokenizer& t, const std::string& token) -> std::optional<int32_t> {
        const int32_t id = t.token_to_id(token);
        if (id < 0) return std::nullopt;
        return id;
      })
      .def("id_to_token", [](const Tokenizer& t, int32_t id) -> std::optional<std::string> {
        const std::string& token = t.id_to_token(id);
        if (token.empty()) return std::nullopt;
        return token;
      });

  py::class_<PyClassifier>(m, "Classifier")
      .def(py::init<const std::vector<std::string>&, const std::string&, std::optional<int>, std::optional<int>,
                    std::optional<std::string>, const std::vector<double>&>(),
           py::arg("model_dirs"), py::arg("precision") = "auto", py::arg("threads") = py::none(),
           py::arg("max_length") = py::none(), py::arg("truncation") = py::none(),
           py::arg("model_weights") = std::vector<double>())
      .def("_classify", &PyClassifier::classify, py::arg("texts"), py::arg("text_pairs"), py::arg("batch_size"))
      .def_property_readonly("labels", [](const PyClassifier& c) { return c.config().id2label; },
                             "The class names, in the order of the probability columns (config.json id2label)")
      .def_property_readonly(
          "config", [](const PyClassifier& c) { return json_to_python(config_to_json(c.config())); },
          "The model's config.json as a dict (an ensemble: the first model's)")
      .def_property_readonly(
          "max_length", [](const PyClassifier& c) { return c.classifier().member(0).max_length(); },
          "Tokens per input, special tokens included (given, else what the model directory records; an "
          "ensemble: the first model's)")
      .def_property_readonly(
          "truncation", [](const PyClassifier& c) { return describe(c.classifier().member(0).truncation()); },
          "How longer texts are read: 'head', 'head+tail (H head tokens)' or 'chunks (O tokens overlap)' (an "
          "ensemble: the first model's)")
      .def_property_readonly(
          "strip_html", [](const PyClassifier& c) { return c.classifier().member(0).strip_html(); },
          "Whether <br /> line breaks become spaces before tokenizing (as the model directory records; an "
          "ensemble: the first model's)")
      .def_property_readonly(
          "models",
          [](const PyClassifier& c) {
            py::list models;
            for (size_t m = 0; m < c.classifier().size(); m++) {
              const TextClassifier& member = c.classifier().member(m);
              py::dict model;
              model["model_dir"] = c.classifier().model_dir(m);
              model["weight"] = c.classifier().weights()[m];
              model["max_length"] = member.max_length();
              model["truncation"] = describe(member.truncation());
              model["strip_html"] = member.strip_html();
              models.append(model);
            }
            return models;
          },
          "The models whose probabilities are averaged, one or more: each one's model_dir, weight (summing to 1), "
          "max_length, truncation and strip_html")
      .def_property_readonly("threads", &PyClassifier::threads, "Threads each call uses");

  m.def("_train", &train, py::arg("args"), py::arg("on_log"));
  m.def("_evaluate", &evaluate, py::arg("args"));
}
