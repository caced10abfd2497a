#include <gtest/gtest.h>

#include <fstream>

#include "core/data/readers/readers.h"
#include "core/util/error.h"
#include "tests/test_support.h"

namespace delrec::data {
namespace {

TEST(MovieLens1mReader, ReadsRatingsAndTitles) {
  RawData raw = read_movielens_1m(test::test_data_dir() / "ml-1m-tiny");
  ASSERT_EQ(raw.interactions.size(), 6u);
  EXPECT_EQ(raw.users.keys(), (std::vector<std::string>{"10", "20"}));
  const RawInteraction& last = raw.interactions.back();
  EXPECT_EQ(raw.users.keys()[last.user], "20");
  EXPECT_EQ(raw.items.keys()[last.item], "2");
  EXPECT_EQ(last.rating, 5.0f);
  EXPECT_EQ(last.timestamp, 978300702);
  EXPECT_EQ(raw.titles.at("2"), "Star Wars: Episode IV - A New Hope (1977)");  // ':' inside a title is kept
  EXPECT_EQ(raw.titles.at("3"), "Mis\xC3\xA9rables, Les (1995)");              // Latin-1 converted
}

TEST(MovieLens1mReader, MalformedLineNamesFileAndLine) {
  test::TempDir dir;
  std::ofstream(dir / "ratings.dat") << "1::1::5::978300760\n1::2::5::978300761\n1::3::4\n";
  std::ofstream(dir / "movies.dat") << "1::A::Drama\n";
  std::string msg = test::error_message([&] { read_movielens_1m(dir.path()); });
  EXPECT_NE(msg.find("ratings.dat:3: expected 4 '::'-separated fields"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'1::3::4'"), std::string::npos) << msg;
}

TEST(MovieLens1mReader, BadTimestampIsReported) {
  test::TempDir dir;
  std::ofstream(dir / "ratings.dat") << "1::1::5::97830x760\n";
  std::ofstream(dir / "movies.dat") << "1::A::Drama\n";
  std::string msg = test::error_message([&] { read_movielens_1m(dir.path()); });
  EXPECT_NE(msg.find("ratings.dat:1: timestamp '97830x760' is not an integer"), std::string::npos) << msg;
}

}  // namespace
}  // namespace delrec::data
