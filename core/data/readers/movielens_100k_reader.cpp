// MovieLens-100K (https://grouplens.org/datasets/movielens/100k/): u.data and u.item.
#include "core/data/readers/rating_lines.h"
#include "core/data/readers/readers.h"
#include "core/data/text_input.h"
#include "core/util/error.h"

namespace delrec::data {
namespace {
constexpr const char* kHint =
    "MovieLens-100K needs u.data and u.item in the source directory (unzip ml-100k.zip from "
    "https://grouplens.org/datasets/movielens/100k/)";
}  // namespace

RawData read_movielens_100k(const std::filesystem::path& source) {
  const auto dir = source_directory(source);
  RawData raw;
  std::vector<std::string_view> f;
  std::string_view line;

  LineReader ratings(dir / "u.data", kHint);
  read_rating_lines(ratings, "\t", {Column::kUser, Column::kItem, Column::kRating, Column::kTimestamp}, raw,
                    Ids::kPositiveIntegers);

  // u.item: movie id | title | release date | video release date | IMDb URL | 19 genre flags, in Latin-1.
  LineReader items(dir / "u.item", kHint);
  while (items.next(line)) {
    if (line.empty()) continue;
    split(line, "|", f);
    if (f.size() < 2) items.fail("expected '|'-separated fields (item id|title|...)");
    require_positive_integer(items, f[0], "item id");
    raw.titles[std::string(f[0])] = latin1_to_utf8(f[1]);
  }
  require_titles(raw, dir / "u.item");
  return raw;
}

}  // namespace delrec::data
