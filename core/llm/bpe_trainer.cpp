#include "core/llm/bpe_trainer.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "core/llm/bpe_tokenizer.h"
#include "core/llm/split_pattern.h"
#include "core/llm/utf8.h"
#include "core/util/error.h"

using nlohmann::json;

namespace delrec::llm {
namespace {

// Llama-3's pre-tokenizer pattern (split_pattern.h implements it).
constexpr char kLlama3Split[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

struct Word {
  std::vector<std::string> symbols;  // byte characters, merged as training goes
  int64_t count = 0;
};

json special_token(int64_t id, const std::string& content) {
  return {{"id", id},           {"content", content}, {"single_word", false}, {"lstrip", false},
          {"rstrip", false},    {"normalized", false}, {"special", true}};
}

}  // namespace

std::string train_bpe_tokenizer_json(const std::vector<std::string>& corpus, int64_t vocab_size) {
  DELREC_CHECK(vocab_size >= 258, "a byte-level BPE vocabulary needs at least 258 tokens, got {}", vocab_size);
  const auto split = SplitPattern::from_regex(kLlama3Split);
  DELREC_CHECK(split.has_value(), "internal: the Llama-3 split pattern is not recognised");
  std::array<std::string, 256> byte_char;
  const auto table = bytes_to_unicode();
  for (int b = 0; b < 256; ++b) utf8_append(&byte_char[b], table[b]);

  // Distinct pieces with their counts (std::map: a deterministic order).
  std::map<std::string, int64_t> pieces;
  for (const auto& text : corpus)
    for (const auto& piece : split->split(text)) ++pieces[piece];
  std::vector<Word> words;
  for (const auto& [piece, count] : pieces) {
    Word w;
    for (unsigned char c : piece) w.symbols.push_back(byte_char[c]);
    w.count = count;
    words.push_back(std::move(w));
  }

  json vocab = json::object();
  vocab["<|begin_of_text|>"] = 0;
  vocab["<|end_of_text|>"] = 1;
  for (int b = 0; b < 256; ++b) vocab[byte_char[b]] = 2 + b;
  json merges = json::array();
  int64_t next_id = 258;
  while (next_id < vocab_size) {
    // "left\nright" -> occurrences (byte characters never contain '\n': byte 10 is mapped to U+010A).
    std::unordered_map<std::string, int64_t> pairs;
    for (const auto& w : words)
      for (size_t i = 0; i + 1 < w.symbols.size(); ++i) pairs[w.symbols[i] + '\n' + w.symbols[i + 1]] += w.count;
    const std::pair<const std::string, int64_t>* best = nullptr;
    for (const auto& p : pairs)
      if (!best || p.second > best->second || (p.second == best->second && p.first < best->first)) best = &p;
    if (!best || best->second < 2) break;
    const size_t cut = best->first.find('\n');
    const std::string left = best->first.substr(0, cut), right = best->first.substr(cut + 1);
    const std::string merged = left + right;
    if (!vocab.contains(merged)) vocab[merged] = next_id++;
    merges.push_back(json::array({left, right}));
    for (auto& w : words) {
      std::vector<std::string> out;
      for (size_t i = 0; i < w.symbols.size(); ++i) {
        if (i + 1 < w.symbols.size() && w.symbols[i] == left && w.symbols[i + 1] == right) {
          out.push_back(merged);
          ++i;
        } else {
          out.push_back(w.symbols[i]);
        }
      }
      w.symbols = std::move(out);
    }
  }

  json j;
  j["version"] = "1.0";
  j["truncation"] = nullptr;
  j["padding"] = nullptr;
  j["added_tokens"] = json::array({special_token(0, "<|begin_of_text|>"), special_token(1, "<|end_of_text|>")});
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers", json::array({{{"type", "Split"},
                                      {"pattern", {{"Regex", kLlama3Split}}},
                                      {"behavior", "Isolated"},
                                      {"invert", false}},
                                     {{"type", "ByteLevel"},
                                      {"add_prefix_space", false},
                                      {"trim_offsets", true},
                                      {"use_regex", false}}})}};
  const json bos = {{"SpecialToken", {{"id", "<|begin_of_text|>"}, {"type_id", 0}}}};
  j["post_processor"] = {
      {"type", "TemplateProcessing"},
      {"single", json::array({bos, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})},
      {"pair", json::array({bos, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}, bos,
                            {{"Sequence", {{"id", "B"}, {"type_id", 1}}}}})},
      {"special_tokens",
       {{"<|begin_of_text|>", {{"id", "<|begin_of_text|>"}, {"ids", {0}}, {"tokens", {"<|begin_of_text|>"}}}}}}};
  j["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}};
  j["model"] = {{"type", "BPE"},           {"dropout", nullptr},     {"unk_token", nullptr},
                {"continuing_subword_prefix", nullptr}, {"end_of_word_suffix", nullptr}, {"fuse_unk", false},
                {"byte_fallback", false},  {"ignore_merges", false}, {"vocab", vocab},
                {"merges", merges}};
  return j.dump(1) + "\n";
}

}  // namespace delrec::llm
