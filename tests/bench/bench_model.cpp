// Benchmarks of the LLM backbone (not run by ctest):
//   bench_model throughput [--preset small|1b] [--dtype float32|bfloat16] [--steps N]
//       forward+backward tokens/s of a random model with LoRA adapters, measured in the same run at TP 1 (every
//       rank its own model) and TP = world; run under mpirun -n 2 to compare TP 1 and 2.
//   bench_model generate DIR    writes a random Llama-3.2-1B-shaped bfloat16 checkpoint (one shard per layer)
//   bench_model load DIR        loads it with TP = world size; prints load time and peak RSS per rank against
//                               this rank's share of the weights
#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/llm/causal_lm.h"
#include "core/llm/lora.h"
#include "core/llm/safetensors.h"
#include "core/util/atomic_file.h"
#include "parallel/cross_entropy.h"
#include "parallel/parallel_groups.h"
#include "core/util/host_runtime.h"
#include "core/util/peak_memory.h"

namespace fs = std::filesystem;
using namespace delrec;
using Clock = std::chrono::steady_clock;

namespace {

const char* const kSmallConfig = R"({"model_type":"llama","vocab_size":8192,"hidden_size":512,
  "intermediate_size":1408,"num_hidden_layers":4,"num_attention_heads":8,"num_key_value_heads":4,"rope_theta":10000.0})";
// Llama-3.2-1B's shape (1.24 B parameters, tied embeddings).
const char* const k1BConfig = R"({"model_type":"llama","vocab_size":128256,"hidden_size":2048,
  "intermediate_size":8192,"num_hidden_layers":16,"num_attention_heads":32,"num_key_value_heads":8,
  "head_dim":64,"rope_theta":500000.0,"tie_word_embeddings":true,"max_position_embeddings":131072,"torch_dtype":"bfloat16"})";

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Tokens per second of forward + backward (LoRA on q/v, loss = vocabulary-parallel cross-entropy).
double tokens_per_second(const llm::ModelConfig& config, const std::shared_ptr<parallel::Communicator>& tp,
                         torch::Dtype dtype, torch::Device device, int steps) {
  torch::manual_seed(0);
  llm::CausalLm model(config, tp, dtype, device);
  llm::attach_lora(model, llm::LoraConfig{});
  const int64_t batch = 4, seq = 128;
  torch::Tensor ids = torch::randint(config.vocab_size, {batch, seq}, torch::TensorOptions().dtype(torch::kInt64).device(device));
  auto step = [&] {
    torch::Tensor logits = model->forward(ids.narrow(1, 0, seq - 1));
    torch::Tensor loss = parallel::vocab_parallel_cross_entropy(logits, ids.narrow(1, 1, seq - 1).contiguous(), tp).mean();
    loss.backward();
    return loss.item<double>();  // synchronises with the device
  };
  step();  // warm-up
  auto t0 = Clock::now();
  for (int i = 0; i < steps; ++i) step();
  return batch * (seq - 1) * steps / seconds_since(t0);
}

void throughput(const std::string& preset, const std::string& dtype_name, int steps) {
  parallel::World world;
  const llm::ModelConfig config = llm::parse_model_config(preset == "1b" ? k1BConfig : kSmallConfig, preset);
  const torch::Dtype dtype = dtype_name == "bfloat16" ? torch::kBFloat16 : torch::kFloat32;
  const torch::Device device = parallel::select_device();
  // TP 1: each rank trains its own replica (the data-parallel baseline); TP = world: one model over all ranks.
  auto single = parallel::make_parallel_groups(world, 1);
  const double base = tokens_per_second(config, single.tp, dtype, device, steps) * world.size();
  double split = base;
  if (world.size() > 1) {
    auto groups = parallel::make_parallel_groups(world, world.size());
    split = tokens_per_second(config, groups.tp, dtype, device, steps);
  }
  if (world.rank() == 0)
    std::cout << fmt::format("model {} ({:.1f} M parameters, {}, {}), forward+backward, batch 4 x 127 tokens\n"
                             "  tp 1 x {} replicas: {:.0f} tokens/s (all ranks together)\n"
                             "  tp {}:             {:.0f} tokens/s (ratio to tp 1: {:.2f})\n",
                             preset, config.num_parameters() / 1e6, dtype_name, device.str(), world.size(), base,
                             world.size(), split, split / base);
}

void generate(const fs::path& dir) {
  const llm::ModelConfig c = llm::parse_model_config(k1BConfig, "1b");
  fs::create_directories(dir);
  write_file_atomically(dir / "config.json", nlohmann::json::parse(k1BConfig).dump(2));
  nlohmann::json index = {{"metadata", nlohmann::json::object()}, {"weight_map", nlohmann::json::object()}};
  auto random = [](std::vector<int64_t> shape) { return (torch::randn(shape) * 0.02).to(torch::kBFloat16); };
  auto shard = [&](const std::string& file, const std::vector<std::pair<std::string, torch::Tensor>>& tensors) {
    llm::save_safetensors(dir / file, tensors, {{"format", "pt"}});
    for (const auto& t : tensors) index["weight_map"][t.first] = file;
  };
  const int64_t h = c.hidden_size, q = c.num_heads * c.head_dim, kv = c.num_kv_heads * c.head_dim;
  shard("embed.safetensors", {{"model.embed_tokens.weight", random({c.vocab_size, h})},
                              {"model.norm.weight", torch::ones({h}, torch::kBFloat16)}});
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    shard("layer" + std::to_string(i) + ".safetensors",
          {{p + "self_attn.q_proj.weight", random({q, h})}, {p + "self_attn.k_proj.weight", random({kv, h})},
           {p + "self_attn.v_proj.weight", random({kv, h})}, {p + "self_attn.o_proj.weight", random({h, q})},
           {p + "mlp.gate_proj.weight", random({c.intermediate_size, h})},
           {p + "mlp.up_proj.weight", random({c.intermediate_size, h})},
           {p + "mlp.down_proj.weight", random({h, c.intermediate_size})},
           {p + "input_layernorm.weight", torch::ones({h}, torch::kBFloat16)},
           {p + "post_attention_layernorm.weight", torch::ones({h}, torch::kBFloat16)}});
  }
  write_file_atomically(dir / "model.safetensors.index.json", index.dump(1));
  std::cout << fmt::format("wrote {} ({:.2f} B parameters, bfloat16)\n", dir.string(), c.num_parameters() / 1e9);
}

void load(const fs::path& dir) {
  parallel::World world;
  auto groups = parallel::make_parallel_groups(world, world.size());
  world.group()->barrier();
  const torch::Device cpu(torch::kCPU);
  util::reset_peak_memory(cpu);
  const double rss_before = util::peak_rss_bytes() / double(1 << 30);
  auto t0 = Clock::now();
  llm::CausalLm model = llm::load_causal_lm(dir, groups.tp, torch::kBFloat16);
  const double secs = seconds_since(t0);
  int64_t local_params = 0;
  for (const auto& p : model->parameters()) local_params += p.numel();
  const double share = local_params * 2.0 / (1 << 30);
  const double peak = util::peak_rss_bytes() / double(1 << 30);
  world.group()->barrier();
  std::cout << fmt::format("tp {} rank {}: load {:.2f} s, peak RSS {:.2f} GiB (before load {:.2f} GiB), this "
                           "rank's bf16 weights {:.2f} GiB, peak / share {:.2f}\n",
                           world.size(), world.rank(), secs, peak, rss_before, share, peak / share)
            << std::flush;
}

}  // namespace

int main(int argc, char** argv) {
  delrec::util::tune_host_runtime();  // docs/teachers.md: allocator and BLAS threads
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() >= 1 && args[0] == "throughput") {
      std::string preset = "small", dtype = "float32";
      int steps = 5;
      for (size_t i = 1; i + 1 < args.size(); i += 2) {
        if (args[i] == "--preset") preset = args[i + 1];
        if (args[i] == "--dtype") dtype = args[i + 1];
        if (args[i] == "--steps") steps = std::stoi(args[i + 1]);
      }
      throughput(preset, dtype, steps);
    } else if (args.size() == 2 && args[0] == "generate") {
      generate(args[1]);
    } else if (args.size() == 2 && args[0] == "load") {
      load(args[1]);
    } else {
      std::cerr << "usage: bench_model throughput [--preset small|1b] [--dtype float32|bfloat16] [--steps N]\n"
                   "       bench_model generate DIR | load DIR\n";
      return 2;
    }
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
