// bertft serve: an HTTP API over a model directory (or an ensemble of several), shaped like Hugging Face
// Text Embeddings Inference, with token-budget dynamic batching (src/serving/).
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "cli/command.h"
#include "cli/dataset_options.h"
#include "cli/model_option.h"
#include "cli/truncation_options.h"
#include "common/error.h"
#include "common/precision.h"
#include "inference/ensemble.h"
#include "serving/batcher.h"
#include "serving/http_server.h"
#include "serving/service.h"
#include "tokenizer/tokenizer.h"

namespace bertft {
namespace {

struct ServeOptions {
  std::vector<std::string> model_dirs;  // several: an ensemble
  std::vector<double> model_weights;
  std::string host = "127.0.0.1";
  int port = 8080;
  int64_t max_batch_tokens = 16384;
  int max_concurrent = 512;
  int64_t max_input_chars = 100000;
  int64_t max_client_batch_size = 1024;
  int64_t payload_limit = 2000000;
  int max_connections = 4096;
  double header_timeout = 10;
  double body_timeout = 30;
  double keep_alive_timeout = 30;
  double shutdown_timeout = 10;
  std::string api = "tei";
  std::string cors_allow_origin;
  bool log_requests = false;
  int max_length = 0;  // 0: the longest the model takes
  CLI::Option* max_length_option = nullptr;
  int threads = default_threads();
  std::string precision = "auto";
  TruncationCliOptions truncation;
  std::optional<bool> strip_html;
};

// Deadlines: positive, and at most a day.
constexpr const char* kSecondsRange = "(0, 86400]";

// Runs `work` with `threads` OpenMP threads on a thread that ends before this returns. libgomp keeps a
// pool of workers for every thread that opens parallel regions, and once it manages more threads than
// there are cores, its workers sleep at every barrier instead of spinning: with the loading thread's
// pool alive beside the inference thread's, one client got 211 short requests/s instead of 526-640
// (bench/serve_load.sh). A pool ends with its thread, so the inference thread is left with the only one.
void on_passing_thread(int threads, const std::function<void()>& work) {
  std::exception_ptr error;
  std::thread thread([&] {
    try {
      omp_set_num_threads(threads);
      work();
    } catch (...) {
      error = std::current_exception();
    }
  });
  thread.join();
  if (error) std::rethrow_exception(error);
}

void run_serve(const ServeOptions& opt) {
  // Before any thread exists: OpenMP's pool and the inference thread must not take SIGTERM.
  prepare_serving_signals();
  if (opt.api != "tei" && opt.api != "hf-inference") throw Error("--api must be tei or hf-inference, not '" + opt.api + "'");
  // Written into every reply's headers: a line break in it would add headers of its own.
  for (const char c : opt.cors_allow_origin)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      throw Error("--cors-allow-origin must not contain control characters (one origin, e.g. https://example.org, or *)");
  const Precision precision = precision_from_name(opt.precision);

  // Each model once, with buffers for batches of the token budget when every input is as long as it
  // can be, made on a passing thread as the inference thread's are.
  std::vector<std::string> notices;
  std::unique_ptr<Ensemble> models;
  on_passing_thread(opt.threads, [&] {
    models = std::make_unique<Ensemble>(
        opt.model_dirs, opt.model_weights,
        [&](const std::string& model_dir, const ModelConfig& config) {
          const InferenceDefaults inputs =
              resolve_inference_options(config, model_dir + "/config.json", opt.max_length_option, opt.max_length,
                                        opt.truncation, opt.strip_html);
          if (opt.max_batch_tokens < inputs.max_length)
            throw Error("--max-batch-tokens " + std::to_string(opt.max_batch_tokens) +
                        " is less than one input of --max-length " + std::to_string(inputs.max_length) + " tokens");
          TextClassifierOptions options = text_classifier_options(inputs, precision);
          options.batch_size = static_cast<int>(opt.max_batch_tokens / inputs.max_length);
          return options;
        },
        &notices);
  });
  for (const std::string& notice : notices) std::fprintf(stderr, "bertft: notice: %s\n", notice.c_str());
  std::vector<ServedModel> served;
  int longest = 0, shortest = std::numeric_limits<int>::max();
  std::string model_ids;
  for (size_t m = 0; m < models->size(); m++) {
    const TextClassifier& model = models->member(m);
    const int min_length = static_cast<int>(model.tokenizer().num_special_tokens(true));
    if (model.max_length() < min_length)
      throw Error("--max-length " + std::to_string(model.max_length()) + " leaves no room for the " +
                  std::to_string(min_length) + " special tokens of a text pair");
    served.push_back({&model.tokenizer(), models->model_dir(m), model.max_length(), model.truncation(),
                      model.strip_html(), models->weights()[m], pooling_name(model.config().classifier_pooling)});
    longest = std::max(longest, model.max_length());
    shortest = std::min(shortest, model.max_length());
    model_ids += (model_ids.empty() ? "" : " + ") + models->model_dir(m);
  }

  // A batch holds one model's inputs, each within that model's max length: as many as the token budget
  // holds at the longest max length fit every model's buffers.
  const BatchLimits limits{opt.max_batch_tokens, static_cast<int>(opt.max_batch_tokens / longest)};
  Metrics metrics;
  Batcher batcher(
      [&models, threads = opt.threads](size_t model, std::span<const TokenizedInput> batch, float* logits) {
        // OpenMP's thread count is per thread; the classifiers' workspaces were sized for this many.
        omp_set_num_threads(threads);
        models->member(model).forward(batch, logits);
      },
      models->config().num_labels(), limits, [&metrics](const BatchStats& stats) { metrics.record_batch(stats); });

  ServiceOptions service_options;
  service_options.max_concurrent = opt.max_concurrent;
  service_options.limits = {static_cast<size_t>(opt.max_client_batch_size), static_cast<size_t>(opt.max_input_chars)};
  service_options.payload_limit = static_cast<size_t>(opt.payload_limit);
  service_options.batch = limits;
  service_options.precision = precision_name(precision);
  Service service(std::move(served), models->config(), batcher, metrics, service_options);

  HttpOptions http;
  http.host = opt.host;
  http.port = opt.port;
  http.request.max_body_bytes = static_cast<size_t>(opt.payload_limit);
  http.max_connections = opt.max_connections;
  http.header_timeout = opt.header_timeout;
  http.body_timeout = opt.body_timeout;
  http.keep_alive_timeout = opt.keep_alive_timeout;
  http.shutdown_timeout = opt.shutdown_timeout;
  http.base_route = opt.api == "hf-inference" ? ApiDialect::HfInference : ApiDialect::Tei;
  http.cors_allow_origin = opt.cors_allow_origin;
  http.log_requests = opt.log_requests;
  serve_http(service, metrics, http, [&](int port) {
    std::fprintf(stderr, "bertft: notice: serving %s on http://%s:%d (%s, max length %d, batches of up to %lld tokens)\n",
                 model_ids.c_str(), opt.host.c_str(), port, precision_name(precision), shortest,
                 static_cast<long long>(opt.max_batch_tokens));
    std::fflush(stderr);
  });
}

void setup_serve(CLI::App& app) {
  auto opt = std::make_shared<ServeOptions>();
  CLI::App* sub = app.add_subcommand(
      "serve",
      "HTTP API (Text Embeddings Inference shape): POST /predict (also /invocations, /) {\"inputs\": TEXT | "
      "[TEXT, PAIR] | [[TEXT], [TEXT, PAIR], ...], \"truncate\", \"truncation_direction\", \"raw_scores\"}; "
      "GET /health (/ping), /info, /metrics, /openapi.json; a web page at GET /. SIGTERM finishes the requests "
      "in progress and exits; a second one exits at once. Several --model: an ensemble, answering with the mean of "
      "their probabilities (raw scores: its log); /info lists the models and their weights");
  add_ensemble_model_option(sub, opt->model_dirs, "Classifier to serve")->required();
  add_model_weights_option(sub, opt->model_weights);
  sub->add_option("--host", opt->host, "Address to listen on");
  add_number_option(sub, "--port", opt->port, "[0, 65535]",
                    "Port to listen on (0: any free port, printed on stderr)");
  add_number_option(sub, "--max-batch-tokens", opt->max_batch_tokens, "[1, 1048576]",
                    "Tokens per forward pass: concurrent requests are merged up to it, larger ones split");
  add_number_option(sub, "--max-concurrent", opt->max_concurrent, "[1, 1000000]",
                    "/predict requests in flight; more get 429");
  add_number_option(sub, "--max-input-chars", opt->max_input_chars, "[1, 1000000000]",
                    "Characters per input (text and pair); longer inputs get 413 before tokenization");
  add_number_option(sub, "--max-client-batch-size", opt->max_client_batch_size, "[1, 1000000]",
                    "Inputs per request; more get 413");
  add_number_option(sub, "--payload-limit", opt->payload_limit, "[1, 1073741824]",
                    "Request body bytes; a larger body gets 413, before it is read when it declares its length");
  add_number_option(sub, "--max-connections", opt->max_connections, "[1, 1000000]",
                    "Connections open at once; a new one beyond it closes the longest-idle one (else the oldest "
                    "still sending headers)");
  add_number_option(sub, "--header-timeout", opt->header_timeout, kSecondsRange,
                    "Seconds from a request's first byte to the end of its headers; slower gets 408 and a close");
  add_number_option(sub, "--body-timeout", opt->body_timeout, kSecondsRange,
                    "Seconds for a request body once its headers are in (408), and for a client to take its reply");
  add_number_option(sub, "--keep-alive-timeout", opt->keep_alive_timeout, kSecondsRange,
                    "Seconds a connection may wait idle for its next request");
  add_number_option(sub, "--shutdown-timeout", opt->shutdown_timeout, kSecondsRange,
                    "Seconds SIGTERM waits for requests in progress before closing what is left");
  sub->add_option("--api", opt->api,
                  "Dialect of POST /: tei (as /predict) or hf-inference (the Hugging Face Inference API's "
                  "[[{label, score}]], for @huggingface/inference and huggingface_hub clients)");
  sub->add_option("--cors-allow-origin", opt->cors_allow_origin,
                  "Access-Control-Allow-Origin for browsers on other origins (e.g. * or https://example.org); "
                  "empty: no CORS headers");
  sub->add_flag("--log-requests", opt->log_requests, "One JSON line per request on stderr (access log)");
  opt->max_length_option =
      add_number_option(sub, "--max-length", opt->max_length, "[0, 65536]",
                        max_length_help("input") + "; longer inputs get 422 unless \"truncate\": true, or with "
                        "--truncation chunks are scored whole, by their windows. Default: what the model directory "
                        "records, else 0")
          ->default_str("model directory's");
  add_threads_option(sub, opt->threads);
  sub->add_option("--precision", opt->precision, kPrecisionHelp);
  add_truncation_options(sub, opt->truncation);
  add_strip_html_option(sub, opt->strip_html);
  sub->callback([opt] { run_serve(*opt); });
}

const bool registered = register_command("serve", setup_serve);

}  // namespace
}  // namespace bertft
