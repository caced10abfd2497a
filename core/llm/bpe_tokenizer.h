#pragma once
// Hugging Face tokenizer.json with a BPE model: byte-level (Llama 3, Qwen2, GPT-2, SmolLM2) or over characters with
// byte fallback (Llama 2 and Mistral's tokenizer.json):
//   1. added tokens (specials such as <|begin_of_text|>) are cut out of the text first, longest match first;
//   2. each stretch between them is normalized (normalizer.h) and split by the pre-tokenizer (pre_tokenizer.h);
//   3. each piece is merged by BPE, lowest merge rank first: byte-level, over its UTF-8 bytes mapped to printable
//      characters (GPT-2's bytes_to_unicode); otherwise over its characters, a character missing from the
//      vocabulary becoming its <0xXX> byte tokens (byte_fallback) or the unknown token;
//   4. the TemplateProcessing post-processor adds its special tokens (BOS) when asked.
// Decoding leaves special tokens out and runs the decoder chain (token_decoder.h).
#include <array>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/llm/normalizer.h"
#include "core/llm/pre_tokenizer.h"
#include "core/llm/token_decoder.h"
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
  void merge_symbols(std::vector<std::string>* symbols) const;
  // A token id from the file, refused with `what` named unless it is an integer in [0, kMaxTokenId).
  int64_t checked_id(const nlohmann::json& id, const std::string& what) const;
  static constexpr int64_t kMaxTokenId = int64_t(1) << 24;  // 64x the largest vocabularies in use

  std::unordered_map<std::string, int64_t> vocab_;
  std::vector<std::string> id_to_token_;
  std::vector<bool> is_special_;
  std::unordered_map<std::string, int> merge_rank_;  // "left\nright" -> rank
  std::vector<AddedToken> added_;
  std::vector<int64_t> prefix_, suffix_;  // the single-sequence template around the text
  void initial_symbols(const std::string& piece, std::vector<std::string>* symbols) const;

  Normalizer normalizer_;
  PreTokenizer pre_;
  TokenDecoder decoder_;
  bool has_decoder_ = false;
  bool ignore_merges_ = false;
  bool byte_level_ = false;     // a ByteLevel pre-tokenizer: BPE over bytes
  bool byte_fallback_ = false;  // characters missing from the vocabulary become <0xXX> tokens
  bool fuse_unk_ = false;       // consecutive unknown tokens become one
  int64_t unk_id_ = -1;         // the unknown token; -1 when the model has none
  std::array<std::string, 256> byte_to_char_;  // UTF-8 of the printable character standing for each byte
  int64_t bos_id_ = -1, eos_id_ = -1;
  std::string source_;
};

}  // namespace delrec::llm
