#include "core/delrec/prompt.h"

#include "core/util/error.h"

namespace delrec::prompt {
namespace {

constexpr char kSoftSlot[] = "{soft_prompt}";

void replace_all(std::string& text, const std::string& key, const std::string& value) {
  for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size()))
    text.replace(at, key.size(), value);
}

std::string quoted_list(const std::vector<std::string>& titles, size_t first) {
  std::string out;
  for (size_t i = first; i < titles.size(); ++i) out += (i > first ? ", \"" : "\"") + titles[i] + "\"";
  return out;
}

std::string candidate_lines(const std::vector<std::string>& titles) {
  auto labels = candidate_labels(titles.size());
  std::string out;
  for (size_t i = 0; i < titles.size(); ++i) out += (i ? "\n" : "") + labels[i] + ". \"" + titles[i] + "\"";
  return out;
}

}  // namespace

Templates default_templates(const std::string& domain) {
  struct Words {
    const char* item;     // singular noun
    const char* verb;     // the interaction
    const char* past;     // its past tense
    const char* history;  // the history's name
  };
  Words w;
  if (domain == "movies") w = {"movie", "watch", "watched", "movie viewing history"};
  else if (domain == "products") w = {"item", "purchase", "purchased", "item purchasing history"};
  else if (domain == "games") w = {"game", "play", "played", "game playing history"};
  else throw Error(fmt::format("unknown prompt domain '{}' (use movies, products or games)", domain));
  // {0} item, {1} verb, {2} past, {3} history; doubled braces are the placeholders render() fills.
  const std::string pattern = "The recommendation pattern of the {{teacher}} model is: {{soft_prompt}}. ";
  Templates t;
  t.recommend = fmt::format(
      "Refer to the recommendation pattern of the {{teacher}} model to predict the next {0} that the user might {1} "
      "from the candidate set based on the user's {3}. " + pattern +
      "The {3} of the user is: {{history}}. The candidate set is:\n{{candidates}}\n"
      "The next {0} the user will {1} might be:",
      w.item, w.verb, w.past, w.history);
  t.rps = fmt::format(
      "Simulate the recommendation pattern of the {{teacher}} model to predict the next {0} that the user might {1} "
      "from the candidate set based on the user's {3}. " + pattern +
      "The {3} of the user is: {{history}}. The candidate set is:\n{{candidates}}\n{{teacher_ranks}}"
      "The next {0} the user will {1} (predicted by the {{teacher}} model) might be:",
      w.item, w.verb, w.past, w.history);
  const std::string ta_intro = fmt::format(
      "Simulate the recommendation pattern of the {{teacher}} model to make a temporal analysis of the {{teacher}} "
      "model by analysing the most recent {0} in the user's {3} from the candidate set. " + pattern +
      "The candidate set is:\n{{candidates}}\n",
      w.item, w.verb, w.past, w.history);
  const std::string ta_question = fmt::format(
      "{2} {{history}}, [{0} X]. Then, the next {0} the user plans to {1} is \"{{next}}\". "
      "The most recent {0} [{0} X] in the user's {3} is:",
      w.item, w.verb, w.past, w.history);
  t.temporal = ta_intro + fmt::format(
      "The user has already {2} {{demo_history}}, [{0} M]. Then, the next {0} the user plans to {1} is "
      "\"{{demo_next}}\". The most recent {0} [{0} M] in the user's {3} is \"{{demo_hidden}}\". After that, the user has also ",
      w.item, w.verb, w.past, w.history) + ta_question;
  t.temporal_plain = ta_intro + "The user has " + ta_question;
  return t;
}

std::vector<std::string> candidate_labels(size_t count) {
  std::vector<std::string> labels;
  for (size_t i = 0; i < count; ++i)
    labels.push_back(count <= 26 ? std::string(1, static_cast<char>('A' + i)) : std::to_string(i + 1));
  return labels;
}

Prompt render(const std::string& tmpl, const Fields& fields, const Budget& budget, const TokenCounter& count_tokens) {
  const size_t slot = tmpl.find(kSoftSlot);
  DELREC_CHECK(slot != std::string::npos && tmpl.find(kSoftSlot, slot + 1) == std::string::npos,
               "prompt template must contain {{soft_prompt}} exactly once: \"{}\"", tmpl);
  std::string filled = tmpl;
  replace_all(filled, "{teacher}", fields.teacher);
  replace_all(filled, "{next}", fields.next);
  replace_all(filled, "{demo_history}", quoted_list(fields.demo_history, 0));
  replace_all(filled, "{demo_hidden}", fields.demo_hidden);
  replace_all(filled, "{demo_next}", fields.demo_next);
  replace_all(filled, "{teacher_ranks}",
              fields.teacher_ranks.empty()
                  ? std::string()
                  : "After its first choice, the " + fields.teacher + " model recommends, in order: " +
                        quoted_list(fields.teacher_ranks, 0) + ".\n");
  replace_all(filled, "{candidates}", candidate_lines(fields.candidates));

  const size_t n = fields.history.size();
  size_t first = n - std::min<size_t>(n, static_cast<size_t>(std::max<int64_t>(0, budget.max_history_items)));
  for (;; ++first) {
    std::string text = filled;
    replace_all(text, "{history}", quoted_list(fields.history, first));
    const size_t at = text.find(kSoftSlot);
    Prompt p{text.substr(0, at), text.substr(at + sizeof(kSoftSlot) - 1), n - first};
    if (budget.token_budget <= 0) return p;
    const int64_t used = count_tokens(p.before_soft) + count_tokens(p.after_soft) + budget.reserved_tokens;
    if (used <= budget.token_budget) return p;
    DELREC_CHECK(first < n,
                 "prompt does not fit the token budget even without history: {} tokens > budget {} (raise the "
                 "token budget, or use fewer candidates or shorter titles)",
                 used, budget.token_budget);
  }
}

}  // namespace delrec::prompt
