#include <gtest/gtest.h>

#include <fstream>

#include "core/data/readers/readers.h"
#include "core/util/error.h"
#include "tests/test_support.h"

namespace delrec::data {
namespace {

TEST(MovieLensCsvReader, ReadsHalfStarRatingsAndQuotedTitles) {
  RawData raw = read_movielens_csv(test::test_data_dir() / "ml-csv-tiny");
  ASSERT_EQ(raw.interactions.size(), 6u);
  EXPECT_EQ(raw.interactions[0].rating, 3.5f);
  EXPECT_EQ(raw.interactions[0].timestamp, 1112486027);  // CRLF line endings are accepted
  EXPECT_EQ(raw.titles.at("2"), "Jumanji (1995)");
  EXPECT_EQ(raw.titles.at("29"), "City of Lost Children, The (Cit\xC3\xA9 des enfants perdus, La) (1995)");
  EXPECT_EQ(raw.titles.at("32"), "Twelve Monkeys (a.k.a. \"12 Monkeys\") (1995)");
}

TEST(MovieLensCsvReader, UnclosedQuoteIsReportedWithLine) {
  test::TempDir dir;
  std::ofstream(dir / "ratings.csv") << "userId,movieId,rating,timestamp\n1,2,3.5,1\n";
  std::ofstream(dir / "movies.csv") << "movieId,title,genres\n2,A,Drama\n3,\"B (1999),Drama\n";
  std::string msg = test::error_message([&] { read_movielens_csv(dir.path()); });
  EXPECT_NE(msg.find("movies.csv:3: unclosed quote"), std::string::npos) << msg;
}

TEST(MovieLensCsvReader, MissingHeaderIsReported) {
  test::TempDir dir;
  std::ofstream(dir / "ratings.csv") << "1,2,3.5,1\n";
  std::ofstream(dir / "movies.csv") << "movieId,title,genres\n";
  std::string msg = test::error_message([&] { read_movielens_csv(dir.path()); });
  EXPECT_NE(msg.find("ratings.csv:1: expected the header"), std::string::npos) << msg;
}

}  // namespace
}  // namespace delrec::data
