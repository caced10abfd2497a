// The only file that talks to yaml-cpp: binds a YAML document (plus `key.path=value` overrides) to the recipe's
// Schema, with every error located as "file:line:col key.path: message".
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

#include "core/config/recipe.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace delrec::config {
namespace {

// Where each value came from, so that an error points at the YAML line or at the command-line override.
struct Context {
  std::string origin;                               // file name or "<embedded quickstart>"
  std::map<std::string, std::string> overridden;    // key.path -> "key.path=value" as typed
  // Bytes of scalar text bound so far. yaml-cpp shares an anchored node between its aliases, so a short document
  // can name one large anchor at thousands of aliases; each alias becomes a copy once bound.
  mutable size_t bound_bytes = 0;
};

// A recipe is a page of settings: these limits are far above any real one and far below what hurts a login node.
constexpr size_t kMaxRecipeBytes = size_t{1} << 20;
constexpr size_t kMaxBoundBytes = size_t{4} << 20;

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string known_keys(const Schema& schema) {
  std::string out;
  for (const auto& f : schema.fields()) out += (out.empty() ? "" : ", ") + f.name;
  return out;
}

// "unknown key 'hiden'; did you mean 'hidden'? (keys here: ...)"
std::string unknown_key_message(const Schema& schema, const std::string& key) {
  const Field* best = nullptr;
  size_t best_distance = SIZE_MAX;
  for (const auto& f : schema.fields()) {
    size_t d = edit_distance(key, f.name);
    if (d < best_distance) best_distance = d, best = &f;
  }
  std::string msg = fmt::format("unknown key '{}'", key);
  if (best && best_distance <= std::max<size_t>(2, key.size() / 3)) msg += fmt::format("; did you mean '{}'?", best->name);
  return msg + fmt::format(" (valid keys here: {})", known_keys(schema));
}

std::string where(const Context& ctx, const std::string& path, const YAML::Node& node) {
  auto it = ctx.overridden.find(path);
  if (it != ctx.overridden.end()) return fmt::format("override '{}': {}", it->second, path);
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return fmt::format("{}: {}", ctx.origin, path);
  return fmt::format("{}:{}:{}: {}", ctx.origin, mark.line + 1, mark.column + 1, path);
}

[[noreturn]] void fail(const Context& ctx, const std::string& path, const YAML::Node& node, const std::string& msg) {
  throw UsageError(fmt::format("{}: {}", where(ctx, path, node), msg));
}

std::string scalar_text(const Context& ctx, const std::string& path, const YAML::Node& node, const char* expected) {
  if (!node.IsScalar()) fail(ctx, path, node, fmt::format("expected {}, got a {}", expected,
                                                          node.IsSequence() ? "list" : node.IsMap() ? "map" : "null"));
  ctx.bound_bytes += node.Scalar().size();
  if (ctx.bound_bytes > kMaxBoundBytes)
    fail(ctx, path, node, fmt::format("the recipe's values add up to more than {} MiB (YAML aliases repeating a "
                                      "large anchor?); a recipe holds settings, not data", kMaxBoundBytes >> 20));
  return node.Scalar();
}

int64_t to_int(const Context& ctx, const std::string& path, const YAML::Node& node) {
  std::string text = scalar_text(ctx, path, node, "an integer");
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    fail(ctx, path, node, fmt::format("expected an integer, got '{}'", text));
  return value;
}

double to_double(const Context& ctx, const std::string& path, const YAML::Node& node) {
  std::string text = scalar_text(ctx, path, node, "a number");
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size())
    fail(ctx, path, node, fmt::format("expected a number, got '{}'", text));
  if (!std::isfinite(value)) fail(ctx, path, node, fmt::format("expected a finite number, got '{}'", text));
  return value;
}

bool to_bool(const Context& ctx, const std::string& path, const YAML::Node& node) {
  std::string text = scalar_text(ctx, path, node, "true or false");
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "true" || lower == "yes" || lower == "on") return true;
  if (lower == "false" || lower == "no" || lower == "off") return false;
  fail(ctx, path, node, fmt::format("expected true or false, got '{}'", text));
}

void check_range(const Context& ctx, const std::string& path, const YAML::Node& node, const Field& f, double v) {
  if (v < f.range.min || v > f.range.max)
    fail(ctx, path, node, fmt::format("value {} is out of range [{}, {}]", v, f.range.min, f.range.max));
}

template <class T, class Convert>
std::vector<T> to_list(const Context& ctx, const std::string& path, const YAML::Node& node, Convert convert) {
  std::vector<T> out;
  if (node.IsNull()) return out;
  if (!node.IsSequence()) fail(ctx, path, node, "expected a list, e.g. [a, b]");
  for (size_t i = 0; i < node.size(); ++i) out.push_back(convert(ctx, fmt::format("{}[{}]", path, i), node[i]));
  return out;
}

void bind_value(const Context& ctx, const std::string& path, const YAML::Node& node, const Field& f) {
  std::visit(
      [&](auto* target) {
        using T = std::remove_pointer_t<decltype(target)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          *target = to_int(ctx, path, node);
          check_range(ctx, path, node, f, static_cast<double>(*target));
        } else if constexpr (std::is_same_v<T, double>) {
          *target = to_double(ctx, path, node);
          check_range(ctx, path, node, f, *target);
        } else if constexpr (std::is_same_v<T, bool>) {
          *target = to_bool(ctx, path, node);
        } else if constexpr (std::is_same_v<T, std::string>) {
          *target = node.IsNull() ? std::string() : scalar_text(ctx, path, node, "a string");
          if (!f.choices.empty() && std::find(f.choices.begin(), f.choices.end(), *target) == f.choices.end())
            fail(ctx, path, node, fmt::format("'{}' is not one of: {}", *target, fmt::join(f.choices, ", ")));
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          // A list restricted to choices also takes one of them as a scalar: `ablations: all`.
          if (!f.choices.empty() && node.IsScalar())
            *target = {scalar_text(ctx, path, node, "a string")};
          else
            *target = to_list<std::string>(ctx, path, node, [](const Context& c, const std::string& p,
                                                               const YAML::Node& n) { return scalar_text(c, p, n, "a string"); });
          for (const auto& v : *target)
            if (!f.choices.empty() && std::find(f.choices.begin(), f.choices.end(), v) == f.choices.end())
              fail(ctx, path, node, fmt::format("'{}' is not one of: {}", v, fmt::join(f.choices, ", ")));
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          *target = to_list<int64_t>(ctx, path, node, to_int);
          for (auto v : *target) check_range(ctx, path, node, f, static_cast<double>(v));
        } else {
          *target = to_list<double>(ctx, path, node, to_double);
          for (auto v : *target) check_range(ctx, path, node, f, v);
        }
      },
      f.target);
}

void bind_section(const Context& ctx, const Schema& schema, const YAML::Node& map, const std::string& prefix) {
  if (map.IsNull()) return;
  if (!map.IsMap()) fail(ctx, prefix.empty() ? "(top level)" : prefix, map, "expected a map of keys");
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    std::string key = it->first.Scalar();
    std::string path = prefix.empty() ? key : prefix + "." + key;
    if (!seen.insert(key).second) fail(ctx, path, it->first, "duplicate key");
    const Field* f = schema.find(key);
    if (!f) fail(ctx, path, it->first, unknown_key_message(schema, key));
    if (f->section)
      bind_section(ctx, *f->section, it->second, path);
    else
      bind_value(ctx, path, it->second, *f);
  }
}

// Applies "a.b.c=value" to the document, after checking the path against the schema.
void apply_override(YAML::Node& root, const Schema& schema, const std::string& text, Context& ctx) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UsageError(fmt::format("override '{}': expected key.path=value, e.g. data.num_candidates=50", text));
  std::string path = text.substr(0, eq), value_text = text.substr(eq + 1);
  std::vector<std::string> keys;
  for (size_t start = 0;;) {
    size_t dot = path.find('.', start);
    keys.push_back(path.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  const Schema* level = &schema;
  YAML::Node node = root;
  for (size_t i = 0; i < keys.size(); ++i) {
    // yaml-cpp throws its own BadSubscript when a scalar or a list is indexed by a key: say which section it is.
    if (node.IsDefined() && !node.IsNull() && !node.IsMap())
      throw UsageError(fmt::format("override '{}': the recipe sets '{}' to a {}, not a section of keys", text,
                                   i == 0 ? std::string("<top level>") : keys[i - 1],
                                   node.IsSequence() ? "list" : "single value"));
    const Field* f = level->find(keys[i]);
    if (!f) throw UsageError(fmt::format("override '{}': {}", text, unknown_key_message(*level, keys[i])));
    bool last = i + 1 == keys.size();
    if (last && f->section)
      throw UsageError(fmt::format("override '{}': '{}' is a section; set one of its keys ({})", text, keys[i],
                                   known_keys(*f->section)));
    if (!last && !f->section)
      throw UsageError(fmt::format("override '{}': '{}' is a value, not a section", text, keys[i]));
    if (last) {
      YAML::Node value;
      try {
        value = YAML::Load(value_text);
      } catch (const YAML::Exception&) {
        value = YAML::Node(value_text);  // not valid YAML on its own: take the text as a plain string
      }
      node[keys[i]] = value;
    } else {
      if (!node[keys[i]] || node[keys[i]].IsNull()) node[keys[i]] = YAML::Node(YAML::NodeType::Map);
      node.reset(node[keys[i]]);
      level = f->section.get();
    }
  }
  ctx.overridden[path] = text;
}

// Cross-field checks that a single field's range cannot express.
void validate(const Recipe& r, const Context& ctx) {
  const auto& syn = r.data.synthetic;
  if (syn.min_length > syn.max_length)
    throw UsageError(fmt::format("{}: data.synthetic.min_length ({}) must be <= data.synthetic.max_length ({})",
                                 ctx.origin, syn.min_length, syn.max_length));
  if (r.data.dataset != "synthetic" && r.data.source.empty())
    throw UsageError(fmt::format("{}: data.source: dataset '{}' needs the raw files' location (a directory or file)",
                                 ctx.origin, r.data.dataset));
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') { out += "\\n"; continue; }
    out += c;
  }
  return out + "\"";
}

void dump_section(const Schema& schema, int indent, std::string& out) {
  std::string pad(indent, ' ');
  for (const auto& f : schema.fields()) {
    out += pad + "# " + f.doc + "\n";
    if (f.section) {
      out += pad + f.name + ":\n";
      dump_section(*f.section, indent + 2, out);
      continue;
    }
    std::string value = std::visit(
        [](auto* target) -> std::string {
          using T = std::remove_pointer_t<decltype(target)>;
          if constexpr (std::is_same_v<T, std::string>) return quote(*target);
          else if constexpr (std::is_same_v<T, bool>) return *target ? "true" : "false";
          else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            std::vector<std::string> q;
            for (const auto& s : *target) q.push_back(quote(s));
            return fmt::format("[{}]", fmt::join(q, ", "));
          } else if constexpr (std::is_arithmetic_v<T>) return fmt::format("{}", *target);
          else return fmt::format("[{}]", fmt::join(*target, ", "));
        },
        f.target);
    out += pad + f.name + ": " + value + "\n";
  }
}

}  // namespace

Recipe parse_recipe(const std::string& yaml, const std::string& origin, const std::vector<std::string>& overrides) {
  Context ctx{origin, {}};
  if (yaml.size() > kMaxRecipeBytes)
    throw UsageError(fmt::format("{}: {} bytes; a recipe is at most {} KiB of settings (is this the right file?)",
                                 origin, yaml.size(), kMaxRecipeBytes >> 10));
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::ParserException& e) {
    throw UsageError(fmt::format("{}:{}:{}: YAML syntax error: {}", origin, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  Recipe recipe;
  Schema schema;
  recipe.describe(schema);
  if (!root.IsMap()) fail(ctx, "(top level)", root, fmt::format("a recipe is a map of sections ({})", known_keys(schema)));
  for (const auto& o : overrides) apply_override(root, schema, o, ctx);
  bind_section(ctx, schema, root, "");
  validate(recipe, ctx);
  return recipe;
}

Recipe load_recipe(const std::filesystem::path& path, const std::vector<std::string>& overrides) {
  if (path.empty()) return parse_recipe("", "<defaults>", overrides);
  if (!std::filesystem::exists(path))
    throw UsageError(fmt::format("recipe {} does not exist (recipes/ holds examples, e.g. recipes/quickstart.yaml)",
                                 path.string()));
  if (!std::filesystem::is_regular_file(path))
    throw UsageError(fmt::format("recipe {} is not a regular file; give the path of a YAML file", path.string()));
  return parse_recipe(read_file(path), path.string(), overrides);
}

std::string dump_recipe(const Recipe& recipe) {
  Recipe copy = recipe;  // describe() binds pointers to members, so it needs a mutable object
  Schema schema;
  copy.describe(schema);
  std::string out = "# Fully resolved delrec recipe: every key with its value after defaults and overrides.\n";
  dump_section(schema, 0, out);
  return out;
}

std::filesystem::path write_resolved_recipe(const Recipe& recipe, const std::filesystem::path& dir) {
  auto path = dir / "recipe.resolved.yaml";
  write_file_atomically(path, dump_recipe(recipe));
  return path;
}

}  // namespace delrec::config
