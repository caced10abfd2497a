#pragma once
// DELRec prompts: natural-language templates filled with item titles, the teacher's name and one soft-prompt slot.
//
// A template may use these placeholders (each at most once, {soft_prompt} exactly once):
//   {teacher}      the conventional model whose pattern the soft prompt carries, e.g. "SASRec"
//   {soft_prompt}  where the n trainable soft-prompt vectors go; the text is split there
//   {history}      the user's history titles, oldest first: "Title 1", "Title 2", ...
//   {candidates}   one line per candidate: `A. "Title"` (labels A..Z, or 1..C above 26 candidates)
//   {next}         temporal analysis only: the known item that followed the hidden one
//   {demo_history} {demo_hidden} {demo_next}
//                  temporal analysis only: the in-context demonstration on the user's first items (shown titles,
//                  the hidden one's title as its answer, the known next title)
//   {teacher_ranks} RPS only: the teacher's candidates ranked 2, 3, ... as a sentence ending in a newline, or
//                  nothing when stage1.rps.show_ranks is off
// The answer slot is the end of the template: scoring reads what the model predicts after it.
//
// Truncation (never drops candidates or the answer slot): the history is first cut to `max_history_items` most
// recent items, then the oldest items are dropped one by one until the whole prompt fits `token_budget`.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace delrec::prompt {

struct Templates {
  std::string recommend;  // stage 2 and evaluation: which candidate comes next
  std::string rps;        // RPS: which candidate the teacher recommends
  std::string temporal;   // TA: which candidate came right before {next}, after the demonstration
  std::string temporal_plain;  // TA without a demonstration (stage1.ta.demonstration_items = 0)
};

// Defaults per domain: "movies", "products" or "games" (anything else is a delrec::Error listing them), in the
// wording of the DELRec authors' templates (their LSR, RPS and TA prompts), ending at the answer slot.

Templates default_templates(const std::string& domain);

// Labels of C candidates: "A".."Z" when C <= 26, else "1".."C".
std::vector<std::string> candidate_labels(size_t count);

struct Fields {
  std::string teacher;
  std::vector<std::string> history;     // titles, oldest first
  std::vector<std::string> candidates;  // titles, in the order shown
  std::string next;                     // TA only
  std::vector<std::string> demo_history;  // TA only: the demonstration's shown titles
  std::string demo_hidden, demo_next;     // TA only
  std::vector<std::string> teacher_ranks; // RPS only, with show_ranks: the teacher's ranks 2, 3, ...
};

struct Prompt {
  std::string before_soft;  // text before the soft-prompt slot
  std::string after_soft;   // text after it, ending at the answer slot
  size_t history_used = 0;  // history items kept after truncation (the most recent ones)
};

// Counts the tokens of a text (the backbone's tokenizer); the soft prompt's n tokens are added by the caller
// through `reserved_tokens`.
using TokenCounter = std::function<int64_t(const std::string&)>;

struct Budget {
  int64_t max_history_items = 50;  // keep at most this many most-recent history items
  int64_t token_budget = 0;        // 0 = unlimited; else before_soft + after_soft + reserved_tokens must fit
  int64_t reserved_tokens = 0;     // soft-prompt tokens and the longest answer
};

// Fills `tmpl`. Throws delrec::Error when the template lacks {soft_prompt} or when even an empty history does
// not fit the budget (then the message gives the sizes and says to raise the budget or shorten titles).
Prompt render(const std::string& tmpl, const Fields& fields, const Budget& budget, const TokenCounter& count_tokens);

}  // namespace delrec::prompt
