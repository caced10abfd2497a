// Fuzz target: a whole safetensors file (core/llm/safetensors.cpp). The header checks run when the file is opened;
// then every tensor it accepted is read whole and as a one-row slice, so that an accepted header whose byte ranges
// do not fit its data section would read out of the map (ASan sees reads past the mapping as SEGV).
#include "core/llm/safetensors.h"
#include "tests/fuzz/fuzz_support.h"

using namespace delrec;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = fuzz::scratch_dir() / "model.safetensors";
  fuzz::write_file(path, fuzz::as_text(data, size));
  fuzz::refused_or_accepted([&] {
    llm::SafetensorsFile file(path);
    for (const auto& name : file.names()) {
      const auto& info = file.info(name);
      fuzz::refused_or_accepted([&] { file.read(name); });
      if (!info.shape.empty() && info.shape[0] > 0)
        fuzz::refused_or_accepted([&] { file.read_slice(name, 0, info.shape[0] - 1, 1); });
    }
  });
  return 0;
}
