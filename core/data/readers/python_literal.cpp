#include "core/data/readers/python_literal.h"

#include <charconv>
#include <string>
#include <vector>

#include "core/llm/utf8.h"
#include "core/util/error.h"
#include "core/util/json_input.h"

namespace delrec::data {
namespace {

constexpr size_t kExcerptBytes = 40;  // of the text from the error's column on

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_quote(char c) { return c == '\'' || c == '"'; }

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Recursive descent over one literal; recursion is bounded by kMaxJsonDepth, checked on entering each container.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  nlohmann::json parse() {
    nlohmann::json v = value(0);
    skip_space();
    if (pos_ < text_.size()) fail("unexpected text after the value", pos_);
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what, size_t at) const {
    std::string near(text_.substr(at, kExcerptBytes));
    if (text_.size() - at > kExcerptBytes) near += "...";
    throw Error(fmt::format("column {}: {}; near '{}'", at + 1, what, near));
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  // At '...', "..." or with a u prefix.
  bool at_string() const {
    const char c = peek();
    return is_quote(c) || ((c == 'u' || c == 'U') && pos_ + 1 < text_.size() && is_quote(text_[pos_ + 1]));
  }

  void skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r' || peek() == '\f' ||
                         peek() == '\v'))
      ++pos_;
  }

  nlohmann::json value(int depth) {
    skip_space();
    if (at_end()) fail("expected a value, found the end of the text", pos_);
    const char c = peek();
    if (c == '{' || c == '[' || c == '(') {
      if (depth + 1 > kMaxJsonDepth) fail(fmt::format("nested deeper than {} levels", kMaxJsonDepth), pos_);
      return c == '{' ? dict(depth + 1) : sequence(depth + 1);
    }
    if (at_string()) return string();
    if (is_digit(c) || c == '-' || c == '+' || c == '.') return number();
    if (is_word(c)) return name();
    fail(fmt::format("unexpected character '{}'", c), pos_);
  }

  // A list [a, b] or a tuple (a, b), both as a JSON array; (a) is just a in parentheses, as in Python.
  nlohmann::json sequence(int depth) {
    const char close = peek() == '[' ? ']' : ')';
    const bool tuple = close == ')';
    ++pos_;
    nlohmann::json items = nlohmann::json::array();
    bool comma = false;
    for (;;) {
      skip_space();
      if (peek() == close) break;
      items.push_back(value(depth));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        comma = true;
      } else if (peek() != close) {
        fail(fmt::format("expected ',' or '{}'", close), pos_);
      }
    }
    ++pos_;
    if (tuple && items.size() == 1 && !comma) return std::move(items[0]);
    return items;
  }

  nlohmann::json dict(int depth) {
    ++pos_;
    nlohmann::json object = nlohmann::json::object();
    for (;;) {
      skip_space();
      if (peek() == '}') break;
      if (at_end()) fail("unclosed '{'", pos_);
      if (!at_string()) fail("dict key is not a string (JSON objects only have string keys)", pos_);
      std::string key = string();
      skip_space();
      if (peek() != ':') fail("expected ':' after the dict key", pos_);
      ++pos_;
      object[key] = value(depth);  // a repeated key keeps its last value, as in Python
      skip_space();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != '}') {
        fail("expected ',' or '}'", pos_);
      }
    }
    ++pos_;
    return object;
  }

  // `count` hex digits at pos_ as a number; fails unless all are there.
  uint32_t hex_digits(int count, size_t escape_at) {
    uint32_t v = 0;
    for (int i = 0; i < count; ++i, ++pos_) {
      const int h = at_end() ? -1 : hex_value(peek());
      if (h < 0) fail(fmt::format("escape needs {} hex digits", count), escape_at);
      v = v * 16 + static_cast<uint32_t>(h);
    }
    return v;
  }

  // The code point of the escape whose backslash is at escape_at (pos_ at the character after it).
  uint32_t escape(size_t escape_at) {
    const char c = text_[pos_++];
    switch (c) {
      case '\\': case '\'': case '"': return static_cast<unsigned char>(c);
      case 'a': return 0x07;
      case 'b': return 0x08;
      case 'f': return 0x0C;
      case 'n': return 0x0A;
      case 'r': return 0x0D;
      case 't': return 0x09;
      case 'v': return 0x0B;
      case 'x': return hex_digits(2, escape_at);
      case 'u': return hex_digits(4, escape_at);
      case 'U': {
        const uint32_t cp = hex_digits(8, escape_at);
        if (cp > 0x10FFFF) fail("escape beyond the last code point U+10FFFF", escape_at);
        return cp;
      }
      default:
        break;
    }
    if (c >= '0' && c <= '7') {  // up to 3 octal digits
      uint32_t v = static_cast<uint32_t>(c - '0');
      for (int i = 0; i < 2 && peek() >= '0' && peek() <= '7'; ++i)
        v = v * 8 + static_cast<uint32_t>(text_[pos_++] - '0');
      return v;
    }
    fail(fmt::format("unknown escape '\\{}'", c), escape_at);
  }

  std::string string() {
    const size_t start = pos_;
    if (peek() == 'u' || peek() == 'U') ++pos_;
    const char quote = text_[pos_++];
    std::string out;
    bool non_ascii = false;
    for (;;) {
      if (at_end() || peek() == '\n') fail("unterminated string", start);
      const char c = text_[pos_++];
      if (c == quote) break;
      if (c != '\\') {
        non_ascii |= static_cast<unsigned char>(c) >= 0x80;
        out += c;
        continue;
      }
      const size_t escape_at = pos_ - 1;
      if (at_end()) fail("unterminated string", start);
      uint32_t cp = escape(escape_at);
      if (cp >= 0xD800 && cp <= 0xDBFF && text_.substr(pos_, 2) == "\\u") {  // a pair from a Python 2 narrow build
        const size_t low_at = pos_;
        pos_ += 2;
        const uint32_t low = hex_digits(4, low_at);
        if (low < 0xDC00 || low > 0xDFFF) fail("unpaired UTF-16 surrogate", escape_at);
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      }
      if (cp >= 0xD800 && cp <= 0xDFFF) fail("unpaired UTF-16 surrogate", escape_at);
      llm::utf8_append(&out, static_cast<char32_t>(cp));
    }
    if (non_ascii) {
      try {
        std::vector<char32_t> code_points;
        std::vector<size_t> offsets;
        llm::utf8_decode(out, &code_points, &offsets);
      } catch (const Error&) {
        fail("string is not valid UTF-8", start);
      }
    }
    return out;
  }

  nlohmann::json number() {
    const size_t start = pos_;
    if (peek() == '-' || peek() == '+') ++pos_;
    size_t digits = 0;
    bool is_float = false;
    while (is_digit(peek())) ++pos_, ++digits;
    if (peek() == '.') {
      is_float = true;
      ++pos_;
      while (is_digit(peek())) ++pos_, ++digits;
    }
    if (digits == 0) fail("malformed number", start);
    if (peek() == 'e' || peek() == 'E') {
      is_float = true;
      ++pos_;
      if (peek() == '-' || peek() == '+') ++pos_;
      if (!is_digit(peek())) fail("malformed number", start);
      while (is_digit(peek())) ++pos_;
    }
    if (is_word(peek())) fail("malformed number (only decimal ints and floats are read)", start);
    std::string_view text = text_.substr(start, pos_ - start);
    if (text[0] == '+') text.remove_prefix(1);  // from_chars reads '-' but not '+'
    const char* end = text.data() + text.size();
    if (is_float) {
      double v = 0;
      if (std::from_chars(text.data(), end, v).ec != std::errc()) fail("float beyond the range of a double", start);
      return v;
    }
    int64_t v = 0;
    if (std::from_chars(text.data(), end, v).ec != std::errc()) fail("integer beyond 64 bits", start);
    return v;
  }

  nlohmann::json name() {
    const size_t start = pos_;
    while (is_word(peek())) ++pos_;
    const std::string_view word = text_.substr(start, pos_ - start);
    if (word == "True") return true;
    if (word == "False") return false;
    if (word == "None") return nullptr;
    if (is_quote(peek())) fail("bytes, raw and formatted strings are not read (only '' and u'')", start);
    fail(fmt::format("'{}' is not a literal (the only names are True, False and None)", word), start);
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

nlohmann::json parse_python_literal(std::string_view text) { return Parser(text).parse(); }

}  // namespace delrec::data
