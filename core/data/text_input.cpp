#include "core/data/text_input.h"

#include <zlib.h>

#include <charconv>
#include <cstring>

#include "core/util/error.h"

namespace fs = std::filesystem;

namespace delrec::data {
namespace {

constexpr size_t kChunk = 1 << 20;     // bytes per gzread
constexpr size_t kMaxShownLine = 200;  // longer offending lines are cut in error messages

gzFile as_gz(void* p) { return static_cast<gzFile>(p); }

}  // namespace

LineReader::LineReader(const fs::path& path, const std::string& hint) : path_(path), buffer_(2 * kChunk) {
  DELREC_CHECK(fs::is_regular_file(path), "cannot read {}: {}; {}", path.string(),
               fs::exists(path) ? "not a regular file" : "no such file", hint);
  gz_ = gzopen(path.c_str(), "rb");
  DELREC_CHECK(gz_ != nullptr, "cannot open {}: {}", path.string(), std::strerror(errno));
  gzbuffer(as_gz(gz_), 1 << 17);
}

LineReader::~LineReader() {
  if (gz_) gzclose(as_gz(gz_));
}

// Moves the unread tail to the front and appends the next chunk; false when nothing more could be read.
bool LineReader::fill() {
  if (eof_) return false;
  if (end_ - begin_ > kMaxLineBytes) {
    throw Error(fmt::format("{}:{}: line longer than {} MiB; this is not a line-oriented text file (or a "
                            "compressed file that expands without end); check data.source",
                            path_.string(), line_number_ + 1, kMaxLineBytes >> 20));
  }
  std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
  end_ -= begin_;
  begin_ = 0;
  if (buffer_.size() - end_ < kChunk) buffer_.resize(end_ + kChunk);  // a line longer than the buffer
  int n = gzread(as_gz(gz_), buffer_.data() + end_, static_cast<unsigned>(kChunk));
  int code = Z_OK;
  const char* message = gzerror(as_gz(gz_), &code);
  // zlib reports a gzip stream that stops before its end (no trailer, or cut inside the data) only as the soft
  // error Z_BUF_ERROR, with every byte it could decompress returned: without this check a file cut on a line
  // boundary would read as a shorter, valid dataset.
  if (n < 0 || code == Z_BUF_ERROR) {
    throw Error(fmt::format("{}: read error after line {}: {}; the gzip file is truncated or damaged, download "
                            "it again", path_.string(), line_number_, message));
  }
  if (n == 0) eof_ = true;
  end_ += static_cast<size_t>(n);
  return n > 0;
}

bool LineReader::next(std::string_view& line) {
  for (;;) {
    // Bytes before begin_ + scanned_ are known to hold no newline: a long line is scanned once, not once per chunk.
    const char* start = buffer_.data() + begin_;
    auto* newline = static_cast<const char*>(std::memchr(start + scanned_, '\n', end_ - begin_ - scanned_));
    scanned_ = newline ? 0 : end_ - begin_;
    size_t length;
    if (newline) {
      length = static_cast<size_t>(newline - start);
      begin_ += length + 1;
    } else if (!fill()) {
      // fill() may have moved the tail to the front of a reallocated buffer: `start` is stale.
      scanned_ = 0;
      if (begin_ == end_) return false;  // end of input
      start = buffer_.data() + begin_;
      length = end_ - begin_;            // last line without a newline
      begin_ = end_;
    } else {
      continue;
    }
    line = std::string_view(start, length);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (++line_number_ == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    last_line_ = line;
    return true;
  }
}

void LineReader::fail(const std::string& what) const {
  std::string shown(last_line_.substr(0, kMaxShownLine));
  if (last_line_.size() > kMaxShownLine) shown += "...";
  throw Error(fmt::format("{}:{}: {}; the line reads: '{}'", path_.string(), line_number_, what, shown));
}

void split(std::string_view line, std::string_view separator, std::vector<std::string_view>& fields) {
  fields.clear();
  size_t pos = 0;
  for (;;) {
    size_t next = line.find(separator, pos);
    if (next == std::string_view::npos) {
      fields.push_back(line.substr(pos));
      return;
    }
    fields.push_back(line.substr(pos, next - pos));
    pos = next + separator.size();
  }
}

bool split_csv(std::string_view line, std::vector<std::string>& fields) {
  fields.clear();
  fields.emplace_back();
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c != '"') {
        fields.back() += c;
      } else if (i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return !quoted;
}

bool parse_int(std::string_view text, int64_t& value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

bool parse_double(std::string_view text, double& value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

std::string latin1_to_utf8(std::string_view latin1) {
  std::string out;
  out.reserve(latin1.size() + latin1.size() / 8);
  for (unsigned char c : latin1) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

fs::path source_directory(const fs::path& source) {
  DELREC_CHECK(!source.empty(), "no raw dataset given: set data.source (or --source DIR|FILE)");
  DELREC_CHECK(fs::exists(source), "data.source {} does not exist; check the path given to --source", source.string());
  if (fs::is_directory(source)) return source;
  return source.has_parent_path() ? source.parent_path() : fs::path(".");
}

}  // namespace delrec::data
