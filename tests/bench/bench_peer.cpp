// delrec's training step against Hugging Face transformers + PEFT's, on the same model, inputs and threads, in one
// run (not run by ctest):
//   bench_peer [--model DIR] [--data ML100K_DIR] [--batch 4] [--seq 1024] [--soft-tokens 20] [--steps 4]
//              [--threads 2] [--python PYTHON] [--only stage1|stage2] [--profile PREFIX]
// DIR: a Hugging Face checkpoint folder (default: the SmolLM2-135M-Instruct that ctest's smollm2_prepare converts).
// Both sides run float32 on the CPU, each step is forward + backward + AdamW (lr 1e-4), on inputs written to a
// safetensors file that the peer (peer_hf_peft.py, run as a child process) reads too. Two kinds of input:
//   4 x 1024   random token ids (B, T); loss = causal-LM loss over the tokens (after the soft prompt in stage 1);
//   prompts    B real DELRec prompts of recipes/ml100k-delrec-smollm2.yaml (MovieLens-100K validation users,
//              label scoring over 20 candidates, the soft prompt inside the prompt); loss = the candidates'
//              softmax cross-entropy, delrec through its stage code (stages::scored_task). Left out, with a
//              message, when ML100K_DIR (default ../shared/data/ml-100k) is missing.
// and two steps: stage2 = LoRA r=16 alpha=32 on q_proj and v_proj, the soft prompt frozen; stage1 = the backbone
// frozen, the soft prompt trains.
// The first step is a warm-up; the figure is the median of the others. Tokens per step are counted once, for
// both sides: B x T, or the prompts' positions (soft prompt included). TFLOP/s count 4N + 6 L h T per token: N
// the matmul parameters (the layers' projections and the head; a frozen base costs 2N forward and 2N for the
// input gradients) and causal attention's forward and backward at the mean length T. The first step's losses
// must agree (same weights, same inputs; PEFT's B and delrec's start at zero), or the comparison is refused.
// Results and what sets them: docs/performance.md. The last lines read (the prompts when present, else
// 4 x 1024)
//   peer stage1: delrec X tok/s, hf+peft Y tok/s, ratio R
//   peer stage2: delrec X tok/s, hf+peft Y tok/s, ratio R
#include <fmt/format.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/config/recipe.h"
#include "core/data/prepare.h"
#include "core/delrec/candidate_scorer.h"
#include "core/delrec/examples.h"
#include "core/delrec/losses.h"
#include "core/delrec/prompt_encoder.h"
#include "core/delrec/scored_task.h"
#include "core/llm/causal_lm.h"
#include "core/llm/lora.h"
#include "core/llm/safetensors.h"
#include "core/llm/tokenizer.h"
#include "core/util/error.h"
#include "core/util/host_runtime.h"
#include "core/util/median.h"
#include "parallel/cross_entropy.h"
#include "parallel/parallel_groups.h"

namespace fs = std::filesystem;
using namespace delrec;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  fs::path model = DELREC_SMOLLM2_DIR;
  fs::path data = fs::path(DELREC_SHARED_DIR) / "data" / "ml-100k";
  int64_t batch = 4, seq = 1024, soft_tokens = 20;
  int steps = 4, threads = 2;
  std::string python = DELREC_PYTHON;
  std::string only;       // "stage1" or "stage2": that step alone
  std::string profile;    // a path prefix: delrec's timed steps as Chrome traces, PREFIX.<inputs>.<stage>.json
};

struct Timing {
  double first_loss = 0;
  std::vector<double> seconds;  // every step's; [0] is the warm-up
  double tokens_per_second(int64_t tokens) const {
    return static_cast<double>(tokens) / util::median({seconds.begin() + 1, seconds.end()});
  }
};

// One step's loss on the model, given the soft prompt (trainable in stage 1, frozen in stage 2).
using LossFn = std::function<torch::Tensor(llm::CausalLm&, const torch::Tensor& soft)>;

// delrec's steps. stage2: LoRA on q, v; stage1: the soft prompt alone trains.
Timing delrec_steps(const Options& o, const parallel::ParallelGroups& groups, const std::string& mode,
                    const torch::Tensor& soft0, const LossFn& loss_fn, const std::string& trace_path) {
  llm::CausalLm model = llm::load_causal_lm(o.model, groups.tp, torch::kFloat32);
  model->train();
  for (auto& p : model->parameters()) p.set_requires_grad(false);
  std::vector<torch::Tensor> params;
  torch::Tensor soft = soft0.clone();
  if (mode == "stage2") {
    llm::LoraConfig lora;
    lora.r = 16;
    lora.alpha = 32;
    lora.target_modules = {"q_proj", "v_proj"};
    llm::attach_lora(model, lora);
    params = llm::lora_parameters(model);
  } else {
    soft.set_requires_grad(true);
    params = {soft};
  }
  torch::optim::AdamW opt(params, torch::optim::AdamWOptions(1e-4));
  Timing timing;
  std::unique_ptr<torch::autograd::profiler::RecordProfile> trace;
  for (int i = 0; i < o.steps; ++i) {
    if (i == 1 && !trace_path.empty()) trace = std::make_unique<torch::autograd::profiler::RecordProfile>(trace_path);
    const auto t0 = Clock::now();
    torch::Tensor loss = loss_fn(model, soft);
    loss.backward();
    opt.step();
    opt.zero_grad();
    const double value = loss.item<double>();
    timing.seconds.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    if (i == 0) timing.first_loss = value;
  }
  return timing;
}

// The causal-LM loss over ids (B, T): stage 2 on the tokens alone, stage 1 after the soft prompt, as Hugging
// Face's labels (-100 on the soft prompt) do. Position p is scored against token p + 1, -100 where there is none:
// the targets are shifted, not the (B, S, V) logits, which would cost a copy forward and a zero-filled gradient
// backward. The mean is over the scored positions.
LossFn fixed_length_loss(const std::string& mode, const torch::Tensor& ids, const parallel::ParallelGroups& groups) {
  return [mode, ids, tp = groups.tp](llm::CausalLm& model, const torch::Tensor& soft) {
    const int64_t b = ids.size(0), t = ids.size(1), n = mode == "stage2" ? 0 : soft.size(0);
    auto ignored = [&](int64_t k) { return torch::full({b, k}, -100, torch::kInt64); };
    // (B, n + T): n - 1 unscored soft positions, the last soft position and the tokens predicting ids[1:]..., the
    // last token predicting nothing.
    torch::Tensor targets = n == 0 ? torch::cat({ids.narrow(1, 1, t - 1), ignored(1)}, 1)
                                   : torch::cat({ignored(n - 1), ids, ignored(1)}, 1);
    torch::Tensor logits = n == 0 ? model->forward(ids) : model->forward(ids, soft);  // (B, n + T, V)
    torch::Tensor losses = parallel::vocab_parallel_cross_entropy(logits, targets, tp);
    return losses.sum() / static_cast<double>(b * (n == 0 ? t - 1 : t));
  };
}

Timing peer_steps(const Options& o, const std::string& mode, const fs::path& inputs) {
  const std::string script = std::string(DELREC_SOURCE_DIR) + "/tests/bench/peer_hf_peft.py";
  const std::string command = fmt::format("'{}' '{}' --model '{}' --inputs '{}' --mode {} --steps {} --threads {}",
                                          o.python, script, o.model.string(), inputs.string(), mode, o.steps,
                                          o.threads);
  FILE* pipe = popen(command.c_str(), "r");
  DELREC_CHECK(pipe != nullptr, "cannot run {}", command);
  std::string out;
  char buffer[4096];
  while (size_t got = fread(buffer, 1, sizeof(buffer), pipe)) out.append(buffer, got);
  const int status = pclose(pipe);
  DELREC_CHECK(status == 0, "the Hugging Face peer failed ({}): {}", command, out);
  const size_t line = out.rfind("\n{");  // its JSON line is the last one
  const nlohmann::json j = nlohmann::json::parse(out.substr(line == std::string::npos ? 0 : line + 1));
  Timing timing;
  timing.first_loss = j.at("loss").get<double>();
  timing.seconds = j.at("seconds").get<std::vector<double>>();
  DELREC_CHECK(timing.seconds.size() == static_cast<size_t>(o.steps), "the peer timed {} steps, not {}",
               timing.seconds.size(), o.steps);
  return timing;
}

// FLOPs per trained token in the 4N + attention convention (frozen base), at sequence length `seq`.
double flops_per_token(const llm::ModelConfig& c, int64_t seq) {
  const double h = static_cast<double>(c.hidden_size);
  const double q = static_cast<double>(c.num_heads * c.head_dim), kv = static_cast<double>(c.num_kv_heads * c.head_dim);
  const double per_layer = h * (q + 2 * kv) + q * h + 3 * h * static_cast<double>(c.intermediate_size);
  const double matmul_params = static_cast<double>(c.num_layers) * per_layer + h * static_cast<double>(c.vocab_size);
  return 4 * matmul_params + 6.0 * static_cast<double>(c.num_layers) * q * static_cast<double>(seq);
}

// What one kind of input needs: the file the peer reads, delrec's loss, the tokens of a step, the mean length.
struct Inputs {
  std::string name;
  std::vector<std::pair<std::string, torch::Tensor>> tensors;  // for the peer
  std::function<LossFn(const std::string& mode)> loss;
  int64_t tokens = 0;
  int64_t mean_length = 0;
};

// What delrec's stage code scores real prompts with; the encoder and the encoded examples refer to the rest.
struct PromptState {
  config::Recipe recipe;
  data::Dataset dataset;
  std::unique_ptr<llm::Tokenizer> tokenizer;
  std::unique_ptr<prompt::PromptEncoder> encoder;
  std::vector<examples::Example> examples;
  std::unique_ptr<prompt::EncodedExamples> encoded;
};

// B real DELRec prompts: the recommendation task of recipes/ml100k-delrec-smollm2.yaml on MovieLens-100K's
// validation users, scored by delrec's stage code.
Inputs prompt_inputs(const Options& o, const torch::Tensor& soft) {
  auto st = std::make_shared<PromptState>();
  st->recipe = config::load_recipe(fs::path(DELREC_SOURCE_DIR) / "recipes" / "ml100k-delrec-smollm2.yaml",
                                   {"data.source=" + o.data.string(), "backbone.path=" + o.model.string(),
                                    "stage1.soft_tokens=" + std::to_string(o.soft_tokens)});
  st->dataset = data::prepare(st->recipe.data);
  st->tokenizer = llm::load_tokenizer(o.model);
  st->encoder = std::make_unique<prompt::PromptEncoder>(st->recipe.prompt, st->recipe.teacher.model, o.soft_tokens,
                                                        *st->tokenizer, st->dataset, st->recipe.data.num_candidates);
  DELREC_CHECK(st->encoder->scoring() == prompt::Scoring::kLabel,
               "the ML-100K SmolLM2 recipe no longer uses label scoring; update peer_hf_peft.py");
  st->examples = examples::split_examples(st->dataset, examples::Split::kValid, o.batch,
                                          static_cast<uint64_t>(st->recipe.run.seed));
  DELREC_CHECK(static_cast<int64_t>(st->examples.size()) == o.batch, "{} holds fewer than {} validation users",
               o.data.string(), o.batch);
  st->encoded = std::make_unique<prompt::EncodedExamples>(*st->encoder, st->examples, prompt::Task::kRecommend);
  Inputs in;
  in.name = "prompts";
  std::vector<int64_t> labels, idx;
  for (int64_t i = 0; i < o.batch; ++i) {
    const auto& t = st->encoded->at(static_cast<size_t>(i));
    in.tensors.push_back({"before." + std::to_string(i), torch::tensor(t.before, torch::kInt64)});
    in.tensors.push_back({"after." + std::to_string(i), torch::tensor(t.after, torch::kInt64)});
    labels.push_back(st->examples[static_cast<size_t>(i)].label);
    in.tokens += stages::example_tokens(t, o.soft_tokens);
    idx.push_back(i);
  }
  in.mean_length = in.tokens / o.batch;
  in.tensors.push_back({"labels", torch::tensor(labels, torch::kInt64)});
  in.tensors.push_back({"label_ids", torch::tensor(st->encoder->label_ids(), torch::kInt64)});
  in.tensors.push_back({"soft_prompt", soft});
  in.loss = [st, idx](const std::string&) -> LossFn {
    return [st, idx](llm::CausalLm& model, const torch::Tensor& soft_prompt) {
      train::Task task = stages::scored_task("rec", model, soft_prompt, *st->encoded, *st->encoder,
                                             [](const examples::Example& e, const torch::Tensor& scores) {
                                               return stages::candidate_cross_entropy(scores, e.label);
                                             });
      return task.loss(idx) / static_cast<double>(idx.size());  // the mean over the prompts
    };
  };
  return in;
}

int run(const Options& o) {
  at::set_num_threads(o.threads);
  parallel::World world;
  const auto groups = parallel::make_parallel_groups(world, 1);
  const llm::ModelConfig config = llm::load_model_config(o.model / "config.json");
  torch::manual_seed(0);
  const torch::Tensor ids = torch::randint(config.vocab_size, {o.batch, o.seq}, torch::kInt64);
  const torch::Tensor soft = torch::randn({o.soft_tokens, config.hidden_size}) * 0.02;
  std::vector<Inputs> kinds;
  Inputs fixed;
  fixed.name = fmt::format("{} x {}", o.batch, o.seq);
  fixed.tensors = {{"ids", ids}, {"soft_prompt", soft}};
  fixed.loss = [&](const std::string& mode) { return fixed_length_loss(mode, ids, groups); };
  fixed.tokens = o.batch * o.seq;
  fixed.mean_length = o.seq;
  kinds.push_back(fixed);
  if (fs::exists(o.data / "u.data"))
    kinds.push_back(prompt_inputs(o, soft));
  else
    std::cout << fmt::format("prompts: left out, {} has no MovieLens-100K (u.data); pass --data\n", o.data.string());
  std::cout << fmt::format("model {} ({} layers, hidden {}), float32, {} threads, soft prompt {} tokens, {} steps "
                           "(1 warm-up)\n",
                           o.model.string(), config.num_layers, config.hidden_size, o.threads, o.soft_tokens, o.steps)
            << std::flush;
  std::vector<std::string> lines;
  std::map<std::string, std::string> last;  // mode -> the line of the last kind
  for (const Inputs& in : kinds) {
    const fs::path file = fs::temp_directory_path() / fmt::format("bench_peer_inputs_{}.safetensors", ::getpid());
    llm::save_safetensors(file, in.tensors);
    const double flops = flops_per_token(config, in.mean_length);
    for (const std::string mode : {"stage1", "stage2"}) {
      if (!o.only.empty() && mode != o.only) continue;
      const std::string kind = in.name == "prompts" ? "prompts" : "fixed";
      const std::string trace = o.profile.empty() ? "" : fmt::format("{}.{}.{}.json", o.profile, kind, mode);
      // The peer first: delrec's process keeps what its allocator freed (core/util/host_runtime.cpp) until the
      // trim, and the two together could outgrow a small machine's memory.
      const Timing peer = peer_steps(o, mode, file);
      const Timing ours = delrec_steps(o, groups, mode, soft, in.loss(mode), trace);
      malloc_trim(0);
      DELREC_CHECK(std::abs(ours.first_loss - peer.first_loss) <= 1e-4 * std::max(1.0, std::abs(peer.first_loss)),
                   "{} {}: the first step's loss differs (delrec {}, hf+peft {}): the two sides do not train the "
                   "same thing", in.name, mode, ours.first_loss, peer.first_loss);
      const double a = ours.tokens_per_second(in.tokens), b = peer.tokens_per_second(in.tokens);
      std::cout << fmt::format("{} {} ({} tokens a step): first loss delrec {:.6f} hf+peft {:.6f}; median step "
                               "delrec {:.2f} s ({:.3f} TFLOP/s), hf+peft {:.2f} s ({:.3f} TFLOP/s)\n",
                               mode, in.name, in.tokens, ours.first_loss, peer.first_loss, in.tokens / a,
                               a * flops / 1e12, in.tokens / b, b * flops / 1e12)
                << std::flush;
      const std::string ratio = fmt::format("delrec {:.0f} tok/s, hf+peft {:.0f} tok/s, ratio {:.2f}", a, b, a / b);
      lines.push_back(fmt::format("peer {} [{}]: {}", mode, in.name, ratio));
      last[mode] = fmt::format("peer {}: {}", mode, ratio);
    }
    fs::remove(file);
  }
  for (const auto& line : lines) std::cout << line << "\n";
  for (const char* mode : {"stage1", "stage2"})
    if (last.count(mode)) std::cout << last[mode] << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  util::tune_host_runtime();
  Options o;
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    for (size_t i = 0; i < args.size(); i += 2) {
      DELREC_CHECK(i + 1 < args.size(), "{} needs a value", args[i]);
      const std::string& v = args[i + 1];
      if (args[i] == "--model") o.model = v;
      else if (args[i] == "--batch") o.batch = std::stoll(v);
      else if (args[i] == "--seq") o.seq = std::stoll(v);
      else if (args[i] == "--soft-tokens") o.soft_tokens = std::stoll(v);
      else if (args[i] == "--steps") o.steps = std::stoi(v);
      else if (args[i] == "--threads") o.threads = std::stoi(v);
      else if (args[i] == "--python") o.python = v;
      else if (args[i] == "--data") o.data = v;
      else if (args[i] == "--only") o.only = v;
      else if (args[i] == "--profile") o.profile = v;
      else throw Error(fmt::format("unknown option {} (see the comment at the top of bench_peer.cpp)", args[i]));
    }
    DELREC_CHECK(o.steps >= 2 && o.batch >= 1 && o.seq >= 2 && o.soft_tokens >= 1,
                 "--steps must be at least 2 (one warm-up), --batch and --soft-tokens at least 1, --seq at least 2");
    return run(o);
  } catch (const std::exception& e) {
    std::cerr << "bench_peer: " << e.what() << "\n";
    return 1;
  }
}
