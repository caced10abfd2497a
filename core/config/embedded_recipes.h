#pragma once
// Recipes compiled into the binary (from recipes/*.yaml at build time), so `delrec quickstart` needs no files.
namespace delrec::config {

extern const char* const kQuickstartRecipe;  // recipes/quickstart.yaml

}  // namespace delrec::config
