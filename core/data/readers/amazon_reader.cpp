// Amazon reviews, both editions, per category:
//  2018 (https://nijianmo.github.io/amazon/): ratings-only <Category>.csv (item,user,rating,timestamp) or the reviews
//       as JSON lines (<Category>.json, <Category>_5.json), and meta_<Category>.json, JSON lines with asin and title.
//  2014 (https://jmcauley.ucsd.edu/data/amazon/): ratings-only ratings_<Category>.csv (user,item,rating,timestamp:
//       the columns in another order than 2018's) or the reviews as JSON lines (reviews_<Category>_5.json,
//       reviews_<Category>.json), and meta_<Category>.json, one Python dict literal per line.
// The edition of the interactions file is told by its name, that of the metadata by its first line. Any file may be
// gzipped (.gz).
#include "core/data/readers/rating_lines.h"
#include "core/data/readers/readers.h"
#include "core/data/readers/record_lines.h"
#include "core/data/text_input.h"
#include "core/util/error.h"

namespace fs = std::filesystem;

namespace delrec::data {
namespace {

constexpr const char* kHint =
    "Amazon reviews need the interactions of one category and its meta_<Category>.json, optionally gzipped: "
    "<Category>.csv (ratings) or <Category>.json / <Category>_5.json (reviews) from the 2018 edition "
    "(https://nijianmo.github.io/amazon/), or ratings_<Category>.csv / reviews_<Category>_5.json from the 2014 "
    "edition (https://jmcauley.ucsd.edu/data/amazon/)";

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// "Books_5.json.gz" -> "Books_5.json"
std::string without_gz(const fs::path& p) {
  std::string name = p.filename().string();
  if (name.size() > 3 && name.compare(name.size() - 3, 3, ".gz") == 0) name.resize(name.size() - 3);
  return name;
}

bool has_extension(const fs::path& p, const std::string& ext) { return fs::path(without_gz(p)).extension() == ext; }

// The interactions file and its metadata file: `source` is one interactions file, or a directory holding exactly
// one interactions file and its meta_*.json.
std::pair<fs::path, fs::path> locate_files(const fs::path& source) {
  fs::path interactions;
  if (!fs::is_directory(source)) {
    interactions = source;
  } else {
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(source)) {
      const fs::path& p = entry.path();
      if (!starts_with(p.filename().string(), "meta_") && (has_extension(p, ".csv") || has_extension(p, ".json")))
        found.push_back(p);
    }
    DELREC_CHECK(found.size() == 1,
                 "{} holds {} interaction files (*.csv, *.json, optionally .gz); expected "
                 "exactly one; pass the file itself as --source. {}",
                 source.string(), found.size(), kHint);
    interactions = found[0];
  }
  // Books_5.json.gz and reviews_Books_5.json.gz -> category Books -> meta_Books.json[.gz]
  std::string category = fs::path(without_gz(interactions)).stem().string();
  for (const char* prefix : {"reviews_", "ratings_"})
    if (starts_with(category, prefix)) category.erase(0, std::string(prefix).size());
  if (category.size() > 2 && category.compare(category.size() - 2, 2, "_5") == 0) category.resize(category.size() - 2);
  fs::path dir = source_directory(interactions);
  fs::path meta = dir / ("meta_" + category + ".json");
  if (!fs::exists(meta)) meta += ".gz";
  return {interactions, meta};
}

void read_ratings_csv(const fs::path& path, RawData& raw) {
  LineReader in(path, kHint);
  if (starts_with(path.filename().string(), "ratings_"))  // 2014
    read_rating_lines(in, ",", {Column::kUser, Column::kItem, Column::kRating, Column::kTimestamp}, raw);
  else
    read_rating_lines(in, ",", {Column::kItem, Column::kUser, Column::kRating, Column::kTimestamp}, raw);
}

void read_reviews_json(const fs::path& path, RawData& raw) {
  for_each_record(path, kHint, RecordSyntax::kJson, [&](const nlohmann::json& r, const LineReader& in) {
    raw.add(required<std::string>(r, "reviewerID", in), required<std::string>(r, "asin", in),
            required<double>(r, "overall", in), required<int64_t>(r, "unixReviewTime", in));
  });
}

void read_metadata(const fs::path& path, RawData& raw) {
  for_each_record(path, kHint, RecordSyntax::kDetect, [&](const nlohmann::json& r, const LineReader& in) {
    auto title = r.find("title");
    if (title == r.end() || !title->is_string()) return;  // items without a title keep their asin (prepare.h)
    raw.titles[required<std::string>(r, "asin", in)] = title->get<std::string>();
  });
}

}  // namespace

RawData read_amazon(const fs::path& source) {
  DELREC_CHECK(fs::exists(source), "data.source {} does not exist; {}", source.string(), kHint);
  auto [interactions, meta] = locate_files(source);
  RawData raw;
  if (has_extension(interactions, ".csv"))
    read_ratings_csv(interactions, raw);
  else if (has_extension(interactions, ".json"))
    read_reviews_json(interactions, raw);
  else
    throw Error(fmt::format("{}: unknown Amazon file type (expected .csv or .json, optionally .gz); {}",
                            interactions.string(), kHint));
  read_metadata(meta, raw);
  return raw;
}

}  // namespace delrec::data
