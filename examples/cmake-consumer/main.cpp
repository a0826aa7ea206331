// classify MODEL_DIR TEXT...: each text's class probabilities from a Hugging Face model directory, one
// JSON line per text, through bertft's library (the classifier `bertft predict` runs, with the inputs
// the model directory records).
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <bertft/common/error.h>
#include <bertft/common/precision.h>
#include <bertft/inference/text_classifier.h>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL_DIR TEXT...\n", argv[0]);
    return 2;
  }
  try {
    const std::string model_dir = argv[1];
    std::vector<bertft::TextInput> texts(argc - 2);
    for (int i = 2; i < argc; i++) {
      texts[i - 2].text = argv[i];
      bertft::sanitize_utf8(texts[i - 2].text);  // invalid UTF-8 -> U+FFFD
    }

    std::vector<std::string> notices;
    bertft::TextClassifier classifier(
        model_dir,
        [&](const bertft::ModelConfig& config) {
          return bertft::text_classifier_options(bertft::inference_defaults(config, model_dir + "/config.json"),
                                                 bertft::auto_precision());
        },
        &notices);
    for (const std::string& notice : notices) std::fprintf(stderr, "note: %s\n", notice.c_str());

    const bertft::ModelConfig& config = classifier.config();
    const size_t C = static_cast<size_t>(config.num_labels());
    std::vector<float> probs(texts.size() * C), logits(texts.size() * C);
    classifier.classify(texts, [](size_t i) { return "text " + std::to_string(i + 1); }, probs.data(), logits.data());

    for (size_t i = 0; i < texts.size(); i++) {
      const std::vector<float> row(probs.begin() + i * C, probs.begin() + (i + 1) * C);
      const size_t best = std::max_element(row.begin(), row.end()) - row.begin();
      const nlohmann::json line = {{"text", texts[i].text}, {"label", config.id2label[best]},
                                   {"score", row[best]}, {"probs", row}};
      std::printf("%s\n", line.dump().c_str());
    }
  } catch (const bertft::Error& e) {
    std::fprintf(stderr, "classify: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
