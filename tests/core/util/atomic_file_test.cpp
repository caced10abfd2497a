#include "core/util/atomic_file.h"

#include <gtest/gtest.h>

#include "core/util/error.h"
#include "tests/test_support.h"

namespace delrec {
namespace {

TEST(AtomicFile, WritesAndReplaces) {
  test::TempDir dir;
  auto path = dir / "out.txt";
  write_file_atomically(path, "first");
  EXPECT_EQ(read_file(path), "first");
  write_file_atomically(path, "second");
  EXPECT_EQ(read_file(path), "second");
}

TEST(AtomicFile, FailedWriteLeavesOldFileAndNoTemporary) {
  test::TempDir dir;
  auto path = dir / "out.txt";
  write_file_atomically(path, "kept");
  EXPECT_THROW(write_atomically(path, [](const std::filesystem::path& tmp) {
                 write_file_atomically(tmp, "partial");
                 throw Error("writer failed");
               }),
               Error);
  EXPECT_EQ(read_file(path), "kept");
  int entries = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) entries += e.is_regular_file();
  EXPECT_EQ(entries, 1) << "temporary file left behind";
}

TEST(AtomicFile, MissingFileNamesThePath) {
  try {
    read_file("/nonexistent/dir/file.txt");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/file.txt"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("no such file"), std::string::npos);
  }
}

}  // namespace
}  // namespace delrec
