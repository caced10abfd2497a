#pragma once
// SentencePiece tokenizer.model (Llama-2, Mistral), through the delrec_sentencepiece module loaded at run time
// (see sentencepiece_shim/sentencepiece_shim.h for why it is not linked).
#include <filesystem>
#include <memory>

#include "core/llm/tokenizer.h"

namespace delrec::llm {

class SentencePieceTokenizer : public Tokenizer {
 public:
  explicit SentencePieceTokenizer(const std::filesystem::path& model_file);
  ~SentencePieceTokenizer() override;

  // add_special prepends BOS, as the Llama and Mistral tokenizers do (add_bos_token true, add_eos_token false).
  std::vector<int64_t> encode(const std::string& text, bool add_special) const override;
  std::string decode(const std::vector<int64_t>& ids) const override;
  int64_t vocab_size() const override;
  int64_t bos_id() const override;
  int64_t eos_id() const override;

  // Where the module is looked for: $DELREC_SENTENCEPIECE_MODULE, then next to the running executable, then
  // where the build put it.
  static std::filesystem::path find_module();
  struct Module;  // the module's resolved C functions (one per process)

 private:
  std::shared_ptr<Module> module_;
  void* handle_ = nullptr;  // delrec_sp*
  std::string source_;
};

}  // namespace delrec::llm
