#include "core/data/readers/rating_lines.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "core/util/error.h"

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

void require_positive_integer(const LineReader& in, std::string_view id, const char* what) {
  int64_t value = 0;
  if (!parse_int(id, value) || value <= 0) in.fail(fmt::format("{} '{}' is not a positive integer", what, id));
}

void require_titles(const RawData& raw, const std::filesystem::path& titles_file) {
  size_t missing = 0;
  const std::string* first = nullptr;
  for (const auto& key : raw.items.keys()) {
    if (raw.titles.count(key)) continue;
    if (missing++ == 0) first = &key;
  }
  if (missing == 0) return;
  throw Error(fmt::format("{}: {} rated item{} ha{} no line here (the first is item {}); the ratings and the titles "
                          "come from different downloads: unzip both from the same archive",
                          titles_file.string(), missing, missing == 1 ? "" : "s", missing == 1 ? "s" : "ve", *first));
}

void read_rating_lines(LineReader& in, std::string_view separator, const std::array<Column, 4>& columns, RawData& raw,
                       Ids ids) {
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
    if (ids == Ids::kPositiveIntegers) {
      require_positive_integer(in, user, "user id");
      require_positive_integer(in, item, "item id");
    }
    raw.add(user, item, rating, timestamp);
  }
}

}  // namespace delrec::data
