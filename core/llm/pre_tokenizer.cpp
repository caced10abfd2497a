#include "core/llm/pre_tokenizer.h"

#include "core/llm/unicode_categories.h"
#include "core/llm/utf8.h"
#include "core/util/error.h"
#include "core/util/json_input.h"

using nlohmann::json;

namespace delrec::llm {

PreTokenizer PreTokenizer::from_json(const json& spec, const std::string& source) {
  DELREC_CHECK(spec.is_object(), "{}: pre_tokenizer must be an object, got {}", source, spec.type_name());
  PreTokenizer p;
  const bool sequence = spec.value("type", "") == "Sequence";
  for (const auto& step : sequence ? spec.at("pretokenizers") : json::array({spec})) {
    p.steps_.push_back(parse_step(step, source));
    p.byte_level_ = p.byte_level_ || p.steps_.back().kind == Step::Kind::kByteLevel;
  }
  return p;
}

PreTokenizer::Step PreTokenizer::parse_step(const json& step, const std::string& source) {
  const std::string type = step.value("type", "");
  Step s;
  if (type == "Split") {
    DELREC_CHECK(step.value("behavior", "") == "Isolated" && !step.value("invert", false),
                 "{}: Split pre-tokenizer must have behavior Isolated and invert false", source);
    const json& pattern = step.at("pattern");
    DELREC_CHECK(pattern.contains("Regex"), "{}: Split pre-tokenizer with a String pattern is not supported", source);
    const std::string regex = pattern.at("Regex").get<std::string>();
    auto split = SplitPattern::from_regex(regex);
    DELREC_CHECK(split.has_value(),
                 "{}: split pattern {} is not one delrec implements (Llama 3's, Qwen2's or GPT-2's)", source,
                 json_excerpt(json(regex)));
    s.kind = Step::Kind::kSplit;
    s.pattern = split;
    return s;
  }
  if (type == "Digits") {
    s.kind = Step::Kind::kDigits;
    s.individual_digits = step.value("individual_digits", false);
    return s;
  }
  if (type == "ByteLevel") {
    s.kind = Step::Kind::kByteLevel;
    if (step.value("use_regex", true)) s.pattern = SplitPattern::gpt2();
    s.add_prefix_space = step.value("add_prefix_space", true);
    return s;
  }
  if (type == "Metaspace") {
    s.kind = Step::Kind::kMetaspace;
    s.replacement = step.value("replacement", std::string("\u2581"));
    DELREC_CHECK(!s.replacement.empty(), "{}: Metaspace with an empty replacement", source);
    // Older files say add_prefix_space (true: always); newer ones prepend_scheme.
    const std::string scheme =
        step.value("prepend_scheme", step.value("add_prefix_space", true) ? std::string("always") : "never");
    DELREC_CHECK(scheme == "always" || scheme == "first" || scheme == "never",
                 "{}: Metaspace prepend_scheme \"{}\" is not always, first or never", source, scheme);
    s.add_prefix_space = scheme == "always";
    s.prepend_first = scheme == "first";
    s.split = step.value("split", true);
    return s;
  }
  throw Error(fmt::format("{}: pre-tokenizer \"{}\" is not supported (supported: Split, Digits, ByteLevel, Metaspace, "
                          "Sequence)", source, type));
}

void PreTokenizer::apply(const Step& step, const std::string& piece, bool first, std::vector<std::string>* out) {
  switch (step.kind) {
    case Step::Kind::kMetaspace: {
      std::string s;
      for (char c : piece) c == ' ' ? s += step.replacement : s += c;
      const bool prepend = step.add_prefix_space || (step.prepend_first && first);
      if (prepend && s.compare(0, step.replacement.size(), step.replacement) != 0) s = step.replacement + s;
      if (!step.split) {
        out->push_back(s);
        return;
      }
      // A new piece at each replacement, which starts it (tokenizers' MergedWithNext).
      size_t start = 0;
      for (size_t at = s.find(step.replacement, 1); at != std::string::npos; at = s.find(step.replacement, at + 1)) {
        out->push_back(s.substr(start, at - start));
        start = at;
      }
      out->push_back(s.substr(start));
      return;
    }
    case Step::Kind::kSplit:
      for (auto& p : step.pattern->split(piece)) out->push_back(std::move(p));
      return;
    case Step::Kind::kByteLevel: {
      const std::string spaced = step.add_prefix_space && piece.front() != ' ' ? " " + piece : piece;
      if (!step.pattern) {
        out->push_back(spaced);
        return;
      }
      for (auto& p : step.pattern->split(spaced)) out->push_back(std::move(p));
      return;
    }
    case Step::Kind::kDigits: {
      // Isolated numbers (Rust's char::is_numeric: categories Nd, Nl, No): each alone, or each run together.
      std::vector<char32_t> cps;
      std::vector<size_t> offsets;
      utf8_decode(piece, &cps, &offsets);
      size_t start = 0;
      for (size_t i = 0; i < cps.size(); ++i) {
        const bool number = is_number(cps[i]);
        const bool continues = i > 0 && number == is_number(cps[i - 1]) && !(number && step.individual_digits);
        if (i > 0 && !continues) {
          out->push_back(piece.substr(offsets[start], offsets[i] - offsets[start]));
          start = i;
        }
      }
      if (!cps.empty()) out->push_back(piece.substr(offsets[start]));
      return;
    }
  }
}

std::vector<std::string> PreTokenizer::split(const std::string& text, bool at_start) const {
  std::vector<std::string> pieces;
  if (!text.empty()) pieces.push_back(text);
  for (const auto& step : steps_) {
    std::vector<std::string> next;
    for (size_t i = 0; i < pieces.size(); ++i) apply(step, pieces[i], at_start && i == 0, &next);
    pieces.clear();
    for (auto& p : next)
      if (!p.empty()) pieces.push_back(std::move(p));
  }
  return pieces;
}

}  // namespace delrec::llm
