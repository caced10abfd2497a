// delrec model verify|info DIR: check a checkpoint against Hugging Face's reference outputs; describe its split.
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "core/llm/causal_lm.h"
#include "core/llm/lora.h"
#include "core/llm/model_config.h"
#include "core/llm/safetensors.h"
#include "core/util/error.h"
#include "core/util/log.h"
#include "launcher/commands.h"
#include "parallel/cross_entropy.h"
#include "parallel/mappings.h"
#include "parallel/parallel_groups.h"

namespace fs = std::filesystem;

namespace delrec::cli {
namespace {

double relative_error(const torch::Tensor& out, const torch::Tensor& ref) {
  torch::Tensor o = out.detach().to(torch::kCPU, torch::kFloat64), r = ref.to(torch::kFloat64);
  DELREC_CHECK(o.sizes() == r.sizes(), "computed shape {} differs from the reference shape {}", c10::str(o.sizes()),
               c10::str(r.sizes()));
  return (o - r).norm().item<double>() / std::max(r.norm().item<double>(), 1e-30);
}

// The tolerance on one tensor's relative error against Hugging Face's float32 reference. float32 must agree to
// rounding: 1e-5 for outputs, 1e-4 for gradients. bfloat16 (8 bits of mantissa) drifts by design, and how far
// depends on the model: when the reference records how far transformers' own bfloat16 run lands
// (bf16_error.<name>, tests/reference/hf_reference.py), delrec may be 1.5 times as far (at least 2^-8); otherwise
// 3e-2 for outputs and 5e-2 for gradients (0.9-1.3e-2 measured on the two-layer fixtures: docs/models.md).
double tolerance(const llm::SafetensorsFile& ref, const std::string& name, torch::Dtype dtype, bool gradient) {
  if (dtype != torch::kBFloat16) return gradient ? 1e-4 : 1e-5;
  const std::string recorded = "bf16_error." + name;
  // Never below one bfloat16 rounding step (2^-8): a lucky reference run must not make the check a coin toss.
  if (ref.contains(recorded)) return std::max(1.5 * ref.read(recorded).item<double>(), 1.0 / 256);
  return gradient ? 5e-2 : 3e-2;
}

// Greedy decoding of `count` tokens after `prompt` (P) int64, recomputing the whole sequence each step: the next
// token is the argmax of the last position's logits over the full vocabulary (gathered over the TP group).
std::vector<int64_t> greedy_generate(llm::CausalLm& model, const torch::Tensor& prompt, int64_t count,
                                     const std::shared_ptr<parallel::ProcessGroup>& tp) {
  torch::NoGradGuard no_grad;
  torch::Tensor sequence = prompt.reshape({1, -1});
  std::vector<int64_t> generated;
  for (int64_t i = 0; i < count; ++i) {
    torch::Tensor last = model->forward(sequence).select(1, -1).contiguous();  // (1, V/tp)
    const int64_t next = parallel::gather_from_tp_region(last, tp).argmax(-1).item<int64_t>();
    generated.push_back(next);
    sequence = torch::cat({sequence, torch::full({1, 1}, next, sequence.options())}, 1);
  }
  return generated;
}

// Computes every tensor of DIR/reference.safetensors the model can produce and compares it.
void verify(const fs::path& dir, int tp_size, const std::string& dtype_name) {
  parallel::World world;
  set_log_rank(world.rank(), world.size());
  // --tp, else the size `delrec launch --tp` chose, else one model split over every rank.
  const int tp = tp_size > 0 ? tp_size : std::getenv("DELREC_TP") ? parallel::tp_from_environment() : world.size();
  auto groups = parallel::make_parallel_groups(world, tp);
  const torch::Device device = parallel::select_device();  // this rank's GPU when there is one
  llm::SafetensorsFile ref(dir / "reference.safetensors");
  const torch::Dtype dtype = dtype_name == "bfloat16" ? torch::kBFloat16 : torch::kFloat32;
  llm::CausalLm model = llm::load_causal_lm(dir, groups.tp, dtype, device);
  model->eval();  // inference as transformers computes the reference: no LoRA dropout
  const torch::Tensor ids = ref.read("input_ids").to(device);
  auto full = [&](const torch::Tensor& local) { return parallel::gather_from_tp_region(local, groups.tp); };

  struct Row {
    std::string name;
    double error, tolerance;
  };
  std::vector<Row> rows;
  auto compare = [&](const std::string& name, const torch::Tensor& out, bool gradient = false) {
    rows.push_back({name, relative_error(out, ref.read(name)), tolerance(ref, name, dtype, gradient)});
  };
  if (ref.contains("logits")) {
    torch::NoGradGuard no_grad;
    compare("logits", full(model->forward(ids)));
  }
  if (ref.contains("soft_prompt")) {
    torch::Tensor soft = ref.read("soft_prompt").to(device).requires_grad_(true);
    torch::Tensor local = model->forward(ids, soft);  // (B, n + T, V/tp)
    if (ref.contains("soft_logits")) compare("soft_logits", full(local));
    if (ref.contains("soft_loss") || ref.contains("soft_grad")) {
      // Mean next-token cross-entropy over the text positions: logits at n..n+T-2 predict ids 1..T-1.
      const int64_t n = soft.size(0), T = ids.size(1);
      torch::Tensor loss = parallel::vocab_parallel_cross_entropy(
                               local.narrow(1, n, T - 1).to(torch::kFloat32).contiguous(),
                               ids.narrow(1, 1, T - 1).contiguous(), groups.tp)
                               .mean();
      if (ref.contains("soft_loss")) compare("soft_loss", loss.reshape({1}));
      if (ref.contains("soft_grad")) {
        loss.backward();
        compare("soft_grad", soft.grad(), /*gradient=*/true);
      }
    }
  }
  // Greedy generation, token for token (before the adapter is attached).
  int64_t differing = -1, generated = 0;
  if (ref.contains("prompt_ids") && ref.contains("generated_ids")) {
    const torch::Tensor expected = ref.read("generated_ids");
    generated = expected.numel();
    const std::vector<int64_t> got = greedy_generate(model, ref.read("prompt_ids").to(device), generated, groups.tp);
    differing = 0;
    for (int64_t i = 0; i < generated; ++i) differing += got[size_t(i)] != expected[i].item<int64_t>();
  }
  if (ref.contains("lora_logits") && fs::exists(dir / "lora_adapter")) {
    torch::NoGradGuard no_grad;
    llm::load_lora(model, dir / "lora_adapter");
    compare("lora_logits", full(model->forward(ids)));
  }
  DELREC_CHECK(!rows.empty(), "{}: reference.safetensors holds none of logits, soft_logits, soft_loss, soft_grad, "
               "lora_logits", dir.string());
  bool ok = differing <= 0;
  for (const auto& r : rows) ok = ok && r.error <= r.tolerance;
  if (world.rank() == 0) {
    std::cout << fmt::format("{} (tp {}, {}, {})\n", dir.string(), tp, dtype_name, device.str());
    for (const auto& r : rows)
      std::cout << fmt::format("  {:<12} relative error {:.3e}  (tolerance {:.1e})  {}\n", r.name, r.error,
                               r.tolerance, r.error <= r.tolerance ? "ok" : "FAIL");
    if (differing >= 0)
      std::cout << fmt::format("  {:<12} {} of {} greedy tokens equal to transformers' generate()  {}\n", "generation",
                               generated - differing, generated, differing == 0 ? "ok" : "FAIL");
  }
  DELREC_CHECK(ok, "{}: outputs differ from the Hugging Face reference beyond tolerance (rank {})", dir.string(),
               world.rank());
}

void info(const fs::path& dir, int64_t tp, const std::string& dtype) {
  const llm::ModelConfig c = llm::load_model_config(dir / "config.json");
  const int64_t bytes = dtype == "float32" ? 4 : 2;
  std::cout << fmt::format(
      "{}: {} ({} layers, hidden {}, {} heads / {} kv heads of dim {}, intermediate {}, vocab {})\n"
      "  rope theta {} ({}), tied embeddings {}, q/k/v bias {}\n"
      "  parameters {} ({:.2f} B)\n",
      dir.string(), c.model_type, c.num_layers, c.hidden_size, c.num_heads, c.num_kv_heads, c.head_dim,
      c.intermediate_size, c.vocab_size, c.rope_theta, c.rope_scaling.type, c.tie_word_embeddings, c.attention_bias,
      c.num_parameters(), c.num_parameters() / 1e9);
  const int64_t per_rank = c.num_parameters_per_rank(tp);
  std::cout << fmt::format("  tp {}: {} parameters per rank, {:.2f} GiB of {} weights per rank\n", tp, per_rank,
                           per_rank * bytes / double(1ull << 30), dtype);
}

}  // namespace

void add_model_commands(CLI::App& app) {
  auto* group = app.add_subcommand("model", "Inspect and verify Hugging Face Llama / Mistral / Qwen2 checkpoints");
  group->require_subcommand(1);

  auto dir = std::make_shared<std::string>();
  auto tp = std::make_shared<int>(0);
  auto* v = group->add_subcommand(
      "verify", "Recompute DIR/reference.safetensors (logits, soft-prompt loss and gradient, LoRA logits, greedy "
                "generation) and print relative errors; exits 1 above tolerance. Run under delrec launch / mpirun "
                "for tensor parallelism.");
  v->add_option("DIR", *dir, "Model folder with config.json, weights and reference.safetensors")->required();
  v->add_option("--tp", *tp, "Tensor-parallel size (default: delrec launch --tp, else every rank)");
  auto verify_dtype = std::make_shared<std::string>("float32");
  v->add_option("--dtype", *verify_dtype, "Weight and compute dtype (bfloat16: looser tolerances, see docs/models.md)")
      ->check(CLI::IsMember({"float32", "bfloat16"}));
  v->callback([dir, tp, verify_dtype] { verify(*dir, *tp, *verify_dtype); });

  auto info_tp = std::make_shared<int64_t>(1);
  auto dtype = std::make_shared<std::string>("bfloat16");
  auto* i = group->add_subcommand("info", "Print the architecture, parameter count and per-rank weight memory");
  i->add_option("DIR", *dir, "Model folder with config.json")->required();
  i->add_option("--tp", *info_tp, "Tensor-parallel size")->check(CLI::PositiveNumber);
  i->add_option("--dtype", *dtype, "Weight dtype")->check(CLI::IsMember({"float32", "bfloat16", "float16"}));
  i->callback([dir, info_tp, dtype] { info(*dir, *info_tp, *dtype); });
}

}  // namespace delrec::cli
