#pragma once
// Python literals (what repr() writes and ast.literal_eval reads) as JSON values. Some raw datasets are Python
// dicts printed one per line, not JSON: the UCSD Steam dumps and the Amazon 2014 metadata
// ({'asin': '0000031852', 'title': 'Ballet Tutu', 'price': 3.17, 'related': {...}}, with u'' strings in the
// Python 2 ones).
//
// Accepted, as Python 3 reads it: dicts with string keys, lists, tuples (as JSON arrays), strings in '...' or
// "..." with an optional u/U prefix, ints, floats, True, False, None. String escapes: \\ \' \" \a \b \f \n \r \t \v,
// octal \ooo, \xNN, \uNNNN, \UNNNNNNNN (each a code point, written as UTF-8; a UTF-16 surrogate pair written as two
// \u escapes, as Python 2 narrow builds print astral characters, is joined into one). Anything else is refused:
// expressions, names, bytes and raw strings, unknown escapes, lone surrogates, invalid UTF-8, integers beyond
// 64 bits, floats beyond double, nesting deeper than kMaxJsonDepth.
#include <nlohmann/json.hpp>

#include <string_view>

namespace delrec::data {

// The value of the Python literal `text` (surrounding whitespace allowed). Throws delrec::Error
// "column <c>: <what>; near '<text from there>'" (columns count bytes from 1).
nlohmann::json parse_python_literal(std::string_view text);

}  // namespace delrec::data
