#pragma once
// Examples -> token ids: fills the recipe's templates (prompt.h) with titles and tokenises the text on both sides
// of the soft-prompt slot, plus what the scorer needs (each candidate's title tokens, or the label tokens).
// Each example is tokenised once; later epochs and validations reuse the stored ids.
//
//   before   BOS + text before {soft_prompt}
//   after    text after it, ending at the answer slot
//   answers  likelihood scoring: the ids of " <title>" for each shown candidate; label scoring: none (the label
//            ids " A", " B", ... are the same for every example: label_ids())
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/config/prompt_config.h"
#include "core/data/dataset.h"
#include "core/delrec/examples.h"
#include "core/delrec/prompt.h"
#include "core/llm/tokenizer.h"

namespace delrec::prompt {

enum class Task { kRecommend, kRps, kTemporal };
enum class Scoring { kLikelihood, kLabel };

struct TokenizedExample {
  std::vector<int64_t> before, after;
  std::vector<std::vector<int64_t>> answers;  // likelihood scoring only, one per shown candidate
  int64_t history_used = 0;
};

// "SASRec", "GRU4Rec", "Caser" for the recipe's teacher.model.
std::string teacher_display_name(const std::string& model);

class PromptEncoder {
 public:
  // soft_tokens: the soft prompt's length (counted in the token budget; 0 for the ablation without soft prompt).
  PromptEncoder(const config::PromptConfig& config, const std::string& teacher_model, int64_t soft_tokens,
                const llm::Tokenizer& tokenizer, const data::Dataset& dataset, int64_t num_candidates);

  Scoring scoring() const { return scoring_; }
  // Label scoring: the id of " A", " B", ... (one token each, checked at construction).
  const std::vector<int64_t>& label_ids() const { return label_ids_; }

  // The filled template as text (for logs, docs and tests).
  Prompt render(const examples::Example& example, Task task) const;
  TokenizedExample encode(const examples::Example& example, Task task) const;

 private:
  Templates templates_;
  std::string teacher_;
  Budget budget_;
  Scoring scoring_;
  const llm::Tokenizer& tokenizer_;
  const data::Dataset& dataset_;
  std::vector<int64_t> label_ids_;
};

// Memoised encodings of a fixed list of examples (thread-compatible, not thread-safe). With `fill`, each example
// is completed by fill(example) before its first encoding (examples::CacheExamples: read from the teacher cache
// only when used).
class EncodedExamples {
 public:
  using Fill = std::function<void(examples::Example&)>;
  EncodedExamples(const PromptEncoder& encoder, const std::vector<examples::Example>& examples, Task task)
      : encoder_(encoder), examples_(examples), task_(task), cache_(examples.size()) {}
  EncodedExamples(const PromptEncoder& encoder, std::vector<examples::Example>& examples, Task task, Fill fill)
      : encoder_(encoder), examples_(examples), mutable_examples_(&examples), task_(task), cache_(examples.size()),
        fill_(std::move(fill)) {}
  const TokenizedExample& at(size_t i);
  // Example i, completed (at(i) has run).
  const examples::Example& example(size_t i) {
    at(i);
    return examples_.at(i);
  }
  size_t size() const { return examples_.size(); }

 private:
  const PromptEncoder& encoder_;
  const std::vector<examples::Example>& examples_;
  std::vector<examples::Example>* mutable_examples_ = nullptr;  // set with fill_
  Task task_;
  std::vector<std::optional<TokenizedExample>> cache_;
  Fill fill_;
};

}  // namespace delrec::prompt
