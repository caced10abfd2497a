#include "core/data/raw_data.h"

namespace delrec::data {

int32_t KeyTable::intern(std::string_view key) {
  auto [it, inserted] = index_.try_emplace(std::string(key), static_cast<int32_t>(keys_.size()));
  if (inserted) keys_.push_back(it->first);
  return it->second;
}

}  // namespace delrec::data
