// Fuzz target: a Hugging Face config.json (core/llm/model_config.cpp). An accepted config must also give its
// parameter count without overflow (UBSan reports signed overflow).
#include "core/llm/model_config.h"
#include "tests/fuzz/fuzz_support.h"

#include <string>

using namespace delrec;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::refused_or_accepted([&] {
    const auto config = llm::parse_model_config(std::string(fuzz::as_text(data, size)), "config.json");
    config.num_parameters();
  });
  return 0;
}
