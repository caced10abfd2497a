#pragma once
// Raw interactions as read from a dataset's files, before any processing (prepare.h): original string keys,
// interned to small integers so that a 25M-line file does not hold 50M strings.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace delrec::data {

// Interns string keys: the same key always gets the same index, indices count up from 0 in order of first use.
class KeyTable {
 public:
  int32_t intern(std::string_view key);
  const std::vector<std::string>& keys() const { return keys_; }
  size_t size() const { return keys_.size(); }

 private:
  std::unordered_map<std::string, int32_t> index_;
  std::vector<std::string> keys_;
};

struct RawInteraction {
  int32_t user;       // index into RawData::users
  int32_t item;       // index into RawData::items
  float rating;       // explicit rating, or 1 for implicit feedback
  int64_t timestamp;  // seconds since the epoch (or any order-preserving integer)
};

struct RawData {
  KeyTable users;
  KeyTable items;
  std::vector<RawInteraction> interactions;             // in file order
  std::unordered_map<std::string, std::string> titles;  // item key -> UTF-8 title

  void add(std::string_view user, std::string_view item, double rating, int64_t timestamp) {
    interactions.push_back({users.intern(user), items.intern(item), static_cast<float>(rating), timestamp});
  }
};

}  // namespace delrec::data
