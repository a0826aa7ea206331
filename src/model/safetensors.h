#pragma once
// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length N, N bytes
// of JSON {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}
// padded with spaces, then the data section, which the tensors must cover exactly, back to back.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/io.h"

namespace bertft {

// The dtypes bertft writes. Every float dtype the reader knows (also F64) converts to fp32.
enum class DType { F32, F16, BF16 };
const char* safetensors_dtype_name(DType dtype);  // "F32", "F16", "BF16"
const char* torch_dtype_name(DType dtype);        // config.json's torch_dtype: "float32", ...
size_t dtype_size(DType dtype);

// Throws Error("path: unsupported dtype I8 for tensor 'x' (bertft reads F32, F16, BF16 and F64)") unless
// dtype (as safetensors spells it) is one of those.
void require_float_dtype(const std::string& dtype, const std::string& tensor, const std::string& path);
// n values of a float dtype (F32, F16, BF16, F64), stored little-endian at `bytes`, as fp32.
void convert_to_f32(const std::string& dtype, const unsigned char* bytes, size_t n, float* out);

struct SafetensorsEntry {
  std::string name;
  std::string dtype;  // as in the header: "F32", "BF16", "I64", ...
  std::vector<int64_t> shape;
  size_t numel = 0;
  size_t begin = 0, end = 0;  // byte range within the data section
};

// A shape as error messages show it: [2,768].
std::string shape_string(const std::vector<int64_t>& shape);

// A validated view of a safetensors file held in memory (which must outlive the reader). The
// constructor checks everything the format requires and throws Error("path: ...") otherwise; after
// that every entry's bytes are known to be in range.
class SafetensorsReader {
 public:
  // Files larger than this are refused, as the reference implementation does.
  static constexpr uint64_t kMaxHeaderSize = 100'000'000;

  SafetensorsReader(const unsigned char* bytes, size_t size, std::string path);

  const std::vector<SafetensorsEntry>& entries() const { return entries_; }  // sorted by name
  const SafetensorsEntry* find(std::string_view name) const;                 // nullptr if absent
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::string& path() const { return path_; }

  // Throws "unsupported dtype I8 for tensor 'x'" unless the entry is F32, F16, BF16 or F64, the
  // dtypes read_f32 converts.
  void require_float(const SafetensorsEntry& entry) const;
  // Converts the entry's values to fp32 into out[0, numel); other dtypes fail as in require_float.
  void read_f32(const SafetensorsEntry& entry, float* out) const;
  // An I8 entry's values into out[0, numel) (a quantized weight, docs/int8.md); other dtypes throw.
  void read_i8(const SafetensorsEntry& entry, int8_t* out) const;

 private:
  const unsigned char* data_ = nullptr;  // start of the data section
  std::string path_;
  std::vector<SafetensorsEntry> entries_;
  std::map<std::string, std::string> metadata_;
};

// A safetensors file on disk, memory-mapped for the reader's lifetime.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::string& path);
  const SafetensorsReader& reader() const { return reader_; }

 private:
  std::unique_ptr<MappedFile> file_;
  SafetensorsReader reader_;
};

struct TensorToWrite {
  std::string name;
  std::vector<int64_t> shape;
  const float* data;  // numel(shape) values
  // Instead of data: int8 values, written as I8 whatever the file's dtype (a quantized weight).
  const int8_t* i8 = nullptr;
  // Written as F32 whatever the file's dtype (a quantized weight's scales, which must stay exact).
  bool keep_f32 = false;
};

// The bytes of a safetensors file as the reference writer lays it out: tensors sorted by name and
// stored back to back, "__metadata__" first in the header; each in `dtype` but for those marked i8 or
// keep_f32. transformers' from_pretrained needs
// metadata {"format": "pt"} to accept a file, hence the default.
std::string serialize_safetensors(std::vector<TensorToWrite> tensors, DType dtype,
                                  const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

// serialize_safetensors, written atomically to `path`.
void write_safetensors(const std::string& path, std::vector<TensorToWrite> tensors, DType dtype,
                       const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

}  // namespace bertft
