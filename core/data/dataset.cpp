#include "core/data/dataset.h"

#include "core/util/error.h"
#include "core/util/sha256.h"

namespace delrec::data {
namespace {

const std::vector<int64_t>& checked_sequence(const Dataset& d, int64_t user) {
  DELREC_CHECK(user >= 0 && user < d.num_users(), "user {} out of range [0, {})", user, d.num_users());
  const auto& s = d.sequences[user];
  DELREC_CHECK(s.size() >= 3, "user {} has {} interactions; the leave-one-out split needs at least 3", user, s.size());
  return s;
}

// Feeds integers to the hash as 8-byte little-endian, whatever the host byte order.
class FingerprintWriter {
 public:
  void integer(int64_t v) {
    uint8_t bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * i));
    sha_.update(bytes, 8);
  }
  void strings(const std::vector<std::string>& values) {
    integer(static_cast<int64_t>(values.size()));
    for (const auto& s : values) {
      integer(static_cast<int64_t>(s.size()));
      sha_.update(s);
    }
  }
  void rows(const std::vector<std::vector<int64_t>>& values) {
    integer(static_cast<int64_t>(values.size()));
    for (const auto& row : values) {
      integer(static_cast<int64_t>(row.size()));
      for (int64_t v : row) integer(v);
    }
  }
  std::string digest() { return sha_.hex_digest(); }

 private:
  Sha256 sha_;
};

}  // namespace

int64_t Dataset::num_interactions() const {
  int64_t n = 0;
  for (const auto& s : sequences) n += static_cast<int64_t>(s.size());
  return n;
}

std::vector<int64_t> Dataset::train_sequence(int64_t user) const {
  const auto& s = checked_sequence(*this, user);
  return {s.begin(), s.end() - 2};
}

std::vector<int64_t> Dataset::valid_history(int64_t user) const { return train_sequence(user); }

int64_t Dataset::valid_target(int64_t user) const {
  const auto& s = checked_sequence(*this, user);
  return s[s.size() - 2];
}

std::vector<int64_t> Dataset::test_history(int64_t user) const {
  const auto& s = checked_sequence(*this, user);
  return {s.begin(), s.end() - 1};
}

int64_t Dataset::test_target(int64_t user) const { return checked_sequence(*this, user).back(); }

std::string compute_fingerprint(const Dataset& d) {
  FingerprintWriter w;
  w.strings(d.user_keys);
  w.strings(d.item_keys);
  w.strings(d.item_titles);
  w.rows(d.sequences);
  w.rows(d.timestamps);
  w.rows(d.valid_candidates);
  w.rows(d.test_candidates);
  return w.digest();
}

}  // namespace delrec::data
