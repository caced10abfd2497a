// Generic CSV for datasets without a dedicated reader: interactions.csv (user,item,timestamp[,rating]) and
// items.csv (item,title), UTF-8, RFC 4180 quoting. Each file may start with a header line, recognised by its
// first field being the column name ("user" resp. "item", any case).
#include <algorithm>
#include <cctype>

#include "core/data/readers/readers.h"
#include "core/data/text_input.h"
#include "core/util/error.h"

namespace fs = std::filesystem;

namespace delrec::data {
namespace {

constexpr const char* kHint =
    "the generic CSV format needs interactions.csv (user,item,timestamp[,rating]) and items.csv (item,title) in "
    "the source directory, or the interactions file itself as --source with items.csv beside it (docs/data.md)";

bool is_header(const std::string& first_field, const char* column) {
  std::string lower = first_field;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower == column;
}

}  // namespace

RawData read_csv(const fs::path& source) {
  const fs::path interactions = fs::is_directory(source) ? source / "interactions.csv" : source;
  const fs::path items = source_directory(source) / "items.csv";
  RawData raw;
  std::vector<std::string> f;
  std::string_view line;

  LineReader in(interactions, kHint);
  while (in.next(line)) {
    if (line.empty()) continue;
    if (!split_csv(line, f)) in.fail("unclosed quote");
    if (in.line_number() == 1 && is_header(f[0], "user")) continue;
    if (f.size() != 3 && f.size() != 4)
      in.fail(fmt::format("expected 3 or 4 CSV fields (user,item,timestamp[,rating]), found {}", f.size()));
    int64_t timestamp;
    double rating = 1;
    if (!parse_int(f[2], timestamp)) in.fail(fmt::format("timestamp '{}' is not an integer", f[2]));
    if (f.size() == 4 && !parse_double(f[3], rating)) in.fail(fmt::format("rating '{}' is not a number", f[3]));
    raw.add(f[0], f[1], rating, timestamp);
  }

  LineReader titles(items, kHint);
  while (titles.next(line)) {
    if (line.empty()) continue;
    if (!split_csv(line, f)) titles.fail("unclosed quote");
    if (titles.line_number() == 1 && is_header(f[0], "item")) continue;
    if (f.size() != 2) titles.fail(fmt::format("expected 2 CSV fields (item,title), found {}", f.size()));
    raw.titles[f[0]] = f[1];
  }
  return raw;
}

}  // namespace delrec::data
