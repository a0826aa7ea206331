#pragma once
// The weights of a model directory, whatever form transformers saved them in: model.safetensors,
// pytorch_model.bin (torch.save's zip or legacy format, read without running pickle:
// model/torch_checkpoint.h), or a sharded checkpoint (model.safetensors.index.json /
// pytorch_model.bin.index.json naming the shard file of each tensor). When several are present the
// first of that list wins, as in transformers' from_pretrained.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bertft {

struct StoredTensor {
  std::string name;
  std::string dtype;  // in safetensors' spelling: F32, F16, BF16, F64, I64, ...
  std::vector<int64_t> shape;
  size_t numel = 0;
  size_t file = 0;   // which of the checkpoint's files holds it
  size_t index = 0;  // its place in that file's tensor list
};

class CheckpointTensors {
 public:
  // Throws Error naming the file and the problem: no weights, a malformed file or index, a shard the
  // index names that is missing, a tensor in two shards or absent from the shard the index names it in.
  explicit CheckpointTensors(const std::string& dir);
  ~CheckpointTensors();
  CheckpointTensors(CheckpointTensors&&) noexcept;

  // The weights file, or the index of a sharded checkpoint.
  const std::string& path() const { return path_; }
  // Every tensor of every file, sorted by name, names unique.
  const std::vector<StoredTensor>& tensors() const { return tensors_; }
  // The file holding `tensor`, for messages.
  const std::string& file_of(const StoredTensor& tensor) const;
  // Throws "FILE: unsupported dtype I8 for tensor 'x' (bertft reads F32, F16, BF16 and F64)" for a
  // dtype read_f32 does not convert.
  void require_float(const StoredTensor& tensor) const;
  // The tensor's values as fp32 into out[0, numel).
  void read_f32(const StoredTensor& tensor, float* out) const;
  // An I8 tensor's values into out[0, numel) (a quantized weight, docs/int8.md); throws Error for other
  // dtypes and for int8 outside safetensors files.
  void read_i8(const StoredTensor& tensor, int8_t* out) const;

  struct File;  // one safetensors or torch file

 private:
  std::string path_;
  std::vector<std::unique_ptr<File>> files_;
  std::vector<StoredTensor> tensors_;
};

// The weights file names in the order of preference (model.safetensors first).
const std::vector<std::string>& weights_file_names();

}  // namespace bertft
