#pragma once
// The pre-tokenizer split of byte-level BPE tokenizers, as a hand-written scanner instead of a regex engine:
// std::regex has no \p{L}, and PCRE2 is not available everywhere delrec builds. The scanner follows the pattern
// alternative by alternative with the same leftmost-first, greedy-with-backtracking semantics as the Oniguruma
// engine Hugging Face tokenizers uses. Two families of patterns:
//
//   Llama 3:  (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|
//             \s+(?!\S)|\s+          (Qwen2: the same with \p{N} in place of \p{N}{1,3})
//   GPT-2:    's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//             (the ByteLevel pre-tokenizer's own split with use_regex: GPT-2, RoBERTa, StarCoder, Falcon, SmolLM2)
#include <optional>
#include <string>
#include <vector>

namespace delrec::llm {

class SplitPattern {
 public:
  // The pattern for a tokenizer.json "Split" regex, or nullopt when it is not one this scanner implements.
  static std::optional<SplitPattern> from_regex(const std::string& regex);
  // GPT-2's pattern, which ByteLevel(use_regex: true) applies.
  static SplitPattern gpt2() { return SplitPattern(Family::kGpt2, 0); }

  // Splits UTF-8 text into consecutive pieces (their concatenation is the text).
  std::vector<std::string> split(const std::string& text) const;

 private:
  enum class Family { kLlama3, kGpt2 };
  SplitPattern(Family family, int max_digits) : family_(family), max_digits_(max_digits) {}
  // Length in code points of the match starting at s[i] (always at least 1).
  size_t match_at(const std::vector<char32_t>& s, size_t i) const;
  size_t match_gpt2(const std::vector<char32_t>& s, size_t i) const;

  Family family_;
  int max_digits_;  // Llama 3 family: 3 for Llama 3, 1 for Qwen2
};

}  // namespace delrec::llm
