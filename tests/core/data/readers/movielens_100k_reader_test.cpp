#include <gtest/gtest.h>

#include <fstream>

#include "core/data/readers/readers.h"
#include "core/util/error.h"
#include "tests/test_support.h"

namespace delrec::data {
namespace {

TEST(MovieLens100kReader, ReadsRatingsAndLatin1Titles) {
  RawData raw = read_movielens_100k(test::test_data_dir() / "ml-100k-tiny");
  ASSERT_EQ(raw.interactions.size(), 9u);
  EXPECT_EQ(raw.users.size(), 3u);
  EXPECT_EQ(raw.items.size(), 5u);
  const RawInteraction& first = raw.interactions[0];
  EXPECT_EQ(raw.users.keys()[first.user], "1");
  EXPECT_EQ(raw.items.keys()[first.item], "1");
  EXPECT_EQ(first.rating, 5.0f);
  EXPECT_EQ(first.timestamp, 100);
  ASSERT_EQ(raw.titles.size(), 5u);
  EXPECT_EQ(raw.titles.at("1"), "Toy Story (1995)");
  EXPECT_EQ(raw.titles.at("3"), "Caf\xC3\xA9 Society (1995)");  // 0xE9 in Latin-1 is U+00E9
}

TEST(MovieLens100kReader, AcceptsOneOfItsFilesAsSource) {
  RawData raw = read_movielens_100k(test::test_data_dir() / "ml-100k-tiny" / "u.data");
  EXPECT_EQ(raw.interactions.size(), 9u);
}

TEST(MovieLens100kReader, MalformedLineNamesFileLineAndText) {
  test::TempDir dir;
  std::ofstream(dir / "u.data") << "1\t2\t5\t100\n1\t3\tfive\t200\n";
  std::ofstream(dir / "u.item") << "2|A|\n3|B|\n";
  std::string msg = test::error_message([&] { read_movielens_100k(dir.path()); });
  EXPECT_NE(msg.find("u.data:2:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("rating 'five' is not a number"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'1\t3\tfive\t200'"), std::string::npos) << msg;
}

TEST(MovieLens100kReader, WrongFieldCountIsReported) {
  test::TempDir dir;
  std::ofstream(dir / "u.data") << "1\t2\t5\n";
  std::ofstream(dir / "u.item") << "2|A|\n";
  std::string msg = test::error_message([&] { read_movielens_100k(dir.path()); });
  EXPECT_NE(msg.find("u.data:1: expected 4 tab-separated fields"), std::string::npos) << msg;
}

TEST(MovieLens100kReader, MissingFileGivesPathAndHint) {
  test::TempDir dir;
  std::ofstream(dir / "u.data") << "1\t2\t5\t100\n";
  std::string msg = test::error_message([&] { read_movielens_100k(dir.path()); });
  EXPECT_NE(msg.find((dir / "u.item").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("no such file"), std::string::npos) << msg;
  EXPECT_NE(msg.find("grouplens.org"), std::string::npos) << msg;
}

}  // namespace
}  // namespace delrec::data
