// The training loop's checkpoints: what Trainer::save_checkpoint writes into step-N/ of the CheckpointStore and
// how Trainer::resume reads it back, on the same layout or resharded onto another one.
//
//   trainer.json                      world rank 0: step, each task's batches taken, the last task norms, the
//                                     layout (tp, dp), the fingerprint, and each tensor's name, split and holders
//   state-tp00001-of-00002.safetensors  the DP-rank-0 rank of each TP position: "param/<name>" (its slice),
//                                     "optim/<name>/<key>" (its optimizer state) and, with train.keep = best_valid
//                                     after a validation, "best/<name>" (the slice at the best validated step)
//   rng-rank00003-of-00004.safetensors every rank: its default generators' states ("cpu", and "cuda" on GPUs)
#include <spdlog/spdlog.h>

#include <ATen/Context.h>
#include <nlohmann/json.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <sstream>

#include "core/llm/safetensors.h"
#include "core/train/optimizer_state.h"
#include "core/train/trainer.h"

#include "core/tensorboard/summary_writer.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/json_input.h"
#include "core/util/random.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace delrec::train {
namespace {

std::string state_file(int tp_rank, int tp) { return fmt::format("state-tp{:05d}-of-{:05d}.safetensors", tp_rank, tp); }
std::string rng_file(int rank, int world) { return fmt::format("rng-rank{:05d}-of-{:05d}.safetensors", rank, world); }

// The state files of a checkpoint, each opened (and its header parsed) once.
class StateFiles {
 public:
  StateFiles(fs::path dir, int tp) : dir_(std::move(dir)), tp_(tp) {}
  const llm::SafetensorsFile& of(int tp_rank) {
    auto& f = files_[tp_rank];
    if (!f) f = std::make_unique<llm::SafetensorsFile>(dir_ / state_file(tp_rank, tp_));
    return *f;
  }
  // The full tensor from the slices of a checkpoint written with tp_ ranks: distinct slices are held by ranks
  // 0, holders, 2*holders, ...
  torch::Tensor gather(const std::string& key, const json& info) {
    const int64_t dim = info.at("split_dim").get<int64_t>(), holders = info.at("holders").get<int64_t>();
    if (dim < 0) return of(0).read(key);
    std::vector<torch::Tensor> parts;
    for (int r = 0; r < tp_; r += static_cast<int>(holders)) parts.push_back(of(r).read(key));
    return torch::cat(parts, dim);
  }

 private:
  fs::path dir_;
  int tp_;
  std::map<int, std::unique_ptr<llm::SafetensorsFile>> files_;
};

// This rank's slice of a full tensor on a layout with `tp` ranks.
torch::Tensor my_slice(const torch::Tensor& full, const TrainableTensor& t, int tp_rank, int tp) {
  if (t.split_dim < 0) return full;
  const int64_t slices = tp / t.holders, chunk = full.size(t.split_dim) / slices;
  return full.narrow(t.split_dim, (tp_rank / t.holders) * chunk, chunk);
}

// The default generator of a device (a handle sharing its state), read and written under its lock.
torch::Tensor generator_state(torch::Device device) {
  at::Generator gen = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void set_generator_state(torch::Device device, const torch::Tensor& state) {
  at::Generator gen = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

}  // namespace

// Everything a checkpoint holds of this rank, copied to host memory on the training thread at the step boundary:
// the training may go on while it is written.
struct CheckpointSnapshot {
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, torch::Tensor>>>> safetensors;  // file
  std::string trainer_json;  // world rank 0 only
};

namespace {

void write_snapshot(const CheckpointSnapshot& snapshot, const fs::path& dir) {
  for (const auto& [file, tensors] : snapshot.safetensors) llm::save_safetensors(dir / file, tensors);
  if (!snapshot.trainer_json.empty()) write_file_atomically(dir / "trainer.json", snapshot.trainer_json);
}

// Runs `f` on every rank of `comm`; when it threw on any rank, every rank throws (so none is left waiting in the
// next collective): with its own message, or one pointing at the failing rank's log.
void all_or_none(parallel::Communicator& comm, const std::string& what, const std::function<void()>& f) {
  std::string error;
  try {
    f();
  } catch (const std::exception& e) {
    error = e.what();
  }
  torch::Tensor failed = torch::tensor({error.empty() ? 0.0 : 1.0}, torch::kFloat64);
  comm.all_reduce(failed, parallel::ReduceOp::kMax);
  if (failed.item<double>() > 0)
    throw Error(error.empty() ? fmt::format("{} failed on another rank (see its log)", what)
                              : fmt::format("{} failed on rank {}: {}", what, comm.rank(), error));
}

}  // namespace

void Trainer::save_checkpoint() {
  DELREC_CHECK(store_ != nullptr, "internal: checkpoints are off for {}", options_.label);
  finish_pending_save();
  if (tensorboard_) tensorboard_->flush();  // every event of the steps this checkpoint covers is on disk
  const int tp = groups_.tp->size(), tp_rank = groups_.tp->rank();
  const int world = groups_.world->size(), rank = groups_.world->rank();
  const bool async = options_.checkpoint.async_save;
  // Synchronous: the tensors themselves (on CPU) or a host copy. Asynchronous: a copy the training cannot change
  // while it is written, into host buffers kept from one save to the next (pinned when the state is on a GPU), so a
  // save after the first allocates nothing and only copies.
  auto to_host = [&](const std::string& key, const torch::Tensor& t) -> torch::Tensor {
    if (!async) return t.detach().cpu().contiguous();
    torch::Tensor& buffer = staging_[key];
    if (!buffer.defined() || buffer.sizes() != t.sizes() || buffer.scalar_type() != t.scalar_type())
      buffer = torch::empty(t.sizes(), t.options().device(torch::kCPU).pinned_memory(t.is_cuda()));
    buffer.copy_(t.detach());
    return buffer;
  };
  auto snapshot = std::make_shared<CheckpointSnapshot>();
  if (groups_.dp->rank() == 0) {
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    for (const auto& t : trainables_) {
      tensors.emplace_back("param/" + t.name, to_host("param/" + t.name, t.tensor));
      for (const auto& [key, value] : get_optimizer_state(*optimizer_, t.tensor)) {
        const std::string name = "optim/" + t.name + "/" + key;
        tensors.emplace_back(name, to_host(name, value));
      }
    }
    for (size_t i = 0; i < best_.size(); ++i)
      tensors.emplace_back("best/" + trainables_[i].name, to_host("best/" + trainables_[i].name, best_[i]));
    snapshot->safetensors.emplace_back(state_file(tp_rank, tp), std::move(tensors));
  }
  std::vector<std::pair<std::string, torch::Tensor>> rng = {{"cpu", generator_state(torch::kCPU)}};
  const auto device = parameters_.front().device();
  if (device.is_cuda()) rng.emplace_back("cuda", generator_state(device));
  snapshot->safetensors.emplace_back(rng_file(rank, world), std::move(rng));
  if (rank == 0) {
    json tensors_info = json::array();
    for (const auto& t : trainables_)
      tensors_info.push_back({{"name", t.name}, {"split_dim", t.split_dim}, {"holders", t.holders}});
    json j = {{"step", steps_done_},           {"batches_taken", batches_taken_},
              {"last_norm", last_norm_},       {"tp", tp},
              {"dp", groups_.dp->size()},      {"world", world},
              {"fingerprint", options_.fingerprint}, {"stage", options_.label},
              {"global_batch", options_.optim.batch_size}, {"tensors", tensors_info},
              {"best_step", best_step_}, {"best_score", best_score_}};
    snapshot->trainer_json = j.dump(2) + "\n";
  }
  if (!async) {
    store_->save(steps_done_, [&](const fs::path& dir) { write_snapshot(*snapshot, dir); }, groups_.world.get());
    return;
  }
  const fs::path tmp = store_->begin(steps_done_, groups_.world.get());
  pending_step_ = steps_done_;
  pending_write_ = std::async(std::launch::async, [snapshot, tmp] { write_snapshot(*snapshot, tmp); });
}

void Trainer::publish_written_save() {
  const std::string what = fmt::format("{}: writing checkpoint step {}", options_.label, pending_step_);
  all_or_none(*groups_.world, what, [&] { pending_write_.get(); });
  // Every rank's files are closed: rank 0 publishes in the background too (checksums, fsync, renames).
  if (groups_.world->rank() == 0)
    pending_publish_ = std::async(std::launch::async, [this, step = pending_step_] { store_->publish(step); });
}

void Trainer::finish_pending_save() {
  if (!store_) return;
  const std::string what = fmt::format("{}: saving checkpoint step {}", options_.label, pending_step_);
  if (pending_write_.valid()) {
    all_or_none(*groups_.world, what, [&] { pending_write_.get(); });
    all_or_none(*groups_.world, what, [&] {
      if (groups_.world->rank() == 0) store_->publish(pending_step_);
    });
  }
  // Also the barrier after a publication: nobody goes on (or reads `latest`) before it names this step.
  all_or_none(*groups_.world, what, [&] {
    if (pending_publish_.valid()) pending_publish_.get();
  });
}

bool Trainer::resume() {
  if (groups_.world->rank() == 0) store_->remove_partial();
  groups_.world->barrier();
  // Rank 0 verifies (reads every file once for its CRC-32) and tells the others which step to load: -1 = none.
  torch::Tensor chosen = torch::tensor({int64_t{-1}}, torch::kLong);
  if (groups_.world->rank() == 0) {
    if (const auto found = store_->latest_complete()) chosen.fill_(found->step);
  }
  groups_.world->broadcast(chosen, 0);
  if (chosen.item<int64_t>() < 0) return false;
  const fs::path dir = store_->step_dir(chosen.item<int64_t>());
  const json j = parse_json(read_file(dir / "trainer.json"), (dir / "trainer.json").string());
  DELREC_CHECK(j.at("fingerprint").get<std::string>() == options_.fingerprint,
               "{}: checkpoint {} was made for other inputs (dataset, teacher cache or soft prompt changed); delete "
               "{} to train this stage from the start",
               options_.label, dir.string(), store_->root().string());
  DELREC_CHECK(j.at("global_batch").get<int64_t>() == options_.optim.batch_size,
               "{}: checkpoint {} was trained with batch_size {}, the recipe says {}; the data position would not "
               "map; keep train.batch_size or delete {}",
               options_.label, dir.string(), j.at("global_batch").get<int64_t>(), options_.optim.batch_size,
               store_->root().string());
  const int old_tp = j.at("tp").get<int>(), old_dp = j.at("dp").get<int>(), old_world = j.at("world").get<int>();
  const int tp = groups_.tp->size(), tp_rank = groups_.tp->rank();
  const bool same_layout = old_tp == tp && old_dp == groups_.dp->size();
  std::map<std::string, json> info;
  for (const auto& t : j.at("tensors")) info[t.at("name").get<std::string>()] = t;

  torch::NoGradGuard no_grad;
  StateFiles files(dir, old_tp);
  for (const auto& t : trainables_) {
    DELREC_CHECK(info.count(t.name), "{}: checkpoint {} has no tensor '{}' (made by another configuration); delete "
                 "{} to start the stage again", options_.label, dir.string(), t.name, store_->root().string());
    auto load = [&](const std::string& key) {
      return same_layout ? files.of(tp_rank).read(key) : my_slice(files.gather(key, info[t.name]), t, tp_rank, tp);
    };
    torch::Tensor value = load("param/" + t.name);
    DELREC_CHECK(value.sizes() == t.tensor.sizes(), "{}: checkpoint tensor '{}' has shape {}, this layout needs {}",
                 options_.label, t.name, c10::str(value.sizes()), c10::str(t.tensor.sizes()));
    t.tensor.copy_(value);
    std::map<std::string, torch::Tensor> state;
    const llm::SafetensorsFile& probe = files.of(0);
    for (const char* key : {"exp_avg", "exp_avg_sq", "step"}) {
      const std::string name = "optim/" + t.name + "/" + key;
      if (!probe.contains(name)) continue;
      state[key] = std::string(key) == "step" ? probe.read(name) : load(name);
    }
    set_optimizer_state(*optimizer_, t.tensor, state);
  }
  // The best validated state so far (train.keep = best_valid); older checkpoints have none.
  best_.clear();
  best_step_ = j.value("best_step", int64_t{-1});
  best_score_ = j.value("best_score", 0.0);
  if (best_step_ >= 0) {
    for (const auto& t : trainables_) {
      const std::string key = "best/" + t.name;
      torch::Tensor value = same_layout ? files.of(tp_rank).read(key)
                                        : my_slice(files.gather(key, info[t.name]), t, tp_rank, tp).clone();
      best_.push_back(value.to(t.tensor.device(), t.tensor.scalar_type()));
    }
  }
  steps_done_ = j.at("step").get<int64_t>();
  batches_taken_ = j.at("batches_taken").get<std::vector<int64_t>>();
  last_norm_ = j.at("last_norm").get<std::vector<double>>();
  const int rank = groups_.world->rank(), world = groups_.world->size();
  if (same_layout && old_world == world) {
    llm::SafetensorsFile rng(dir / rng_file(rank, world));
    set_generator_state(torch::kCPU, rng.read("cpu"));
    const auto device = parameters_.front().device();
    if (device.is_cuda() && rng.contains("cuda")) set_generator_state(device, rng.read("cuda"));
  } else {
    // Another layout: random streams cannot be mapped rank to rank; reseed from the step and the DP rank
    // (dropout masks then differ from an uninterrupted run; everything else continues exactly).
    torch::manual_seed(mix_seed(options_.seed, static_cast<uint64_t>(steps_done_),
                                static_cast<uint64_t>(groups_.dp->rank())));
    spdlog::info("{}: checkpoint written with TP {} x DP {}, resharded onto TP {} x DP {}", options_.label, old_tp,
                 old_dp, tp, groups_.dp->size());
  }
  // Metrics of steps after the checkpoint belong to the interrupted attempt: drop them, and a line cut short by the
  // kill (or a full disk) with them, so that the requeued job neither fails on it nor keeps it.
  if (rank == 0 && !options_.metrics_jsonl.empty() && fs::exists(options_.metrics_jsonl)) {
    std::istringstream in(read_file(options_.metrics_jsonl));
    std::string line, kept;
    int64_t dropped = 0;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
      const bool step_line = j.is_object() && j.contains("step") && j["step"].is_number_integer();
      if (step_line && j["step"].get<int64_t>() <= steps_done_) kept += line + "\n";
      else if (!step_line) ++dropped;
    }
    if (dropped > 0)
      spdlog::warn("{}: dropped {} unreadable line(s) of {} (cut short by the interruption)", options_.label,
                   dropped, options_.metrics_jsonl.string());
    write_file_atomically(options_.metrics_jsonl, kept);
  }
  if (rank == 0 && !options_.tensorboard_dir.empty())
    tensorboard::keep_steps_up_to(options_.tensorboard_dir, steps_done_);  // and the TensorBoard events with them
  groups_.world->barrier();
  return true;
}

}  // namespace delrec::train
