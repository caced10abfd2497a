#include "core/plan/plan.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include <unistd.h>

#include "core/util/error.h"
#include "parallel/world.h"

namespace fs = std::filesystem;

namespace delrec::plan {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// Prompt lengths, in tokens, of what the templates add around the titles (docs/plan.md: measured on the
// MovieLens-100K prompts with the SmolLM2 and Llama 3 tokenizers).
constexpr int64_t kTemplateTokens = 80;  // the instruction text of the longest template (RPS)
constexpr int64_t kTitleTokens = 11;     // one quoted title with its separator
constexpr int64_t kLabelTokens = 3;      // "A. " before each candidate

// The dense matmul rate of this CPU at the threads LibTorch uses, float32 (a few 1024^3 products).
double measured_cpu_matmul_flops() {
  torch::NoGradGuard no_grad;
  const int64_t n = 1024;
  torch::Tensor a = torch::randn({n, n}), b = torch::randn({n, n});
  torch::mm(a, b);  // warm-up
  double best = 0;
  for (int i = 0; i < 3; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    torch::mm(a, b);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, 2.0 * n * n * n / s);
  }
  return best;
}

// Seconds of matmul work at the hardware's rate; 0 while the rate is unknown (the CPU's before make_plan measures it).
double compute_seconds(double flops, const Hardware& hw) {
  return hw.matmul_flops > 0 ? flops / (hw.matmul_flops * hw.efficiency) : 0;
}

int64_t compute_bytes(const config::Recipe& recipe, const Hardware& hw) {
  const std::string& d = recipe.backbone.dtype;
  if (d == "float32") return 4;
  if (d == "bfloat16") return 2;
  return hw.gpu ? 2 : 4;  // auto
}

// The layouts' shared inputs, from the recipe and the architecture.
struct Shape {
  double h, L, q, kv, f, V, heads;  // the whole model
  double b;                         // bytes of the compute dtype
  int64_t S;                        // tokens of one example's prompt
  double C;                         // candidates
  bool likelihood;
};

// Bytes of optimizer state per trainable float32 value: the value, its gradient and the moments.
double trainable_bytes_per_value(const std::string& optimizer) { return optimizer == "lion" ? 12.0 : 16.0; }

// LoRA values on one rank (A and B of every target in every layer), under TP t.
double lora_values(const config::Recipe& recipe, const Shape& s, double t) {
  const double r = static_cast<double>(recipe.stage2.lora_r);
  double per_layer = 0;
  for (const auto& target : recipe.stage2.lora_targets) {
    if (target == "q_proj") per_layer += r * s.h + r * s.q / t;
    else if (target == "k_proj" || target == "v_proj") per_layer += r * s.h + r * std::max(s.kv / t, s.kv / s.heads);
    else if (target == "gate_proj" || target == "up_proj") per_layer += r * s.h + r * s.f / t;
    else if (target == "o_proj") per_layer += r * s.q / t + r * s.h;
    else if (target == "down_proj") per_layer += r * s.f / t + r * s.h;
  }
  return per_layer * s.L;
}

// Bytes autograd keeps per token per decoder layer (docs/plan.md, "Activations"): split into the attention block
// and the MLP block, without recomputation.
struct LayerBytes {
  double attention = 0, mlp = 0;
  double total() const { return attention + mlp; }
};

LayerBytes layer_bytes(const config::Recipe& recipe, const Shape& s, double t, bool lora) {
  const double head_dim = s.q / s.heads;
  const double q_l = s.q / t, kv_l = std::max(s.kv / t, head_dim), f_l = s.f / t, heads_l = s.heads / t;
  LayerBytes out;
  // RMSNorm keeps its float32 input and 1/rms; SDPA keeps q, k, v, its output and the float32 log-sum-exp.
  out.attention = (4 * s.h + 4) + s.b * (2 * q_l + 2 * kv_l) + 4 * heads_l;
  // The second RMSNorm, then silu(gate) keeps gate, the product keeps silu(gate) and up.
  out.mlp = (4 * s.h + 4) + s.b * 3 * f_l;
  if (lora) {
    const double r = static_cast<double>(recipe.stage2.lora_r);
    const bool own_copy = recipe.stage2.lora_dropout > 0 || s.b != 4;  // float32 (dropped) input per adapter
    const double per_input = recipe.stage2.lora_dropout > 0 ? 8 : 4;   // the input, and the dropout mask
    bool attention_shared = false, mlp_shared = false;
    for (const auto& target : recipe.stage2.lora_targets) {
      const bool attn = target == "q_proj" || target == "k_proj" || target == "v_proj" || target == "o_proj";
      double in = target == "o_proj" ? q_l : target == "down_proj" ? f_l : s.h;
      double bytes = 4 * r;  // A x, kept for B's gradient
      const bool shared_input = target != "o_proj" && target != "down_proj";
      bool& shared = attn ? attention_shared : mlp_shared;
      if (own_copy || !shared_input || !shared) bytes += per_input * in;
      if (shared_input && !own_copy) shared = true;
      (attn ? out.attention : out.mlp) += bytes;
    }
  }
  return out;
}

// Matmul parameters of one rank that every trained token passes through (projections; the head counts apart).
double layer_matmul_params(const Shape& s, double t) {
  const double head_dim = s.q / s.heads;
  return s.L * (s.h * s.q / t + 2 * s.h * std::max(s.kv / t, head_dim) + s.q / t * s.h + 3 * s.h * s.f / t);
}

double all_reduce_seconds(double bytes, double ranks, double bytes_per_s) {
  if (ranks <= 1) return 0;
  constexpr double kLatency = 20e-6;  // per collective
  return 2 * (ranks - 1) / ranks * bytes / bytes_per_s + kLatency;
}

StageEstimate llm_stage(const config::Recipe& recipe, const llm::ModelConfig& c, const Request& req, const Shape& s,
                        const std::string& stage, int64_t tp, int64_t dp) {
  const double t = static_cast<double>(tp);
  const Hardware& hw = req.hw;
  StageEstimate e;
  e.stage = stage;
  e.weights = static_cast<double>(c.num_parameters_per_rank(tp)) * s.b;
  e.context = hw.context_bytes;
  e.comm = tp * dp > 1 ? hw.comm_bytes : 0;
  const double soft = static_cast<double>(recipe.stage1.soft_tokens) * s.h;
  const bool train = stage == "stage1" || stage == "stage2";
  const config::OptimConfig& optim = stage == "stage2" ? recipe.stage2.train : recipe.stage1.train;
  const double trained_values = stage == "stage1" ? soft : stage == "stage2" ? lora_values(recipe, s, t) : 0;
  if (stage == "stage1") e.trainable = soft * trainable_bytes_per_value(optim.optimizer);
  if (stage == "stage2")
    e.trainable = trained_values * trainable_bytes_per_value(optim.optimizer) + soft * 4 /* frozen soft prompt */;
  if (stage == "eval") e.trainable = soft * 4 + lora_values(recipe, s, t) * 4;

  // Positions one example runs: the prompt, and with likelihood scoring the candidates' titles after it.
  const double continuation = s.likelihood ? s.C * (kTitleTokens - 1) : 0;
  const double per_example = static_cast<double>(s.S) + continuation;
  const double head_positions = s.likelihood ? 1 + continuation : 1;  // positions that get logits
  const double logits_bytes = head_positions * s.V / t * 4;

  const LayerBytes layer = layer_bytes(recipe, s, t, stage == "stage2");
  if (train) {
    const int64_t local = std::max<int64_t>(1, optim.batch_size / dp);
    const double micro = static_cast<double>(std::min(optim.micro_batch_size, local));
    const double tokens = micro * per_example;  // the graph of one micro-batch is kept until its backward
    const std::string& mode = recipe.backbone.recompute;
    double kept = 0, working = 0;
    if (mode == "full") {
      kept = s.L * s.b * s.h;   // each layer's input
      working = layer.total();  // the layer being recomputed
    } else if (mode == "selective") {
      kept = s.L * (layer.attention + s.b * s.h);  // the MLP block's input instead of its activations
      working = layer.mlp;
    } else {
      kept = s.L * layer.total();
    }
    e.activations = tokens * (kept + working);
    e.scoring = micro * logits_bytes * 3;  // logits, log-softmax kept for backward, their gradient

    // Time: 2N forward and 2N for the input gradients (the base is frozen) per token, attention 6 q S per layer
    // (causal, forward and backward), recomputation's extra forward, the head at the scored positions.
    const double N = layer_matmul_params(s, t);
    const double mlp_params = s.L * 3 * s.h * s.f / t;
    double flops_per_token = 4 * N + 6 * s.L * s.q / t * static_cast<double>(s.S);
    if (mode == "full") flops_per_token += 2 * N + 2 * s.L * s.q / t * static_cast<double>(s.S);
    if (mode == "selective") flops_per_token += 2 * mlp_params;
    const double step_tokens = static_cast<double>(local) * per_example;
    const double head_flops = static_cast<double>(local) * head_positions * 4 * s.h * s.V / t;
    e.compute_seconds = compute_seconds(step_tokens * flops_per_token + head_flops, hw);
    // TP: the two row-parallel outputs per layer forward, the five column-parallel inputs' gradients backward;
    // recomputation repeats the forward ones.
    const double collectives = (2 + 5 + (mode == "full" ? 2 : 0)) * s.L;
    const double micro_batches = static_cast<double>(local) / micro;
    e.tp_seconds = tp > 1 ? micro_batches * collectives *
                                all_reduce_seconds(micro * per_example * s.h * s.b, t, hw.tp_bytes_per_s)
                          : 0;
    const double dp_rate = req.nodes > 1 ? hw.dp_bytes_per_s : hw.tp_bytes_per_s;
    e.dp_seconds = all_reduce_seconds(trained_values * 4, static_cast<double>(dp), dp_rate);
  } else {
    // Evaluation: forward only, one test prompt at a time; what a layer works on is freed after it.
    e.activations = per_example * (layer.total() + 4 * s.h);
    if (s.likelihood) e.activations += s.L * static_cast<double>(s.S) * 2 * std::max(s.kv / t, s.q / s.heads) * s.b;
    e.scoring = logits_bytes * 2;
    const double N = layer_matmul_params(s, t);
    e.compute_seconds = compute_seconds(
        per_example * (2 * N + 2 * s.L * s.q / t * static_cast<double>(s.S)) + head_positions * 2 * s.h * s.V / t, hw);
    e.tp_seconds = tp > 1 ? 2 * s.L * all_reduce_seconds(per_example * s.h * s.b, t, hw.tp_bytes_per_s) : 0;
  }
  e.peak_bytes = e.weights + e.trainable + e.activations + e.scoring + e.comm + e.context;
  e.step_seconds = e.compute_seconds + e.tp_seconds + e.dp_seconds;
  return e;
}

// The teacher trains on world rank 0 alone (SASRec, GRU4Rec or Caser): a small model, listed for completeness.
StageEstimate teacher_stage(const config::Recipe& recipe, const Request& req) {
  const auto& t = recipe.teacher;
  const double items = static_cast<double>(req.teacher_items > 0 ? req.teacher_items : 1682) + 1;
  const double hidden = static_cast<double>(t.model == "gru4rec" ? t.gru4rec.hidden
                                            : t.model == "caser" ? t.caser.hidden
                                                                 : t.sasrec.hidden);
  const double blocks = static_cast<double>(t.model == "sasrec" ? t.sasrec.blocks : 1);
  const double params = items * hidden * (t.model == "caser" ? 2 : 1) + static_cast<double>(t.max_len) * hidden +
                        blocks * 12 * hidden * hidden;
  const double tokens = static_cast<double>(t.batch_size * t.max_len);
  StageEstimate e;
  e.stage = "teacher";
  e.context = req.hw.context_bytes;
  e.trainable = params * 16;
  e.activations = tokens * blocks * 24 * hidden * 4;
  e.scoring = t.loss == "softmax" ? tokens * items * 4 * 3 : tokens * hidden * 4 * 4;
  e.peak_bytes = e.trainable + e.activations + e.scoring + e.context;
  const double flops = 6 * tokens * (blocks * 12 * hidden * hidden + (t.loss == "softmax" ? items * hidden : 2 * hidden));
  e.compute_seconds = compute_seconds(flops, req.hw);
  e.step_seconds = e.compute_seconds;
  return e;
}

Shape shape_of(const config::Recipe& recipe, const llm::ModelConfig& c, const Request& req) {
  Shape s;
  s.h = static_cast<double>(c.hidden_size);
  s.L = static_cast<double>(c.num_layers);
  s.q = static_cast<double>(c.num_heads * c.head_dim);
  s.kv = static_cast<double>(c.num_kv_heads * c.head_dim);
  s.f = static_cast<double>(c.intermediate_size);
  s.V = static_cast<double>(c.vocab_size);
  s.heads = static_cast<double>(c.num_heads);
  s.b = static_cast<double>(compute_bytes(recipe, req.hw));
  s.C = static_cast<double>(recipe.data.num_candidates);
  s.likelihood = recipe.prompt.scoring == "likelihood";
  s.S = req.tokens_per_example > 0
            ? req.tokens_per_example
            : recipe.stage1.soft_tokens + kTemplateTokens +
                  (recipe.prompt.max_history_items + recipe.data.num_candidates) * kTitleTokens +
                  recipe.data.num_candidates * kLabelTokens;
  if (req.tokens_per_example <= 0 && recipe.prompt.token_budget > 0)
    s.S = std::min(s.S, recipe.prompt.token_budget);  // longer prompts drop history items to fit
  return s;
}

std::string gib(double bytes) { return fmt::format("{:.2f}", bytes / kGiB); }

}  // namespace

Hardware hardware(const std::string& name) {
  // Matmul rates: bfloat16 dense, as LibTorch reaches them (H100/H200: measured, ~80% of the published 989
  // TFLOP/s; A100: 87% of the published 312). Efficiency: what a LoRA/soft-prompt step reaches of that rate
  // (docs/plan.md). Bus bandwidths: NCCL all-reduce over NVLink inside a node, InfiniBand across nodes. Every
  // GPU: 0.75 GiB of CUDA context and LibTorch kernels, 0.5 GiB of NCCL buffers.
  struct Gpu {
    const char* name;
    double memory_gib, matmul_flops, tp_bytes_per_s, dp_bytes_per_s;
  };
  static constexpr Gpu kGpus[] = {{"h100-80gb", 79.2, 790e12, 360e9, 40e9},
                                  {"h200-141gb", 139.8, 790e12, 360e9, 40e9},
                                  {"a100-80gb", 79.2, 270e12, 230e9, 20e9}};
  Hardware hw;
  hw.name = name;
  for (const Gpu& g : kGpus) {
    if (name != g.name) continue;
    hw.memory_bytes = g.memory_gib * kGiB;
    hw.matmul_flops = g.matmul_flops;
    hw.efficiency = 0.5;
    hw.tp_bytes_per_s = g.tp_bytes_per_s;
    hw.dp_bytes_per_s = g.dp_bytes_per_s;
    hw.context_bytes = 0.75 * kGiB;
    hw.comm_bytes = 0.5 * kGiB;
    return hw;
  }
  DELREC_CHECK(name == "cpu", "--gpu: unknown hardware '{}' (use h100-80gb, h200-141gb, a100-80gb or cpu)", name);
  hw.gpu = false;
  const auto pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  hw.memory_bytes = static_cast<double>(pages) * static_cast<double>(page);  // shared by the node's ranks
  hw.matmul_flops = 0;  // measured by make_plan, which times steps; the memory check before a run needs none
  hw.efficiency = 0.8;  // bench_peer: 0.094-0.131 TFLOP/s of steps against ~0.14 for torch.mm alone
  hw.tp_bytes_per_s = 5e9;
  hw.dp_bytes_per_s = 1e9;
  // The process before the model: LibTorch, oneDNN and MPI mapped and initialised, the dataset, the tokenizer
  // (measured on Debian 12 x86-64 with the PyTorch wheel: ~0.21 GiB of library pages, ~0.2 GiB of heap).
  hw.context_bytes = 0.38 * kGiB;
  hw.comm_bytes = 0;  // MPI's buffers: in the process before the model (MPI starts first)
  return hw;
}

Hardware hardware_here(const torch::Device& device) {
  if (!device.is_cuda()) return hardware("cpu");
  const double total = parallel::device_memory_bytes(device);
  Hardware hw = hardware(total > 100 * kGiB ? "h200-141gb" : "h100-80gb");
  hw.name = fmt::format("this GPU ({})", device.str());
  hw.memory_bytes = total;
  return hw;
}

llm::ModelConfig backbone_config(const config::Recipe& recipe) {
  fs::path dir = recipe.backbone.path.empty() ? fs::path(recipe.run.out_dir) / "backbone" : fs::path(recipe.backbone.path);
  if (fs::exists(dir / "config.json")) return llm::load_model_config(dir / "config.json");
  DELREC_CHECK(recipe.backbone.path.empty(), "backbone.path: {} has no config.json; plan needs the backbone's "
               "config.json (no weights)", dir.string());
  const auto& sc = recipe.backbone.scratch;  // not built yet: its shape from the recipe (scratch_backbone.cpp)
  llm::ModelConfig c;
  c.model_type = "llama";
  c.vocab_size = (sc.vocab + 63) / 64 * 64;
  c.hidden_size = sc.hidden;
  c.intermediate_size = sc.intermediate;
  c.num_layers = sc.layers;
  c.num_heads = sc.heads;
  c.num_kv_heads = sc.kv_heads;
  c.head_dim = sc.hidden / sc.heads;
  return c;
}

Layout estimate_layout(const config::Recipe& recipe, const llm::ModelConfig& c, const Request& req, int64_t tp,
                       int64_t dp) {
  const Shape s = shape_of(recipe, c, req);
  Layout layout;
  layout.tp = tp;
  layout.dp = dp;
  layout.stages.push_back(teacher_stage(recipe, req));
  for (const char* stage : {"stage1", "stage2", "eval"}) layout.stages.push_back(llm_stage(recipe, c, req, s, stage, tp, dp));
  // On a CPU node the ranks share its memory; a GPU rank has its own.
  const double ranks_sharing = req.hw.gpu ? 1.0 : static_cast<double>(req.gpus_per_node);
  layout.fits = true;
  for (const auto& e : layout.stages) layout.fits = layout.fits && e.peak_bytes * ranks_sharing <= req.hw.memory_bytes;
  return layout;
}

Plan make_plan(const config::Recipe& recipe, const Request& req) {
  DELREC_CHECK(req.nodes >= 1 && req.gpus_per_node >= 1, "--nodes and --gpus-per-node must be at least 1");
  Plan plan;
  plan.config = backbone_config(recipe);
  plan.model = recipe.backbone.path.empty() ? "the scratch backbone" : recipe.backbone.path;
  plan.request = req;
  if (plan.request.hw.matmul_flops <= 0) plan.request.hw.matmul_flops = measured_cpu_matmul_flops();
  plan.recompute = recipe.backbone.recompute;
  plan.tokens_per_example = shape_of(recipe, plan.config, plan.request).S;
  const int64_t world = req.nodes * req.gpus_per_node;
  for (int64_t tp = 1; tp <= req.gpus_per_node; ++tp) {
    if (req.gpus_per_node % tp != 0 || !plan.config.tp_split_error(tp).empty()) continue;  // a TP group stays on one node
    plan.layouts.push_back(estimate_layout(recipe, plan.config, plan.request, tp, world / tp));
  }
  // The fastest stage-2 step among the layouts that fit (stage 2 is the longest training); ties to less TP.
  double best = 0;
  for (size_t i = 0; i < plan.layouts.size(); ++i) {
    if (!plan.layouts[i].fits) continue;
    const double s = plan.layouts[i].stages[2].step_seconds;
    if (plan.recommended < 0 || s < best * 0.999) {
      plan.recommended = static_cast<int>(i);
      best = s;
    }
  }
  return plan;
}

std::string format_plan(const Plan& p) {
  const auto& c = p.config;
  std::string out = fmt::format(
      "plan for {} ({} layers, hidden {}, {} heads / {} kv, intermediate {}, vocab {}; {:.2f} B parameters)\n"
      "  {} node(s) x {} {} ({:.1f} GiB each), recompute {}, {} tokens per example\n",
      p.model, c.num_layers, c.hidden_size, c.num_heads, c.num_kv_heads, c.intermediate_size, c.vocab_size,
      static_cast<double>(c.num_parameters()) / 1e9, p.request.nodes, p.request.gpus_per_node, p.request.hw.name,
      p.request.hw.memory_bytes / kGiB, p.recompute, p.tokens_per_example);
  out += fmt::format("  {:>3} {:>4}  {:<8} {:>8} {:>8} {:>9} {:>8} {:>8} {:>9}  {:>9}  {}\n", "tp", "dp", "stage",
                     "weights", "trained", "activ.", "scoring", "other", "peak GiB", "step s", "");
  for (size_t i = 0; i < p.layouts.size(); ++i) {
    const Layout& l = p.layouts[i];
    for (const auto& e : l.stages)
      out += fmt::format("  {:>3} {:>4}  {:<8} {:>8} {:>8} {:>9} {:>8} {:>8} {:>9}  {:>9.3f}  {}\n", l.tp, l.dp,
                         e.stage, gib(e.weights), gib(e.trainable), gib(e.activations), gib(e.scoring),
                         gib(e.comm + e.context), gib(e.peak_bytes), e.step_seconds,
                         e.peak_bytes <= p.request.hw.memory_bytes ? "" : "does not fit");
  }
  if (p.layouts.empty()) out += "  no TP size divides both the node's GPUs and the model's heads/MLP/vocabulary\n";
  if (p.recommended >= 0)
    out += fmt::format("recommended: tp {} dp {} (fastest stage-2 step that fits)\n", p.layouts[p.recommended].tp,
                       p.layouts[p.recommended].dp);
  else
    out += "recommended: none fits; add nodes, try backbone.recompute=full, or lower micro_batch_size\n";
  return out;
}

nlohmann::json plan_json(const Plan& p) {
  nlohmann::json layouts = nlohmann::json::array();
  for (const Layout& l : p.layouts) {
    nlohmann::json stages = nlohmann::json::object();
    for (const auto& e : l.stages)
      stages[e.stage] = {{"peak_bytes_per_rank", static_cast<int64_t>(e.peak_bytes)},
                         {"step_seconds", e.step_seconds},
                         {"weights_bytes", static_cast<int64_t>(e.weights)},
                         {"trainable_bytes", static_cast<int64_t>(e.trainable)},
                         {"activation_bytes", static_cast<int64_t>(e.activations)},
                         {"scoring_bytes", static_cast<int64_t>(e.scoring)},
                         {"runtime_bytes", static_cast<int64_t>(e.comm + e.context)}};
    layouts.push_back({{"tp", l.tp}, {"dp", l.dp}, {"fits", l.fits}, {"stages", stages}});
  }
  nlohmann::json recommended = nullptr;
  if (p.recommended >= 0)
    recommended = {{"tp", p.layouts[p.recommended].tp}, {"dp", p.layouts[p.recommended].dp}};
  return {{"layouts", layouts}, {"recommended", recommended}};
}

void check_fits(const config::Recipe& recipe, const Request& req, int64_t tp, int64_t dp) {
  const llm::ModelConfig c = backbone_config(recipe);
  const std::string split_error = c.tp_split_error(tp);
  DELREC_CHECK(split_error.empty(), "backbone.tp {} cannot split this backbone: {}; `delrec plan` lists the TP sizes that work",
               tp, split_error);
  const Layout l = estimate_layout(recipe, c, req, tp, dp);
  if (l.fits) return;
  std::string why;
  for (const auto& e : l.stages)
    why += fmt::format(" {} {} GiB;", e.stage, gib(e.peak_bytes));
  throw Error(fmt::format("layout tp {} x dp {} on {} is predicted not to fit ({:.1f} GiB per rank):{} see `delrec plan` "
                          "for layouts that fit, set backbone.recompute=full or a smaller micro_batch_size, or pass "
                          "--force to run anyway",
                          tp, dp, req.hw.name, req.hw.memory_bytes / kGiB, why));
}

}  // namespace delrec::plan
