// Fuzz target: a recipe (core/config/recipe_yaml.cpp): YAML parsing, the schema's type and range checks, and
// overrides. Input: the recipe YAML, NUL, then overrides one per line ("key.path=value").
#include "core/config/recipe.h"
#include "tests/fuzz/fuzz_support.h"

#include <string>
#include <vector>

using namespace delrec;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto [yaml, override_text] = fuzz::split_at_nul(fuzz::as_text(data, size));
  std::vector<std::string> overrides;
  for (size_t begin = 0; begin < override_text.size();) {
    size_t end = override_text.find('\n', begin);
    if (end == std::string_view::npos) end = override_text.size();
    overrides.emplace_back(override_text.substr(begin, end - begin));
    begin = end + 1;
  }
  const std::string recipe(yaml);
  fuzz::refused_or_accepted([&] { config::parse_recipe(recipe, "recipe.yaml", overrides); });
  return 0;
}
