// Checkpoint save and resume cost of the training loop (not run by ctest):
//   bench_checkpoint [DIR]
// For trainable states shaped like (1) the quickstart's stage-2 adapter (LoRA r=8 on q/v of the scratch backbone),
// (2) a LoRA r=16 adapter on q/v of a Llama-3-8B-shaped model (32 layers, hidden 4096, 8 key/value heads of 128),
// (3) the same on all seven projections, each with its AdamW state, it prints the checkpoint's size, the time a
// save blocks the step (synchronous: tensors to host, safetensors, CRC-32 manifest, fsync, rename) and a resume,
// against the baseline of writing the same bytes as one plain file in the same run; then the time an asynchronous
// save (checkpoint.async_save) blocks the step (the host copy) against the synchronous one.
#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <iostream>

#include "core/train/trainer.h"
#include "core/util/atomic_file.h"
#include "parallel/parallel_groups.h"
#include "core/util/host_runtime.h"

namespace fs = std::filesystem;
using namespace delrec;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct Shape {
  std::string name;
  int64_t layers, hidden, kv, ff, r;
  std::vector<std::string> targets;
};

// LoRA A (r, in) and B (out, r) for each targeted projection of each layer, random.
std::vector<train::TrainableTensor> adapter(const Shape& s) {
  std::vector<train::TrainableTensor> out;
  auto dims = [&](const std::string& p) -> std::pair<int64_t, int64_t> {  // (in, out)
    if (p == "k_proj" || p == "v_proj") return {s.hidden, s.kv};
    if (p == "gate_proj" || p == "up_proj") return {s.hidden, s.ff};
    if (p == "down_proj") return {s.ff, s.hidden};
    return {s.hidden, s.hidden};
  };
  for (int64_t l = 0; l < s.layers; ++l)
    for (const auto& p : s.targets) {
      const auto [in, o] = dims(p);
      const std::string key = fmt::format("base_model.model.model.layers.{}.{}", l, p);
      out.push_back({key + ".lora_A.weight", torch::randn({s.r, in}).requires_grad_(true), -1, 1});
      out.push_back({key + ".lora_B.weight", torch::randn({o, s.r}).requires_grad_(true), 0, 1});
    }
  return out;
}

int64_t directory_bytes(const fs::path& dir) {
  int64_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) total += static_cast<int64_t>(e.file_size());
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  delrec::util::tune_host_runtime();  // docs/teachers.md: allocator and BLAS threads
  const fs::path root = argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "delrec-bench-checkpoint";
  fs::remove_all(root);
  parallel::World world;
  const auto groups = parallel::make_parallel_groups(world, 1);
  const std::vector<std::string> qv = {"q_proj", "v_proj"};
  const std::vector<Shape> shapes = {
      {"quickstart adapter (LoRA r=8, q/v, 2 layers, hidden 64)", 2, 64, 32, 172, 8, qv},
      {"8B-shaped LoRA r=16, q/v", 32, 4096, 1024, 14336, 16, qv},
      {"8B-shaped LoRA r=16, all 7 projections", 32, 4096, 1024, 14336, 16,
       {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}}};
  for (size_t i = 0; i < shapes.size(); ++i) {
    torch::manual_seed(0);
    auto tensors = adapter(shapes[i]);
    train::TrainerOptions o;
    o.optim.optimizer = "adamw";
    o.optim.steps = 2;
    o.optim.batch_size = 1;
    o.optim.micro_batch_size = 1;
    o.label = "bench";
    o.checkpoint_dir = root / fmt::format("case{}", i);
    train::Task task{"t", 1, [&](const std::vector<int64_t>&) {
                       torch::Tensor sum = torch::zeros({});
                       for (auto& t : tensors) sum = sum + t.tensor.pow(2).sum();
                       return sum;
                     }, nullptr};
    train::Trainer trainer(o, {task}, tensors, groups);
    trainer.step();  // creates the optimizer state
    auto t0 = Clock::now();
    trainer.save_checkpoint();
    const double save_s = seconds_since(t0);
    const int64_t bytes = directory_bytes(o.checkpoint_dir / "step-000001");
    t0 = Clock::now();
    trainer.resume();
    const double resume_s = seconds_since(t0);

    // Asynchronous: the step waits only for the host copy; the files are written in the background.
    o.checkpoint.async_save = true;
    o.checkpoint_dir = root / fmt::format("case{}-async", i);
    train::Trainer async_trainer(o, {task}, tensors, groups);
    async_trainer.step();
    t0 = Clock::now();
    async_trainer.save_checkpoint();
    const double first_blocked_s = seconds_since(t0);
    async_trainer.finish_pending_save();
    async_trainer.step();  // the next save reuses the host buffers of the first
    t0 = Clock::now();
    async_trainer.save_checkpoint();
    const double blocked_s = seconds_since(t0);
    t0 = Clock::now();
    async_trainer.finish_pending_save();
    const double background_s = seconds_since(t0);

    // Baseline: the same number of bytes written as one file, flushed, renamed.
    const std::string blob(static_cast<size_t>(bytes), '\x01');
    t0 = Clock::now();
    write_file_atomically(root / fmt::format("plain{}.bin", i), blob);
    const double plain_s = seconds_since(t0);
    std::cout << fmt::format("{}: {:.1f} MB\n  synchronous save blocks the step {:.3f} s (plain write of the bytes "
                             "{:.3f} s, {:.2f}x); resume {:.3f} s\n  asynchronous save blocks the step {:.3f} s "
                             "({:.1f}x less than synchronous; the first save, which allocates the host buffers, "
                             "{:.3f} s); the write goes on {:.3f} s in the background\n",
                             shapes[i].name, bytes / 1e6, save_s, plain_s, save_s / plain_s, resume_s, blocked_s,
                             save_s / blocked_s, first_blocked_s, background_s);
  }
  fs::remove_all(root);
  return 0;
}
