#pragma once
// JSON from files delrec did not write (tokenizer.json, config.json, safetensors headers, manifests): parsed with a
// nesting limit. nlohmann::json parses iteratively, but copying a value and dump() recurse once per level, so a
// document of a million '[' would overflow the stack wherever the code copies a subtree or quotes it in a message.
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace delrec {

// Far deeper than any real file (tokenizer.json nests about 6 levels).
constexpr int kMaxJsonDepth = 128;

// Deepest [ / { nesting of `text` (strings skipped), counted in one linear pass; stops counting past kMaxJsonDepth.
int json_nesting_depth(std::string_view text);

// Parses `text`; throws Error "<origin>: ..." for invalid JSON or nesting deeper than kMaxJsonDepth.
nlohmann::json parse_json(std::string_view text, const std::string& origin);

// A value as it reads in an error message: its JSON text, cut after `max_chars` characters.
std::string json_excerpt(const nlohmann::json& value, size_t max_chars = 200);

}  // namespace delrec
