#include "core/delrec/prompt_encoder.h"

#include <algorithm>

#include "core/util/error.h"

namespace delrec::prompt {

std::string teacher_display_name(const std::string& model) {
  if (model == "sasrec") return "SASRec";
  if (model == "gru4rec") return "GRU4Rec";
  if (model == "caser") return "Caser";
  return model;
}

PromptEncoder::PromptEncoder(const config::PromptConfig& config, const std::string& teacher_model,
                             int64_t soft_tokens, const llm::Tokenizer& tokenizer, const data::Dataset& dataset,
                             int64_t num_candidates)
    : templates_(default_templates(config.domain)),
      teacher_(teacher_display_name(teacher_model)),
      scoring_(config.scoring == "label" ? Scoring::kLabel : Scoring::kLikelihood),
      tokenizer_(tokenizer),
      dataset_(dataset) {
  if (!config.recommend.empty()) templates_.recommend = config.recommend;
  if (!config.rps.empty()) templates_.rps = config.rps;
  if (!config.temporal.empty()) templates_.temporal = templates_.temporal_plain = config.temporal;
  budget_.max_history_items = config.max_history_items;
  budget_.token_budget = config.token_budget;
  // The soft prompt and the longest possible answer must fit next to the text (only counted under a budget:
  // measuring the longest answer tokenises every title of the catalogue).
  int64_t answer = 1;
  if (scoring_ == Scoring::kLikelihood && budget_.token_budget > 0)
    for (size_t i = 1; i < dataset.item_titles.size(); ++i)
      answer = std::max<int64_t>(answer, static_cast<int64_t>(tokenizer.encode(" " + dataset.item_titles[i], false).size()));
  budget_.reserved_tokens = soft_tokens + answer;
  if (scoring_ == Scoring::kLabel) {
    for (const auto& label : candidate_labels(static_cast<size_t>(num_candidates))) {
      const auto ids = tokenizer.encode(" " + label, false);
      DELREC_CHECK(ids.size() == 1, "prompt.scoring: label scoring needs one token per candidate label, but this "
                   "tokenizer splits \" {}\" into {} tokens; use prompt.scoring=likelihood", label, ids.size());
      label_ids_.push_back(ids[0]);
    }
  }
}

Prompt PromptEncoder::render(const examples::Example& e, Task task) const {
  Fields f;
  f.teacher = teacher_;
  for (int64_t item : e.history) f.history.push_back(dataset_.item_titles.at(item));
  for (int64_t item : e.candidates) f.candidates.push_back(dataset_.item_titles.at(item));
  const std::string* tmpl = &templates_.recommend;
  if (task == Task::kTemporal) {
    f.next = dataset_.item_titles.at(e.next_item);
    tmpl = e.demo_hidden > 0 ? &templates_.temporal : &templates_.temporal_plain;
    for (int64_t item : e.demo_history) f.demo_history.push_back(dataset_.item_titles.at(item));
    if (e.demo_hidden > 0) {
      f.demo_hidden = dataset_.item_titles.at(e.demo_hidden);
      f.demo_next = dataset_.item_titles.at(e.demo_next);
    }
  } else if (task == Task::kRps) {
    tmpl = &templates_.rps;
    for (int64_t item : e.teacher_ranks) f.teacher_ranks.push_back(dataset_.item_titles.at(item));
  }
  auto count = [this](const std::string& text) { return static_cast<int64_t>(tokenizer_.encode(text, false).size()); };
  return prompt::render(*tmpl, f, budget_, count);
}

TokenizedExample PromptEncoder::encode(const examples::Example& e, Task task) const {
  const Prompt p = render(e, task);
  TokenizedExample t;
  t.before = tokenizer_.encode(p.before_soft, /*add_special=*/true);
  t.after = tokenizer_.encode(p.after_soft, false);
  t.history_used = static_cast<int64_t>(p.history_used);
  if (scoring_ == Scoring::kLikelihood)
    for (int64_t item : e.candidates) t.answers.push_back(tokenizer_.encode(" " + dataset_.item_titles.at(item), false));
  return t;
}

const TokenizedExample& EncodedExamples::at(size_t i) {
  auto& slot = cache_.at(i);
  if (!slot) {
    if (fill_) fill_((*mutable_examples_)[i]);
    slot = encoder_.encode(examples_[i], task_);
  }
  return *slot;
}

}  // namespace delrec::prompt
