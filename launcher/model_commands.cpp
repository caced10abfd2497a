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

// Tolerances on the relative error against Hugging Face's float32 reference: float32 must agree to rounding;
// bfloat16 weights and activations (8 bits of mantissa, relative rounding 2^-9 per operation) drift by about 1% over
// a few layers, gradients a little more (0.9-1.3e-2 measured on the fixtures: docs/models.md).
struct Tolerances {
  double outputs, gradients;
};
Tolerances tolerances(torch::Dtype dtype) {
  return dtype == torch::kBFloat16 ? Tolerances{3e-2, 5e-2} : Tolerances{1e-5, 1e-4};
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
  const Tolerances tol = tolerances(dtype);
  llm::CausalLm model = llm::load_causal_lm(dir, groups.tp, dtype, device);
  const torch::Tensor ids = ref.read("input_ids").to(device);
  auto full = [&](const torch::Tensor& local) { return parallel::gather_from_tp_region(local, groups.tp); };

  struct Row {
    std::string name;
    double error, tolerance;
  };
  std::vector<Row> rows;
  if (ref.contains("logits")) {
    torch::NoGradGuard no_grad;
    rows.push_back({"logits", relative_error(full(model->forward(ids)), ref.read("logits")), tol.outputs});
  }
  if (ref.contains("soft_prompt")) {
    torch::Tensor soft = ref.read("soft_prompt").to(device).requires_grad_(true);
    torch::Tensor local = model->forward(ids, soft);  // (B, n + T, V/tp)
    if (ref.contains("soft_logits"))
      rows.push_back({"soft_logits", relative_error(full(local), ref.read("soft_logits")), tol.outputs});
    if (ref.contains("soft_loss") || ref.contains("soft_grad")) {
      // Mean next-token cross-entropy over the text positions: logits at n..n+T-2 predict ids 1..T-1.
      const int64_t n = soft.size(0), T = ids.size(1);
      torch::Tensor loss = parallel::vocab_parallel_cross_entropy(local.narrow(1, n, T - 1).to(torch::kFloat32).contiguous(),
                                                                  ids.narrow(1, 1, T - 1).contiguous(), groups.tp)
                               .mean();
      if (ref.contains("soft_loss"))
        rows.push_back({"soft_loss", relative_error(loss.reshape({1}), ref.read("soft_loss")), tol.outputs});
      if (ref.contains("soft_grad")) {
        loss.backward();
        rows.push_back({"soft_grad", relative_error(soft.grad(), ref.read("soft_grad")), tol.gradients});
      }
    }
  }
  if (ref.contains("lora_logits") && fs::exists(dir / "lora_adapter")) {
    torch::NoGradGuard no_grad;
    llm::load_lora(model, dir / "lora_adapter");
    rows.push_back({"lora_logits", relative_error(full(model->forward(ids)), ref.read("lora_logits")), tol.outputs});
  }
  DELREC_CHECK(!rows.empty(), "{}: reference.safetensors holds none of logits, soft_logits, soft_loss, soft_grad, "
               "lora_logits", dir.string());
  bool ok = true;
  for (const auto& r : rows) ok = ok && r.error <= r.tolerance;
  if (world.rank() == 0) {
    std::cout << fmt::format("{} (tp {}, {}, {})\n", dir.string(), tp, dtype_name, device.str());
    for (const auto& r : rows)
      std::cout << fmt::format("  {:<12} relative error {:.3e}  (tolerance {:.0e})  {}\n", r.name, r.error,
                               r.tolerance, r.error <= r.tolerance ? "ok" : "FAIL");
  }
  DELREC_CHECK(ok, "{}: outputs differ from the Hugging Face reference beyond tolerance (rank {})", dir.string(),
               world.rank());
}

// Parameters one rank holds at this TP size (key/value heads replicated when tp exceeds their count).
int64_t parameters_per_rank(const llm::ModelConfig& c, int64_t tp) {
  const int64_t h = c.hidden_size, d = c.head_dim;
  const int64_t q = c.num_heads * d / tp, kv = std::max<int64_t>(1, c.num_kv_heads / tp) * d;
  int64_t layer = h * q + 2 * h * kv + q * h + 3 * h * c.intermediate_size / tp + 2 * h;
  if (c.attention_bias) layer += q + 2 * kv;
  if (c.o_bias) layer += h;
  if (c.mlp_bias) layer += 2 * c.intermediate_size / tp + h;
  const int64_t embed = c.vocab_size / tp * h;
  return c.num_layers * layer + h + embed * (c.tie_word_embeddings ? 1 : 2);
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
  const int64_t per_rank = parameters_per_rank(c, tp);
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
      "verify", "Recompute DIR/reference.safetensors (logits, soft-prompt loss and gradient, LoRA logits) and print "
                "relative errors; exits 1 above tolerance. Run under delrec launch / mpirun for tensor parallelism.");
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
