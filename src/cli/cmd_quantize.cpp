// bertft quantize: a model directory with the weights int8 inference quantizes stored int8
// (docs/int8.md, Model directory layout), and a report of what int8 costs on given data, layer by
// layer (docs/int8.md, quantize --report).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/command.h"
#include "cli/dataset_options.h"
#include "cli/eval_options.h"
#include "cli/model_option.h"
#include "cli/number_option.h"
#include "cli/truncation_options.h"
#include "common/error.h"
#include "common/precision.h"
#include "data/dataset.h"
#include "encoding/encoded_dataset.h"
#include "inference/classifier.h"
#include "model/checkpoint.h"
#include "model/checkpoint_tensors.h"
#include "tokenizer/tokenizer.h"

namespace bertft {

namespace {

namespace fs = std::filesystem;

struct QuantizeOptions {
  std::string model_dir, output_dir, report_data;
  std::string reference = "auto";
  DatasetCliOptions dataset;
  int batch_size = 32;
  int max_length = 0;
  CLI::Option* max_length_option = nullptr;
  int threads = default_threads();
  TruncationCliOptions truncation;
};

// The dtype the source stores its float tensors in, kept for those quantize leaves as they are: BF16
// or F16 when every float tensor is, else F32 (scales of a quantized source aside).
DType source_dtype(const CheckpointTensors& st) {
  std::set<std::string> dtypes;
  for (const StoredTensor& t : st.tensors())
    if (t.dtype != "I8" && !t.name.ends_with("_scale")) dtypes.insert(t.dtype);
  if (dtypes == std::set<std::string>{"BF16"}) return DType::BF16;
  if (dtypes == std::set<std::string>{"F16"}) return DType::F16;
  return DType::F32;
}

uintmax_t weights_bytes(const CheckpointTensors& st) {
  std::set<std::string> files;
  for (const StoredTensor& t : st.tensors()) files.insert(st.file_of(t));
  uintmax_t bytes = 0;
  for (const std::string& f : files) bytes += fs::file_size(f);
  return bytes;
}

void write_quantized(const QuantizeOptions& o) {
  std::error_code ec;
  if (fs::equivalent(o.model_dir, o.output_dir, ec))
    throw Error("--output " + o.output_dir + " is the --model directory: write the quantized model elsewhere");
  // Read everything before writing anything, so a failure leaves no half model behind.
  const CheckpointTensors st(o.model_dir);
  const DType dtype = source_dtype(st);
  const uintmax_t source_bytes = weights_bytes(st);
  std::vector<std::string> notices;
  LoadOptions load;
  load.heads_of_checkpoint = true;
  const Model model = load_model(o.model_dir, load, &notices);
  for (const std::string& n : notices) std::fprintf(stderr, "bertft: notice: %s\n", n.c_str());
  const TokenizerFiles tokenizer = tokenizer_files(o.model_dir).empty() ? TokenizerFiles{}
                                                                        : read_tokenizer_files(o.model_dir);

  save_quantized_model(model, o.output_dir, dtype);
  if (!tokenizer.empty()) write_tokenizer_files(tokenizer, o.output_dir);
  // The encoder's tensors (its layers, and ELECTRA's projection) in the source dtype and as written.
  int int8_weights = 0;
  size_t encoder_before = 0, encoder_after = 0;
  for (const TensorSpec& spec : model.params.specs()) {
    if (!is_layer_slot(spec.slot) && !is_int8_slot(spec.slot) && spec.slot != Slot::EmbeddingsProjectBias) continue;
    encoder_before += spec.numel * dtype_size(dtype);
    if (!is_int8_slot(spec.slot)) {
      encoder_after += spec.numel * dtype_size(dtype);
      continue;
    }
    int8_weights++;
    encoder_after += spec.numel + spec.shape[0] * sizeof(float);
  }
  const fs::path out(o.output_dir);
  const uintmax_t bytes = fs::file_size(out / "model.safetensors");
  std::printf("wrote %s and %s: %d weights int8 with F32 scales, the other tensors %s; %ju bytes (%s: %ju, %.2fx); "
              "the encoder's tensors %zu bytes (%s: %zu, %.2fx)\n",
              (out / "config.json").c_str(), (out / "model.safetensors").c_str(), int8_weights,
              safetensors_dtype_name(dtype), bytes, st.path().c_str(), source_bytes,
              static_cast<double>(source_bytes) / static_cast<double>(bytes), encoder_after,
              safetensors_dtype_name(dtype), encoder_before,
              static_cast<double>(encoder_before) / static_cast<double>(encoder_after));
  if (std::string n = pooling_notice(model, o.output_dir); !n.empty())
    std::fprintf(stderr, "bertft: notice: %s\n", n.c_str());
  if (tokenizer.empty()) {
    std::fprintf(stderr, "bertft: notice: no tokenizer files in %s, so none were copied\n", o.model_dir.c_str());
    return;
  }
  std::string names;
  for (const auto& file : tokenizer) names += " " + file.first;
  std::printf("copied tokenizer files from %s:%s\n", o.model_dir.c_str(), names.c_str());
}

// Max and mean absolute difference, accumulated over any number of value pairs.
struct Difference {
  double max = 0, sum = 0;
  int64_t count = 0;
  void add(const float* a, const float* b, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
      const double d = std::fabs(static_cast<double>(a[i]) - static_cast<double>(b[i]));
      max = std::max(max, d);
      sum += d;
    }
    count += n;
  }
  nlohmann::ordered_json to_json() const {
    return {{"max_abs_diff", max}, {"mean_abs_diff", count ? sum / static_cast<double>(count) : 0.0}};
  }
};

// Each example's prediction as evaluate makes it: the argmax of its windows' mean class probabilities.
std::vector<int32_t> predictions(const std::vector<float>& logits, const EncodedDataset& data, size_t examples,
                                 int labels) {
  std::vector<int32_t> predicted(examples);
  std::vector<double> mean(labels);
  for (size_t e = 0; e < examples; e++) {
    const size_t first = data.first_input.empty() ? e : data.first_input[e];
    const size_t last = data.first_input.empty() ? e + 1 : data.first_input[e + 1];
    std::fill(mean.begin(), mean.end(), 0.0);
    for (size_t i = first; i < last; i++) {
      const float* z = logits.data() + i * labels;
      const float top = *std::max_element(z, z + labels);
      double total = 0;
      for (int k = 0; k < labels; k++) total += std::exp(static_cast<double>(z[k] - top));
      for (int k = 0; k < labels; k++) mean[k] += std::exp(static_cast<double>(z[k] - top)) / total;
    }
    predicted[e] = static_cast<int32_t>(std::max_element(mean.begin(), mean.end()) - mean.begin());
  }
  return predicted;
}

Precision reference_precision(const std::string& name) {
  if (name == "int8") throw Error("--reference-precision int8: int8 is what the report measures; compare it to "
                                  "auto, fp32 or bf16");
  return precision_from_name(name);
}

// Runs the model in int8 and in the reference precision over the data, batch by batch (each batch
// in int8 first, its layer outputs kept, then in the reference, compared as they come).
nlohmann::ordered_json report(const QuantizeOptions& o) {
  const Precision reference = reference_precision(o.reference);
  const LabelledRun run = load_labelled_run(o.model_dir, o.report_data, o.dataset, o.max_length_option,
                                            o.max_length, o.truncation, reference);
  const Model& model = run.model;
  const InferenceDefaults& inputs = run.inputs;
  const Dataset& data = run.data;
  const EncodedDataset& encoded = run.encoded;

  const int L = model.config.num_hidden_layers, labels = model.config.num_labels();
  const int64_t H = model.config.hidden_size;
  SequenceClassifier int8(model, o.batch_size, inputs.max_length, Precision::Int8);
  SequenceClassifier baseline(model, o.batch_size, inputs.max_length, reference);
  const size_t n = encoded.inputs.size();
  std::vector<float> int8_logits(n * labels), reference_logits(n * labels);
  std::vector<std::vector<float>> int8_layers(L);
  std::vector<Difference> layer_diff(L);
  StepOptions keep, compare;
  keep.on_layer_output = [&](int l, const float* output, int64_t rows) {
    int8_layers[l].assign(output, output + rows * H);
  };
  compare.on_layer_output = [&](int l, const float* output, int64_t rows) {
    layer_diff[l].add(output, int8_layers[l].data(), rows * H);
  };
  for (size_t first = 0; first < n; first += o.batch_size) {
    const size_t count = std::min<size_t>(o.batch_size, n - first);
    const std::span<const TokenizedInput> batch(encoded.inputs.data() + first, count);
    int8.forward(batch, int8_logits.data() + first * labels, keep);
    baseline.forward(batch, reference_logits.data() + first * labels, compare);
  }
  Difference logit_diff;
  logit_diff.add(int8_logits.data(), reference_logits.data(), static_cast<int64_t>(n) * labels);

  const size_t examples = data.examples.size();
  const std::vector<int32_t> int8_predicted = predictions(int8_logits, encoded, examples, labels);
  const std::vector<int32_t> reference_predicted = predictions(reference_logits, encoded, examples, labels);
  size_t agree = 0, int8_correct = 0, reference_correct = 0;
  for (size_t e = 0; e < examples; e++) {
    agree += int8_predicted[e] == reference_predicted[e];
    int8_correct += int8_predicted[e] == encoded.labels[e];
    reference_correct += reference_predicted[e] == encoded.labels[e];
  }
  auto share = [&](size_t k) { return examples ? static_cast<double>(k) / static_cast<double>(examples) : 0.0; };
  const char* ref_name = precision_name(reference);
  nlohmann::ordered_json out;
  out["reference_precision"] = ref_name;
  out["examples"] = examples;
  out["inputs"] = n;
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (int l = 0; l < L; l++) {
    nlohmann::ordered_json layer{{"layer", l}};
    layer.update(layer_diff[l].to_json());
    layers.push_back(layer);
  }
  out["layers"] = layers;
  out["logits"] = logit_diff.to_json();
  out["label_agreement"] = share(agree);
  out["accuracy"] = {{"int8", share(int8_correct)}, {ref_name, share(reference_correct)}};
  return out;
}

void setup_quantize(CLI::App& app) {
  auto o = std::make_shared<QuantizeOptions>();
  CLI::App* sub = app.add_subcommand(
      "quantize", "Store a model's encoder weights in int8 (--output) and/or report what int8 inference costs "
                  "on labeled data against fp32/bf16, layer by layer (--report; one JSON line). docs/int8.md");
  add_model_option(sub, o->model_dir, "Model to quantize (a bertft quantize output is accepted too)")->required();
  sub->add_option("--output", o->output_dir,
                  "Write the quantized model directory here: the encoder's dense weights int8 per output channel "
                  "with F32 scales, everything else as the source stores it, config and tokenizer files copied");
  sub->add_option("--report", o->report_data,
                  std::string("Labeled data to measure int8 on (as eval --data). ") + kDatasetSpecHelp);
  sub->add_option("--reference-precision", o->reference,
                  "What --report compares int8 with: auto (bf16 on CPUs with AVX512-BF16, else fp32), fp32 or bf16")
      ->capture_default_str();
  add_number_option(sub, "--batch-size", o->batch_size, kBatchSizeRange, "--report: inputs per forward pass")
      ->capture_default_str();
  o->max_length_option = add_inference_max_length_option(sub, o->max_length, "example");
  add_dataset_options(sub, o->dataset);
  add_threads_option(sub, o->threads);
  add_truncation_options(sub, o->truncation);
  sub->callback([o] {
    if (o->output_dir.empty() && o->report_data.empty())
      throw Error("quantize needs --output DIR (write the int8 model), --report DATA (measure it), or both");
    use_threads(o->threads);
    if (!o->output_dir.empty()) write_quantized(*o);
    if (!o->report_data.empty()) std::printf("%s\n", report(*o).dump().c_str());
  });
}

const bool registered = register_command("quantize", setup_quantize);

}  // namespace
}  // namespace bertft
