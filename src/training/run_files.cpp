#include "training/run_files.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>

#include "common/error.h"
#include "common/io.h"
#include "common/json_input.h"
#include "data/rng.h"

namespace fs = std::filesystem;

namespace bertft {

namespace {

using json = nlohmann::json;

constexpr const char* kCheckpointPrefix = "checkpoint-";
constexpr const char* kStateFile = "trainer_state.json";
constexpr const char* kOptimizerFile = "optimizer.safetensors";

}  // namespace

json TrainerState::to_json() const {
  return {{"global_step", global_step}, {"epoch", epoch}, {"batch_in_epoch", batch_in_epoch},
          {"best_metric", std::isnan(best_metric) ? json(nullptr) : json(best_metric)},
          {"best_step", best_step}, {"evals_without_improvement", evals_without_improvement},
          {"seconds", seconds}, {"log_history", log_history}};
}

TrainerState TrainerState::load(const std::string& path) { return from_json(parse_json_object(read_file(path), path), path); }

TrainerState TrainerState::from_json(const json& j, const std::string& path) {
  TrainerState s;
  try {
    s.global_step = j.at("global_step").get<int64_t>();
    s.epoch = j.at("epoch").get<int64_t>();
    s.batch_in_epoch = j.at("batch_in_epoch").get<int64_t>();
    if (!j.at("best_metric").is_null()) s.best_metric = j.at("best_metric").get<double>();
    s.best_step = j.at("best_step").get<int64_t>();
    s.evals_without_improvement = j.at("evals_without_improvement").get<int>();
    s.seconds = j.value("seconds", 0.0);  // absent in checkpoints of earlier versions
    s.log_history = j.at("log_history");
  } catch (const json::exception& e) {
    fail_file(path, std::string("malformed trainer state: ") + e.what());
  }
  return s;
}

std::vector<int64_t> epoch_order(int64_t n, uint64_t seed, int64_t epoch, bool shuffle) {
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  if (shuffle) DataRng(seed ^ (0x5EED0000ULL + static_cast<uint64_t>(epoch) * 0x9E3779B97F4A7C15ULL)).shuffle(order);
  return order;
}

std::vector<std::pair<int64_t, fs::path>> list_checkpoints(const std::string& output) {
  std::vector<std::pair<int64_t, fs::path>> found;
  if (!fs::is_directory(output)) return found;
  for (const auto& entry : fs::directory_iterator(output)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory() || name.rfind(kCheckpointPrefix, 0) != 0) continue;
    const std::string digits = name.substr(std::string(kCheckpointPrefix).size());
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    found.emplace_back(std::stoll(digits), entry.path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::string checkpoint_to_resume(const std::string& output_dir, bool resume, const std::string& model_dir) {
  const auto checkpoints = list_checkpoints(output_dir);
  if (!resume && !checkpoints.empty())
    throw Error(output_dir + ": holds checkpoints of an earlier run; pass --resume to continue it, "
                "or choose another --output");
  if (!resume) return "";
  if (checkpoints.empty()) {
    std::fprintf(stderr, "bertft: --resume: no checkpoint in %s, starting from %s\n", output_dir.c_str(),
                 model_dir.c_str());
    return "";
  }
  return checkpoints.back().second.string();
}

void load_checkpoint(const std::string& checkpoint_dir, AdamW& optimizer, TrainerState& state, int64_t total_steps) {
  optimizer.load((fs::path(checkpoint_dir) / kOptimizerFile).string());
  state = TrainerState::load((fs::path(checkpoint_dir) / kStateFile).string());
  std::fprintf(stderr, "bertft: resuming from %s (step %lld of %lld)\n", checkpoint_dir.c_str(),
               static_cast<long long>(state.global_step), static_cast<long long>(total_steps));
}

void save_checkpoint(const std::string& output_dir, const TrainerState& state, const AdamW& optimizer, int keep,
                     const std::function<void(const std::string&)>& write_model) {
  const fs::path final_dir = fs::path(output_dir) / (kCheckpointPrefix + std::to_string(state.global_step));
  const fs::path tmp_dir = final_dir.string() + ".tmp";
  fs::remove_all(tmp_dir);
  write_model(tmp_dir.string());
  optimizer.save((tmp_dir / kOptimizerFile).string());
  write_file_atomic((tmp_dir / kStateFile).string(), state.to_json().dump(1) + "\n");
  fs::remove_all(final_dir);
  fs::rename(tmp_dir, final_dir);
  const auto checkpoints = list_checkpoints(output_dir);
  const size_t kept = static_cast<size_t>(std::max(1, keep));
  for (size_t i = 0; i + kept < checkpoints.size(); i++) fs::remove_all(checkpoints[i].second);
}

std::string diverged_message(int64_t step, double loss, const std::string& output_dir) {
  const auto saved = list_checkpoints(output_dir);
  return "training diverged: the loss of step " + std::to_string(step) + " is " + std::to_string(loss) +
         "; try a lower --learning-rate. Last good checkpoint: " +
         (saved.empty() ? std::string("none") : saved.back().second.string());
}

void RunLog::append(TrainerState& state, const json& entry) const {
  state.log_history.push_back(entry);
  if (path_.empty()) return;
  std::ofstream out(path_, std::ios::app);
  out << entry.dump() << "\n";
  if (!out) fail_file(path_, "cannot write the log");
}

void RunLog::rewrite(const TrainerState& state) const {
  if (path_.empty()) return;
  std::string text;
  for (const json& entry : state.log_history) text += entry.dump() + "\n";
  write_file_atomic(path_, text);
}

}  // namespace bertft
