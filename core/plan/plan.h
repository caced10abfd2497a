#pragma once
// `delrec plan`: per-rank memory and step time of every tensor x data-parallel layout of a recipe, estimated from
// the backbone's config.json alone (no weight is read), and the layout to use. The model and its formulas are in
// docs/plan.md; the numbers it is checked against are in the same page and in tests/core/plan/plan_test.cpp.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "core/config/recipe.h"
#include "core/llm/model_config.h"

#include <torch/torch.h>

namespace delrec::plan {

// What one rank runs on. Rates are per rank; bytes are what a rank may allocate.
struct Hardware {
  std::string name;             // h100-80gb, h200-141gb, a100-80gb, cpu
  double memory_bytes = 0;      // usable by one rank
  double matmul_flops = 0;      // dense matmul rate in the compute dtype; on the CPU 0 until make_plan measures it
  double efficiency = 0;        // fraction of matmul_flops a training step reaches
  double tp_bytes_per_s = 0;    // all-reduce bus bandwidth inside a node (NVLink; shared memory on CPU)
  double dp_bytes_per_s = 0;    // all-reduce bus bandwidth across nodes
  double context_bytes = 0;     // the process before any tensor: CUDA context and LibTorch, or the CPU runtime
  double comm_bytes = 0;        // communicator buffers per rank when it talks to other ranks (NCCL, MPI)
  bool gpu = true;
};
// The hardware named by --gpu (h100-80gb, h200-141gb, a100-80gb, cpu); throws naming the choices.
Hardware hardware(const std::string& name);

struct Request {
  int64_t nodes = 1, gpus_per_node = 1;  // world = nodes x gpus_per_node ranks
  Hardware hw;
  int64_t tokens_per_example = 0;        // prompt positions; 0 = estimated from the recipe (docs/plan.md)
  int64_t teacher_items = 0;             // catalogue size for the teacher stage; 0 = 1682 (MovieLens-100K)
};

struct StageEstimate {
  std::string stage;  // teacher, stage1, stage2, eval
  double weights = 0, trainable = 0, activations = 0, scoring = 0, comm = 0, context = 0;  // bytes per rank
  double peak_bytes = 0;
  double step_seconds = 0;  // one optimizer step (eval: one test prompt per rank)
  double compute_seconds = 0, tp_seconds = 0, dp_seconds = 0;
};

struct Layout {
  int64_t tp = 1, dp = 1;
  bool fits = false;
  std::vector<StageEstimate> stages;
};

struct Plan {
  std::string model;  // what the backbone is ("config.json of ..." or the scratch model)
  llm::ModelConfig config;
  Request request;
  std::string recompute;  // backbone.recompute of the recipe
  int64_t tokens_per_example = 0;
  std::vector<Layout> layouts;
  int recommended = -1;   // index into layouts, -1 when none fits
};

// The backbone's architecture: its config.json, or the scratch model's shape when backbone.path is empty.
llm::ModelConfig backbone_config(const config::Recipe& recipe);

// Every TP x DP layout with TP dividing gpus_per_node and the model's heads, key/value heads, MLP and vocabulary.
Plan make_plan(const config::Recipe& recipe, const Request& request);

// One layout at the recipe's own settings (what `delrec run` checks before loading weights).
Layout estimate_layout(const config::Recipe& recipe, const llm::ModelConfig& config, const Request& request, int64_t tp,
                       int64_t dp);

std::string format_plan(const Plan& plan);  // the table
nlohmann::json plan_json(const Plan& plan);   // {"layouts": [...], "recommended": {...}}

// The hardware this process runs on: its GPU (the H100/H200/A100 rates nearest its memory, with its own memory)
// or this CPU; `ranks_per_node` ranks share a CPU node's memory.
Hardware hardware_here(const torch::Device& device);

// Refuses (throws, with the estimate and what to change) a layout predicted not to fit; `delrec run` and
// `delrec slurm submit` call it before any weight is read unless --force.
void check_fits(const config::Recipe& recipe, const Request& request, int64_t tp, int64_t dp);

}  // namespace delrec::plan
