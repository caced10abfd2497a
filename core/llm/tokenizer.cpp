#include "core/llm/tokenizer.h"

#include "core/llm/bpe_tokenizer.h"
#include "core/llm/sentencepiece_tokenizer.h"
#include "core/util/error.h"

namespace delrec::llm {

std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& dir) {
  if (std::filesystem::exists(dir / "tokenizer.json")) return std::make_unique<BpeTokenizer>(dir / "tokenizer.json");
  if (std::filesystem::exists(dir / "tokenizer.model"))
    return std::make_unique<SentencePieceTokenizer>(dir / "tokenizer.model");
  throw Error(fmt::format("{}: no tokenizer.json or tokenizer.model found (point at the model or tokenizer folder)",
                          dir.string()));
}

}  // namespace delrec::llm
