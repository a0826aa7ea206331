#include "model/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/error.h"
#include "common/json_input.h"
#include "common/float_convert.h"

namespace bertft {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

namespace {

using nlohmann::json;

// Every dtype of the format, so files holding other tensors (int64 position_ids, ...) still validate.
struct DtypeInfo {
  const char* name;
  size_t size;
};
constexpr DtypeInfo kDtypes[] = {{"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1},
                                 {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},
                                 {"U32", 4},  {"F32", 4}, {"F64", 8}, {"I64", 8},     {"U64", 8}};

class HeaderParser {
 public:
  explicit HeaderParser(const std::string& path) : path_(path) {}

  [[noreturn]] void fail(const std::string& tensor, const std::string& problem) const {
    fail_file(path_, "tensor " + single_quoted(tensor) + ": " + problem);
  }

  // A JSON number that is a non-negative integer (serde's usize); anything else is not.
  static bool to_size(const json& v, uint64_t& out) {
    if (!v.is_number_unsigned()) return false;
    out = v.get<uint64_t>();
    return true;
  }

  SafetensorsEntry entry(const std::string& name, const json& info, uint64_t data_size) const {
    if (!info.is_object()) fail(name, "expected an object with dtype, shape, data_offsets, got " + brief(info));
    SafetensorsEntry e;
    e.name = name;

    auto dtype = info.find("dtype");
    if (dtype == info.end()) fail(name, "missing 'dtype'");
    if (!dtype->is_string()) fail(name, "'dtype' must be a string, got " + brief(*dtype));
    e.dtype = dtype->get<std::string>();
    const DtypeInfo* d = std::find_if(std::begin(kDtypes), std::end(kDtypes),
                                      [&](const DtypeInfo& k) { return e.dtype == k.name; });
    if (d == std::end(kDtypes)) fail(name, "unknown dtype " + single_quoted(e.dtype));

    auto shape = info.find("shape");
    if (shape == info.end()) fail(name, "missing 'shape'");
    if (!shape->is_array()) fail(name, "'shape' must be a list of non-negative integers, got " + brief(*shape));
    uint64_t numel = 1;
    bool overflow = false;
    for (const json& dim : *shape) {
      uint64_t n = 0;
      if (!to_size(dim, n)) fail(name, "'shape' must be a list of non-negative integers, got " + brief(*shape));
      overflow |= n > static_cast<uint64_t>(INT64_MAX) || __builtin_mul_overflow(numel, n, &numel);
      e.shape.push_back(static_cast<int64_t>(n));
    }
    uint64_t nbytes = 0;
    if (overflow || __builtin_mul_overflow(numel, d->size, &nbytes))
      fail(name, "shape " + brief(*shape) + " is too large");

    auto offsets = info.find("data_offsets");
    if (offsets == info.end()) fail(name, "missing 'data_offsets'");
    uint64_t begin = 0, end = 0;
    if (!offsets->is_array() || offsets->size() != 2 || !to_size((*offsets)[0], begin) ||
        !to_size((*offsets)[1], end))
      fail(name, "'data_offsets' must be [begin, end] with non-negative integers, got " + brief(*offsets));
    if (end < begin) fail(name, "data_offsets " + brief(*offsets) + " end before they begin");
    if (end > data_size)
      fail(name, "data_offsets " + brief(*offsets) + " run past the end of the " + std::to_string(data_size) +
                     "-byte data section");
    if (end - begin != nbytes)
      fail(name, "data_offsets " + brief(*offsets) + " span " + std::to_string(end - begin) + " bytes, but shape " +
                     shape_string(e.shape) + " of " + e.dtype + " needs " + std::to_string(nbytes));
    e.numel = static_cast<size_t>(numel);
    e.begin = static_cast<size_t>(begin);
    e.end = static_cast<size_t>(end);
    return e;
  }

  std::map<std::string, std::string> metadata(const json& v) const {
    std::map<std::string, std::string> out;
    if (v.is_null()) return out;
    if (!v.is_object()) fail_file(path_, "'__metadata__' must be an object of strings, got " + brief(v));
    for (const auto& [key, value] : v.items()) {
      if (!value.is_string())
        fail_file(path_, "'__metadata__' value of " + single_quoted(key) + " must be a string, got " + brief(value));
      out[key] = value.get<std::string>();
    }
    return out;
  }

 private:
  const std::string& path_;
};

}  // namespace

const char* safetensors_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    default: return "F32";
  }
}

const char* torch_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F16: return "float16";
    case DType::BF16: return "bfloat16";
    default: return "float32";
  }
}

size_t dtype_size(DType dtype) { return dtype == DType::F32 ? 4 : 2; }

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); i++) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

SafetensorsReader::SafetensorsReader(const unsigned char* bytes, size_t size, std::string path)
    : path_(std::move(path)) {
  if (size < 8)
    fail_file(path_, "file is " + std::to_string(size) + " bytes, too short for the 8-byte header length");
  uint64_t header_size = 0;
  std::memcpy(&header_size, bytes, 8);
  if (header_size > kMaxHeaderSize)
    fail_file(path_, "header length " + std::to_string(header_size) + " is over the " +
                         std::to_string(kMaxHeaderSize) + "-byte limit (not a safetensors file?)");
  if (header_size > size - 8)
    fail_file(path_, "header length " + std::to_string(header_size) + " runs past the end of the " +
                         std::to_string(size) + "-byte file (truncated?)");
  std::string_view text(reinterpret_cast<const char*>(bytes) + 8, header_size);
  // As the reference reader does; it also makes any header that parses a JSON object.
  if (text.empty() || text[0] != '{')
    fail_file(path_, "header is not a JSON object (it does not start with '{'; not a safetensors file?)");
  json header = parse_json_input(text, path_, "header is not valid JSON");

  data_ = bytes + 8 + header_size;
  const uint64_t data_size = size - 8 - header_size;
  HeaderParser parser(path_);
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") metadata_ = parser.metadata(info);
    else entries_.push_back(parser.entry(name, info, data_size));
  }

  // The format requires the tensors to tile the data section exactly: no overlap, no gap, no tail.
  std::vector<const SafetensorsEntry*> by_offset;
  for (const SafetensorsEntry& e : entries_) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(), [](const SafetensorsEntry* a, const SafetensorsEntry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  size_t covered = 0;
  const SafetensorsEntry* previous = nullptr;
  for (const SafetensorsEntry* e : by_offset) {
    if (e->begin < covered)
      fail_file(path_, "tensor " + single_quoted(e->name) + " (bytes " + std::to_string(e->begin) + ".." +
                           std::to_string(e->end) + ") overlaps tensor " + single_quoted(previous->name));
    if (e->begin > covered)
      fail_file(path_, "bytes " + std::to_string(covered) + ".." + std::to_string(e->begin) +
                           " of the data section belong to no tensor (hole before " + single_quoted(e->name) + ")");
    covered = e->end;
    previous = e;
  }
  if (covered != data_size)
    fail_file(path_, "data section is " + std::to_string(data_size) + " bytes but the tensors cover " +
                         std::to_string(covered) + " (trailing bytes)");
  // nlohmann's object iterates in key order, so entries_ is already sorted by name.
}

const SafetensorsEntry* SafetensorsReader::find(std::string_view name) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const SafetensorsEntry& e, std::string_view n) { return e.name < n; });
  return it != entries_.end() && it->name == name ? &*it : nullptr;
}

void require_float_dtype(const std::string& dtype, const std::string& tensor, const std::string& path) {
  if (dtype != "F32" && dtype != "F16" && dtype != "BF16" && dtype != "F64")
    fail_file(path, "unsupported dtype " + dtype + " for tensor " + single_quoted(tensor) +
                        " (bertft reads F32, F16, BF16 and F64)");
}

void convert_to_f32(const std::string& dtype, const unsigned char* p, size_t n, float* out) {
  if (dtype == "F32") {
    if (n == 0) return;  // `out` may be null then, which memcpy does not allow
    std::memcpy(out, p, n * 4);
  } else if (dtype == "F16" || dtype == "BF16") {
    const bool bf16 = dtype == "BF16";
    for (size_t i = 0; i < n; i++) {
      uint16_t h;
      std::memcpy(&h, p + 2 * i, 2);
      out[i] = bf16 ? bf16_to_f32(h) : f16_to_f32(h);
    }
  } else if (dtype == "F64") {
    for (size_t i = 0; i < n; i++) {
      double d;
      std::memcpy(&d, p + 8 * i, 8);
      out[i] = f64_to_f32(d);
    }
  } else {
    throw std::logic_error("convert_to_f32: dtype " + dtype + " is not a float dtype");
  }
}

void SafetensorsReader::require_float(const SafetensorsEntry& e) const { require_float_dtype(e.dtype, e.name, path_); }

void SafetensorsReader::read_f32(const SafetensorsEntry& e, float* out) const {
  require_float(e);
  convert_to_f32(e.dtype, data_ + e.begin, e.numel, out);
}

void SafetensorsReader::read_i8(const SafetensorsEntry& e, int8_t* out) const {
  if (e.dtype != "I8") fail_file(path_, "tensor " + single_quoted(e.name) + " is " + e.dtype + ", expected I8");
  if (e.numel > 0) std::memcpy(out, data_ + e.begin, e.numel);
}

SafetensorsFile::SafetensorsFile(const std::string& path)
    : file_(std::make_unique<MappedFile>(path)), reader_(file_->data(), file_->size(), path) {}

std::string serialize_safetensors(std::vector<TensorToWrite> tensors, DType dtype,
                                  const std::map<std::string, std::string>& metadata) {
  std::sort(tensors.begin(), tensors.end(),
            [](const TensorToWrite& a, const TensorToWrite& b) { return a.name < b.name; });
  nlohmann::ordered_json header;
  header["__metadata__"] = metadata;
  auto element_dtype = [&](const TensorToWrite& t) {
    return t.i8 ? "I8" : t.keep_f32 ? "F32" : safetensors_dtype_name(dtype);
  };
  auto element_size = [&](const TensorToWrite& t) { return t.i8 ? 1 : t.keep_f32 ? 4 : dtype_size(dtype); };
  std::vector<size_t> numels;
  size_t offset = 0;
  for (size_t i = 0; i < tensors.size(); i++) {
    const TensorToWrite& t = tensors[i];
    if (t.name == "__metadata__" || (i > 0 && t.name == tensors[i - 1].name))
      throw Error("safetensors: cannot write two tensors named " + single_quoted(t.name));
    size_t n = 1;
    for (int64_t d : t.shape) n *= static_cast<size_t>(d);
    numels.push_back(n);
    header[t.name] = {{"dtype", element_dtype(t)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + n * element_size(t)}}};
    offset += n * element_size(t);
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');

  std::string out(8 + text.size() + offset, '\0');
  const uint64_t header_size = text.size();
  std::memcpy(out.data(), &header_size, 8);
  std::memcpy(out.data() + 8, text.data(), text.size());
  unsigned char* p = reinterpret_cast<unsigned char*>(out.data()) + 8 + text.size();
  for (size_t i = 0; i < tensors.size(); i++) {
    const float* src = tensors[i].data;
    if (tensors[i].i8) {
      if (numels[i] > 0) std::memcpy(p, tensors[i].i8, numels[i]);
    } else if (dtype == DType::F32 || tensors[i].keep_f32) {
      if (numels[i] > 0) std::memcpy(p, src, numels[i] * 4);  // an empty tensor's data may be null
    } else {
      for (size_t k = 0; k < numels[i]; k++) {
        uint16_t h = dtype == DType::BF16 ? f32_to_bf16(src[k]) : f32_to_f16(src[k]);
        std::memcpy(p + 2 * k, &h, 2);
      }
    }
    p += numels[i] * element_size(tensors[i]);
  }
  return out;
}

void write_safetensors(const std::string& path, std::vector<TensorToWrite> tensors, DType dtype,
                       const std::map<std::string, std::string>& metadata) {
  write_file_atomic(path, serialize_safetensors(std::move(tensors), dtype, metadata));
}

}  // namespace bertft
