// MovieLens-20M/25M/32M/latest (https://grouplens.org/datasets/movielens/): ratings.csv and movies.csv, UTF-8,
// each with a header line; titles containing commas are quoted.
#include "core/data/readers/rating_lines.h"
#include "core/data/readers/readers.h"
#include "core/data/text_input.h"
#include "core/util/error.h"

namespace delrec::data {
namespace {
constexpr const char* kHint =
    "MovieLens CSV datasets (20M, 25M, 32M) need ratings.csv and movies.csv in the source directory (unzip e.g. "
    "ml-25m.zip from https://grouplens.org/datasets/movielens/)";
}  // namespace

RawData read_movielens_csv(const std::filesystem::path& source) {
  const auto dir = source_directory(source);
  RawData raw;
  std::string_view line;

  // ratings.csv: userId,movieId,rating,timestamp; nothing in it is quoted, so a plain split is enough (and fast).
  LineReader ratings(dir / "ratings.csv", kHint);
  if (!ratings.next(line) || line.substr(0, 6) != "userId")
    ratings.fail("expected the header 'userId,movieId,rating,timestamp'");
  read_rating_lines(ratings, ",", {Column::kUser, Column::kItem, Column::kRating, Column::kTimestamp}, raw);

  LineReader movies(dir / "movies.csv", kHint);
  std::vector<std::string> fields;
  if (!movies.next(line) || line.substr(0, 7) != "movieId") movies.fail("expected the header 'movieId,title,genres'");
  while (movies.next(line)) {
    if (line.empty()) continue;
    if (!split_csv(line, fields)) movies.fail("unclosed quote");
    if (fields.size() != 3)
      movies.fail(fmt::format("expected 3 CSV fields (movieId,title,genres), found {}", fields.size()));
    raw.titles[fields[0]] = fields[1];
  }
  return raw;
}

}  // namespace delrec::data
