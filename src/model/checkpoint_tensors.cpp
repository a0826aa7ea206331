#include "model/checkpoint_tensors.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <utility>

#include "common/error.h"
#include "common/hub_cache.h"
#include "common/io.h"
#include "common/json_input.h"
#include "model/safetensors.h"
#include "model/torch_checkpoint.h"

namespace bertft {

namespace {

namespace fs = std::filesystem;

constexpr const char* kSafetensors = "model.safetensors";
constexpr const char* kSafetensorsIndex = "model.safetensors.index.json";
constexpr const char* kTorch = "pytorch_model.bin";
constexpr const char* kTorchIndex = "pytorch_model.bin.index.json";

}  // namespace

// One weights file: its tensors in the file's own order, and how to read one as fp32.
struct CheckpointTensors::File {
  virtual ~File() = default;
  virtual const std::string& path() const = 0;
  virtual std::vector<StoredTensor> tensors() const = 0;  // file and index left 0 / in file order
  virtual void read_f32(size_t index, float* out) const = 0;
  virtual void read_i8(size_t, int8_t*) const {
    fail_file(path(), "int8 weights are read from safetensors files only (docs/int8.md)");
  }
};

namespace {

class SafetensorsShard : public CheckpointTensors::File {
 public:
  explicit SafetensorsShard(const std::string& path) : file_(path) {}
  const std::string& path() const override { return file_.reader().path(); }
  std::vector<StoredTensor> tensors() const override {
    std::vector<StoredTensor> out;
    for (const SafetensorsEntry& e : file_.reader().entries()) out.push_back({e.name, e.dtype, e.shape, e.numel});
    return out;
  }
  void read_f32(size_t index, float* out) const override {
    file_.reader().read_f32(file_.reader().entries()[index], out);
  }
  void read_i8(size_t index, int8_t* out) const override { file_.reader().read_i8(file_.reader().entries()[index], out); }

 private:
  SafetensorsFile file_;
};

class TorchShard : public CheckpointTensors::File {
 public:
  explicit TorchShard(const std::string& path) : checkpoint_(path) {}
  const std::string& path() const override { return checkpoint_.path(); }
  std::vector<StoredTensor> tensors() const override {
    std::vector<StoredTensor> out;
    for (const TorchTensor& t : checkpoint_.tensors()) out.push_back({t.name, t.dtype, t.shape, t.numel});
    return out;
  }
  void read_f32(size_t index, float* out) const override {
    checkpoint_.read_f32(checkpoint_.tensors()[index], out);
  }

 private:
  TorchCheckpoint checkpoint_;
};

std::unique_ptr<CheckpointTensors::File> open_file(const std::string& path) {
  if (path.ends_with(".safetensors")) return std::make_unique<SafetensorsShard>(path);
  if (path.ends_with(".bin")) return std::make_unique<TorchShard>(path);
  fail_file(path, "weights in this format are not supported (bertft reads .safetensors files and torch.save's .bin)");
}

// The shard files an index names, each once, in order of first mention, and for each tensor its shard.
struct ShardIndex {
  std::vector<std::string> shards;
  std::map<std::string, size_t> shard_of;
};

ShardIndex read_index(const std::string& dir, const std::string& path) {
  const nlohmann::json doc = parse_json_object(read_file(path), path);
  const JsonField map = JsonField(doc, path)["weight_map"];
  if (map.absent()) fail_file(path, "no weight_map: not a sharded checkpoint index");
  ShardIndex index;
  std::map<std::string, size_t> shard_number;
  for (const auto& [name, value] : map.as_object().items()) {
    const std::string& shard = map.entry(name, value).as_string();
    // A shard is a file beside the index: anything else could read outside the model directory.
    if (shard.empty() || shard.find('/') != std::string::npos || shard.find('\\') != std::string::npos ||
        shard == "." || shard == "..")
      fail_file(path, "weight_map[" + single_quoted(name) + "]: " + single_quoted(shard) +
                          " is not a file name in the model directory");
    auto [it, added] = shard_number.emplace(shard, index.shards.size());
    if (added) {
      if (!file_exists(path_in(dir, shard)))
        fail_file(path, "shard " + single_quoted(shard) + " (of tensor " + single_quoted(name) + ") is missing");
      index.shards.push_back(shard);
    }
    index.shard_of.emplace(name, it->second);
  }
  if (index.shards.empty()) fail_file(path, "weight_map names no tensors");
  return index;
}

}  // namespace

const std::vector<std::string>& weights_file_names() {
  static const std::vector<std::string> names = {kSafetensors, kSafetensorsIndex, kTorch, kTorchIndex};
  return names;
}

CheckpointTensors::CheckpointTensors(const std::string& dir) {
  if (!fs::is_directory(dir)) fail_missing_model(dir);
  const auto& names = weights_file_names();
  auto found = std::find_if(names.begin(), names.end(), [&](const std::string& n) { return file_exists(path_in(dir, n)); });
  if (found == names.end()) {
    for (const char* other : {"tf_model.h5", "flax_model.msgpack"})
      if (file_exists(path_in(dir, other)))
        fail_file(path_in(dir, other), "TensorFlow and Flax weights are not supported; convert them, e.g. with "
                                      "transformers: model.save_pretrained(dir, safe_serialization=True)");
    fail_file(dir, "no weights: none of model.safetensors, model.safetensors.index.json, pytorch_model.bin, "
                   "pytorch_model.bin.index.json");
  }
  path_ = path_in(dir, *found);
  std::map<std::string, size_t> position;  // tensor name -> index into tensors_
  auto add_file = [&](const std::string& file_path, const ShardIndex* index) {
    files_.push_back(open_file(file_path));
    const size_t f = files_.size() - 1;
    std::vector<StoredTensor> listed = files_[f]->tensors();
    for (size_t i = 0; i < listed.size(); i++) {
      StoredTensor& t = listed[i];
      t.file = f;
      t.index = i;
      if (index) {
        auto shard = index->shard_of.find(t.name);
        if (shard == index->shard_of.end())
          fail_file(path_, "tensor " + single_quoted(t.name) + " of shard " + file_path + " is not in weight_map");
        if (path_in(dir, index->shards[shard->second]) != file_path)
          fail_file(path_, "tensor " + single_quoted(t.name) + " is in " + file_path + ", but weight_map puts it in " +
                               index->shards[shard->second]);
      }
      auto [it, added] = position.emplace(t.name, tensors_.size());
      if (!added)
        fail_file(path_, "tensor " + single_quoted(t.name) + " is in both " + file_of(tensors_[it->second]) + " and " +
                             file_path);
      tensors_.push_back(std::move(t));
    }
  };
  if (!found->ends_with(".index.json")) {
    add_file(path_, nullptr);
  } else {
    const ShardIndex index = read_index(dir, path_);
    for (const std::string& shard : index.shards) add_file(path_in(dir, shard), &index);
    for (const auto& [name, shard] : index.shard_of)
      if (!position.count(name))
        fail_file(path_, "tensor " + single_quoted(name) + " is not in its shard " + index.shards[shard]);
  }
  std::sort(tensors_.begin(), tensors_.end(),
            [](const StoredTensor& a, const StoredTensor& b) { return a.name < b.name; });
}

CheckpointTensors::~CheckpointTensors() = default;
CheckpointTensors::CheckpointTensors(CheckpointTensors&&) noexcept = default;

const std::string& CheckpointTensors::file_of(const StoredTensor& tensor) const { return files_[tensor.file]->path(); }

void CheckpointTensors::require_float(const StoredTensor& tensor) const {
  require_float_dtype(tensor.dtype, tensor.name, file_of(tensor));
}

void CheckpointTensors::read_f32(const StoredTensor& tensor, float* out) const {
  require_float(tensor);
  files_[tensor.file]->read_f32(tensor.index, out);
}

void CheckpointTensors::read_i8(const StoredTensor& tensor, int8_t* out) const {
  files_[tensor.file]->read_i8(tensor.index, out);
}

}  // namespace bertft
