#pragma once
// One reader per raw dataset format (docs/data.md describes each). A reader returns the interactions in file order
// and the item titles in UTF-8; all processing (filters, ordering, split) happens afterwards in prepare.h.
// `source` is the dataset directory or one of its files. Errors: a missing file names its path and what to
// download; a malformed line gives file:line and the offending text.
#include <filesystem>

#include "core/data/raw_data.h"

namespace delrec::data {

// MovieLens-100K: u.data (user \t item \t rating \t timestamp), u.item (item|title|... in Latin-1).
RawData read_movielens_100k(const std::filesystem::path& source);

// MovieLens-1M (and 10M): ratings.dat (user::item::rating::timestamp), movies.dat (item::title::genres, Latin-1).
RawData read_movielens_1m(const std::filesystem::path& source);

// MovieLens-20M/25M/32M/latest: ratings.csv (userId,movieId,rating,timestamp), movies.csv (movieId,title,genres)
// with a header line and quoted titles.
RawData read_movielens_csv(const std::filesystem::path& source);

// Amazon reviews 2018 and 2014: a ratings-only CSV (2018 <Category>.csv: item,user,rating,timestamp; 2014
// ratings_<Category>.csv: user,item,rating,timestamp) or reviews JSON lines (reviewerID, asin, overall,
// unixReviewTime), plus meta_<Category>.json (asin, title) as JSON lines (2018) or Python dict lines (2014); any of
// them may be gzipped.
RawData read_amazon(const std::filesystem::path& source);

// Steam: SASRec's Steam.txt (user item lines in time order) with id2name.txt (id::title) or item_titles.csv
// (id,title); or the UCSD dumps steam_reviews.json.gz and steam_games.json.gz (Python dict lines).
RawData read_steam(const std::filesystem::path& source);

// Generic CSV: interactions.csv (user,item,timestamp[,rating]) and items.csv (item,title); header lines optional.
RawData read_csv(const std::filesystem::path& source);

}  // namespace delrec::data
