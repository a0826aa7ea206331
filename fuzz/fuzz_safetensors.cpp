// libFuzzer target: SafetensorsReader on arbitrary bytes. Beyond "no crash, no sanitizer report" it
// checks that errors stay one line and that whatever the reader accepts survives a write/read cycle.
#include <cstdint>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "model/safetensors.h"

using namespace bertft;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    SafetensorsReader st(data, size, "fuzz.safetensors");
    std::vector<std::vector<float>> values;
    std::vector<TensorToWrite> tensors;
    for (const SafetensorsEntry& e : st.entries()) {
      std::vector<float> v(e.numel);  // numel * dtype size <= size, so this is bounded by the input
      try {
        st.read_f32(e, v.data());
      } catch (const Error&) {
        continue;  // an integer dtype
      }
      values.push_back(std::move(v));
      tensors.push_back({e.name, e.shape, values.back().data()});
    }
    const std::string again = serialize_safetensors(tensors, DType::F32);
    SafetensorsReader back(reinterpret_cast<const unsigned char*>(again.data()), again.size(), "again");
    if (back.entries().size() != tensors.size()) __builtin_trap();
    for (size_t i = 0; i < tensors.size(); i++) {
      const SafetensorsEntry* e = back.find(tensors[i].name);
      if (!e || e->shape != tensors[i].shape) __builtin_trap();
      std::vector<float> v(e->numel);
      back.read_f32(*e, v.data());
      if (!v.empty() && std::memcmp(v.data(), values[i].data(), v.size() * sizeof(float)) != 0) __builtin_trap();
    }
  } catch (const Error& e) {
    if (std::strchr(e.what(), '\n')) __builtin_trap();
  }
  return 0;
}
