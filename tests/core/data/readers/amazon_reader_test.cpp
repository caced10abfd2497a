#include <gtest/gtest.h>

#include <fstream>

#include "core/data/readers/readers.h"
#include "core/util/error.h"
#include "tests/test_support.h"

namespace delrec::data {
namespace {

TEST(AmazonReader, RatingsCsvWithGzippedMeta) {
  RawData raw = read_amazon(test::test_data_dir() / "amazon-ratings");
  ASSERT_EQ(raw.interactions.size(), 6u);
  // Ratings CSV columns are item,user,rating,timestamp.
  EXPECT_EQ(raw.users.keys()[raw.interactions[0].user], "A1");
  EXPECT_EQ(raw.items.keys()[raw.interactions[0].item], "B001");
  EXPECT_EQ(raw.interactions[0].rating, 5.0f);
  EXPECT_EQ(raw.interactions[0].timestamp, 1300000000);
  EXPECT_EQ(raw.titles.at("B001"), "Blue Widget");
  EXPECT_EQ(raw.titles.at("B002"), "Red \"Deluxe\" Widget");
  EXPECT_EQ(raw.titles.count("B003"), 0u);  // its meta record has no title
}

TEST(AmazonReader, ReviewsJsonLinesGivenAsFile) {
  RawData raw = read_amazon(test::test_data_dir() / "amazon-reviews" / "Tiny_5.json");
  ASSERT_EQ(raw.interactions.size(), 3u);
  EXPECT_EQ(raw.users.keys()[raw.interactions[1].user], "A1");
  EXPECT_EQ(raw.items.keys()[raw.interactions[1].item], "B002");
  EXPECT_EQ(raw.interactions[1].rating, 2.0f);
  EXPECT_EQ(raw.interactions[1].timestamp, 1300000100);
  EXPECT_EQ(raw.titles.at("B003"), "Green Widget");  // meta_Tiny.json found for Tiny_5.json
}

TEST(AmazonReader, InvalidJsonNamesFileAndLine) {
  test::TempDir dir;
  std::ofstream(dir / "Toys.json") << R"({"reviewerID": "A", "asin": "B", "overall": 5, "unixReviewTime": 1})"
                                   << "\n{\"reviewerID\": \"A\", \"asin\": \n";
  std::ofstream(dir / "meta_Toys.json") << "";
  std::string msg = test::error_message([&] { read_amazon(dir.path()); });
  EXPECT_NE(msg.find("Toys.json:2: invalid JSON"), std::string::npos) << msg;
}

TEST(AmazonReader, MissingFieldIsNamed) {
  test::TempDir dir;
  std::ofstream(dir / "Toys.json") << R"({"reviewerID": "A", "overall": 5, "unixReviewTime": 1})"
                                   << "\n";
  std::ofstream(dir / "meta_Toys.json") << "";
  std::string msg = test::error_message([&] { read_amazon(dir.path()); });
  EXPECT_NE(msg.find("Toys.json:1: missing field 'asin'"), std::string::npos) << msg;
}

TEST(AmazonReader, MissingMetaFileGivesHint) {
  test::TempDir dir;
  std::ofstream(dir / "Toys.csv") << "B1,A1,5.0,1\n";
  std::string msg = test::error_message([&] { read_amazon(dir.path()); });
  EXPECT_NE(msg.find("meta_Toys.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no such file"), std::string::npos) << msg;
}

TEST(AmazonReader, AmbiguousDirectoryIsRejected) {
  test::TempDir dir;
  std::ofstream(dir / "Toys.csv") << "B1,A1,5.0,1\n";
  std::ofstream(dir / "Games.csv") << "B1,A1,5.0,1\n";
  std::string msg = test::error_message([&] { read_amazon(dir.path()); });
  EXPECT_NE(msg.find("holds 2 interaction files"), std::string::npos) << msg;
}

// Found by tests/fuzz/dataset_readers_fuzz.cpp: a timestamp beyond int64 (a float in JSON) was cast to int64_t,
// which is undefined behaviour; it is now an error naming the line and field. A float within range still reads.
TEST(AmazonReader, TimestampOutsideInt64IsAnError) {
  test::TempDir dir;
  std::ofstream(dir / "Toys.json") << R"({"reviewerID": "A", "asin": "B", "overall": 5, "unixReviewTime": 1.0})"
                                   << "\n"
                                   << R"({"reviewerID": "A", "asin": "C", "overall": 5, "unixReviewTime": 1e30})"
                                   << "\n";
  std::ofstream(dir / "meta_Toys.json") << "";
  std::string msg = test::error_message([&] { read_amazon(dir.path()); });
  EXPECT_NE(msg.find("Toys.json:2: field 'unixReviewTime' is outside the range of a 64-bit integer"),
            std::string::npos) << msg;
}

// Found by tests/fuzz/dataset_readers_fuzz.cpp: a number beyond double's range in any field (1e309) made
// nlohmann::json throw out_of_range, which escaped as a non-delrec exception.
TEST(AmazonReader, NumberBeyondDoubleIsInvalidJson) {
  test::TempDir dir;
  std::ofstream(dir / "Toys.json") << R"({"reviewerID": "A", "asin": "B", "overall": 5, "helpful": 1e309})" << "\n";
  std::ofstream(dir / "meta_Toys.json") << "";
  std::string msg = test::error_message([&] { read_amazon(dir.path()); });
  EXPECT_NE(msg.find("Toys.json:1: invalid JSON"), std::string::npos) << msg;
}

}  // namespace
}  // namespace delrec::data
