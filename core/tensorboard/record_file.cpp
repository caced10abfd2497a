#include "core/tensorboard/record_file.h"

#include <boost/crc.hpp>
#include <cstring>

#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace delrec::tensorboard {
namespace {

// CRC-32C: polynomial 0x1EDC6F41, reflected, initial and final XOR 0xFFFFFFFF (RFC 3720, B.4).
using Crc32c = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

template <typename T>
void put_le(std::string& out, T value) {
  for (size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

template <typename T>
T get_le(std::string_view bytes) {
  T value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) value |= T(static_cast<unsigned char>(bytes[i])) << (8 * i);
  return value;
}

}  // namespace

uint32_t crc32c(std::string_view bytes) {
  Crc32c crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

uint32_t masked_crc32c(std::string_view bytes) {
  const uint32_t crc = crc32c(bytes);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

std::string frame_record(std::string_view data) {
  std::string header;
  put_le<uint64_t>(header, data.size());
  std::string out = header;
  put_le<uint32_t>(out, masked_crc32c(header));
  out.append(data);
  put_le<uint32_t>(out, masked_crc32c(data));
  return out;
}

RecordFile read_records(const std::filesystem::path& path) {
  const std::string bytes = read_file(path);
  const std::string_view all(bytes);
  RecordFile out;
  size_t at = 0;
  while (at < all.size()) {
    if (all.size() - at < 12) {
      out.truncated = true;
      break;
    }
    const std::string_view header = all.substr(at, 8);
    DELREC_CHECK(get_le<uint32_t>(all.substr(at + 8, 4)) == masked_crc32c(header),
                 "{}: the record at byte {} has a bad length checksum (the file is corrupt; delete it)",
                 path.string(), at);
    const uint64_t length = get_le<uint64_t>(header);
    if (length > all.size() - at - 12 || all.size() - at - 12 - length < 4) {
      out.truncated = true;
      break;
    }
    const std::string_view data = all.substr(at + 12, length);
    DELREC_CHECK(get_le<uint32_t>(all.substr(at + 12 + length, 4)) == masked_crc32c(data),
                 "{}: the record at byte {} has a bad data checksum (the file is corrupt; delete it)",
                 path.string(), at);
    out.records.emplace_back(data);
    at += 16 + length;
  }
  return out;
}

}  // namespace delrec::tensorboard
