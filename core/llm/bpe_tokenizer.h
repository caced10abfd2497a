#pragma once
// Hugging Face tokenizer.json with a byte-level BPE model, the format of Llama 3, Qwen2, GPT-2 and SmolLM2:
//   1. added tokens (specials such as <|begin_of_text|>) are cut out of the text first, longest match first;
//   2. the rest is split by the pre-tokenizer (pre_tokenizer.h);
//   3. each piece's UTF-8 bytes are mapped to printable characters (GPT-2's bytes_to_unicode) and merged by BPE,
//      lowest merge rank first;
//   4. the TemplateProcessing post-processor adds its special tokens (BOS) when asked.
// Decoding maps characters back to bytes.
#include <array>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/llm/pre_tokenizer.h"
#include "core/llm/tokenizer.h"

namespace delrec::llm {

// GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the other 68 bytes are mapped to
// U+0100 onwards in byte order, so every byte string becomes a printable string.
std::array<char32_t, 256> bytes_to_unicode();

class BpeTokenizer : public Tokenizer {
 public:
  explicit BpeTokenizer(const std::filesystem::path& tokenizer_json);

  std::vector<int64_t> encode(const std::string& text, bool add_special) const override;
  std::string decode(const std::vector<int64_t>& ids) const override;
  int64_t vocab_size() const override { return static_cast<int64_t>(id_to_token_.size()); }
  int64_t bos_id() const override { return bos_id_; }
  int64_t eos_id() const override { return eos_id_; }

 private:
  struct AddedToken {
    std::string content;
    int64_t id;
    bool special;
  };

  void encode_piece(const std::string& piece, std::vector<int64_t>* ids) const;

  std::unordered_map<std::string, int64_t> vocab_;
  std::vector<std::string> id_to_token_;
  std::vector<bool> is_special_;
  std::unordered_map<std::string, int> merge_rank_;  // "left\nright" -> rank
  std::vector<AddedToken> added_;
  std::vector<int64_t> prefix_, suffix_;  // the single-sequence template around the text
  PreTokenizer pre_;
  bool ignore_merges_ = false;
  bool ascii_only_nfc_ = false;  // normalizer NFC, applied only to text where it is the identity (ASCII)
  std::array<std::string, 256> byte_to_char_;  // UTF-8 of the printable character standing for each byte
  std::unordered_map<char32_t, uint8_t> char_to_byte_;
  int64_t bos_id_ = -1, eos_id_ = -1;
  std::string source_;
};

}  // namespace delrec::llm
