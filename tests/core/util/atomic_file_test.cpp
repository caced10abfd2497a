#include "core/util/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

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

// A flush that fails (EIO from a failing disk, injected through the fsync fail point) is an error: the file is not
// published and the old one stays.
TEST(AtomicFile, FailedFlushIsAnErrorAndPublishesNothing) {
  test::TempDir dir;
  auto path = dir / "out.txt";
  write_file_atomically(path, "kept");
  ::setenv("DELREC_FAIL_AT", "fsync", 1);
  std::string msg = test::error_message([&] { write_file_atomically(path, "new"); });
  ::unsetenv("DELREC_FAIL_AT");
  EXPECT_NE(msg.find("cannot flush " + (dir / "out.txt.tmp.").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("Input/output error"), std::string::npos) << msg;
  EXPECT_EQ(read_file(path), "kept");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

// Reading a FIFO named where a file is expected fails at once instead of waiting for a writer.
TEST(AtomicFile, FifoIsRefusedWithoutBlocking) {
  test::TempDir dir;
  const auto fifo = dir / "recipe.yaml";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(test::error_message([&] { read_file(fifo); }), "cannot read " + fifo.string() + ": not a regular file");
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
