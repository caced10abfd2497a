#pragma once
// The LLM of a run: its folder (a Hugging Face checkpoint, or the scratch model built once in the run directory),
// loaded split over this rank's TP group, with its tokenizer.
#include <torch/torch.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/config/recipe.h"
#include "core/data/dataset.h"
#include "core/llm/causal_lm.h"
#include "core/llm/tokenizer.h"
#include "parallel/parallel_groups.h"

namespace delrec::stages {

struct Backbone {
  std::filesystem::path dir;
  llm::CausalLm model{nullptr};
  std::unique_ptr<llm::Tokenizer> tokenizer;
};

// backbone.path, or <run.out_dir>/backbone for the scratch model.
std::filesystem::path backbone_dir(const config::Recipe& recipe);

// The texts the scratch tokenizer learns from: titles, the filled templates' fixed words and the candidate labels.
std::vector<std::string> scratch_corpus(const config::Recipe& recipe, const data::Dataset& dataset);

// Scratch backbone: rank 0 of the world builds the folder when it is missing; every rank waits for it.
void ensure_backbone(const config::Recipe& recipe, const data::Dataset& dataset, const parallel::ParallelGroups& groups);

// Loads the backbone on this rank's device in the recipe's dtype, split over groups.tp.
Backbone load_backbone(const config::Recipe& recipe, const parallel::ParallelGroups& groups);

// The compute dtype of backbone.dtype on `device` (auto: bfloat16 on a GPU, float32 on a CPU).
torch::Dtype backbone_dtype(const config::BackboneConfig& config, const torch::Device& device);

// backbone.tp, else DELREC_TP, else 1.
int tensor_parallel_size(const config::Recipe& recipe);

}  // namespace delrec::stages
