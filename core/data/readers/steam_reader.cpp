// Steam (Kang & McAuley, ICDM 2018) in the two forms papers use:
//  processed (SASRec, LLaRA): Steam.txt, one "user item" pair per line (positive integer ids, whitespace-separated),
//    each user's lines in chronological order, with the item titles in id2name.txt ("id::title" lines, LLaRA's
//    layout) or item_titles.csv ("id,title", RFC 4180 quoting, optional header line). Steam.txt has no times: the
//    line number is the timestamp, so every user keeps the file's order.
//  raw (https://cseweb.ucsd.edu/~jmcauley/datasets.html#steam_data): steam_reviews.json.gz, one Python dict per
//    line (username, product_id, date 'YYYY-MM-DD', ...), and steam_games.json.gz (id, app_name and/or title).
//    The timestamp is the date's midnight UTC; reviews of one user on one day keep their file order.
#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "core/data/readers/rating_lines.h"
#include "core/data/readers/readers.h"
#include "core/data/readers/record_lines.h"
#include "core/data/text_input.h"
#include "core/util/error.h"

namespace fs = std::filesystem;

namespace delrec::data {
namespace {

constexpr const char* kHint =
    "Steam needs either Steam.txt (user item lines, from https://github.com/kang205/SASRec/tree/master/data) with "
    "the item titles in id2name.txt (id::title lines) or item_titles.csv (id,title), or the UCSD dumps "
    "steam_reviews.json.gz and steam_games.json.gz (https://cseweb.ucsd.edu/~jmcauley/datasets.html#steam_data)";
constexpr const char* kProcessed = "Steam.txt";
constexpr std::array<const char*, 2> kReviews = {"steam_reviews.json.gz", "steam_reviews.json"};
constexpr std::array<const char*, 2> kGames = {"steam_games.json.gz", "steam_games.json"};

// The first of `names` present in `dir`, or an empty path.
fs::path first_present(const fs::path& dir, const std::array<const char*, 2>& names) {
  for (const char* name : names)
    if (fs::exists(dir / name)) return dir / name;
  return {};
}

void split_whitespace(std::string_view line, std::vector<std::string_view>& fields) {
  fields.clear();
  size_t pos = 0;
  while ((pos = line.find_first_not_of(" \t", pos)) != std::string_view::npos) {
    const size_t end = std::min(line.find_first_of(" \t", pos), line.size());
    fields.push_back(line.substr(pos, end - pos));
    pos = end;
  }
}

// id2name.txt (id::title, the title being everything after the first "::") or item_titles.csv (id,title).
void read_titles(const fs::path& path, RawData& raw) {
  const bool csv = path.filename() == "item_titles.csv";
  LineReader in(path, kHint);
  std::string_view line;
  std::vector<std::string> f;
  int64_t id = 0;
  while (in.next(line)) {
    if (line.empty()) continue;
    if (csv) {
      if (!split_csv(line, f)) in.fail("unclosed quote");
      if (in.line_number() == 1 && !parse_int(f[0], id)) continue;  // a header line: id,title
      if (f.size() != 2) in.fail(fmt::format("expected 2 CSV fields (id,title), found {}", f.size()));
    } else {
      const size_t separator = line.find("::");
      if (separator == std::string_view::npos) in.fail("expected id::title");
      f = {std::string(line.substr(0, separator)), std::string(line.substr(separator + 2))};
    }
    if (!parse_int(f[0], id) || id < 0) in.fail(fmt::format("item id '{}' is not a non-negative integer", f[0]));
    raw.titles[f[0]] = f[1];
  }
}

RawData read_processed(const fs::path& interactions) {
  const fs::path dir = source_directory(interactions);
  const bool id2name = fs::exists(dir / "id2name.txt"), csv = fs::exists(dir / "item_titles.csv");
  DELREC_CHECK(id2name || csv, "{} has no item titles beside it: expected id2name.txt or item_titles.csv in {}; {}",
               interactions.string(), dir.string(), kHint);
  DELREC_CHECK(!(id2name && csv), "{} holds both id2name.txt and item_titles.csv; keep the one whose ids are those "
               "of Steam.txt", dir.string());
  const fs::path titles = dir / (id2name ? "id2name.txt" : "item_titles.csv");
  RawData raw;
  LineReader in(interactions, kHint);
  std::string_view line;
  std::vector<std::string_view> f;
  int64_t order = 0;
  while (in.next(line)) {
    if (line.empty()) continue;
    split_whitespace(line, f);
    if (f.size() != 2) in.fail(fmt::format("expected 2 whitespace-separated fields (user item), found {}", f.size()));
    require_positive_integer(in, f[0], "user id");
    require_positive_integer(in, f[1], "item id");
    raw.add(f[0], f[1], 1, ++order);
  }
  read_titles(titles, raw);
  require_titles(raw, titles);
  return raw;
}

// "2017-12-17" -> seconds since the epoch at its midnight UTC.
int64_t date_timestamp(const std::string& date, const LineReader& in) {
  int64_t y = 0, m = 0, d = 0;
  const bool shaped = date.size() == 10 && date[4] == '-' && date[7] == '-' && parse_int(date.substr(0, 4), y) &&
                      parse_int(date.substr(5, 2), m) && parse_int(date.substr(8, 2), d);
  static constexpr std::array<int, 12> kDays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (!shaped || y < 0 || m < 1 || m > 12 || d < 1 || d > kDays[m - 1] || (m == 2 && d == 29 && !leap))
    in.fail(fmt::format("date '{}' is not a date YYYY-MM-DD", date));
  // Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's days_from_civil).
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t year_of_era = y - era * 400;
  const int64_t day_of_year = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return (era * 146097 + day_of_era - 719468) * 86400;
}

// steam_games.json[.gz]: the title of each game is its app_name, else its title.
void read_games(const fs::path& path, RawData& raw) {
  for_each_record(path, kHint, RecordSyntax::kPython, [&](const nlohmann::json& r, const LineReader& in) {
    // Some games have no id (no review can refer to them) or no name (they keep their id as title, prepare.h).
    if (!r.contains("id")) return;
    for (const char* key : {"app_name", "title"}) {
      auto name = r.find(key);
      if (name == r.end() || !name->is_string()) continue;
      raw.titles[required<std::string>(r, "id", in)] = name->get<std::string>();
      return;
    }
  });
}

RawData read_raw_dumps(const fs::path& reviews) {
  RawData raw;
  for_each_record(reviews, kHint, RecordSyntax::kPython, [&](const nlohmann::json& r, const LineReader& in) {
    // username is in every review; user_id only in some.
    auto username = r.find("username");
    const bool named = username != r.end() && username->is_string() && !username->get<std::string>().empty();
    const std::string user = named ? username->get<std::string>() : required<std::string>(r, "user_id", in);
    raw.add(user, required<std::string>(r, "product_id", in), 1,
            date_timestamp(required<std::string>(r, "date", in), in));
  });
  const fs::path dir = source_directory(reviews), games = first_present(dir, kGames);
  read_games(games.empty() ? dir / kGames[0] : games, raw);
  return raw;
}

}  // namespace

RawData read_steam(const fs::path& source) {
  const fs::path dir = source_directory(source);
  if (!fs::is_directory(source)) {
    const std::string name = source.filename().string();
    DELREC_CHECK(name == kProcessed || name == kReviews[0] || name == kReviews[1],
                 "{}: not a Steam interactions file (Steam.txt, steam_reviews.json[.gz]); {}", source.string(),
                 kHint);
    return name == kProcessed ? read_processed(source) : read_raw_dumps(source);
  }
  const fs::path processed = dir / kProcessed, reviews = first_present(dir, kReviews);
  const bool has_processed = fs::exists(processed);
  DELREC_CHECK(has_processed || !reviews.empty(), "{} holds neither Steam.txt nor steam_reviews.json[.gz]; {}",
               dir.string(), kHint);
  DELREC_CHECK(!has_processed || reviews.empty(), "{} holds both Steam.txt and {}; pass the file to read as "
               "data.source", dir.string(), reviews.filename().string());
  return has_processed ? read_processed(processed) : read_raw_dumps(reviews);
}

}  // namespace delrec::data
