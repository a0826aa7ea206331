// libFuzzer target: TorchCheckpoint on arbitrary bytes held in memory, which exercises the restricted
// unpickler (model/pickle.h), libarchive's zip reader and the legacy layout. Beyond "no crash, no
// sanitizer report" it checks that errors stay one line and that every tensor a checkpoint accepts reads.
#include <cstdint>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "model/torch_checkpoint.h"

using namespace bertft;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const TorchCheckpoint checkpoint(data, size, "fuzz.bin");
    std::vector<float> values;
    for (const TorchTensor& t : checkpoint.tensors()) {
      values.resize(t.numel);  // at most its storage's elements, which the input holds
      try {
        checkpoint.read_f32(t, values.data());
      } catch (const Error& e) {
        if (std::strchr(e.what(), '\n')) __builtin_trap();  // an integer dtype
      }
    }
  } catch (const Error& e) {
    if (std::strchr(e.what(), '\n')) __builtin_trap();
  }
  return 0;
}
