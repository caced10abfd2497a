// MovieLens-1M (https://grouplens.org/datasets/movielens/1m/): ratings.dat and movies.dat, '::'-separated.
#include "core/data/readers/rating_lines.h"
#include "core/data/readers/readers.h"
#include "core/data/text_input.h"
#include "core/util/error.h"

namespace delrec::data {
namespace {
constexpr const char* kHint =
    "MovieLens-1M needs ratings.dat and movies.dat in the source directory (unzip ml-1m.zip from "
    "https://grouplens.org/datasets/movielens/1m/)";
}  // namespace

RawData read_movielens_1m(const std::filesystem::path& source) {
  const auto dir = source_directory(source);
  RawData raw;
  std::vector<std::string_view> f;
  std::string_view line;

  LineReader ratings(dir / "ratings.dat", kHint);
  read_rating_lines(ratings, "::", {Column::kUser, Column::kItem, Column::kRating, Column::kTimestamp}, raw,
                    Ids::kPositiveIntegers);

  // movies.dat: item::title::genres in Latin-1. Titles may contain ':' but not "::", so the title is field 1.
  LineReader movies(dir / "movies.dat", kHint);
  while (movies.next(line)) {
    if (line.empty()) continue;
    split(line, "::", f);
    if (f.size() != 3)
      movies.fail(fmt::format("expected 3 '::'-separated fields (item::title::genres), found {}", f.size()));
    require_positive_integer(movies, f[0], "item id");
    raw.titles[std::string(f[0])] = latin1_to_utf8(f[1]);
  }
  require_titles(raw, dir / "movies.dat");
  return raw;
}

}  // namespace delrec::data
