#pragma once
// What each output of a run was made from, recorded next to it as <output>.provenance.json before the output is
// published (so an output never exists without its record):
//   {"output": "teacher/sasrec.pt",
//    "recipe": {"teacher.model": "sasrec", "teacher.lr": "0.001", ...},   the recipe keys that shape the output
//    "inputs": {"dataset": "<sha256>", ...}}                             digests of the outputs it was made from
// A rerun that finds the output compares the record with what this recipe and these inputs would make, and refuses
// on any difference, naming each one and the outputs to delete: an output made from other inputs is never reused.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config/recipe.h"

namespace delrec::run {

struct Provenance {
  std::map<std::string, std::string> recipe;  // flattened key ("stage1.train.lr") -> its YAML text
  std::map<std::string, std::string> inputs;  // input name -> digest

  bool operator==(const Provenance& o) const { return recipe == o.recipe && inputs == o.inputs; }
};

// The keys of `recipe`, flattened, that lie under one of `prefixes` ("teacher", "run.seed") and under none of
// `except`. Lists are written in YAML flow style ("[q_proj, v_proj]").
std::map<std::string, std::string> recipe_keys(const config::Recipe& recipe, const std::vector<std::string>& prefixes,
                                               const std::vector<std::string>& except = {});

// "<output>.provenance.json" (for a directory too: next to it, not inside).
std::filesystem::path provenance_path(const std::filesystem::path& output);
// Writes the record of `output` atomically.
void write_provenance(const std::filesystem::path& output, const Provenance& p);
// The record of `output`; nullopt when there is none. A record that cannot be read is an error naming the file.
std::optional<Provenance> read_provenance(const std::filesystem::path& output);

// Throws delrec::Error when `output` exists and its record is missing or differs from `expected`. The message lists
// each difference (recorded value, then this run's) and asks to delete `output` with `made_from_it` (the outputs
// built on it) or to choose another run.out_dir. With `recipe_only`, the inputs are not compared (a check made
// before the inputs exist, to refuse before hours of work upstream).
void check_provenance(const std::filesystem::path& output, const Provenance& expected,
                      const std::vector<std::filesystem::path>& made_from_it, bool recipe_only = false);

// SHA-256 of the record: what a stage's in-progress checkpoints are tied to.
std::string provenance_digest(const Provenance& p);
// SHA-256 of a file's bytes.
std::string file_sha256(const std::filesystem::path& path);

}  // namespace delrec::run
