#include "core/delrec/backbone.h"

#include <spdlog/spdlog.h>

#include "core/delrec/prompt.h"
#include "core/llm/scratch_backbone.h"
#include "core/util/error.h"
#include "parallel/layout.h"
#include "parallel/world.h"

namespace fs = std::filesystem;

namespace delrec::stages {

fs::path backbone_dir(const config::Recipe& recipe) {
  return recipe.backbone.path.empty() ? fs::path(recipe.run.out_dir) / "backbone" : fs::path(recipe.backbone.path);
}

std::vector<std::string> scratch_corpus(const config::Recipe& recipe, const data::Dataset& dataset) {
  std::vector<std::string> corpus;
  for (size_t i = 1; i < dataset.item_titles.size(); ++i) corpus.push_back(" " + dataset.item_titles[i]);
  // Titles count once each; the template text is repeated so that its words become tokens too.
  const auto templates = prompt::default_templates(recipe.prompt.domain);
  for (int i = 0; i < 50; ++i) {
    corpus.push_back(recipe.prompt.recommend.empty() ? templates.recommend : recipe.prompt.recommend);
    corpus.push_back(recipe.prompt.temporal.empty() ? templates.temporal : recipe.prompt.temporal);
    for (const auto& label : prompt::candidate_labels(static_cast<size_t>(recipe.data.num_candidates)))
      corpus.push_back(" " + label + "\n" + label + ". \"");
  }
  return corpus;
}

void ensure_backbone(const config::Recipe& recipe, const data::Dataset& dataset,
                     const parallel::ParallelGroups& groups) {
  const fs::path dir = backbone_dir(recipe);
  if (!recipe.backbone.path.empty()) {
    DELREC_CHECK(fs::exists(dir / "config.json"), "backbone.path: {} has no config.json (expected a Hugging Face "
                 "checkpoint folder with config.json, *.safetensors and tokenizer.json or tokenizer.model)",
                 dir.string());
    return;
  }
  if (groups.world->rank() == 0 && !fs::exists(dir)) {
    spdlog::info("backbone: building a {}-layer, hidden {} Llama from scratch in {} (offline try-out; real results "
                 "need a pretrained checkpoint in backbone.path)",
                 recipe.backbone.scratch.layers, recipe.backbone.scratch.hidden, dir.string());
    llm::create_scratch_backbone(recipe.backbone.scratch, scratch_corpus(recipe, dataset), dir);
  }
  groups.world->barrier();
}

Backbone load_backbone(const config::Recipe& recipe, const parallel::ParallelGroups& groups) {
  Backbone b;
  b.dir = backbone_dir(recipe);
  const torch::Device device = parallel::select_device();
  b.model = llm::load_causal_lm(b.dir, groups.tp, backbone_dtype(recipe.backbone, device), device);
  b.model->set_recompute(llm::parse_recompute(recipe.backbone.recompute));
  b.tokenizer = llm::load_tokenizer(b.dir);
  // A tokenizer with more ids than the model has embedding rows (a mismatched pair) would index past the table.
  // Fewer is normal: many checkpoints pad the embedding to a round size.
  DELREC_CHECK(b.tokenizer->vocab_size() <= b.model->config().vocab_size,
               "{}: the tokenizer has {} token ids but the model's vocab_size is {}; the tokenizer and the weights do "
               "not belong together", b.dir.string(), b.tokenizer->vocab_size(), b.model->config().vocab_size);
  return b;
}

torch::Dtype backbone_dtype(const config::BackboneConfig& config, const torch::Device& device) {
  if (config.dtype == "auto") return device.is_cuda() ? torch::kBFloat16 : torch::kFloat32;
  return config.dtype == "bfloat16" ? torch::kBFloat16 : torch::kFloat32;
}

int tensor_parallel_size(const config::Recipe& recipe) {
  if (recipe.backbone.tp > 0) return static_cast<int>(recipe.backbone.tp);
  return parallel::tp_from_environment();
}

}  // namespace delrec::stages
