#pragma once
// The normalizer of a Hugging Face tokenizer.json, applied to each stretch of text between added tokens before it is
// pre-tokenized (as the tokenizers library does):
//   Prepend  {prepend}            the string put in front of the text (Llama 2's "▁"); not in front of empty text
//   Replace  {pattern: {String}, content}   every occurrence replaced (Llama 2: " " -> "▁")
//   NFC, NFKC, NFD, NFKD          Unicode normalization forms, computed by ICU (its Unicode tables)
//   Sequence {normalizers: [...]} in order
// Other normalizers, and Replace with a Regex pattern, are refused by name.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace delrec::llm {

class Normalizer {
 public:
  // `spec` is tokenizer.json's "normalizer" (null: none); errors name `source` and the step.
  static Normalizer from_json(const nlohmann::json& spec, const std::string& source);
  std::string apply(const std::string& text) const;

 private:
  struct Step {
    enum class Kind { kPrepend, kReplace, kUnicodeForm } kind;
    std::string pattern, content;  // Prepend: content; Replace: pattern -> content; UnicodeForm: pattern = the form
  };
  std::vector<Step> steps_;
  std::string source_;
};

}  // namespace delrec::llm
