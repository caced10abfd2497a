#include "core/llm/token_decoder.h"

#include "core/llm/bpe_tokenizer.h"
#include "core/llm/utf8.h"
#include "core/util/error.h"

using nlohmann::json;

namespace delrec::llm {
namespace {

// "<0xE4>" -> 0xE4; -1 for any other token.
int fallback_byte(const std::string& token) {
  if (token.size() != 6 || token.compare(0, 3, "<0x") != 0 || token[5] != '>') return -1;
  const auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) ? std::stoi(std::string(1, c), nullptr, 16) : -1; };
  const int hi = hex(token[3]), lo = hex(token[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

// Whether `bytes` is well-formed UTF-8.
bool valid_utf8(const std::string& bytes) { return utf8_lossy(bytes) == bytes; }

}  // namespace

TokenDecoder TokenDecoder::from_json(const json& spec, const std::string& source) {
  TokenDecoder d;
  if (spec.is_null()) return d;
  DELREC_CHECK(spec.is_object(), "{}: decoder must be an object or null, got {}", source, spec.type_name());
  const bool sequence = spec.value("type", "") == "Sequence";
  for (const auto& step : sequence ? spec.at("decoders") : json::array({spec})) {
    const std::string type = step.value("type", "");
    Step s{};
    if (type == "ByteLevel") {
      s.kind = Step::Kind::kByteLevel;
      const auto table = bytes_to_unicode();
      for (int b = 0; b < 256; ++b) d.byte_of_char_[table[b]] = static_cast<uint8_t>(b);
    } else if (type == "Replace") {
      DELREC_CHECK(step.at("pattern").contains("String"),
                   "{}: Replace decoder with a Regex pattern is not supported (only String)", source);
      s = {Step::Kind::kReplace, step["pattern"]["String"].get<std::string>(), step.at("content").get<std::string>()};
      DELREC_CHECK(!s.pattern.empty(), "{}: Replace decoder with an empty pattern", source);
    } else if (type == "ByteFallback") {
      s.kind = Step::Kind::kByteFallback;
    } else if (type == "Fuse") {
      s.kind = Step::Kind::kFuse;
    } else if (type == "Strip") {
      s.kind = Step::Kind::kStrip;
      std::vector<char32_t> content;
      std::vector<size_t> offsets;
      utf8_decode(step.at("content").get<std::string>(), &content, &offsets);
      DELREC_CHECK(content.size() == 1, "{}: Strip decoder content must be one character", source);
      s.strip_char = content.front();
      s.start = step.value("start", 0);
      s.stop = step.value("stop", 0);
    } else if (type == "Metaspace") {
      s.kind = Step::Kind::kMetaspace;
      s.pattern = step.value("replacement", std::string("\u2581"));
      const std::string scheme = step.value("prepend_scheme", step.value("add_prefix_space", true) ? "always" : "never");
      s.strip_first_space = scheme != "never";
    } else {
      throw Error(fmt::format("{}: decoder \"{}\" is not supported (supported: ByteLevel, Replace, ByteFallback, Fuse, "
                              "Strip, Metaspace, Sequence)", source, type));
    }
    d.steps_.push_back(s);
  }
  return d;
}

std::string TokenDecoder::decode(std::vector<std::string> tokens) const {
  for (const auto& step : steps_) {
    std::vector<std::string> next;
    switch (step.kind) {
      case Step::Kind::kByteLevel: {  // one string: each token's bytes (or the token as written), made valid
        std::string bytes;
        for (const auto& token : tokens) {
          std::vector<char32_t> cps;
          std::vector<size_t> offsets;
          utf8_decode(token, &cps, &offsets);
          std::string piece;
          bool all_bytes = true;
          for (char32_t c : cps) {
            auto it = byte_of_char_.find(c);
            if (it == byte_of_char_.end()) {
              all_bytes = false;
              break;
            }
            piece.push_back(static_cast<char>(it->second));
          }
          bytes += all_bytes ? piece : token;
        }
        next.push_back(utf8_lossy(bytes));
        break;
      }
      case Step::Kind::kReplace:
        for (const auto& token : tokens) next.push_back(replace_all(token, step.pattern, step.content));
        break;
      case Step::Kind::kByteFallback: {
        std::string pending;  // bytes of the current run of <0xXX> tokens
        auto flush = [&] {
          if (pending.empty()) return;
          if (valid_utf8(pending)) {
            next.push_back(pending);
          } else {
            for (size_t i = 0; i < pending.size(); ++i) next.push_back("\uFFFD");
          }
          pending.clear();
        };
        for (const auto& token : tokens) {
          const int b = fallback_byte(token);
          if (b >= 0) {
            pending.push_back(static_cast<char>(b));
            continue;
          }
          flush();
          next.push_back(token);
        }
        flush();
        break;
      }
      case Step::Kind::kFuse: {
        std::string joined;
        for (const auto& token : tokens) joined += token;
        next.push_back(joined);
        break;
      }
      case Step::Kind::kStrip:
        for (const auto& token : tokens) {
          std::vector<char32_t> cps;
          std::vector<size_t> offsets;
          utf8_decode(token, &cps, &offsets);
          const char32_t c = step.strip_char;
          size_t begin = 0, end = cps.size();
          while (begin < cps.size() && begin < static_cast<size_t>(step.start) && cps[begin] == c) ++begin;
          for (int i = 0; i < step.stop && end > begin && cps[end - 1] == c; ++i) --end;
          next.push_back(token.substr(offsets[begin], offsets[end] - offsets[begin]));
        }
        break;
      case Step::Kind::kMetaspace:
        // tokenizers drops every replacement character of the first token (not only a leading one) unless
        // prepend_scheme is "never"; in the others each becomes a space.
        for (size_t i = 0; i < tokens.size(); ++i)
          next.push_back(replace_all(tokens[i], step.pattern, i == 0 && step.strip_first_space ? "" : " "));
        break;
    }
    tokens = std::move(next);
  }
  std::string text;
  for (const auto& token : tokens) text += token;
  return utf8_lossy(text);
}

}  // namespace delrec::llm
