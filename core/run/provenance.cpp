#include "core/run/provenance.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/json_input.h"
#include "core/util/sha256.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace delrec::run {
namespace {

bool under(const std::string& key, const std::string& prefix) {
  return key == prefix || (key.size() > prefix.size() && key.compare(0, prefix.size(), prefix) == 0 &&
                           key[prefix.size()] == '.');
}

void flatten(const YAML::Node& node, const std::string& key, std::map<std::string, std::string>* out) {
  if (node.IsMap()) {
    for (const auto& kv : node) flatten(kv.second, key.empty() ? kv.first.as<std::string>()
                                                               : key + "." + kv.first.as<std::string>(), out);
    return;
  }
  YAML::Emitter e;
  e << YAML::Flow << node;
  (*out)[key] = e.c_str();
}

json to_json(const std::map<std::string, std::string>& m) {
  json j = json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

std::map<std::string, std::string> string_map(const json& j, const fs::path& file, const char* field) {
  DELREC_CHECK(j.contains(field) && j[field].is_object(), "{}: \"{}\" must be an object of strings", file.string(),
               field);
  std::map<std::string, std::string> m;
  for (const auto& [k, v] : j[field].items()) {
    DELREC_CHECK(v.is_string(), "{}: {}.{} must be a string", file.string(), field, k);
    m[k] = v.get<std::string>();
  }
  return m;
}

// "  key: recorded -> this run" lines, one per difference.
std::string differences(const std::map<std::string, std::string>& recorded,
                        const std::map<std::string, std::string>& now, const std::string& what) {
  std::string out;
  auto value = [](const std::map<std::string, std::string>& m, const std::string& k) {
    const auto it = m.find(k);
    return it == m.end() ? std::string("(absent)") : it->second;
  };
  std::map<std::string, int> keys;
  for (const auto& [k, v] : recorded) keys[k];
  for (const auto& [k, v] : now) keys[k];
  for (const auto& [k, unused] : keys) {
    const std::string a = value(recorded, k), b = value(now, k);
    if (a != b) out += fmt::format("\n  {} {}: made with {}, this run has {}", what, k, a, b);
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> recipe_keys(const config::Recipe& recipe, const std::vector<std::string>& prefixes,
                                               const std::vector<std::string>& except) {
  std::map<std::string, std::string> all, out;
  flatten(YAML::Load(config::dump_recipe(recipe)), "", &all);
  for (const auto& [k, v] : all) {
    bool keep = false;
    for (const auto& p : prefixes) keep = keep || under(k, p);
    for (const auto& p : except) keep = keep && !under(k, p);
    if (keep) out[k] = v;
  }
  return out;
}

fs::path provenance_path(const fs::path& output) {
  fs::path p = output.has_filename() ? output : output.parent_path();
  p += ".provenance.json";
  return p;
}

void write_provenance(const fs::path& output, const Provenance& p) {
  const json j = {{"output", output.filename().string()}, {"recipe", to_json(p.recipe)}, {"inputs", to_json(p.inputs)}};
  fs::create_directories(provenance_path(output).parent_path());
  write_file_atomically(provenance_path(output), j.dump(2) + "\n");
}

std::optional<Provenance> read_provenance(const fs::path& output) {
  const fs::path file = provenance_path(output);
  if (!fs::exists(file)) return std::nullopt;
  json j;
  try {
    j = parse_json(read_file(file), file.string());
  } catch (const std::exception& e) {
    throw Error(fmt::format("{}: not a provenance record ({}); delete it together with {}", file.string(), e.what(),
                            output.string()));
  }
  DELREC_CHECK(j.is_object(), "{}: a provenance record must be a JSON object", file.string());
  return Provenance{string_map(j, file, "recipe"), string_map(j, file, "inputs")};
}

void check_provenance(const fs::path& output, const Provenance& expected, const std::vector<fs::path>& made_from_it,
                      bool recipe_only) {
  if (!fs::exists(output)) return;
  std::string to_delete = output.string();
  for (const auto& p : made_from_it)
    if (fs::exists(p)) to_delete += " " + p.string();
  const std::string action = fmt::format(
      "delete it and what was made from it (rm -r {}) to make them again from this recipe, or choose another "
      "run.out_dir", to_delete);
  const auto recorded = read_provenance(output);
  DELREC_CHECK(recorded.has_value(), "{} exists but has no provenance record ({}), so delrec cannot tell what it "
               "was made from; {}", output.string(), provenance_path(output).string(), action);
  if (recorded->recipe == expected.recipe && (recipe_only || recorded->inputs == expected.inputs)) return;
  throw Error(fmt::format("{} was made from other inputs than this run's:{}{}\n{}", output.string(),
                          differences(recorded->recipe, expected.recipe, "recipe key"),
                          recipe_only ? "" : differences(recorded->inputs, expected.inputs, "input"), action));
}

std::string provenance_digest(const Provenance& p) {
  Sha256 h;
  h.update(json({{"recipe", to_json(p.recipe)}, {"inputs", to_json(p.inputs)}}).dump());
  return h.hex_digest();
}

std::string file_sha256(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  DELREC_CHECK(in.good(), "cannot read {}", path.string());
  Sha256 h;
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), std::streamsize(buffer.size()));
    h.update(buffer.data(), size_t(in.gcount()));
  }
  return h.hex_digest();
}

}  // namespace delrec::run
