#include "core/llm/bpe_tokenizer.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <tuple>
#include <nlohmann/json.hpp>

#include "core/llm/utf8.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/json_input.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace delrec::llm {

std::array<char32_t, 256> bytes_to_unicode() {
  std::array<char32_t, 256> table{};
  char32_t next = 256;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    table[b] = printable ? static_cast<char32_t>(b) : next++;
  }
  return table;
}

namespace {

std::string merge_key(const std::string& a, const std::string& b) { return a + '\n' + b; }

// The ids a TemplateProcessing "single" template puts before and after the sequence.
void parse_template(const json& proc, const std::string& source, std::vector<int64_t>* prefix,
                    std::vector<int64_t>* suffix) {
  const json& special = proc.at("special_tokens");
  bool after = false;
  for (const auto& item : proc.at("single")) {
    if (item.contains("Sequence")) {
      after = true;
      continue;
    }
    DELREC_CHECK(item.contains("SpecialToken"), "{}: post_processor template item {} is not understood", source,
                 json_excerpt(item));
    const std::string name = item["SpecialToken"].at("id").get<std::string>();
    DELREC_CHECK(special.contains(name), "{}: template token \"{}\" is not in special_tokens", source, name);
    for (const auto& id : special[name].at("ids")) {
      DELREC_CHECK(id.is_number_integer(), "{}: template token \"{}\" has id {}, not an integer", source, name,
                   json_excerpt(id));
      (after ? suffix : prefix)->push_back(id.get<int64_t>());
    }
  }
}

}  // namespace

int64_t BpeTokenizer::checked_id(const json& id, const std::string& what) const {
  DELREC_CHECK(id.is_number_integer(), "{}: {} has id {}, which is not an integer", source_, what, json_excerpt(id));
  const int64_t value = id.get<int64_t>();
  DELREC_CHECK(value >= 0 && value < kMaxTokenId, "{}: {} has id {}, outside [0, {})", source_, what, value,
               kMaxTokenId);
  return value;
}

BpeTokenizer::BpeTokenizer(const fs::path& tokenizer_json) : source_(tokenizer_json.string()) {
  const json j = parse_json(read_file(tokenizer_json), source_);
  try {
    const json& model = j.at("model");
    DELREC_CHECK(model.value("type", "") == "BPE", "{}: model type \"{}\" is not supported (only BPE)", source_,
                 model.value("type", ""));
    ignore_merges_ = model.value("ignore_merges", false);
    byte_fallback_ = model.value("byte_fallback", false);
    fuse_unk_ = model.value("fuse_unk", false);
    for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
      DELREC_CHECK(!model.contains(key) || model[key].is_null() || model[key] == "",
                   "{}: BPE with {} is not supported", source_, key);
    DELREC_CHECK(!model.contains("dropout") || model["dropout"].is_null() || model["dropout"] == 0.0,
                 "{}: BPE dropout is for training; set \"dropout\" to null", source_);
    for (const auto& [token, id] : model.at("vocab").items()) vocab_[token] = checked_id(id, "vocab entry " + token);
    int rank = 0;
    for (const auto& m : model.at("merges")) {
      // Older files write "left right", newer ones ["left", "right"].
      std::string left, right;
      if (m.is_string()) {
        const std::string s = m.get<std::string>();
        const size_t space = s.find(' ');
        DELREC_CHECK(space != std::string::npos, "{}: merge \"{}\" has no space", source_, s);
        left = s.substr(0, space);
        right = s.substr(space + 1);
      } else {
        left = m.at(0).get<std::string>();
        right = m.at(1).get<std::string>();
      }
      // As the tokenizers library: a merge whose parts or result are not tokens is an error, not a dead rule.
      for (const std::string& t : {left, right, left + right})
        DELREC_CHECK(vocab_.count(t), "{}: merge {} of \"{}\" and \"{}\" names \"{}\", which is not in the "
                     "vocabulary (a damaged or mismatched tokenizer.json)", source_, rank, left, right, t);
      merge_rank_.emplace(merge_key(left, right), rank++);
    }
    for (const auto& t : j.value("added_tokens", json::array())) {
      DELREC_CHECK(!t.value("lstrip", false) && !t.value("rstrip", false) && !t.value("single_word", false),
                   "{}: added token {} uses lstrip/rstrip/single_word, which is not supported", source_,
                   json_excerpt(t.at("content")));
      const std::string content = t.at("content").get<std::string>();
      added_.push_back({content, checked_id(t.at("id"), "added token " + content), t.value("special", false)});
      vocab_[added_.back().content] = added_.back().id;
    }

    normalizer_ = Normalizer::from_json(j.value("normalizer", json()), source_);
    const json& pre = j.value("pre_tokenizer", json());
    if (!pre.is_null()) pre_ = PreTokenizer::from_json(pre, source_);
    byte_level_ = pre_.byte_level();
    const json& decoder = j.value("decoder", json());
    decoder_ = TokenDecoder::from_json(decoder, source_);
    has_decoder_ = !decoder.is_null();
    const json& unk = model.value("unk_token", json());
    if (unk.is_string()) {
      DELREC_CHECK(vocab_.count(unk.get<std::string>()), "{}: unk_token \"{}\" is not in the vocabulary", source_,
                   unk.get<std::string>());
      unk_id_ = vocab_.at(unk.get<std::string>());
    }

    const json& post = j.value("post_processor", json());
    const json procs = post.is_null() ? json::array()
                       : post.value("type", "") == "Sequence" ? post.at("processors")
                                                              : json::array({post});
    for (const auto& p : procs) {
      const std::string type = p.value("type", "");
      if (type == "TemplateProcessing") {
        parse_template(p, source_, &prefix_, &suffix_);
      } else {
        DELREC_CHECK(type == "ByteLevel", "{}: post-processor \"{}\" is not supported", source_, type);
      }
    }
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: unexpected structure: {}", source_, e.what()));
  }

  int64_t max_id = -1;
  for (const auto& kv : vocab_) max_id = std::max(max_id, kv.second);
  // The id table is dense: ids far beyond the number of tokens would make it huge for nothing.
  const int64_t dense_limit = 2 * int64_t(vocab_.size()) + 1024;
  DELREC_CHECK(max_id < dense_limit, "{}: token id {} is far beyond the {} tokens of the vocabulary (ids must be "
               "below {}); the file is damaged or not a tokenizer.json", source_, max_id, vocab_.size(), dense_limit);
  id_to_token_.assign(max_id + 1, "");
  is_special_.assign(max_id + 1, false);
  for (const auto& [token, id] : vocab_) id_to_token_[id] = token;
  for (const auto& t : added_) is_special_[t.id] = t.special;
  const auto table = bytes_to_unicode();
  for (int b = 0; b < 256; ++b) utf8_append(&byte_to_char_[b], table[b]);
  for (const auto* ids : {&prefix_, &suffix_})
    for (int64_t id : *ids)
      DELREC_CHECK(id >= 0 && id <= max_id && !id_to_token_[size_t(id)].empty(),
                   "{}: the post_processor template adds token id {}, which is not in the vocabulary", source_, id);
  if (!prefix_.empty()) bos_id_ = prefix_.front();
  // The end-of-text token is not part of tokenizer.json's structure; tokenizer_config.json names it.
  const fs::path config = tokenizer_json.parent_path() / "tokenizer_config.json";
  if (fs::exists(config)) {
    const json c = parse_json(read_file(config), config.string());
    if (c.is_object() && c.contains("eos_token")) {
      const json& e = c["eos_token"];
      const std::string name = e.is_string() ? e.get<std::string>() : e.is_object() ? e.value("content", "") : "";
      if (vocab_.count(name)) eos_id_ = vocab_.at(name);
    }
  }
}

// The symbols BPE starts from: byte-level, one printable character per byte; otherwise one per character, a
// character missing from the vocabulary becoming its <0xXX> byte tokens (when all exist) or the unknown token.
void BpeTokenizer::initial_symbols(const std::string& piece, std::vector<std::string>* symbols) const {
  if (byte_level_) {
    for (unsigned char b : piece) symbols->push_back(byte_to_char_[b]);
    return;
  }
  std::vector<char32_t> cps;
  std::vector<size_t> offsets;
  utf8_decode(piece, &cps, &offsets);
  for (size_t i = 0; i < cps.size(); ++i) {
    const std::string c = piece.substr(offsets[i], offsets[i + 1] - offsets[i]);
    if (vocab_.count(c)) {
      symbols->push_back(c);
      continue;
    }
    std::vector<std::string> bytes;
    for (unsigned char b : c) bytes.push_back(fmt::format("<0x{:02X}>", b));
    const bool all_known =
        byte_fallback_ && std::all_of(bytes.begin(), bytes.end(), [&](const std::string& t) { return vocab_.count(t); });
    if (all_known) {
      symbols->insert(symbols->end(), bytes.begin(), bytes.end());
    } else {
      DELREC_CHECK(unk_id_ >= 0, "{}: the character {} is not in the vocabulary and the model has no unk_token",
                   source_, json_excerpt(nlohmann::json(c)));
      const std::string& unk = id_to_token_[unk_id_];
      if (!(fuse_unk_ && !symbols->empty() && symbols->back() == unk)) symbols->push_back(unk);
    }
  }
}

// Merges the adjacent pair of lowest rank (leftmost on ties) until no pair has a rank, as tokenizers' Word::merge_all
// does: the candidate pairs wait in a heap ordered by (rank, position), so a piece of n symbols costs O(n log n)
// rather than a rescan of every pair after each merge (quadratic: minutes on a 100 kB title without spaces).
void BpeTokenizer::merge_symbols(std::vector<std::string>* symbols) const {
  const int n = static_cast<int>(symbols->size());
  if (n < 2) return;
  auto& text = *symbols;
  std::vector<int> prev(static_cast<size_t>(n)), next(static_cast<size_t>(n));
  std::vector<uint32_t> version(static_cast<size_t>(n), 0);  // bumped when a symbol grows or is absorbed: older heap entries lapse
  for (int i = 0; i < n; ++i) prev[size_t(i)] = i - 1, next[size_t(i)] = i + 1 < n ? i + 1 : -1;
  struct Candidate {
    int rank, left, right;
    uint32_t left_version, right_version;
    bool operator>(const Candidate& o) const { return std::tie(rank, left) > std::tie(o.rank, o.left); }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> heap;
  auto push = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    auto it = merge_rank_.find(merge_key(text[size_t(left)], text[size_t(right)]));
    if (it != merge_rank_.end())
      heap.push({it->second, left, right, version[size_t(left)], version[size_t(right)]});
  };
  for (int i = 0; i + 1 < n; ++i) push(i, i + 1);
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    const auto l = size_t(c.left), r = size_t(c.right);
    if (next[l] != c.right || version[l] != c.left_version || version[r] != c.right_version) continue;  // stale
    text[l] += text[r];
    text[r].clear();
    ++version[l];
    ++version[r];
    next[l] = next[r];
    if (next[r] >= 0) prev[size_t(next[r])] = c.left;
    next[r] = -2;  // absorbed
    push(prev[l], c.left);
    push(c.left, next[l]);
  }
  size_t kept = 0;
  for (int i = 0; i >= 0; i = next[size_t(i)], ++kept)
    if (kept != size_t(i)) text[kept] = std::move(text[size_t(i)]);
  text.resize(kept);
}

void BpeTokenizer::encode_piece(const std::string& piece, std::vector<int64_t>* ids) const {
  if (ignore_merges_) {
    std::string mapped;
    if (byte_level_)
      for (unsigned char b : piece) mapped += byte_to_char_[b];
    auto it = vocab_.find(byte_level_ ? mapped : piece);
    if (it != vocab_.end()) {
      ids->push_back(it->second);
      return;
    }
  }
  std::vector<std::string> symbols;
  initial_symbols(piece, &symbols);
  merge_symbols(&symbols);
  for (const auto& s : symbols) {
    auto it = vocab_.find(s);
    DELREC_CHECK(it != vocab_.end(), "{}: BPE produced \"{}\", which is not in the vocabulary (corrupt tokenizer?)",
                 source_, s);
    ids->push_back(it->second);
  }
}

std::vector<int64_t> BpeTokenizer::encode(const std::string& text, bool add_special) const {
  std::vector<int64_t> ids(add_special ? prefix_ : std::vector<int64_t>{});
  // Cut out added tokens, leftmost then longest first; split and BPE-encode the text between them.
  size_t start = 0, pos = 0;
  while (pos <= text.size()) {
    const AddedToken* hit = nullptr;
    if (pos < text.size()) {
      for (const auto& t : added_)
        if (!t.content.empty() && text.compare(pos, t.content.size(), t.content) == 0 &&
            (!hit || t.content.size() > hit->content.size()))
          hit = &t;
    }
    if (hit || pos == text.size()) {
      const std::string segment = normalizer_.apply(text.substr(start, pos - start));
      for (const auto& piece : pre_.split(segment, /*at_start=*/start == 0)) encode_piece(piece, &ids);
      if (!hit) break;
      ids.push_back(hit->id);
      pos += hit->content.size();
      start = pos;
    } else {
      ++pos;
    }
  }
  if (add_special) ids.insert(ids.end(), suffix_.begin(), suffix_.end());
  return ids;
}

std::string BpeTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::vector<std::string> tokens;
  for (int64_t id : ids) {
    DELREC_CHECK(id >= 0 && id < vocab_size() && !id_to_token_[id].empty(),
                 "token id {} is outside the vocabulary of {} ({})", id, vocab_size(), source_);
    if (!is_special_[id]) tokens.push_back(id_to_token_[id]);
  }
  if (has_decoder_) return decoder_.decode(std::move(tokens));
  std::string text;  // no decoder: tokenizers joins the tokens with spaces
  for (size_t i = 0; i < tokens.size(); ++i) text += (i ? " " : "") + tokens[i];
  return text;
}

}  // namespace delrec::llm
