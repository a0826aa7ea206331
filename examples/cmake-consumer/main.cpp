// classify MODEL_DIR TEXT...: each text's class probabilities from a Hugging Face model directory, one
// JSON line per text, through bertft's library.
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include <bertft/common/error.h>
#include <bertft/common/precision.h>
#include <bertft/encoding/encoded_dataset.h>
#include <bertft/inference/classifier.h>
#include <bertft/kernels/classifier_head.h>
#include <bertft/model/checkpoint.h>
#include <bertft/tokenizer/tokenizer.h>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL_DIR TEXT...\n", argv[0]);
    return 2;
  }
  try {
    const std::string model_dir = argv[1];
    std::vector<std::string> texts(argv + 2, argv + argc);
    for (std::string& text : texts) bertft::sanitize_utf8(text);  // invalid UTF-8 -> U+FFFD

    bertft::LoadOptions load;
    load.heads = bertft::Heads{.pooler = true, .classifier = true, .mlm = false};
    std::vector<std::string> notices;
    const bertft::Model model = bertft::load_model(model_dir, load, &notices);
    for (const std::string& notice : notices) std::fprintf(stderr, "note: %s\n", notice.c_str());
    const bertft::Tokenizer tokenizer = bertft::Tokenizer::from_dir(model_dir);
    bertft::check_tokenizer_fits(tokenizer, model.config, model_dir + "/config.json");

    // The longest input the model takes; longer texts keep their first tokens.
    const int max_length = bertft::resolve_max_length(model.config, 0);
    std::vector<bertft::TokenizedInput> batch;
    for (const std::string& text : texts) {
      bool truncated = false;
      batch.push_back(bertft::encode_input(tokenizer, text, std::nullopt, max_length, bertft::Truncation{}, &truncated));
    }

    bertft::SequenceClassifier classifier(model, static_cast<int>(batch.size()), max_length,
                                          bertft::auto_precision());
    const int C = model.config.num_labels();
    std::vector<float> probs(batch.size() * C);
    classifier.forward(batch, probs.data());
    bertft::softmax_forward(probs.data(), probs.data(), static_cast<int64_t>(batch.size()), C);

    for (size_t i = 0; i < texts.size(); i++) {
      const std::vector<float> row(probs.begin() + i * C, probs.begin() + (i + 1) * C);
      const size_t best = std::max_element(row.begin(), row.end()) - row.begin();
      const nlohmann::json line = {{"text", texts[i]}, {"label", model.config.id2label[best]},
                                   {"score", row[best]}, {"probs", row}};
      std::printf("%s\n", line.dump().c_str());
    }
  } catch (const bertft::Error& e) {
    std::fprintf(stderr, "classify: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
