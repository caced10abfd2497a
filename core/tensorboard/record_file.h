#pragma once
// TFRecord framing, the container of TensorBoard event files: each record is
//
//   uint64 length | uint32 masked_crc32c(length) | data[length] | uint32 masked_crc32c(data)     (little-endian)
//
// with masked_crc(x) = ((crc >> 15) | (crc << 17)) + 0xa282ead8 over the CRC-32C (Castagnoli) of the bytes.
// The CRC itself is Boost.CRC's; only the framing is here.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace delrec::tensorboard {

uint32_t crc32c(std::string_view bytes);
uint32_t masked_crc32c(std::string_view bytes);

// The framed bytes of one record.
std::string frame_record(std::string_view data);

struct RecordFile {
  std::vector<std::string> records;  // in file order
  bool truncated = false;            // the file ends inside a record (a writer killed mid-write)
};

// Every complete record of `path`. A record whose checksum does not match is an Error naming the file and the
// byte offset (the file is corrupt, not merely cut short); a cut-short last record is reported in `truncated`.
RecordFile read_records(const std::filesystem::path& path);

}  // namespace delrec::tensorboard
