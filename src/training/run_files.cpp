#include "training/run_files.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>

#include "common/error.h"
#include "common/io.h"
#include "common/json_input.h"
#include "data/rng.h"
#include "distributed/communicator.h"
#include "model/checkpoint.h"

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
          {"seconds", seconds}, {"log_history", log_history}, {"made_with", made_with}};
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
    s.made_with = j.value("made_with", json());  // absent in checkpoints of earlier versions
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
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(output, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory() || !name.starts_with(kCheckpointPrefix)) continue;
    const char* digits = name.c_str() + std::string_view(kCheckpointPrefix).size();
    const char* end = name.c_str() + name.size();
    int64_t step = 0;
    const auto parsed = std::from_chars(digits, end, step);
    if (parsed.ec != std::errc() || parsed.ptr != end || step < 0) continue;
    found.emplace_back(step, entry.path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

void prepare_output(const std::string& output_dir, const std::string& log_file, bool resume) {
  check_output_dir("--output", output_dir);
  remove_stale_temporaries(output_dir);
  if (!log_file.empty()) {
    const fs::path log = fs::absolute(log_file).lexically_normal();
    fs::path output = fs::absolute(output_dir).lexically_normal();
    if (!output.has_filename()) output = output.parent_path();  // "out/"
    // A log in --output (as `bertft sweep` puts it) is written once the run has created it.
    if (log.parent_path() == output) {
      std::error_code ec;
      if (fs::is_directory(log, ec)) throw Error("--log " + log_file + ": is a directory");
    } else {
      check_output_file("--log", log_file);
    }
    remove_stale_temporaries(log.parent_path().string(), log.filename().string());
  }
  if (!resume && !list_checkpoints(output_dir).empty())
    throw Error(output_dir + ": holds checkpoints of an earlier run; pass --resume to continue it, "
                "or choose another --output");
}

std::string read_resume_checkpoint(const std::string& output_dir, bool resume, const std::string& named_checkpoint,
                                   const std::string& start_from,
                                   const std::function<void(const std::string& checkpoint_dir)>& read) {
  if (resume && !named_checkpoint.empty()) {
    if (!fs::is_directory(named_checkpoint))
      throw Error("--resume-from-checkpoint: " + named_checkpoint + " is not a directory");
    read(named_checkpoint);
    return named_checkpoint;
  }
  const auto checkpoints = list_checkpoints(output_dir);
  if (!resume) return "";
  if (checkpoints.empty()) {
    std::fprintf(stderr, "bertft: notice: --resume: no checkpoint in %s, starting from %s\n", output_dir.c_str(),
                 start_from.c_str());
    return "";
  }
  std::vector<std::pair<fs::path, std::string>> unreadable;  // newest first, with the reason
  for (auto it = checkpoints.rbegin(); it != checkpoints.rend(); ++it) {
    try {
      read(it->second.string());
    } catch (const Error& e) {
      unreadable.emplace_back(it->second, e.what());
      continue;
    }
    // Set aside, so that keeping the newest --save-total-limit checkpoints never keeps these instead
    // of readable ones; their files stay for a look.
    for (const auto& [dir, reason] : unreadable) {
      const fs::path aside = dir.string() + ".unreadable";
      std::error_code ec;
      fs::remove_all(aside, ec);
      fs::rename(dir, aside, ec);
      std::fprintf(stderr, "bertft: notice: %s is unreadable (%s); %s; resuming from %s\n",
                   dir.filename().c_str(), reason.c_str(),
                   ec ? ("cannot set it aside: " + ec.message()).c_str()
                      : ("set aside as " + aside.filename().string()).c_str(),
                   it->second.filename().c_str());
    }
    return it->second.string();
  }
  throw Error("--resume: no checkpoint in " + output_dir + " can be read; the newest, " +
              unreadable.front().first.filename().string() + ": " + unreadable.front().second);
}

void load_checkpoint(const std::string& checkpoint_dir, AdamW& optimizer, TrainerState& state) {
  optimizer.load((fs::path(checkpoint_dir) / kOptimizerFile).string());
  state = TrainerState::load((fs::path(checkpoint_dir) / kStateFile).string());
}

void note_resume(const std::string& checkpoint_dir, int64_t step, int64_t total_steps) {
  std::fprintf(stderr, "bertft: notice: resuming from %s (step %lld of %lld)\n", checkpoint_dir.c_str(),
               static_cast<long long>(step), static_cast<long long>(total_steps));
}

json input_record(const std::string& path, uint64_t content_hash, int64_t examples) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(content_hash));
  json record = {{"path", path}, {"content", hex}};
  if (examples >= 0) record["examples"] = examples;
  return record;
}

std::vector<std::string> model_files(const std::string& dir) {
  std::vector<std::string> paths = {(fs::path(dir) / "config.json").string(),
                                    (fs::path(dir) / "model.safetensors").string()};
  for (const std::string& name : tokenizer_files(dir)) paths.push_back((fs::path(dir) / name).string());
  return paths;
}

uint64_t hash_files(const std::vector<std::string>& paths) {
  uint64_t hash = fingerprint(nullptr, 0);
  for (const std::string& path : paths) {
    const uint64_t size = file_exists(path) ? fs::file_size(path) : 0;
    hash = fingerprint(&size, sizeof size, hash);
    if (size == 0) continue;
    const MappedFile file(path);
    hash = fingerprint(file.data(), file.size(), hash);
  }
  return hash;
}

namespace {

// Inputs are the same when their content is; anything else when it is equal.
bool same_value(const json& a, const json& b) {
  if (a.is_object() && b.is_object() && a.contains("content") && b.contains("content"))
    return a["content"] == b["content"];
  return a == b;
}

std::string shown(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (!value.is_object() || !value.contains("content")) return value.dump();
  std::string text = value.value("path", std::string()) + " (";
  if (value.contains("examples")) text += value["examples"].dump() + " examples, ";
  return text + "content " + value["content"].get<std::string>() + ")";
}

// "a", "a and b", "a, b and c".
std::string listed(const std::vector<std::string>& items) {
  std::string text;
  for (size_t i = 0; i < items.size(); i++)
    text += (i == 0 ? "" : i + 1 == items.size() ? " and " : ", ") + items[i];
  return text;
}

}  // namespace

void check_made_with(const std::string& checkpoint_dir, const json& made_with, const json& current, bool force) {
  const std::string name = fs::path(checkpoint_dir).filename().string();
  if (!made_with.is_object()) {
    std::fprintf(stderr, "bertft: warning: --resume: %s was saved by an earlier bertft that did not record its "
                 "data, model and training options, so they are not compared with this run's\n", name.c_str());
    return;
  }
  std::vector<std::string> before, now;
  for (const auto& [option, value] : current.items()) {
    // An option the checkpoint's bertft did not record cannot be compared.
    if (!made_with.contains(option) || same_value(made_with[option], value)) continue;
    before.push_back(option + " " + shown(made_with[option]));
    now.push_back(shown(value));
  }
  if (before.empty()) return;
  const std::string difference = name + " was made with " + listed(before) + ", this run has " + listed(now);
  if (!force) throw Error("--resume: " + difference + "; pass --force to resume anyway");
  std::fprintf(stderr, "bertft: warning: --force: resuming although %s\n", difference.c_str());
}

void save_checkpoint(const std::string& output_dir, const TrainerState& state, const AdamW& optimizer, int keep,
                     const std::function<void(const std::string&)>& write_model) {
  const fs::path final_dir = fs::path(output_dir) / (kCheckpointPrefix + std::to_string(state.global_step));
  const fs::path tmp_dir = temporary_path(final_dir.string());
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
