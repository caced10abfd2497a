#pragma once
// Text helpers for the tokenizers.
#include <string>
#include <vector>

namespace delrec::llm {

// Code points of UTF-8 text and each one's starting byte offset (offsets has one extra entry: text.size()).
// Throws delrec::Error on malformed UTF-8, naming the byte offset.
void utf8_decode(const std::string& text, std::vector<char32_t>* code_points, std::vector<size_t>* offsets);
void utf8_append(std::string* out, char32_t cp);
// Bytes that may hold malformed UTF-8 (a decode that ends mid-character) made valid: each malformed sequence
// becomes U+FFFD, as Python's bytes.decode(errors="replace") and Rust's from_utf8_lossy do.
std::string utf8_lossy(const std::string& bytes);
// `text` with every occurrence of `pattern` (not empty) replaced by `content`, left to right.
std::string replace_all(const std::string& text, const std::string& pattern, const std::string& content);

}  // namespace delrec::llm
