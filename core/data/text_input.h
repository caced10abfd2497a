#pragma once
// Line-oriented reading of raw dataset files, shared by every reader: plain or gzip-compressed input, line numbers
// for error messages, field splitting, number parsing and Latin-1 -> UTF-8 conversion.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace delrec::data {

// Reads a text file line by line; gzip input is detected by zlib and decompressed transparently. A gzip stream
// cut short is an error, and so is a line over kMaxLineBytes (a gzip bomb of one endless line stops there).
class LineReader {
 public:
  static constexpr size_t kMaxLineBytes = size_t{64} << 20;

  // A missing file is an Error naming the path and `hint` (what the file is and where it comes from).
  LineReader(const std::filesystem::path& path, const std::string& hint);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Next line without its "\n" / "\r\n" (and without a UTF-8 byte-order mark on line 1); false at the end.
  // The view is valid until the next call.
  bool next(std::string_view& line);
  int64_t line_number() const { return line_number_; }
  const std::filesystem::path& path() const { return path_; }

  // Throws Error "<path>:<line>: <what>; the line reads: '<text>'" for the line last returned.
  [[noreturn]] void fail(const std::string& what) const;

 private:
  bool fill();
  std::filesystem::path path_;
  void* gz_ = nullptr;  // gzFile; kept opaque so zlib.h stays in text_input.cpp
  std::vector<char> buffer_;
  size_t begin_ = 0, end_ = 0;
  size_t scanned_ = 0;  // bytes after begin_ already searched for '\n'

  bool eof_ = false;
  int64_t line_number_ = 0;
  std::string_view last_line_;
};

// Splits on a separator ("\t", "::", ...); the views point into `line`.
void split(std::string_view line, std::string_view separator, std::vector<std::string_view>& fields);

// Splits one CSV record (RFC 4180 quoting: "a, b" and "" for a quote inside quotes). False on an unclosed quote.
bool split_csv(std::string_view line, std::vector<std::string>& fields);

// Whole-field parses; false when `text` is not entirely a number.
bool parse_int(std::string_view text, int64_t& value);
bool parse_double(std::string_view text, double& value);

// Each byte of ISO-8859-1 text is one code point U+0000..U+00FF.
std::string latin1_to_utf8(std::string_view latin1);

// `source` itself when it is a directory, else its parent (a reader given one of its files finds the others).
std::filesystem::path source_directory(const std::filesystem::path& source);

}  // namespace delrec::data
