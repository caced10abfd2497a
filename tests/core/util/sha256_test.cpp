#include "core/util/sha256.h"

#include <gtest/gtest.h>

namespace delrec {
namespace {

std::string sha256(const std::string& s) {
  Sha256 h;
  h.update(s);
  return h.hex_digest();
}

// Test vectors from FIPS 180-4 examples and NIST CAVS.
TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, ChunkedUpdatesMatchOneUpdate) {
  std::string text;
  for (int i = 0; i < 300; ++i) text += static_cast<char>('a' + i % 26);
  Sha256 h;
  for (size_t pos = 0, step = 1; pos < text.size(); pos += step, step = step * 2 % 67 + 1)
    h.update(text.substr(pos, step));
  EXPECT_EQ(h.hex_digest(), sha256(text));
}

}  // namespace
}  // namespace delrec
