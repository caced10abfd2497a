#pragma once
// A small Llama-architecture checkpoint created from scratch, in the Hugging Face folder format, so the rest of
// delrec loads it exactly like a downloaded one (load_causal_lm, load_tokenizer):
//   config.json          LlamaForCausalLM, sizes from the recipe's backbone.scratch section
//   model.safetensors    random weights: normal(0, 0.02) for embeddings and projections, ones for the norms
//   tokenizer.json       byte-level BPE learned on `corpus` (bpe_trainer.h)
// It lets `delrec quickstart` run every stage offline. Its recommendations are not meaningful: real results need
// a pretrained checkpoint (docs/delrec.md).
#include <filesystem>
#include <string>
#include <vector>

#include "core/config/backbone_config.h"

namespace delrec::llm {

// Writes the folder atomically (a crash leaves no half-written `dir`). `dir` must not exist.
void create_scratch_backbone(const config::ScratchBackboneConfig& config, const std::vector<std::string>& corpus,
                             const std::filesystem::path& dir);

}  // namespace delrec::llm
