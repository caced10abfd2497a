#pragma once
// LoRA adapters in Hugging Face PEFT's folder format, so adapters trained here load in PEFT and back:
//   adapter_config.json          {"peft_type": "LORA", "r", "lora_alpha", "target_modules", ...}
//   adapter_model.safetensors    base_model.model.model.layers.<i>.<self_attn|mlp>.<proj>.lora_A.weight (r, in)
//                                                                                 .lora_B.weight (out, r)
// The update is W x + (alpha / r) B A x (alpha / sqrt(r) with use_rslora). Under TP each rank holds the slices
// that match its base weight (projection.h); saving gathers them.
#include <filesystem>
#include <string>
#include <vector>

#include "core/llm/causal_lm.h"
#include "core/train/trainable.h"

namespace delrec::llm {

struct LoraConfig {
  int64_t r = 8;
  double alpha = 16;
  bool use_rslora = false;
  double dropout = 0.0;  // on the adapter's input while training (lora_dropout)
  // Projection names (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj).
  std::vector<std::string> target_modules = {"q_proj", "k_proj", "v_proj", "o_proj"};

  double scale() const;
};

// Parses adapter_config.json; refuses options that would change the math silently (DoRA, bias, per-module ranks).
LoraConfig load_lora_config(const std::filesystem::path& adapter_config_json);

// Fresh trainable adapters on the target projections (B = 0, so the model's output is unchanged).
void attach_lora(CausalLm& model, const LoraConfig& config);
// Loads an adapter folder onto the model; returns its config.
LoraConfig load_lora(CausalLm& model, const std::filesystem::path& adapter_dir);
// The adapters' trainable tensors (this rank's slices).
std::vector<torch::Tensor> lora_parameters(CausalLm& model);
// The same with their PEFT names and how each is split over the TP group, for the training loop and checkpoints.
std::vector<train::TrainableTensor> lora_trainables(CausalLm& model);
// Gathers the adapters over the TP group (collective) and, where `write` is true, writes the folder atomically.
void save_lora(CausalLm& model, const LoraConfig& config, const std::filesystem::path& adapter_dir, bool write);

}  // namespace delrec::llm
