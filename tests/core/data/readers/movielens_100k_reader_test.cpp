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

// MovieLens ids are 1, 2, ...: anything else in u.data or u.item is a damaged file, not a new user or item.
TEST(MovieLens100kReader, IdsThatAreNotPositiveIntegersAreRefused) {
  test::TempDir dir;
  for (const char* data : {"1\t2\t5\t100\n-3\t2\t4\t200\n", "1\t2\t5\t100\n3\t2x\t4\t200\n",
                           "1\t2\t5\t100\n3\t0\t4\t200\n"}) {
    std::ofstream(dir / "u.data") << data;
    std::ofstream(dir / "u.item") << "2|A|\n";
    std::string msg = test::error_message([&] { read_movielens_100k(dir.path()); });
    EXPECT_NE(msg.find("u.data:2: "), std::string::npos) << msg;
    EXPECT_NE(msg.find("is not a positive integer"), std::string::npos) << msg;
  }
  std::ofstream(dir / "u.data") << "1\t2\t5\t100\n";
  std::ofstream(dir / "u.item") << "2|A|\nabc|B|\n";
  std::string msg = test::error_message([&] { read_movielens_100k(dir.path()); });
  EXPECT_NE(msg.find("u.item:2: item id 'abc' is not a positive integer"), std::string::npos) << msg;
}

// A rated item without a line in u.item would get no title (and a prompt naming nothing): refused.
TEST(MovieLens100kReader, RatedItemsMissingFromUItemAreRefused) {
  test::TempDir dir;
  std::ofstream(dir / "u.data") << "1\t2\t5\t100\n1\t7\t4\t200\n1\t9\t4\t300\n";
  std::ofstream(dir / "u.item") << "2|A|\n";
  std::string msg = test::error_message([&] { read_movielens_100k(dir.path()); });
  EXPECT_EQ(msg, (dir / "u.item").string() + ": 2 rated items have no line here (the first is item 7); the ratings "
                 "and the titles come from different downloads: unzip both from the same archive");
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
