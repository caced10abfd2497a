#pragma once
// Recipe section `prompt`: how examples become text (core/delrec/prompt.h) and how candidates are scored.
#include <cstdint>
#include <string>

#include "core/config/schema.h"

namespace delrec::config {

struct PromptConfig {
  std::string domain = "movies";   // default templates: movies, products or games
  std::string recommend;           // stage 2 / evaluation template; empty = the domain's default
  std::string rps;                 // RPS template; empty = the domain's default
  std::string temporal;            // TA template; empty = the domain's default
  int64_t max_history_items = 10;  // most recent history items shown
  int64_t token_budget = 0;        // whole prompt in tokens incl. soft prompt and answer; 0 = unlimited
  std::string scoring = "likelihood";  // likelihood: mean log-prob of each title; label: logit of its letter

  void describe(Schema& s) {
    s.choice("domain", domain, {"movies", "products", "games"}, "default templates");
    s.field("recommend", recommend, "recommendation template (stage 2, evaluation); empty = the domain's default; "
                                    "placeholders {teacher} {soft_prompt} {history} {candidates}");
    s.field("rps", rps, "pattern-simulation template (stage 1 RPS); empty = the domain's default; adds "
                        "{teacher_ranks}");
    s.field("temporal", temporal, "temporal-analysis template (stage 1 TA); empty = the domain's default; adds "
                                  "{next} {demo_history} {demo_hidden} {demo_next}");
    s.field("max_history_items", max_history_items, "most recent history items shown", between(1, 10000));
    s.field("token_budget", token_budget,
            "whole prompt in tokens (soft prompt and longest answer included); 0 = unlimited; oldest history "
            "items are dropped first", between(0, 1e7));
    s.choice("scoring", scoring, {"likelihood", "label"},
             "likelihood: length-normalised log-likelihood of each candidate title after the prompt; label: the "
             "logit of the candidate's letter at the answer position");
  }
};

}  // namespace delrec::config
