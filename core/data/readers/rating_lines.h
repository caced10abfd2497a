#pragma once
// The line format most raw datasets share: one rating per line, four separated fields (user, item, rating and
// timestamp, in some order). Used by the MovieLens readers and the Amazon ratings-only reader.
#include <array>
#include <filesystem>
#include <string_view>

#include "core/data/raw_data.h"
#include "core/data/text_input.h"

namespace delrec::data {

enum class Column { kUser, kItem, kRating, kTimestamp };
// What a user or item id may be: any text (Amazon's ASINs) or a positive integer (MovieLens' 1, 2, ...).
enum class Ids { kText, kPositiveIntegers };

// Appends every remaining non-empty line of `in` to `raw`: exactly 4 fields separated by `separator`, in the order
// given by `columns`. A malformed line is an Error quoting file, line and text.
void read_rating_lines(LineReader& in, std::string_view separator, const std::array<Column, 4>& columns, RawData& raw,
                       Ids ids = Ids::kText);

// Fails on `in`'s current line unless `id` is a positive integer; `what` names the column ("item id").
void require_positive_integer(const LineReader& in, std::string_view id, const char* what);

// Every rated item has a title in `titles_file` (u.item, movies.dat); else an Error naming the first missing item
// and how many are missing (the two files come from different downloads).
void require_titles(const RawData& raw, const std::filesystem::path& titles_file);

}  // namespace delrec::data
