#pragma once
// The decoder of a Hugging Face tokenizer.json: the token strings of the ids (special tokens already left out)
// become text through a chain of steps, each working on the list of strings, as the tokenizers library does:
//   ByteLevel      characters standing for bytes (GPT-2's table) back to bytes; other tokens kept
//   Replace        {pattern: {String}, content} in every token (Llama 2: "▁" -> " ")
//   ByteFallback   runs of <0xXX> tokens to the bytes they name, decoded as UTF-8 (U+FFFD per byte if invalid)
//   Fuse           all tokens joined into one
//   Strip          {content, start, stop}: up to `start` leading and `stop` trailing `content` characters removed
//                  from each token
//   Metaspace      {replacement, prepend_scheme}: the replacement back to spaces; the first token loses one leading
//                  space unless prepend_scheme is "never"
//   Sequence       {decoders: [...]} in order
// The joined result is made valid UTF-8 (malformed sequences become U+FFFD). Other decoders are refused by name.
#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

namespace delrec::llm {

class TokenDecoder {
 public:
  // `spec` is tokenizer.json's "decoder" (null: tokens joined as they are); errors name `source` and the step.
  static TokenDecoder from_json(const nlohmann::json& spec, const std::string& source);
  std::string decode(std::vector<std::string> tokens) const;

 private:
  struct Step {
    enum class Kind { kByteLevel, kReplace, kByteFallback, kFuse, kStrip, kMetaspace } kind;
    std::string pattern, content;  // Replace; Metaspace: pattern = the replacement
    char32_t strip_char = U' ';    // Strip: the character removed
    int start = 0, stop = 0;       // Strip
    bool strip_first_space = true;  // Metaspace
  };
  std::vector<Step> steps_;
  std::unordered_map<char32_t, uint8_t> byte_of_char_;  // ByteLevel: GPT-2's table inverted
};

}  // namespace delrec::llm
