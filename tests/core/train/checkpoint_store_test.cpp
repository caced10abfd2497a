#include "core/train/checkpoint_store.h"

#include <gtest/gtest.h>

#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace delrec::train {
namespace {

// Writes two files whose content depends on the step.
auto files_of(int64_t step) {
  return [step](const fs::path& dir) {
    write_file_atomically(dir / "rank-00000.bin", std::string(1000, static_cast<char>('a' + step)));
    write_file_atomically(dir / "state.json", "{\"step\": " + std::to_string(step) + "}");
  };
}

TEST(CheckpointStore, PublishesKeepsLastKAndPointsLatest) {
  test::TempDir dir;
  CheckpointStore store(dir / "ckpt", 2);
  for (int64_t step : {10, 20, 30}) store.save(step, files_of(step));
  EXPECT_FALSE(fs::exists(dir / "ckpt" / "step-000010"));
  EXPECT_TRUE(fs::exists(dir / "ckpt" / "step-000020" / "manifest.json"));
  EXPECT_EQ(read_file(dir / "ckpt" / "latest"), "step-000030\n");
  auto latest = store.latest_complete();
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->step, 30);
  EXPECT_EQ(CheckpointStore::verify(latest->dir), "");
}

TEST(CheckpointStore, CorruptOrTruncatedCheckpointIsSkippedForThePreviousOne) {
  test::TempDir dir;
  CheckpointStore store(dir / "ckpt", 3);
  store.save(1, files_of(1));
  store.save(2, files_of(2));
  const fs::path newest = dir / "ckpt" / "step-000002";

  // Same size, one byte flipped: only the checksum can tell.
  std::string bytes = read_file(newest / "rank-00000.bin");
  bytes[500] ^= 0x1;
  write_file_atomically(newest / "rank-00000.bin", bytes);
  EXPECT_NE(CheckpointStore::verify(newest).find("does not match its CRC-32"), std::string::npos);
  EXPECT_EQ(store.latest_complete()->step, 1);

  write_file_atomically(newest / "rank-00000.bin", bytes.substr(0, 10));
  EXPECT_NE(CheckpointStore::verify(newest).find("has 10 bytes, the manifest says 1000"), std::string::npos);
  fs::remove(newest / "manifest.json");
  EXPECT_NE(CheckpointStore::verify(newest).find("manifest.json is missing"), std::string::npos);
  EXPECT_EQ(store.latest_complete()->step, 1);
}

TEST(CheckpointStore, InterruptedSaveNeverBecomesLatestAndIsCleanedUp) {
  test::TempDir dir;
  CheckpointStore store(dir / "ckpt", 2);
  store.save(5, files_of(5));
  EXPECT_THROW(store.save(6,
                          [](const fs::path& d) {
                            write_file_atomically(d / "rank-00000.bin", "partial");
                            throw Error("killed while writing");
                          }),
               Error);
  EXPECT_TRUE(fs::exists(dir / "ckpt" / "step-000006.tmp"));
  EXPECT_EQ(store.latest_complete()->step, 5);
  EXPECT_EQ(read_file(dir / "ckpt" / "latest"), "step-000005\n");
  store.remove_partial();
  EXPECT_FALSE(fs::exists(dir / "ckpt" / "step-000006.tmp"));
  EXPECT_FALSE(store.latest_complete() == std::nullopt);
}

TEST(CheckpointStore, EmptyStoreHasNoCheckpoint) {
  test::TempDir dir;
  CheckpointStore store(dir / "none", 1);
  EXPECT_FALSE(store.latest_complete().has_value());
  EXPECT_THROW(CheckpointStore(dir / "x", 0), Error);
}

}  // namespace
}  // namespace delrec::train
