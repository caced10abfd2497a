#pragma once
// The pre-tokenizer of a Hugging Face tokenizer.json: a sequence of steps, each splitting every piece of text the
// previous steps left (as the tokenizers library does), before BPE runs on each piece:
//   Split     {pattern: {Regex}, behavior: Isolated}   a pattern split_pattern.h implements (Llama 3, Qwen2, GPT-2)
//   Digits    {individual_digits}                      numbers cut out: every digit alone, or runs of digits
//   ByteLevel {add_prefix_space, use_regex}            a space put before each piece that does not start with one;
//                                                      GPT-2's split pattern over each piece
//   Metaspace {replacement, prepend_scheme, split}     spaces become the replacement ("▁"), which is put in front
//                                                      of every piece (always), of the text's first piece (first)
//                                                      or nowhere (never); with split, a new piece starts at each
//                                                      replacement (Llama 2 / Mistral tokenizer.json)
//   Sequence  {pretokenizers: [...]}                   the steps in order
// ByteLevel's byte-to-character mapping is applied by the BPE model (bpe_tokenizer.h). Other steps are refused by
// name, as are options that change the split (Split with invert or another behavior).
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "core/llm/split_pattern.h"

namespace delrec::llm {

class PreTokenizer {
 public:
  // `spec` is tokenizer.json's "pre_tokenizer"; errors name `source` and the step.
  static PreTokenizer from_json(const nlohmann::json& spec, const std::string& source);

  // The pieces of `text` (no empty ones), in order. `at_start`: `text` begins the input (no added token before
  // it), which Metaspace's "first" prepend scheme asks.
  std::vector<std::string> split(const std::string& text, bool at_start = true) const;
  // Whether a ByteLevel step is present (the BPE vocabulary is then over GPT-2's byte characters).
  bool byte_level() const { return byte_level_; }

 private:
  struct Step {
    enum class Kind { kSplit, kDigits, kByteLevel, kMetaspace } kind = Kind::kSplit;
    std::optional<SplitPattern> pattern;  // kSplit, and kByteLevel with use_regex
    bool individual_digits = false;       // kDigits
    bool add_prefix_space = false;        // kByteLevel; kMetaspace: prepend to every piece ("always")
    bool prepend_first = false;           // kMetaspace: prepend to the input's first piece only ("first")
    bool split = true;                    // kMetaspace
    std::string replacement;              // kMetaspace
  };
  static Step parse_step(const nlohmann::json& step, const std::string& source);
  static void apply(const Step& step, const std::string& piece, bool first, std::vector<std::string>* out);

  std::vector<Step> steps_;
  bool byte_level_ = false;
};

}  // namespace delrec::llm
