#pragma once
// SHA-256 (FIPS 180-4), streaming. Used for content fingerprints (prepared datasets), so a file can be recognised
// and checked without trusting its name.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace delrec {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // Finishes the hash and returns the 64-character lowercase hex digest; the object must not be updated after.
  std::string hex_digest();

 private:
  void compress(const uint8_t* block);
  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

}  // namespace delrec
