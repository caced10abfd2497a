#pragma once
// Raw files with one record per line: a JSON object (Amazon reviews, Amazon 2018 metadata) or a Python dict literal
// (Amazon 2014 metadata and the UCSD Steam dumps, python_literal.h). Used by the Amazon and Steam readers.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <type_traits>

#include "core/data/text_input.h"

namespace delrec::data {

enum class RecordSyntax {
  kJson,
  kPython,
  kDetect,  // Python when the first record starts with {' or {u' (as repr() writes a dict), else JSON
};

// Calls record(object, in) for every non-empty line of `path`; a line that is not one object in `syntax` is an
// Error "<file>:<line>: ...". `hint` says what the file is and where to get it (for a missing file).
void for_each_record(const std::filesystem::path& path, const std::string& hint, RecordSyntax syntax,
                     const std::function<void(const nlohmann::json&, const LineReader&)>& record);

// The field `key` of `record` as T; a missing field, one of another type, or a number outside T's range fails on
// `in`'s line.
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
    return it->template get<T>();
  } catch (const nlohmann::json::exception&) {
    in.fail(fmt::format("field '{}' has the wrong type ({})", key, it->type_name()));
  }
}

}  // namespace delrec::data
