#include "core/delrec/prompt.h"

#include <gtest/gtest.h>

#include <sstream>

#include "core/util/error.h"

namespace delrec::prompt {
namespace {

int64_t count_words(const std::string& text) {
  std::istringstream in(text);
  std::string w;
  int64_t n = 0;
  while (in >> w) ++n;
  return n;
}

Fields example() {
  Fields f;
  f.teacher = "SASRec";
  f.history = {"Heat (1995)", "Fargo (1996)", "Toy Story (1995)"};
  f.candidates = {"Babe (1995)", "Casino (1995)", "Up (2009)"};
  f.next = "Jumanji (1995)";
  return f;
}

TEST(Prompt, RecommendTemplateExactText) {
  Prompt p = render(default_templates("movies").recommend, example(), Budget{}, count_words);
  EXPECT_EQ(p.before_soft, "The recommendation pattern of the SASRec model is: ");
  EXPECT_EQ(p.after_soft,
            "\nA user watched these movies, oldest first: \"Heat (1995)\", \"Fargo (1996)\", \"Toy Story (1995)\".\n"
            "Candidate movies:\nA. \"Babe (1995)\"\nB. \"Casino (1995)\"\nC. \"Up (2009)\"\n"
            "Referring to the recommendation pattern of the SASRec model, the candidate the user will watch next "
            "is:");
  EXPECT_EQ(p.history_used, 3u);
}

TEST(Prompt, TemporalTemplateExactText) {
  Prompt p = render(default_templates("games").temporal, example(), Budget{}, count_words);
  EXPECT_EQ(p.after_soft,
            "\nA user played these games, oldest first, with the most recent one hidden: \"Heat (1995)\", "
            "\"Fargo (1996)\", \"Toy Story (1995)\".\nRight after the hidden one, the user played \"Jumanji (1995)\".\n"
            "Candidate games:\nA. \"Babe (1995)\"\nB. \"Casino (1995)\"\nC. \"Up (2009)\"\n"
            "The candidate the user played right before \"Jumanji (1995)\" is:");
}

TEST(Prompt, HistoryCutToMostRecentItems) {
  Prompt p = render("{soft_prompt}{history}", example(), Budget{2, 0, 0}, count_words);
  EXPECT_EQ(p.after_soft, "\"Fargo (1996)\", \"Toy Story (1995)\"");
  EXPECT_EQ(p.history_used, 2u);
}

TEST(Prompt, TokenBudgetDropsOldestHistoryButNeverCandidates) {
  const std::string tmpl = "Pattern {soft_prompt} history: {history} candidates: {candidates} answer:";
  // Without history: "Pattern" (1) + `history: candidates: A. "Babe (1995)" B. "Casino (1995)" C. "Up (2009)"
  // answer:` (12) = 13 words, plus 4 reserved = 17. The two most recent titles add 2 + 3 words: budget 22.
  Prompt p = render(tmpl, example(), Budget{50, 22, 4}, count_words);
  EXPECT_EQ(p.history_used, 2u);
  EXPECT_NE(p.after_soft.find("\"Fargo (1996)\", \"Toy Story (1995)\""), std::string::npos);
  EXPECT_EQ(p.after_soft.find("Heat"), std::string::npos);
  EXPECT_NE(p.after_soft.find("C. \"Up (2009)\""), std::string::npos);
  EXPECT_EQ(count_words(p.before_soft) + count_words(p.after_soft) + 4, 22);

  try {
    render(tmpl, example(), Budget{50, 14, 4}, count_words);
    FAIL() << "expected the budget error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("17 tokens > budget 14"), std::string::npos) << e.what();
  }
}

TEST(Prompt, TemplateErrorsAndLabels) {
  EXPECT_THROW(render("no slot {history}", example(), Budget{}, count_words), Error);
  EXPECT_THROW(render("{soft_prompt}{soft_prompt}", example(), Budget{}, count_words), Error);
  EXPECT_THROW(default_templates("books"), Error);
  EXPECT_EQ(candidate_labels(3), (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ(candidate_labels(27).back(), "27");
}

}  // namespace
}  // namespace delrec::prompt
