// Fuzz target: a tokenizer.json (core/llm/tokenizer.cpp, bpe_tokenizer.cpp and the normalizer, pre-tokenizer and
// decoder it configures), then one text through it. Input: tokenizer.json bytes, NUL, the text to encode.
// An accepted tokenizer must encode any text (with and without specials) and decode its own ids.
#include "core/llm/tokenizer.h"
#include "tests/fuzz/fuzz_support.h"

#include <string>

using namespace delrec;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto [json, text] = fuzz::split_at_nul(fuzz::as_text(data, size));
  static const auto dir = [] {
    auto d = fuzz::scratch_dir() / "tokenizer";
    std::filesystem::create_directories(d);
    return d;
  }();
  fuzz::write_file(dir / "tokenizer.json", json);
  fuzz::refused_or_accepted([&, text = std::string(text)] {
    const auto tokenizer = llm::load_tokenizer(dir);
    const auto ids = tokenizer->encode(text, /*add_special=*/true);
    tokenizer->encode(text, /*add_special=*/false);
    tokenizer->decode(ids);
  });
  return 0;
}
