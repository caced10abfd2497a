#include "core/llm/utf8.h"

#include "core/util/error.h"

namespace delrec::llm {
namespace {

// Length of the well-formed UTF-8 sequence at s[i] and its code point; 0 when malformed.
size_t decode_one(const std::string& s, size_t i, char32_t* cp) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  size_t len;
  char32_t v, min;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    len = 2, v = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, v = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b(i + k) & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

}  // namespace

void utf8_decode(const std::string& text, std::vector<char32_t>* code_points, std::vector<size_t>* offsets) {
  code_points->clear();
  offsets->clear();
  for (size_t i = 0; i < text.size();) {
    char32_t cp;
    const size_t len = decode_one(text, i, &cp);
    DELREC_CHECK(len > 0, "text is not valid UTF-8 (malformed byte 0x{:02x} at offset {})",
                 static_cast<unsigned char>(text[i]), i);
    code_points->push_back(cp);
    offsets->push_back(i);
    i += len;
  }
  offsets->push_back(text.size());
}

void utf8_append(std::string* out, char32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string utf8_lossy(const std::string& bytes) {
  std::string out;
  for (size_t i = 0; i < bytes.size();) {
    char32_t cp;
    const size_t len = decode_one(bytes, i, &cp);
    if (len == 0) {
      utf8_append(&out, 0xFFFD);
      ++i;
    } else {
      out.append(bytes, i, len);
      i += len;
    }
  }
  return out;
}

std::string replace_all(const std::string& text, const std::string& pattern, const std::string& content) {
  std::string out;
  for (size_t at = 0;;) {
    const size_t hit = text.find(pattern, at);
    out.append(text, at, hit == std::string::npos ? std::string::npos : hit - at);
    if (hit == std::string::npos) return out;
    out += content;
    at = hit + pattern.size();
  }
}

}  // namespace delrec::llm
