#include "core/llm/normalizer.h"

#include "core/llm/utf8.h"
#include "core/util/error.h"

using nlohmann::json;

namespace delrec::llm {

Normalizer Normalizer::from_json(const json& spec, const std::string& source) {
  Normalizer n;
  n.source_ = source;
  if (spec.is_null()) return n;
  DELREC_CHECK(spec.is_object(), "{}: normalizer must be an object or null, got {}", source, spec.type_name());
  const bool sequence = spec.value("type", "") == "Sequence";
  for (const auto& step : sequence ? spec.at("normalizers") : json::array({spec})) {
    const std::string type = step.value("type", "");
    if (type == "Prepend") {
      n.steps_.push_back({Step::Kind::kPrepend, "", step.at("prepend").get<std::string>()});
    } else if (type == "Replace") {
      DELREC_CHECK(step.at("pattern").contains("String"),
                   "{}: Replace normalizer with a Regex pattern is not supported (only String)", source);
      n.steps_.push_back({Step::Kind::kReplace, step["pattern"]["String"].get<std::string>(),
                          step.at("content").get<std::string>()});
      DELREC_CHECK(!n.steps_.back().pattern.empty(), "{}: Replace normalizer with an empty pattern", source);
    } else if (type == "NFC" || type == "NFKC") {
      n.steps_.push_back({Step::Kind::kAsciiOnly, type, ""});
    } else {
      throw Error(fmt::format("{}: normalizer \"{}\" is not supported (supported: Prepend, Replace, NFC and NFKC on "
                              "ASCII text, Sequence)", source, type));
    }
  }
  return n;
}

std::string Normalizer::apply(const std::string& text) const {
  std::string out = text;
  for (const auto& step : steps_) {
    switch (step.kind) {
      case Step::Kind::kPrepend:
        if (!out.empty()) out = step.content + out;
        break;
      case Step::Kind::kReplace:
        out = replace_all(out, step.pattern, step.content);
        break;
      case Step::Kind::kAsciiOnly:
        for (unsigned char c : out)
          DELREC_CHECK(c < 0x80, "{}: this tokenizer normalizes text to {}, which delrec applies only to ASCII text "
                       "(where it changes nothing); normalize the text to {} beforehand", source_, step.pattern,
                       step.pattern);
        break;
    }
  }
  return out;
}

}  // namespace delrec::llm
