#include "core/run/output_provenance.h"

#include <algorithm>
#include <fstream>

#include "core/llm/safetensors.h"
#include "core/util/error.h"
#include "core/util/sha256.h"

namespace fs = std::filesystem;

namespace delrec::run {
namespace {

// Training-loop keys that do not change what a stage produces.
// Keys that change how a stage runs but not what it outputs; validation choices do change it under
// train.keep = best_valid.
std::vector<std::string> operational_keys(const config::Recipe& recipe, const std::string& stage) {
  const auto& train = stage == "stage1" ? recipe.stage1.train : recipe.stage2.train;
  std::vector<std::string> keys = {stage + ".train.log_every", stage + ".train.micro_batch_size"};
  if (train.keep == "last")
    keys.insert(keys.end(), {stage + ".train.eval_every", stage + ".train.eval_examples", stage + ".train.keep_metric"});
  return keys;
}

// The keys that shape the teacher checkpoint (the other models' hyperparameters do not).
std::vector<std::string> teacher_keys(const config::Recipe& recipe) {
  const std::string t = "teacher.";
  return {t + "model", t + recipe.teacher.model, t + "max_len",   t + "loss",     t + "epochs",   t + "batch_size",
          t + "lr",    t + "adam_beta2",         t + "weight_decay", t + "eval_every", t + "patience", "run.seed"};
}

}  // namespace

Provenance teacher_provenance(const config::Recipe& recipe, const data::Dataset& dataset) {
  Provenance p;
  p.recipe = recipe_keys(recipe, teacher_keys(recipe));
  p.inputs["dataset"] = dataset.fingerprint;
  return p;
}

std::map<std::string, std::string> teacher_cache_recipe_keys(const config::Recipe& recipe) {
  std::vector<std::string> keys = teacher_keys(recipe);
  keys.insert(keys.end(), {"teacher.top_k", "teacher.cache_train_prefixes"});
  return recipe_keys(recipe, keys);
}

Provenance teacher_cache_provenance(const config::Recipe& recipe, const data::Dataset& dataset,
                                    const fs::path& teacher_checkpoint) {
  Provenance p;
  p.recipe = teacher_cache_recipe_keys(recipe);
  p.inputs["dataset"] = dataset.fingerprint;
  p.inputs["teacher checkpoint"] = file_sha256(teacher_checkpoint);
  return p;
}

Provenance scratch_backbone_provenance(const config::Recipe& recipe, const data::Dataset& dataset) {
  Provenance p;
  p.recipe = recipe_keys(recipe, {"backbone.scratch"});
  p.inputs["dataset"] = dataset.fingerprint;
  return p;
}

Provenance llm_stage_provenance(const config::Recipe& recipe, const data::Dataset& dataset, const std::string& stage,
                                const LlmInputs& inputs, const fs::path& soft_prompt, const std::string& tasks) {
  const std::vector<std::string> except = operational_keys(recipe, stage);
  Provenance p;
  p.recipe = recipe_keys(recipe, {"prompt", stage, "backbone.dtype", "run.seed"}, except);
  p.inputs["dataset"] = dataset.fingerprint;
  p.inputs["teacher cache"] = inputs.teacher_cache;
  p.inputs["backbone"] = inputs.backbone;
  if (stage == "stage2") p.inputs["soft prompt"] = soft_prompt.empty() ? "none" : file_sha256(soft_prompt);
  if (!tasks.empty()) p.inputs["stage-1 tasks"] = tasks;
  return p;
}

std::string backbone_digest(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  Sha256 h;
  for (const auto& f : files) {
    const std::string name = f.filename().string();
    const uint64_t size = fs::file_size(f);
    h.update(name + "\n" + std::to_string(size) + "\n");
    if (f.extension() == ".safetensors") {
      // 8-byte little-endian header length, then the JSON header: every tensor's dtype, shape and byte range.
      std::ifstream in(f, std::ios::binary);
      uint8_t len_bytes[8] = {};
      in.read(reinterpret_cast<char*>(len_bytes), 8);
      uint64_t len = 0;
      for (int i = 7; i >= 0; --i) len = (len << 8) | len_bytes[i];
      DELREC_CHECK(size >= 8 && in.gcount() == 8 && len <= size - 8 && len <= llm::kMaxHeaderBytes,
                   "{}: not a safetensors file (header length {} of a {}-byte file)", f.string(), len, size);
      std::string header(len, '\0');
      in.read(header.data(), std::streamsize(len));
      h.update(header);
    } else if (f.extension() == ".json" || f.extension() == ".model" || f.extension() == ".txt") {
      h.update(file_sha256(f));
    }
  }
  return h.hex_digest();
}

}  // namespace delrec::run
