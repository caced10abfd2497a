#include <gtest/gtest.h>

#include <fstream>

#include "core/data/readers/readers.h"
#include "core/data/user_sequences.h"
#include "core/util/error.h"
#include "tests/test_support.h"

namespace delrec::data {
namespace {

// The items of user `key` in chronological order, and their timestamps (as prepare orders them).
std::pair<std::vector<std::string>, std::vector<int64_t>> history(const RawData& raw, const std::string& key) {
  const UserEvents users = group_by_user(raw);
  const auto& keys = raw.users.keys();
  const size_t u = std::find(keys.begin(), keys.end(), key) - keys.begin();
  std::pair<std::vector<std::string>, std::vector<int64_t>> out;
  for (const Event& e : users.at(u)) {
    out.first.push_back(raw.items.keys()[e.item]);
    out.second.push_back(e.timestamp);
  }
  return out;
}

TEST(SteamReader, SasrecSteamTxtWithLlaraTitles) {
  RawData raw = read_steam(test::test_data_dir() / "steam-sasrec");
  EXPECT_EQ(raw.interactions.size(), 261u);
  EXPECT_EQ(raw.users.size(), 32u);
  EXPECT_EQ(raw.items.size(), 40u);
  EXPECT_EQ(raw.titles.at("6"), "Starforge\xE2\x84\xA2 Frontier");
  EXPECT_EQ(raw.titles.at("15"), "Owl's Errand");
  // The file order is the time order: line numbers as timestamps.
  auto [items, times] = history(raw, "1");
  EXPECT_EQ(items, (std::vector<std::string>{"19", "21", "38", "29", "25", "15", "36", "39", "17"}));
  EXPECT_EQ(times, (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(raw.interactions.back().timestamp, 261);
}

TEST(SteamReader, ItemTitlesCsvAndSourceGivenAsFile) {
  test::TempDir dir;
  std::ofstream(dir / "Steam.txt") << "1 10\n1\t11\n2  10\n";
  std::ofstream(dir / "item_titles.csv") << "id,title\n10,\"Owls, Inc.\"\n11,Sky Loom\n";
  RawData raw = read_steam(dir / "Steam.txt");
  EXPECT_EQ(raw.interactions.size(), 3u);
  EXPECT_EQ(raw.titles.at("10"), "Owls, Inc.");
  EXPECT_EQ(raw.titles.at("11"), "Sky Loom");
}

TEST(SteamReader, MalformedSteamTxtNamesFileAndLine) {
  test::TempDir dir;
  std::ofstream(dir / "id2name.txt") << "1::A\n2::B\n";
  std::ofstream(dir / "Steam.txt") << "1 1\n1 2\n1 2 3\n";
  std::string msg = test::error_message([&] { read_steam(dir.path()); });
  EXPECT_NE(msg.find("Steam.txt:3: expected 2 whitespace-separated fields (user item), found 3"), std::string::npos)
      << msg;
  std::ofstream(dir / "Steam.txt") << "1 1\nx 2\n";
  msg = test::error_message([&] { read_steam(dir.path()); });
  EXPECT_NE(msg.find("Steam.txt:2: user id 'x' is not a positive integer"), std::string::npos) << msg;
  std::ofstream(dir / "Steam.txt") << "1 1\n1 3\n";
  msg = test::error_message([&] { read_steam(dir.path()); });
  EXPECT_NE(msg.find("id2name.txt: 1 rated item has no line here (the first is item 3)"), std::string::npos) << msg;
  std::ofstream(dir / "id2name.txt") << "1::A\n2 B\n";
  msg = test::error_message([&] { read_steam(dir.path()); });
  EXPECT_NE(msg.find("id2name.txt:2: expected id::title"), std::string::npos) << msg;
}

TEST(SteamReader, TitleFilesMustBeOneOrTheOther) {
  test::TempDir dir;
  std::ofstream(dir / "Steam.txt") << "1 1\n";
  std::string msg = test::error_message([&] { read_steam(dir.path()); });
  EXPECT_NE(msg.find("has no item titles beside it: expected id2name.txt or item_titles.csv"), std::string::npos)
      << msg;
  std::ofstream(dir / "id2name.txt") << "1::A\n";
  std::ofstream(dir / "item_titles.csv") << "1,A\n";
  msg = test::error_message([&] { read_steam(dir.path()); });
  EXPECT_NE(msg.find("holds both id2name.txt and item_titles.csv"), std::string::npos) << msg;
}

TEST(SteamReader, RawUcsdDumps) {
  RawData raw = read_steam(test::test_data_dir() / "steam-reviews");
  EXPECT_EQ(raw.interactions.size(), 252u);
  EXPECT_EQ(raw.users.size(), 30u);
  EXPECT_EQ(raw.items.size(), 40u);
  EXPECT_EQ(raw.titles.size(), 41u);  // 40 reviewed games and an unreviewed one; the game without an id is left out
  EXPECT_EQ(raw.titles.at("247514"), "Caf\xC3\xA9 Rush");                 // app_name only, u'Caf\xe9 Rush'
  EXPECT_EQ(raw.titles.at("239595"), "Starforge\xE2\x84\xA2 Frontier");  // title only
  EXPECT_EQ(raw.titles.at("310866"), "Owl's Errand");
  // Chaos Kitten (who also has a user_id: the username is the key) reviewed two games on 2017-01-16 and two on
  // 2017-02-15; each pair keeps its file order.
  auto [items, times] = history(raw, "Chaos Kitten");
  EXPECT_EQ(items, (std::vector<std::string>{"437570", "405894", "350461", "200000", "390056", "358380", "485084",
                                             "397975"}));
  EXPECT_EQ(times, (std::vector<int64_t>{1483401600, 1484179200, 1484438400, 1484524800, 1484524800, 1487116800,
                                         1487116800, 1487894400}));
}

TEST(SteamReader, RawReviewsFields) {
  test::TempDir dir;
  std::ofstream(dir / "steam_games.json") << "{u'app_name': u'A', u'id': u'1'}\n";
  std::ofstream(dir / "steam_reviews.json")
      << "{'username': '', 'user_id': '765', 'product_id': '1', 'date': '2017-12-17', 'text': 'ok'}\n"
      << "{'username': 'b', 'product_id': '1', 'date': '2000-02-29'}\n"
      << "{'username': 'c', 'product_id': '1', 'date': '1969-12-31'}\n";
  RawData raw = read_steam(dir / "steam_reviews.json");
  EXPECT_EQ(raw.users.keys(), (std::vector<std::string>{"765", "b", "c"}));  // no username: the user_id
  EXPECT_EQ(raw.interactions[0].timestamp, 1513468800);
  EXPECT_EQ(raw.interactions[1].timestamp, 951782400);
  EXPECT_EQ(raw.interactions[2].timestamp, -86400);
  EXPECT_EQ(raw.titles.at("1"), "A");
}

TEST(SteamReader, MalformedReviewsNameFileAndLine) {
  test::TempDir dir;
  std::ofstream(dir / "steam_games.json") << "";
  auto error_for = [&](const std::string& second_line) {
    std::ofstream(dir / "steam_reviews.json") << "{'username': 'a', 'product_id': '1', 'date': '2017-12-17'}\n"
                                              << second_line << "\n";
    return test::error_message([&] { read_steam(dir.path()); });
  };
  std::string msg = error_for("{'username': 'a', 'product_id': '2', 'date': '2017-02-30'}");
  EXPECT_NE(msg.find("steam_reviews.json:2: date '2017-02-30' is not a date YYYY-MM-DD"), std::string::npos) << msg;
  msg = error_for("{'username': 'a', 'product_id': '2', 'date': '17-12-2017'}");
  EXPECT_NE(msg.find("steam_reviews.json:2: date '17-12-2017' is not a date"), std::string::npos) << msg;
  msg = error_for("{'username': 'a', 'product_id': 2, 'date': '2017-12-17'}");
  EXPECT_NE(msg.find("steam_reviews.json:2: field 'product_id' has the wrong type (number)"), std::string::npos)
      << msg;
  msg = error_for("{'product_id': '2', 'date': '2017-12-17'}");
  EXPECT_NE(msg.find("steam_reviews.json:2: missing field 'user_id'"), std::string::npos) << msg;
  msg = error_for("{'username': 'a', 'product_id': '2', 'date': '2017-12-17', 'text': 'oops}");
  EXPECT_NE(msg.find("steam_reviews.json:2: invalid Python literal (column 68: unterminated string"),
            std::string::npos)
      << msg;
  msg = error_for("{\"username\": \"a\", \"early_access\": false}");  // JSON, not a Python literal
  EXPECT_NE(msg.find("steam_reviews.json:2: invalid Python literal (column 35: 'false' is not a literal"),
            std::string::npos)
      << msg;
  msg = error_for("['a', '1', '2017-12-17']");
  EXPECT_NE(msg.find("steam_reviews.json:2: expected a Python dict per line"), std::string::npos) << msg;
}

TEST(SteamReader, MissingFilesGiveHint) {
  test::TempDir dir;
  std::string msg = test::error_message([&] { read_steam(dir.path()); });
  EXPECT_NE(msg.find("holds neither Steam.txt nor steam_reviews.json[.gz]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("github.com/kang205/SASRec"), std::string::npos) << msg;
  std::ofstream(dir / "steam_reviews.json") << "{'username': 'a', 'product_id': '1', 'date': '2017-12-17'}\n";
  msg = test::error_message([&] { read_steam(dir.path()); });
  EXPECT_NE(msg.find("steam_games.json.gz: no such file"), std::string::npos) << msg;
  std::ofstream(dir / "Steam.txt") << "1 1\n";
  msg = test::error_message([&] { read_steam(dir.path()); });
  EXPECT_NE(msg.find("holds both Steam.txt and steam_reviews.json"), std::string::npos) << msg;
  msg = test::error_message([&] { read_steam(dir / "ratings.csv"); });
  EXPECT_NE(msg.find("does not exist"), std::string::npos) << msg;
}

}  // namespace
}  // namespace delrec::data
