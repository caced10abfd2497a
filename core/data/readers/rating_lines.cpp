#include "core/data/readers/rating_lines.h"

#include <fmt/format.h>

#include <string>
#include <vector>

namespace delrec::data {
namespace {

const char* column_name(Column c) {
  switch (c) {
    case Column::kUser:
      return "user";
    case Column::kItem:
      return "item";
    case Column::kRating:
      return "rating";
    case Column::kTimestamp:
      return "timestamp";
  }
  return "";
}

}  // namespace

void read_rating_lines(LineReader& in, std::string_view separator, const std::array<Column, 4>& columns, RawData& raw) {
  // e.g. "expected 4 tab-separated fields (user, item, rating, timestamp)"
  const std::string kind = separator == "\t" ? "tab" : separator == "," ? "comma" : fmt::format("'{}'", separator);
  const std::string expected =
      fmt::format("expected 4 {}-separated fields ({}, {}, {}, {})", kind, column_name(columns[0]),
                  column_name(columns[1]), column_name(columns[2]), column_name(columns[3]));
  std::vector<std::string_view> f;
  std::string_view line;
  while (in.next(line)) {
    if (line.empty()) continue;
    split(line, separator, f);
    if (f.size() != 4) in.fail(fmt::format("{}, found {}", expected, f.size()));
    std::string_view user, item;
    double rating = 0;
    int64_t timestamp = 0;
    for (size_t i = 0; i < 4; ++i) {
      switch (columns[i]) {
        case Column::kUser:
          user = f[i];
          break;
        case Column::kItem:
          item = f[i];
          break;
        case Column::kRating:
          if (!parse_double(f[i], rating)) in.fail(fmt::format("rating '{}' is not a number", f[i]));
          break;
        case Column::kTimestamp:
          if (!parse_int(f[i], timestamp)) in.fail(fmt::format("timestamp '{}' is not an integer", f[i]));
          break;
      }
    }
    raw.add(user, item, rating, timestamp);
  }
}

}  // namespace delrec::data
