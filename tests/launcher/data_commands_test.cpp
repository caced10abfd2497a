// End-to-end: the `delrec data` commands as a user runs them.
#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace delrec {
namespace {

std::string delrec_cmd(const std::string& args) { return test::delrec_binary().string() + " " + args; }

TEST(DataCommands, PrepareThenStats) {
  test::TempDir dir;
  std::string out;
  const std::string h5 = (dir / "tiny.h5").string();
  ASSERT_EQ(test::run_command(
                delrec_cmd("data prepare --dataset csv --source " + (test::test_data_dir() / "csv-tiny").string() +
                           " --out " + h5 + " data.num_candidates=2"),
                &out),
            0)
      << out;
  EXPECT_NE(out.find("users:          2"), std::string::npos) << out;
  ASSERT_EQ(test::run_command(delrec_cmd("data stats " + h5), &out), 0) << out;
  EXPECT_NE(out.find("items:          4"), std::string::npos) << out;
  EXPECT_NE(out.find("interactions:   6"), std::string::npos) << out;
  EXPECT_NE(out.find("p50 3, p90 3, p99 3, max 3"), std::string::npos) << out;
}

TEST(DataCommands, SyntheticNeedsNoSource) {
  test::TempDir dir;
  std::string out;
  ASSERT_EQ(test::run_command(delrec_cmd("data prepare --dataset synthetic --out " + (dir / "s.h5").string() +
                                         " data.synthetic.users=30"),
                              &out),
            0)
      << out;
  EXPECT_NE(out.find("users:          30"), std::string::npos) << out;
}

TEST(DataCommands, UnknownDatasetIsAUsageError) {
  std::string out;
  EXPECT_EQ(test::run_command(delrec_cmd("data prepare --dataset netflix --source /tmp --out /tmp/x.h5"), &out), 2);
  EXPECT_NE(out.find("supported: synthetic, ml-100k, ml-1m, ml-csv, amazon, csv, steam"), std::string::npos) << out;
}

TEST(DataCommands, MissingFileIsReportedAndNothingIsWritten) {
  test::TempDir dir;
  std::string out;
  EXPECT_EQ(test::run_command(delrec_cmd("data prepare --dataset ml-1m --source " + dir.path().string() + " --out " +
                                         (dir / "x.h5").string()),
                              &out),
            1);
  EXPECT_NE(out.find("ratings.dat: no such file"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir / "x.h5"));
}

TEST(DataCommands, MovieLens100kFromShared) {
  DELREC_REQUIRE_SHARED("data/ml-100k");
  test::TempDir dir;
  std::string out;
  ASSERT_EQ(test::run_command(
                delrec_cmd("data prepare --dataset ml-100k --source " + (test::shared_dir() / "data/ml-100k").string() +
                           " --out " + (dir / "ml.h5").string()),
                &out),
            0)
      << out;
  EXPECT_NE(out.find("users:          943"), std::string::npos) << out;
  EXPECT_NE(out.find("items:          1682"), std::string::npos) << out;
  EXPECT_NE(out.find("interactions:   100000"), std::string::npos) << out;
}

}  // namespace
}  // namespace delrec
