#pragma once
// Text <-> token ids, matching the Hugging Face tokenizer of a checkpoint exactly. Two kinds:
//   tokenizer.json   BPE, byte-level (Llama 3, Qwen2, GPT-2, SmolLM2) or with byte fallback (Llama 2, Mistral):
//                    bpe_tokenizer.h
//   tokenizer.model  SentencePiece (Llama-2, Mistral): sentencepiece_tokenizer.h
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace delrec::llm {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // add_special: add what the tokenizer's post-processor adds (e.g. BOS), as HF's add_special_tokens=True.
  virtual std::vector<int64_t> encode(const std::string& text, bool add_special) const = 0;
  // Special tokens are skipped, as HF's decode(ids, skip_special_tokens=True). Ids outside the vocabulary throw.
  virtual std::string decode(const std::vector<int64_t>& ids) const = 0;
  virtual int64_t vocab_size() const = 0;
  virtual int64_t bos_id() const = 0;  // -1 when none
  virtual int64_t eos_id() const = 0;  // -1 when none
};

// Loads DIR/tokenizer.json, else DIR/tokenizer.model; throws naming DIR when it holds neither.
std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& dir);

}  // namespace delrec::llm
