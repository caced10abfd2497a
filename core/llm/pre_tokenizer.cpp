#include "core/llm/pre_tokenizer.h"

#include "core/llm/unicode_categories.h"
#include "core/llm/utf8.h"
#include "core/util/error.h"

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
  if (type == "Split") {
    DELREC_CHECK(step.value("behavior", "") == "Isolated" && !step.value("invert", false),
                 "{}: Split pre-tokenizer must have behavior Isolated and invert false", source);
    const json& pattern = step.at("pattern");
    DELREC_CHECK(pattern.contains("Regex"), "{}: Split pre-tokenizer with a String pattern is not supported", source);
    const std::string regex = pattern.at("Regex").get<std::string>();
    auto split = SplitPattern::from_regex(regex);
    DELREC_CHECK(split.has_value(),
                 "{}: split pattern {} is not one delrec implements (Llama 3's, Qwen2's or GPT-2's)", source,
                 json(regex).dump());
    return {Step::Kind::kSplit, split};
  }
  if (type == "Digits") return {Step::Kind::kDigits, std::nullopt, step.value("individual_digits", false)};
  if (type == "ByteLevel") {
    std::optional<SplitPattern> split;
    if (step.value("use_regex", true)) split = SplitPattern::gpt2();
    return {Step::Kind::kByteLevel, split, false, step.value("add_prefix_space", true)};
  }
  throw Error(fmt::format("{}: pre-tokenizer \"{}\" is not supported (supported: Split, Digits, ByteLevel, Sequence)",
                          source, type));
}

void PreTokenizer::apply(const Step& step, const std::string& piece, std::vector<std::string>* out) {
  switch (step.kind) {
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

std::vector<std::string> PreTokenizer::split(const std::string& text) const {
  std::vector<std::string> pieces;
  if (!text.empty()) pieces.push_back(text);
  for (const auto& step : steps_) {
    std::vector<std::string> next;
    for (const auto& piece : pieces) apply(step, piece, &next);
    pieces.clear();
    for (auto& p : next)
      if (!p.empty()) pieces.push_back(std::move(p));
  }
  return pieces;
}

}  // namespace delrec::llm
