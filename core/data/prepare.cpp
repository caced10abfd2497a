#include "core/data/prepare.h"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <functional>

#include "core/data/candidates.h"
#include "core/data/readers/readers.h"
#include "core/data/synthetic.h"
#include "core/data/title_cleanup.h"
#include "core/data/user_sequences.h"
#include "core/util/error.h"

namespace fs = std::filesystem;

namespace delrec::data {
namespace {

using Reader = std::function<RawData(const config::DataConfig&)>;

const std::vector<std::pair<std::string, Reader>>& readers() {
  static const std::vector<std::pair<std::string, Reader>> table = {
      {"synthetic", [](const config::DataConfig& c) { return generate_synthetic(c.synthetic, c.seed); }},
      {"ml-100k", [](const config::DataConfig& c) { return read_movielens_100k(c.source); }},
      {"ml-1m", [](const config::DataConfig& c) { return read_movielens_1m(c.source); }},
      {"ml-csv", [](const config::DataConfig& c) { return read_movielens_csv(c.source); }},
      {"amazon", [](const config::DataConfig& c) { return read_amazon(c.source); }},
      {"csv", [](const config::DataConfig& c) { return read_csv(c.source); }},
      {"steam", [](const config::DataConfig& c) { return read_steam(c.source); }},
  };
  return table;
}

bool is_number(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Natural key order: numbers by value (so MovieLens ids keep their values), then other keys bytewise.
bool key_less(const std::string& a, const std::string& b) {
  bool na = is_number(a), nb = is_number(b);
  if (na != nb) return na;
  if (na) {
    auto strip = [](const std::string& s) { return s.substr(std::min(s.find_first_not_of('0'), s.size() - 1)); };
    std::string sa = strip(a), sb = strip(b);
    if (sa.size() != sb.size()) return sa.size() < sb.size();
    if (sa != sb) return sa < sb;
  }
  return a < b;
}

// Dense ids for the raw indices marked used: offset, offset+1, ... in natural key order; -1 for unused ones.
std::vector<int64_t> dense_ids(const std::vector<std::string>& keys, const std::vector<bool>& used, int64_t offset) {
  std::vector<int32_t> order;
  for (size_t i = 0; i < keys.size(); ++i)
    if (used[i]) order.push_back(static_cast<int32_t>(i));
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return key_less(keys[a], keys[b]); });
  std::vector<int64_t> ids(keys.size(), -1);
  for (size_t r = 0; r < order.size(); ++r) ids[order[r]] = offset + static_cast<int64_t>(r);
  return ids;
}

}  // namespace

const std::vector<std::string>& supported_datasets() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [name, reader] : readers()) out.push_back(name);
    return out;
  }();
  return names;
}

RawData read_raw(const config::DataConfig& config) {
  for (const auto& [name, reader] : readers())
    if (name == config.dataset) return reader(config);
  throw Error(
      fmt::format("unknown dataset '{}'; supported: {}", config.dataset, fmt::join(supported_datasets(), ", ")));
}

Dataset build_dataset(const RawData& raw, const config::DataConfig& config, const std::string& name,
                      const std::string& recipe_yaml) {
  DELREC_CHECK(config.min_history >= 3, "data.min_history is {}; the leave-one-out split needs at least 3",
               config.min_history);
  UserEvents users = group_by_user(raw);
  // Everything each user ever touched, before any filter: candidates never include these.
  std::vector<std::vector<int32_t>> touched(users.size());
  for (size_t u = 0; u < users.size(); ++u)
    for (const auto& e : users[u]) touched[u].push_back(e.item);

  drop_low_ratings(users, config.min_rating);
  kcore_filter(users, config.kcore, raw.items.size());
  keep_most_recent(users, config.max_history);
  drop_short_histories(users, config.min_history);

  std::vector<bool> user_used(users.size()), item_used(raw.items.size());
  for (size_t u = 0; u < users.size(); ++u) {
    user_used[u] = !users[u].empty();
    for (const auto& e : users[u]) item_used[e.item] = true;
  }
  const std::vector<int64_t> user_id = dense_ids(raw.users.keys(), user_used, 0);
  const std::vector<int64_t> item_id = dense_ids(raw.items.keys(), item_used, 1);
  const int64_t num_users = std::count(user_used.begin(), user_used.end(), true);
  const int64_t num_items = std::count(item_used.begin(), item_used.end(), true);
  DELREC_CHECK(num_users > 0,
               "no user of dataset '{}' is left after filtering (min_rating {}, kcore {}, "
               "min_history {}); relax these settings",
               name, config.min_rating, config.kcore, config.min_history);

  Dataset d;
  d.name = name;
  d.recipe_yaml = recipe_yaml;
  d.item_keys.assign(num_items + 1, "");
  d.item_titles.assign(num_items + 1, "");
  int64_t untitled = 0;
  for (size_t i = 0; i < raw.items.size(); ++i) {
    if (item_id[i] < 0) continue;
    const std::string& key = raw.items.keys()[i];
    auto found = raw.titles.find(key);
    std::string title = found == raw.titles.end() ? "" : config.title_cleanup ? clean_title(found->second)
                                                                               : found->second;
    d.item_keys[item_id[i]] = key;
    d.item_titles[item_id[i]] = title.empty() ? key : title;
    untitled += title.empty();
  }
  if (untitled > 0)
    spdlog::warn("{}: {} of {} items have no title (or an empty one); their ids are used as titles", name, untitled,
                 num_items);

  d.user_keys.resize(num_users);
  d.sequences.resize(num_users);
  d.timestamps.resize(num_users);
  std::vector<std::vector<int64_t>> interacted(num_users);
  for (size_t u = 0; u < users.size(); ++u) {
    if (user_id[u] < 0) continue;
    const int64_t du = user_id[u];
    d.user_keys[du] = raw.users.keys()[u];
    for (const auto& e : users[u]) {
      d.sequences[du].push_back(item_id[e.item]);
      d.timestamps[du].push_back(e.timestamp);
    }
    for (int32_t item : touched[u])
      if (item_id[item] > 0) interacted[du].push_back(item_id[item]);
    std::sort(interacted[du].begin(), interacted[du].end());
    interacted[du].erase(std::unique(interacted[du].begin(), interacted[du].end()), interacted[du].end());
  }
  build_candidates(d, interacted, config.num_candidates, config.seed);
  d.fingerprint = compute_fingerprint(d);
  return d;
}

Dataset prepare(const config::DataConfig& config, const std::string& recipe_yaml) {
  RawData raw = read_raw(config);
  std::string name = config.dataset;
  if (config.dataset != "synthetic") {
    fs::path source = fs::path(config.source).lexically_normal();
    if (!source.has_filename()) source = source.parent_path();
    name = fs::is_directory(source) ? source.filename().string() : source.stem().string();
  }
  spdlog::info("{}: read {} interactions of {} users and {} items", name, raw.interactions.size(), raw.users.size(),
               raw.items.size());
  return build_dataset(raw, config, name, recipe_yaml);
}

}  // namespace delrec::data
