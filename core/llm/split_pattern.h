#pragma once
// The pre-tokenizer split of byte-level BPE tokenizers (Llama-3, Qwen2), as a hand-written scanner instead of a
// regex engine: std::regex has no \p{L}, and PCRE2 is not available everywhere delrec builds. The scanner follows
// the pattern alternative by alternative with the same leftmost-first, greedy-with-backtracking semantics as
// the Oniguruma engine Hugging Face tokenizers uses:
//
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|
//   \s+(?!\S)|\s+
//
// Qwen2's pattern is the same with \p{N} in place of \p{N}{1,3}.
#include <optional>
#include <string>
#include <vector>

namespace delrec::llm {

class SplitPattern {
 public:
  // The pattern for a tokenizer.json "Split" regex, or nullopt when it is not one this scanner implements.
  static std::optional<SplitPattern> from_regex(const std::string& regex);

  // Splits UTF-8 text into consecutive pieces (their concatenation is the text).
  std::vector<std::string> split(const std::string& text) const;

 private:
  explicit SplitPattern(int max_digits) : max_digits_(max_digits) {}
  // Length in code points of the match starting at s[i] (always at least 1).
  size_t match_at(const std::vector<char32_t>& s, size_t i) const;

  int max_digits_;  // 3 for Llama-3, 1 for Qwen2
};

}  // namespace delrec::llm
