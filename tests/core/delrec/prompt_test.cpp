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

// The defaults follow the DELRec authors' LSR, TA and RPS prompts (docs/delrec.md), the soft prompt right after
// "The recommendation pattern of the <teacher> model is:".
TEST(Prompt, RecommendTemplateExactText) {
  Prompt p = render(default_templates("movies").recommend, example(), Budget{}, count_words);
  EXPECT_EQ(p.before_soft,
            "Refer to the recommendation pattern of the SASRec model to predict the next movie that the user might "
            "watch from the candidate set based on the user's movie viewing history. The recommendation pattern of "
            "the SASRec model is: ");
  EXPECT_EQ(p.after_soft,
            ". The movie viewing history of the user is: \"Heat (1995)\", \"Fargo (1996)\", \"Toy Story (1995)\". "
            "The candidate set is:\nA. \"Babe (1995)\"\nB. \"Casino (1995)\"\nC. \"Up (2009)\"\n"
            "The next movie the user will watch might be:");
  EXPECT_EQ(p.history_used, 3u);
}

TEST(Prompt, TemporalTemplateWithDemonstrationExactText) {
  Fields f = example();
  f.demo_history = {"Alien (1979)"};
  f.demo_hidden = "Brazil (1985)";
  f.demo_next = "Clue (1985)";
  Prompt p = render(default_templates("games").temporal, f, Budget{}, count_words);
  EXPECT_EQ(p.before_soft,
            "Simulate the recommendation pattern of the SASRec model to make a temporal analysis of the SASRec model "
            "by analysing the most recent game in the user's game playing history from the candidate set. The "
            "recommendation pattern of the SASRec model is: ");
  EXPECT_EQ(p.after_soft,
            ". The candidate set is:\nA. \"Babe (1995)\"\nB. \"Casino (1995)\"\nC. \"Up (2009)\"\n"
            "The user has already played \"Alien (1979)\", [game M]. Then, the next game the user plans to play is "
            "\"Clue (1985)\". The most recent game [game M] in the user's game playing history is \"Brazil (1985)\". "
            "After that, the user has also played \"Heat (1995)\", \"Fargo (1996)\", \"Toy Story (1995)\", "
            "[game X]. Then, the next game the user plans to play is \"Jumanji (1995)\". The most recent game "
            "[game X] in the user's game playing history is:");
  // Without a demonstration the question alone.
  Prompt plain = render(default_templates("games").temporal_plain, example(), Budget{}, count_words);
  EXPECT_EQ(plain.after_soft.find("[game M]"), std::string::npos);
  EXPECT_NE(plain.after_soft.find("\nThe user has played \"Heat (1995)\""), std::string::npos) << plain.after_soft;
}

TEST(Prompt, RpsTemplateListsTheTeachersNextRanksOnlyWhenGiven) {
  Fields f = example();
  Prompt p = render(default_templates("products").rps, f, Budget{}, count_words);
  EXPECT_EQ(p.after_soft,
            ". The item purchasing history of the user is: \"Heat (1995)\", \"Fargo (1996)\", \"Toy Story (1995)\". "
            "The candidate set is:\nA. \"Babe (1995)\"\nB. \"Casino (1995)\"\nC. \"Up (2009)\"\n"
            "The next item the user will purchase (predicted by the SASRec model) might be:");
  f.teacher_ranks = {"Casino (1995)", "Up (2009)"};
  p = render(default_templates("products").rps, f, Budget{}, count_words);
  EXPECT_NE(p.after_soft.find("C. \"Up (2009)\"\nAfter its first choice, the SASRec model recommends, in order: "
                              "\"Casino (1995)\", \"Up (2009)\".\nThe next item"),
            std::string::npos) << p.after_soft;
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
