#include "cli/model_dir_output.h"

#include <cstdio>
#include <filesystem>

namespace bertft::cli {

void write_model_dir(const Model& model, const std::string& dir, const std::string& dtype,
                     const std::string& tokenizer_dir, bool tokenizer_required) {
  const DType d = dtype == "bf16" ? DType::BF16 : dtype == "f16" ? DType::F16 : DType::F32;
  // Check the tokenizer before writing anything, so a failed command leaves no half model behind.
  const bool have_tokenizer = !tokenizer_files(tokenizer_dir).empty();
  if (tokenizer_required && !have_tokenizer) copy_tokenizer_files(tokenizer_dir, dir);  // throws, naming the dir
  save_model(model, dir, d);
  const std::filesystem::path out(dir);
  std::printf("wrote %s (%s, %d labels) and %s (%zu parameters, %s)\n", (out / "config.json").c_str(),
              architecture_name(model.config.arch(), model.params.heads()), model.config.num_labels(), (out / "model.safetensors").c_str(),
              model.params.size(), safetensors_dtype_name(d));
  if (std::string n = pooling_notice(model, dir); !n.empty()) std::fprintf(stderr, "bertft: notice: %s\n", n.c_str());
  if (!have_tokenizer) {
    std::fprintf(stderr, "bertft: notice: no tokenizer files in %s, so none were copied\n", tokenizer_dir.c_str());
    return;
  }
  std::string names;
  for (const std::string& n : copy_tokenizer_files(tokenizer_dir, dir)) names += " " + n;
  std::printf("copied tokenizer files from %s:%s\n", tokenizer_dir.c_str(), names.c_str());
}

}  // namespace bertft::cli
