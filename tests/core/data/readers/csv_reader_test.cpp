#include <gtest/gtest.h>

#include <fstream>

#include "core/data/readers/readers.h"
#include "core/util/error.h"
#include "tests/test_support.h"

namespace delrec::data {
namespace {

TEST(CsvReader, ReadsWithHeaders) {
  RawData raw = read_csv(test::test_data_dir() / "csv-tiny");
  ASSERT_EQ(raw.interactions.size(), 6u);
  EXPECT_EQ(raw.users.keys(), (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(raw.items.keys()[raw.interactions[0].item], "apple");
  EXPECT_EQ(raw.interactions[0].timestamp, 3);
  EXPECT_EQ(raw.interactions[0].rating, 1.0f);  // implicit feedback without a rating column
  EXPECT_EQ(raw.titles.at("pear"), "Pear, Williams");
  EXPECT_EQ(raw.titles.size(), 4u);
}

TEST(CsvReader, HeadersAreOptionalAndRatingColumnIsRead) {
  test::TempDir dir;
  std::ofstream(dir / "interactions.csv") << "u1,i1,10,4.5\nu1,i2,11,2\n";
  std::ofstream(dir / "items.csv") << "i1,First\ni2,\"Second, with comma\"\n";
  RawData raw = read_csv(dir / "interactions.csv");
  ASSERT_EQ(raw.interactions.size(), 2u);
  EXPECT_EQ(raw.interactions[0].rating, 4.5f);
  EXPECT_EQ(raw.interactions[1].rating, 2.0f);
  EXPECT_EQ(raw.titles.at("i1"), "First");
  EXPECT_EQ(raw.titles.at("i2"), "Second, with comma");
}

TEST(CsvReader, NonIntegerTimestampIsReported) {
  test::TempDir dir;
  std::ofstream(dir / "interactions.csv") << "user,item,timestamp\nu1,i1,10\nu1,i2,2024-01-01\n";
  std::ofstream(dir / "items.csv") << "i1,First\n";
  std::string msg = test::error_message([&] { read_csv(dir.path()); });
  EXPECT_NE(msg.find("interactions.csv:3: timestamp '2024-01-01' is not an integer"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'u1,i2,2024-01-01'"), std::string::npos) << msg;
}

}  // namespace
}  // namespace delrec::data
