#include "core/llm/normalizer.h"

#include "core/llm/utf8.h"
#include "core/util/error.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

using nlohmann::json;

namespace delrec::llm {
namespace {

// `form` is NFC, NFKC, NFD or NFKD. ASCII text is returned as it is: every form leaves it unchanged.
std::string normalize_form(const std::string& text, const std::string& form, const std::string& source) {
  bool ascii = true;
  for (unsigned char c : text) ascii = ascii && c < 0x80;
  if (ascii) return text;
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* normalizer = form == "NFC"    ? icu::Normalizer2::getNFCInstance(status)
                                       : form == "NFKC" ? icu::Normalizer2::getNFKCInstance(status)
                                       : form == "NFD"  ? icu::Normalizer2::getNFDInstance(status)
                                                        : icu::Normalizer2::getNFKDInstance(status);
  DELREC_CHECK(U_SUCCESS(status), "{}: ICU has no {} normalizer ({})", source, form, u_errorName(status));
  // Invalid UTF-8 sequences become U+FFFD.
  icu::UnicodeString normalized = normalizer->normalize(icu::UnicodeString::fromUTF8(text), status);
  DELREC_CHECK(U_SUCCESS(status), "{}: {} normalization failed ({})", source, form, u_errorName(status));
  std::string out;
  normalized.toUTF8String(out);
  return out;
}

}  // namespace

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
    } else if (type == "NFC" || type == "NFKC" || type == "NFD" || type == "NFKD") {
      n.steps_.push_back({Step::Kind::kUnicodeForm, type, ""});
    } else {
      throw Error(fmt::format("{}: normalizer \"{}\" is not supported (supported: Prepend, Replace, NFC, NFKC, NFD, "
                              "NFKD, Sequence)", source, type));
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
      case Step::Kind::kUnicodeForm:
        out = normalize_form(out, step.pattern, source_);
        break;
    }
  }
  return out;
}

}  // namespace delrec::llm
