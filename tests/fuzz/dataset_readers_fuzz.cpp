// Fuzz target: the raw dataset readers (core/data/readers/, core/data/text_input.cpp, the Python literal parser) and
// the title clean-up applied to what they read. Input: one byte choosing the format, then the interactions file,
// NUL, the titles file. Each format reads from a directory of its own holding the two files under the names its
// reader looks for; either file may be gzip (the readers detect it).
#include <array>
#include <string>

#include "core/data/readers/readers.h"
#include "core/data/title_cleanup.h"
#include "tests/fuzz/fuzz_support.h"

using namespace delrec;

namespace {

struct Format {
  const char* dir;
  const char* interactions;
  const char* titles;
  data::RawData (*read)(const std::filesystem::path&);
};

const std::array<Format, 9> kFormats = {{
    {"ml-100k", "u.data", "u.item", data::read_movielens_100k},
    {"ml-1m", "ratings.dat", "movies.dat", data::read_movielens_1m},
    {"ml-csv", "ratings.csv", "movies.csv", data::read_movielens_csv},
    {"amazon-reviews", "Tiny_5.json", "meta_Tiny.json", data::read_amazon},
    {"amazon-ratings", "Tiny.csv", "meta_Tiny.json", data::read_amazon},
    {"csv", "interactions.csv", "items.csv", data::read_csv},
    {"steam-sasrec", "Steam.txt", "id2name.txt", data::read_steam},
    {"steam-reviews", "steam_reviews.json", "steam_games.json", data::read_steam},
    {"amazon-2014", "reviews_Tiny_5.json", "meta_Tiny.json", data::read_amazon},
}};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Format& format = kFormats[data[0] % kFormats.size()];
  const auto [interactions, titles] = fuzz::split_at_nul(fuzz::as_text(data + 1, size - 1));
  const auto dir = fuzz::scratch_dir() / format.dir;
  std::filesystem::create_directories(dir);
  fuzz::write_file(dir / format.interactions, interactions);
  fuzz::write_file(dir / format.titles, titles);
  fuzz::refused_or_accepted([&] {
    const data::RawData raw = format.read(dir);
    for (const auto& [item, title] : raw.titles) data::clean_title(title);
  });
  return 0;
}
