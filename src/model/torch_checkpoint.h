#pragma once
// pytorch_model.bin: the state dict torch.save writes, read without running pickle (model/pickle.h
// interprets the pickles as data). Both of torch.save's formats:
//  - zip (torch >= 1.6): PREFIX/data.pkl, the pickle, whose persistent ids ('storage', StorageType, key,
//    location, numel) name the entries PREFIX/data/KEY holding each storage's bytes; an optional
//    PREFIX/byteorder must say "little". PREFIX varies ("archive", the file's stem, ...).
//  - legacy (_use_new_zipfile_serialization=False): consecutive pickles of torch's magic number, protocol
//    version 1001, system info (little_endian), the state dict (persistent ids ('storage', StorageType,
//    key, location, numel, view_metadata)) and the list of storage keys, then for each key in that order
//    an int64 element count and the storage's bytes.
// Each tensor is a view into a storage: an element offset and strides, so transposed and sliced tensors
// and tensors sharing a storage come back as torch saved them. Everything a view can touch, and every
// storage's size, is checked against the file before anything is read, so read_f32 never reads out of
// bounds and memory stays bounded by the file's size.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/io.h"

namespace bertft {

struct TorchTensor {
  std::string name;
  std::string dtype;  // in safetensors' spelling: F32, F16, BF16, F64, I64, ...
  std::vector<int64_t> shape;
  size_t numel = 0;
  size_t storage = 0;            // which storage it views
  size_t offset = 0;             // of its first element in the storage, in elements
  std::vector<int64_t> strides;  // in elements
};

class TorchCheckpoint {
 public:
  // Throws Error("path: problem") for anything that is not a state dict torch.save wrote, naming the
  // problem: a forbidden global, a truncated file, a storage smaller than a tensor's view of it, ...
  explicit TorchCheckpoint(const std::string& path);
  // The same for a file held in memory, which must outlive the checkpoint; `path` names it in messages.
  TorchCheckpoint(const unsigned char* bytes, size_t size, std::string path);
  ~TorchCheckpoint();
  TorchCheckpoint(TorchCheckpoint&&) noexcept;

  const std::string& path() const { return path_; }
  // The state dict's tensors in its order (its other entries are left out), names unique.
  const std::vector<TorchTensor>& tensors() const { return tensors_; }
  // The tensor's values as fp32 into out[0, numel), in row-major order whatever its strides. Throws
  // "unsupported dtype" (safetensors.h's require_float_dtype) for an integer tensor.
  void read_f32(const TorchTensor& tensor, float* out) const;

  struct Storage {
    std::string key;
    std::string dtype;
    size_t element_size = 0;
    uint64_t numel = 0;
    const unsigned char* bytes = nullptr;  // numel * element_size of them; nullptr until they are found
  };

 private:
  void read(const unsigned char* bytes, size_t size);
  void read_zip(const unsigned char* bytes, size_t size);
  void read_legacy(const unsigned char* bytes, size_t size);

  std::string path_;
  std::unique_ptr<MappedFile> file_;
  std::vector<std::unique_ptr<unsigned char[]>> copies_;  // zip entries that are not stored as they are
  std::vector<Storage> storages_;
  std::vector<TorchTensor> tensors_;
};

}  // namespace bertft
