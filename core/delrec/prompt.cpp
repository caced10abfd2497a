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
    const char* items;  // plural noun
    const char* verb;   // past tense of the interaction
  };
  Words w;
  if (domain == "movies") w = {"movies", "watched"};
  else if (domain == "products") w = {"products", "bought"};
  else if (domain == "games") w = {"games", "played"};
  else throw Error(fmt::format("unknown prompt domain '{}' (use movies, products or games)", domain));
  const std::string pattern = "The recommendation pattern of the {teacher} model is: {soft_prompt}\n";
  Templates t;
  t.recommend = pattern + fmt::format(
                              "A user {1} these {0}, oldest first: {{history}}.\n"
                              "Candidate {0}:\n{{candidates}}\n"
                              "Referring to the recommendation pattern of the {{teacher}} model, the candidate the "
                              "user will {2} next is:",
                              w.items, w.verb, domain == "movies" ? "watch" : domain == "products" ? "buy" : "play");
  t.temporal = pattern + fmt::format(
                             "A user {1} these {0}, oldest first, with the most recent one hidden: {{history}}.\n"
                             "Right after the hidden one, the user {1} \"{{next}}\".\n"
                             "Candidate {0}:\n{{candidates}}\n"
                             "The candidate the user {1} right before \"{{next}}\" is:",
                             w.items, w.verb);
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
