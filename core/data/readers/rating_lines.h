#pragma once
// The line format most raw datasets share: one rating per line, four separated fields (user, item, rating and
// timestamp, in some order). Used by the MovieLens readers and the Amazon ratings-only reader.
#include <array>
#include <string_view>

#include "core/data/raw_data.h"
#include "core/data/text_input.h"

namespace delrec::data {

enum class Column { kUser, kItem, kRating, kTimestamp };

// Appends every remaining non-empty line of `in` to `raw`: exactly 4 fields separated by `separator`, in the order
// given by `columns`. A malformed line is an Error quoting file, line and text.
void read_rating_lines(LineReader& in, std::string_view separator, const std::array<Column, 4>& columns, RawData& raw);

}  // namespace delrec::data
