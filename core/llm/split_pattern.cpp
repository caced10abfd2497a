#include "core/llm/split_pattern.h"

#include "core/llm/unicode_categories.h"
#include "core/llm/utf8.h"

namespace delrec::llm {
namespace {

const char* const kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* const kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

const char* const kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

bool is_newline(char32_t c) { return c == U'\r' || c == U'\n'; }
// [^\s\p{L}\p{N}]: punctuation, symbols, controls other than whitespace.
bool is_other(char32_t c) { return !is_whitespace(c) && !is_letter(c) && !is_number(c); }
char32_t ascii_lower(char32_t c) { return (c >= U'A' && c <= U'Z') ? c + 32 : c; }

}  // namespace

std::optional<SplitPattern> SplitPattern::from_regex(const std::string& regex) {
  if (regex == kLlama3Pattern) return SplitPattern(Family::kLlama3, 3);
  if (regex == kQwen2Pattern) return SplitPattern(Family::kLlama3, 1);
  if (regex == kGpt2Pattern) return gpt2();
  return std::nullopt;
}

namespace {

// The whitespace alternatives both families end with, on the run of whitespace starting at s[i].
size_t match_whitespace(const std::vector<char32_t>& s, size_t i, bool newline_alternative) {
  const size_t n = s.size();
  size_t end = i;
  while (end < n && is_whitespace(s[end])) ++end;
  if (end == i) return 1;  // unreachable: every code point is a letter, number, whitespace or other
  // \s*[\r\n]+ (Llama 3 only): backtracking leaves the match ending just after the last newline of the run.
  if (newline_alternative)
    for (size_t p = end; p > i; --p)
      if (is_newline(s[p - 1])) return p - i;
  // \s+(?!\S) : the whole run at the end of the text, else the run minus its last character (which then joins the
  // following word as its leading character).
  if (end == n) return end - i;
  if (end - i > 1) return end - 1 - i;
  // \s+
  return end - i;
}

}  // namespace

size_t SplitPattern::match_gpt2(const std::vector<char32_t>& s, size_t i) const {
  const size_t n = s.size();
  // 's|'t|'re|'ve|'m|'ll|'d (lower case only)
  if (s[i] == U'\'' && i + 1 < n) {
    const char32_t a = s[i + 1];
    if (a == U's' || a == U't' || a == U'm' || a == U'd') return 2;
    if (i + 2 < n) {
      const char32_t b = s[i + 2];
      if ((a == U'r' && b == U'e') || (a == U'v' && b == U'e') || (a == U'l' && b == U'l')) return 3;
    }
  }
  // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional space, then a run of one class.
  for (bool (*in_class)(char32_t) : {is_letter, is_number, is_other}) {
    size_t j = i;
    if (s[j] == U' ' && j + 1 < n && in_class(s[j + 1])) ++j;
    if (!in_class(s[j])) continue;
    while (j < n && in_class(s[j])) ++j;
    return j - i;
  }
  return match_whitespace(s, i, /*newline_alternative=*/false);
}

size_t SplitPattern::match_at(const std::vector<char32_t>& s, size_t i) const {
  if (family_ == Family::kGpt2) return match_gpt2(s, i);
  const size_t n = s.size();
  // (?i:'s|'t|'re|'ve|'m|'ll|'d)
  if (s[i] == U'\'' && i + 1 < n) {
    const char32_t a = ascii_lower(s[i + 1]);
    if (a == U's' || a == U't' || a == U'm' || a == U'd') return 2;
    if (i + 2 < n) {
      const char32_t b = ascii_lower(s[i + 2]);
      if ((a == U'r' && b == U'e') || (a == U'v' && b == U'e') || (a == U'l' && b == U'l')) return 3;
    }
  }
  // [^\r\n\p{L}\p{N}]?\p{L}+
  {
    size_t j = i;
    if (!is_letter(s[j]) && !is_newline(s[j]) && !is_number(s[j]) && j + 1 < n && is_letter(s[j + 1])) ++j;
    if (is_letter(s[j])) {
      while (j < n && is_letter(s[j])) ++j;
      return j - i;
    }
  }
  // \p{N}{1,max_digits}
  if (is_number(s[i])) {
    size_t j = i;
    while (j < n && j - i < static_cast<size_t>(max_digits_) && is_number(s[j])) ++j;
    return j - i;
  }
  // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
  {
    size_t j = i;
    if (s[j] == U' ' && j + 1 < n && is_other(s[j + 1])) ++j;
    if (is_other(s[j])) {
      while (j < n && is_other(s[j])) ++j;
      while (j < n && is_newline(s[j])) ++j;
      return j - i;
    }
  }
  return match_whitespace(s, i, /*newline_alternative=*/true);
}

std::vector<std::string> SplitPattern::split(const std::string& text) const {
  std::vector<char32_t> cps;
  std::vector<size_t> offsets;
  utf8_decode(text, &cps, &offsets);
  std::vector<std::string> pieces;
  for (size_t i = 0; i < cps.size();) {
    const size_t len = match_at(cps, i);
    pieces.push_back(text.substr(offsets[i], offsets[i + len] - offsets[i]));
    i += len;
  }
  return pieces;
}

}  // namespace delrec::llm
