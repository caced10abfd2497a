#include <gtest/gtest.h>

#include <fstream>

#include "core/data/readers/readers.h"
#include "core/data/user_sequences.h"
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

// Amazon 2014: reviews_<Category>_5.json.gz (JSON lines) and meta_<Category>.json.gz (Python dict lines), the
// directory holding just these two, as downloaded.
TEST(AmazonReader, Edition2014Beauty) {
  RawData raw = read_amazon(test::test_data_dir() / "amazon-2014-beauty");
  EXPECT_EQ(raw.interactions.size(), 278u);
  EXPECT_EQ(raw.users.size(), 36u);
  EXPECT_EQ(raw.items.size(), 40u);
  EXPECT_EQ(raw.titles.size(), 40u);  // 41 records, one of them without a title
  EXPECT_EQ(raw.titles.count("B00ASSJWDW"), 0u);
  EXPECT_EQ(raw.titles.at("B002WBXPDU"), "Cr\xC3\xA8me de Lune Night Serum");
  EXPECT_EQ(raw.titles.at("B004UY1UWZ"), "Baby's Breath Dry Shampoo");  // "..." in the Python literal
  EXPECT_EQ(raw.titles.at("B000QV4RBE"), "Rosewood &amp; Sage Hand Cream, 2.5 oz");  // decoded by prepare
  // The file is sorted by item; the first line is user AWCFHOAPTPRTH's review of B000QV4RBE.
  EXPECT_EQ(raw.users.keys()[raw.interactions[0].user], "AWCFHOAPTPRTH");
  EXPECT_EQ(raw.items.keys()[raw.interactions[0].item], "B000QV4RBE");
  EXPECT_EQ(raw.interactions[0].rating, 4.0f);
  EXPECT_EQ(raw.interactions[0].timestamp, 1366502400);
  // In time order, that user's ten reviews; those of one day keep the file's (asin) order.
  const UserEvents users = group_by_user(raw);
  std::vector<std::string> items;
  for (const Event& e : users[raw.interactions[0].user]) items.push_back(raw.items.keys()[e.item]);
  EXPECT_EQ(items, (std::vector<std::string>{"B00PUYQLXQ", "B00YBYZF00", "B00ASSJWDW", "B00GL2FQ9K", "B00P19571V",
                                             "B000QV4RBE", "B0081GLFSG", "B00ZKJZC4L", "B00PT49EE2", "B00WK8H80Q"}));
}

TEST(AmazonReader, Edition2014HomeAndKitchenGivenAsFile) {
  RawData raw =
      read_amazon(test::test_data_dir() / "amazon-2014-home" / "reviews_Home_and_Kitchen_5.json.gz");
  EXPECT_EQ(raw.interactions.size(), 273u);
  EXPECT_EQ(raw.users.size(), 36u);
  EXPECT_EQ(raw.items.size(), 42u);
  EXPECT_EQ(raw.titles.at("B007Z3LMGB"), "Chef&#39;s Knife, 8 Inch");
}

TEST(AmazonReader, Edition2014RatingsPutTheUserFirst) {
  test::TempDir dir;
  std::ofstream(dir / "ratings_Toys.csv") << "A1,B1,5.0,100\n";
  std::ofstream(dir / "meta_Toys.json") << "{'asin': 'B1', 'title': 'Kite', 'salesRank': {'Toys & Games': 3}}\n";
  RawData raw = read_amazon(dir.path());
  EXPECT_EQ(raw.users.keys(), (std::vector<std::string>{"A1"}));
  EXPECT_EQ(raw.items.keys(), (std::vector<std::string>{"B1"}));
  EXPECT_EQ(raw.titles.at("B1"), "Kite");
}

TEST(AmazonReader, MalformedPythonMetadataNamesFileAndLine) {
  test::TempDir dir;
  std::ofstream(dir / "reviews_Toys_5.json") << R"({"reviewerID": "A", "asin": "B", "overall": 5, "unixReviewTime": 1})"
                                             << "\n";
  std::ofstream(dir / "meta_Toys.json") << "{'asin': 'B', 'title': 'Kite'}\n{'asin': 'C', 'title': 'Yo-yo}\n";
  std::string msg = test::error_message([&] { read_amazon(dir.path()); });
  EXPECT_NE(msg.find("meta_Toys.json:2: invalid Python literal (column 24: unterminated string"), std::string::npos)
      << msg;
  // The syntax is told by the first record: a JSON line after a Python one is an error, not a second guess.
  std::ofstream(dir / "meta_Toys.json") << "{'asin': 'B', 'title': 'Kite'}\n{\"asin\": \"C\", \"new\": true}\n";
  msg = test::error_message([&] { read_amazon(dir.path()); });
  EXPECT_NE(msg.find("meta_Toys.json:2: invalid Python literal (column 22: 'true' is not a literal"),
            std::string::npos)
      << msg;
}

}  // namespace
}  // namespace delrec::data
