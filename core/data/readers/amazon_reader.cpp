// Amazon reviews 2018 (https://nijianmo.github.io/amazon/): per category, a ratings-only CSV (<Category>.csv:
// item,user,rating,timestamp, no header) or the reviews as JSON lines (<Category>.json or <Category>_5.json), and
// the metadata meta_<Category>.json (JSON lines with asin and title). Any file may be gzipped (.gz).
#include <nlohmann/json.hpp>

#include <limits>
#include <type_traits>

#include "core/data/readers/rating_lines.h"
#include "core/data/readers/readers.h"
#include "core/data/text_input.h"
#include "core/util/error.h"
#include "core/util/json_input.h"

namespace fs = std::filesystem;

namespace delrec::data {
namespace {

constexpr const char* kHint =
    "Amazon reviews 2018 needs <Category>.csv (ratings) or <Category>.json / <Category>_5.json (reviews) and "
    "meta_<Category>.json, optionally gzipped (from https://nijianmo.github.io/amazon/)";

// "Books_5.json.gz" -> "Books_5.json"
std::string without_gz(const fs::path& p) {
  std::string name = p.filename().string();
  if (name.size() > 3 && name.compare(name.size() - 3, 3, ".gz") == 0) name.resize(name.size() - 3);
  return name;
}

bool has_extension(const fs::path& p, const std::string& ext) { return fs::path(without_gz(p)).extension() == ext; }

// The interactions file and its metadata file: `source` is one interactions file, or a directory holding exactly
// one interactions file and one meta_*.json.
std::pair<fs::path, fs::path> locate_files(const fs::path& source) {
  fs::path interactions;
  if (!fs::is_directory(source)) {
    interactions = source;
  } else {
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(source)) {
      const fs::path& p = entry.path();
      if (p.filename().string().rfind("meta_", 0) != 0 && (has_extension(p, ".csv") || has_extension(p, ".json")))
        found.push_back(p);
    }
    DELREC_CHECK(found.size() == 1,
                 "{} holds {} interaction files (*.csv, *.json, optionally .gz); expected "
                 "exactly one; pass the file itself as --source. {}",
                 source.string(), found.size(), kHint);
    interactions = found[0];
  }
  // Books_5.json.gz -> category Books -> meta_Books.json[.gz]
  std::string category = fs::path(without_gz(interactions)).stem().string();
  if (category.size() > 2 && category.compare(category.size() - 2, 2, "_5") == 0) category.resize(category.size() - 2);
  fs::path dir = source_directory(interactions);
  fs::path meta = dir / ("meta_" + category + ".json");
  if (!fs::exists(meta)) meta += ".gz";
  return {interactions, meta};
}

template <class T>
T required(const nlohmann::json& record, const char* key, const LineReader& in) {
  auto it = record.find(key);
  if (it == record.end()) in.fail(fmt::format("missing field '{}'", key));
  // get<int64_t>() casts a float to the integer, undefined behaviour outside its range (e.g. 1e30 as a timestamp).
  if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    const double lowest = double(std::numeric_limits<T>::min());  // -2^63, exact in a double; the top is -lowest
    if (it->is_number_float() && !(it->template get<double>() >= lowest && it->template get<double>() < -lowest))
      in.fail(fmt::format("field '{}' is outside the range of a 64-bit integer", key));
  }
  try {
    return it->get<T>();
  } catch (const nlohmann::json::exception&) {
    in.fail(fmt::format("field '{}' has the wrong type ({})", key, it->type_name()));
  }
}

nlohmann::json parse_json_line(std::string_view line, const LineReader& in) {
  // One review is a flat record: deep nesting is damage, and copying or printing it would recurse once per level.
  const int deepest = json_nesting_depth(line);
  if (deepest > kMaxJsonDepth) in.fail(fmt::format("JSON nested deeper than {} levels", kMaxJsonDepth));
  try {
    return nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for numbers such as 1e309
    in.fail(fmt::format("invalid JSON ({})", e.what()));
  }
}

void read_ratings_csv(const fs::path& path, RawData& raw) {
  LineReader in(path, kHint);
  read_rating_lines(in, ",", {Column::kItem, Column::kUser, Column::kRating, Column::kTimestamp}, raw);
}

// Calls record(object, in) for every non-empty line, each a JSON object.
template <class F>
void for_each_json_object(const fs::path& path, F&& record) {
  LineReader in(path, kHint);
  std::string_view line;
  while (in.next(line)) {
    if (line.empty()) continue;
    nlohmann::json r = parse_json_line(line, in);
    if (!r.is_object()) in.fail("expected a JSON object per line");
    record(r, in);
  }
}

void read_reviews_json(const fs::path& path, RawData& raw) {
  for_each_json_object(path, [&](const nlohmann::json& r, const LineReader& in) {
    raw.add(required<std::string>(r, "reviewerID", in), required<std::string>(r, "asin", in),
            required<double>(r, "overall", in), required<int64_t>(r, "unixReviewTime", in));
  });
}

void read_meta_json(const fs::path& path, RawData& raw) {
  for_each_json_object(path, [&](const nlohmann::json& r, const LineReader& in) {
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
  read_meta_json(meta, raw);
  return raw;
}

}  // namespace delrec::data
