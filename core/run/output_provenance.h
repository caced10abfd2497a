#pragma once
// The provenance (core/run/provenance.h) each output of `delrec run` must have to be reused: which recipe keys shape
// it and which earlier outputs it reads. Keys that only steer logging, validation or the parallel layout (eval_every,
// log_every, micro_batch_size, backbone.tp, threads, where the cache lives) are left out: changing them reuses.
//
//   output                      recipe keys                                    inputs
//   teacher/<model>.pt          teacher.model, teacher.<model>.*, its training  dataset
//                               keys, run.seed
//   teacher_cache/manifest.json the teacher's keys, teacher.top_k,              dataset, teacher checkpoint
//                               teacher.cache_train_prefixes
//   backbone/ (scratch)         backbone.scratch.*                             dataset (its titles train the tokenizer)
//   stage1/soft_prompt          prompt.*, stage1.*, backbone.dtype, run.seed   dataset, teacher cache, backbone
//   stage2/adapter              prompt.*, stage2.*, backbone.dtype, run.seed   the same and the soft prompt
//   stage2_no_soft_prompt/...   the same                                       the same, soft prompt "none"
//   stage{1,2}_no_{ta,rps}/...  the same as stage 1 / stage 2                  the same, and "tasks": which
//                                                                              stage-1 tasks trained
#include <filesystem>

#include "core/config/recipe.h"
#include "core/data/dataset.h"
#include "core/run/provenance.h"

namespace delrec::run {

Provenance teacher_provenance(const config::Recipe& recipe, const data::Dataset& dataset);
std::map<std::string, std::string> teacher_cache_recipe_keys(const config::Recipe& recipe);
Provenance teacher_cache_provenance(const config::Recipe& recipe, const data::Dataset& dataset,
                                    const std::filesystem::path& teacher_checkpoint);
Provenance scratch_backbone_provenance(const config::Recipe& recipe, const data::Dataset& dataset);
// The digests the LLM stages read: the teacher cache's manifest and the backbone (computed once per run).
struct LlmInputs {
  std::string teacher_cache, backbone;
};
// `soft_prompt`: the stage-1 file for stage 2, empty for stage 1 and for the ablation. `tasks`: the stage-1 tasks
// of an ablation ("ta", "rps"); empty = both.
Provenance llm_stage_provenance(const config::Recipe& recipe, const data::Dataset& dataset, const std::string& stage,
                                const LlmInputs& inputs, const std::filesystem::path& soft_prompt,
                                const std::string& tasks = "");

// SHA-256 over a Hugging Face folder's config and tokenizer files and the headers (names, dtypes, shapes, offsets)
// and sizes of its *.safetensors files: a changed checkpoint changes it, without reading gigabytes of weights.
std::string backbone_digest(const std::filesystem::path& dir);

}  // namespace delrec::run
