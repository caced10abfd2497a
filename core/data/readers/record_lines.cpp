#include "core/data/readers/record_lines.h"

#include "core/data/readers/python_literal.h"
#include "core/util/error.h"
#include "core/util/json_input.h"

namespace delrec::data {
namespace {

nlohmann::json parse_json_line(std::string_view line, const LineReader& in) {
  // One record is flat: deep nesting is damage, and copying or printing it would recurse once per level.
  if (json_nesting_depth(line) > kMaxJsonDepth)
    in.fail(fmt::format("JSON nested deeper than {} levels", kMaxJsonDepth));
  try {
    return nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for numbers such as 1e309
    in.fail(fmt::format("invalid JSON ({})", e.what()));
  }
}

nlohmann::json parse_python_line(std::string_view line, const LineReader& in) {
  try {
    return parse_python_literal(line);
  } catch (const Error& e) {
    in.fail(fmt::format("invalid Python literal ({})", e.what()));
  }
}

bool looks_like_python_dict(std::string_view line) {
  const size_t first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos) return false;
  line.remove_prefix(first);
  return line.substr(0, 2) == "{'" || line.substr(0, 3) == "{u'";
}

}  // namespace

void for_each_record(const std::filesystem::path& path, const std::string& hint, RecordSyntax syntax,
                     const std::function<void(const nlohmann::json&, const LineReader&)>& record) {
  LineReader in(path, hint);
  std::string_view line;
  while (in.next(line)) {
    if (line.empty()) continue;
    if (syntax == RecordSyntax::kDetect)
      syntax = looks_like_python_dict(line) ? RecordSyntax::kPython : RecordSyntax::kJson;
    const bool python = syntax == RecordSyntax::kPython;
    nlohmann::json r = python ? parse_python_line(line, in) : parse_json_line(line, in);
    if (!r.is_object()) in.fail(python ? "expected a Python dict per line" : "expected a JSON object per line");
    record(r, in);
  }
}

}  // namespace delrec::data
