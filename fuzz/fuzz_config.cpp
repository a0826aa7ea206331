// libFuzzer target: parse_config on arbitrary text. Beyond "no crash, no sanitizer report" it checks
// that errors stay one line and that config_to_json output parses back to the same text.
#include <cstdint>
#include <cstring>
#include <string>

#include "common/error.h"
#include "model/config.h"

using namespace bertft;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const ModelConfig config = parse_config(std::string(reinterpret_cast<const char*>(data), size), "config.json");
    const std::string once = config_to_json(config);
    if (config_to_json(parse_config(once, "config.json")) != once) __builtin_trap();
  } catch (const Error& e) {
    if (std::strchr(e.what(), '\n')) __builtin_trap();
  }
  return 0;
}
