#include "core/tensorboard/record_file.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "tests/test_support.h"

namespace delrec::tensorboard {
namespace {

TEST(RecordFile, Crc32cIsTheCastagnoliChecksum) {
  // The check value of CRC-32C (RFC 3720 B.4; the CRC catalogue's "check" for CRC-32/ISCSI).
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  // 32 bytes of zeros, RFC 3720 B.4.
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);
}

TEST(RecordFile, FramesLengthDataAndBothChecksums) {
  const std::string framed = frame_record("abc");
  ASSERT_EQ(framed.size(), 8u + 4 + 3 + 4);
  EXPECT_EQ(framed.substr(0, 8), std::string("\x03\0\0\0\0\0\0\0", 8));  // little-endian length
  EXPECT_EQ(framed.substr(12, 3), "abc");
  const uint32_t crc = crc32c("abc");
  const uint32_t masked = ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
  EXPECT_EQ(static_cast<unsigned char>(framed[15]), masked & 0xFF);
  EXPECT_EQ(static_cast<unsigned char>(framed[18]), masked >> 24);
}

TEST(RecordFile, ReadsRecordsBackAndReportsACutShortTail) {
  test::TempDir dir;
  const std::string whole = frame_record("first") + frame_record("") + frame_record(std::string(1000, 'x'));
  for (size_t cut : {whole.size(), whole.size() - 1, whole.size() - 1004, whole.size() - 1010}) {
    write_file_atomically(dir / "f", whole.substr(0, cut));
    const RecordFile read = read_records(dir / "f");
    ASSERT_GE(read.records.size(), 2u) << cut;
    EXPECT_EQ(read.records[0], "first");
    EXPECT_EQ(read.records[1], "");
    EXPECT_EQ(read.truncated, cut != whole.size()) << cut;
    EXPECT_EQ(read.records.size(), cut == whole.size() ? 3u : 2u) << cut;
  }
}

TEST(RecordFile, AFlippedByteIsAnErrorNamingTheFileAndOffset) {
  test::TempDir dir;
  std::string bytes = frame_record("first") + frame_record("second");
  bytes[frame_record("first").size() + 14] ^= 1;  // inside the second record's data
  write_file_atomically(dir / "events", bytes);
  try {
    read_records(dir / "events");
    FAIL() << "a corrupt record was read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "events").string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("byte 21"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace delrec::tensorboard
