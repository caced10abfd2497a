#include "core/train/trainer.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>

#include "core/run/exit_codes.h"
#include "core/tensorboard/summary_writer.h"
#include "core/train/lion.h"
#include "core/train/lr_schedule.h"
#include "core/train/stop_request.h"
#include "core/util/error.h"
#include "core/util/peak_memory.h"
#include "core/util/progress.h"
#include "core/util/random.h"
#include "parallel/grad_clip.h"

namespace delrec::train {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const config::OptimConfig& o,
                                                        const std::vector<torch::Tensor>& params) {
  if (o.optimizer == "lion")
    return std::make_unique<Lion>(params, LionOptions(o.lr).beta1(o.beta1).beta2(o.beta2).weight_decay(o.weight_decay));
  DELREC_CHECK(o.optimizer == "adamw", "unknown optimizer '{}' (use adamw or lion)", o.optimizer);
  return std::make_unique<torch::optim::AdamW>(
      params, torch::optim::AdamWOptions(o.lr).betas({o.beta1, o.beta2}).weight_decay(o.weight_decay));
}

}  // namespace

std::vector<double> dynamic_weights(const std::vector<double>& norms) {
  std::vector<double> w;
  double total = 0;
  for (double n : norms) {
    w.push_back(std::sqrt(1.0 / std::max(n, 1e-12)));
    total += w.back();
  }
  for (double& x : w) x /= total;
  return w;
}

Trainer::Trainer(TrainerOptions options, std::vector<Task> tasks, std::vector<TrainableTensor> trainables,
                 const parallel::ParallelGroups& groups)
    : options_(std::move(options)), tasks_(std::move(tasks)), trainables_(std::move(trainables)), groups_(groups) {
  for (const auto& t : trainables_) {
    parameters_.push_back(t.tensor);
    if (t.split_dim >= 0) {
      sharded_.push_back(t.tensor);
      sharded_weights_.push_back(1.0 / static_cast<double>(t.holders));
    } else {
      replicated_.push_back(t.tensor);
    }
  }
  const auto& o = options_.optim;
  const int dp = groups_.dp->size();
  DELREC_CHECK(!tasks_.empty(), "{}: nothing to train (no task)", options_.label);
  for (const auto& t : tasks_)
    DELREC_CHECK(t.num_examples > 0, "{}: task '{}' has no examples (check the dataset and the teacher cache)",
                 options_.label, t.name);
  DELREC_CHECK(o.batch_size % dp == 0, "{}: train.batch_size ({}) must be divisible by the data-parallel size ({})",
               options_.label, o.batch_size, dp);
  DELREC_CHECK(options_.weights.empty() || options_.weights.size() == tasks_.size(),
               "{}: {} task weights for {} tasks", options_.label, options_.weights.size(), tasks_.size());
  dp_grads_ = std::make_unique<parallel::DataParallelGradients>(parameters_, groups_.dp);
  optimizer_ = make_optimizer(o, parameters_);
  batches_taken_.assign(tasks_.size(), 0);
  last_norm_.assign(tasks_.size(), 0.0);
  permutation_.assign(tasks_.size(), {-1, {}});
  if (!options_.metrics_jsonl.empty() && groups_.world->rank() == 0)
    std::filesystem::create_directories(options_.metrics_jsonl.parent_path());
  if (!options_.checkpoint_dir.empty())
    store_ = std::make_unique<CheckpointStore>(options_.checkpoint_dir, static_cast<int>(options_.checkpoint.keep_last));
}

Trainer::~Trainer() {
  // A background save not yet published stays step-N.tmp/ (removed at the next resume); wait for its writer so no
  // thread outlives the state it writes. Errors were already reported, or the run is failing for another reason.
  for (auto* pending : {&pending_write_, &pending_publish_}) {
    if (!pending->valid()) continue;
    try {
      pending->get();
    } catch (const std::exception& e) {
      spdlog::warn("{}: background checkpoint save: {}", options_.label, e.what());
    }
  }
}

std::vector<int64_t> Trainer::global_batch(size_t task, int64_t batch) {
  const int64_t n = tasks_[task].num_examples, G = options_.optim.batch_size;
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(G));
  for (int64_t i = batch * G; i < (batch + 1) * G; ++i) {
    const int64_t epoch = i / n;
    auto& [cached_epoch, order] = permutation_[task];
    if (cached_epoch != epoch) {
      // Fisher-Yates with the portable PRNG: the same order on every rank and platform.
      order.resize(static_cast<size_t>(n));
      for (int64_t j = 0; j < n; ++j) order[j] = j;
      Rng rng(mix_seed(options_.seed, task, static_cast<uint64_t>(epoch)));
      for (int64_t j = n; j > 1; --j) std::swap(order[j - 1], order[rng.uniform(static_cast<uint64_t>(j))]);
      cached_epoch = epoch;
    }
    out.push_back(order[i % n]);
  }
  return out;
}

// Leaves the DP-averaged gradient of task `task` in `grads` and returns its global norm.
double Trainer::task_gradient(size_t task, std::vector<torch::Tensor>* grads, double* loss, int64_t* tokens,
                              double* fb_seconds) {
  const auto& o = options_.optim;
  const int dp = groups_.dp->size(), r = groups_.dp->rank();
  const int64_t local = o.batch_size / dp;
  const auto batch = global_batch(task, batches_taken_[task]++);
  const std::vector<int64_t> mine(batch.begin() + r * local, batch.begin() + (r + 1) * local);
  for (auto& p : parameters_) p.mutable_grad() = torch::Tensor();
  double loss_sum = 0;
  int64_t token_sum = 0;
  for (int64_t start = 0; start < local; start += o.micro_batch_size) {
    const std::vector<int64_t> micro(mine.begin() + start, mine.begin() + std::min(local, start + o.micro_batch_size));
    // Counting tokens first also tokenises the examples' prompts (memoised): that work stays outside the timed
    // forward/backward.
    if (tasks_[task].tokens) token_sum += tasks_[task].tokens(micro);
    const auto t0 = Clock::now();
    torch::Tensor l = tasks_[task].loss(micro);
    DELREC_CHECK(std::isfinite(l.item<double>()), "{}: the {} loss is not finite at step {} (lower the learning "
                 "rate or check the inputs)", options_.label, tasks_[task].name, steps_done_ + 1);
    (l / static_cast<double>(local)).backward();
    *fb_seconds += seconds_since(t0);
    loss_sum += l.item<double>();
  }
  dp_grads_->all_reduce_gradients();  // averages over DP: the gradient of the global batch's mean loss
  torch::Tensor stats = torch::tensor({loss_sum, static_cast<double>(token_sum)}, torch::kFloat64);
  groups_.dp->all_reduce(stats, parallel::ReduceOp::kSum);
  *loss = stats[0].item<double>() / static_cast<double>(o.batch_size);
  *tokens = static_cast<int64_t>(stats[1].item<double>());
  const double norm = parallel::clip_grad_norm(sharded_, sharded_weights_, replicated_, *groups_.tp,
                                               std::numeric_limits<double>::infinity());
  grads->clear();
  for (auto& p : parameters_) grads->push_back(p.grad().clone());
  return norm;
}

std::vector<double> Trainer::task_weights(const std::vector<size_t>& active, const std::vector<double>& norms) {
  std::vector<double> all(tasks_.size(), 1.0);
  if (options_.dynamic_weights) {
    std::vector<double> known = last_norm_;
    for (size_t i = 0; i < active.size(); ++i) known[active[i]] = norms[i];
    for (double& n : known)
      if (n == 0) n = norms[0];  // a task not seen yet weighs as much as the current one
    all = dynamic_weights(known);
  } else if (!options_.weights.empty()) {
    all = options_.weights;
  }
  std::vector<double> out;
  for (size_t t : active) out.push_back(all[t]);
  return out;
}

StepRecord Trainer::step() {
  const auto start = Clock::now();
  const auto& o = options_.optim;
  StepRecord rec;
  rec.step = steps_done_ + 1;
  LrSchedule schedule{o.lr, o.warmup_steps, o.steps, parse_decay(o.decay), o.min_lr_ratio};
  rec.lr = schedule.at(steps_done_);
  for (auto& group : optimizer_->param_groups()) group.options().set_lr(rec.lr);

  std::vector<size_t> active;
  if (options_.alternate) active.push_back(static_cast<size_t>(steps_done_) % tasks_.size());
  else for (size_t t = 0; t < tasks_.size(); ++t) active.push_back(t);

  std::vector<std::vector<torch::Tensor>> grads(active.size());
  std::vector<double> norms(active.size()), losses(active.size());
  for (size_t i = 0; i < active.size(); ++i) {
    int64_t tokens = 0;
    norms[i] = task_gradient(active[i], &grads[i], &losses[i], &tokens, &rec.forward_backward_seconds);
    rec.tokens += tokens;
  }
  rec.weights = task_weights(active, norms);
  for (size_t i = 0; i < active.size(); ++i) {
    last_norm_[active[i]] = norms[i];
    rec.losses[tasks_[active[i]].name] = losses[i];
    rec.loss += rec.weights[i] * losses[i];
  }
  {
    torch::NoGradGuard no_grad;
    for (size_t p = 0; p < parameters_.size(); ++p) {
      torch::Tensor g = grads[0][p] * rec.weights[0];
      for (size_t i = 1; i < active.size(); ++i) g.add_(grads[i][p], rec.weights[i]);
      parameters_[p].mutable_grad() = g;
    }
  }
  const double max_norm = o.clip > 0 ? o.clip : std::numeric_limits<double>::infinity();
  rec.grad_norm = parallel::clip_grad_norm(sharded_, sharded_weights_, replicated_, *groups_.tp, max_norm);
  optimizer_->step();
  ++steps_done_;
  rec.seconds = seconds_since(start);
  history_.push_back(rec);
  return rec;
}

void Trainer::log(const StepRecord& r, const nlohmann::json& extra) {
  if (groups_.world->rank() != 0) return;
  nlohmann::json j = {{"stage", options_.label}, {"step", r.step},          {"loss", r.loss},
                      {"lr", r.lr},              {"grad_norm", r.grad_norm}, {"tokens", r.tokens},
                      {"seconds", r.seconds},    {"forward_backward_seconds", r.forward_backward_seconds}};
  if (r.seconds > 0) j["tokens_per_second"] = static_cast<double>(r.tokens) / r.seconds;
  // This rank's peak since the stage started training (util/peak_memory.h): what `delrec plan` predicts.
  if (!parameters_.empty()) {
    const torch::Device device = parameters_.front().device();
    j["peak_memory_bytes"] = util::peak_memory_bytes(device);
    if (device.is_cpu()) j["peak_rss_bytes"] = util::peak_rss_bytes();
  }
  for (const auto& [name, value] : r.losses) j["loss_" + name] = value;
  // The weights of the tasks trained this step, in task order (a step of an alternating schedule has one).
  if (r.weights.size() > 1)
    for (size_t i = 0, t = 0; t < tasks_.size(); ++t)
      if (r.losses.count(tasks_[t].name) && i < r.weights.size()) j["weight_" + tasks_[t].name] = r.weights[i++];
  for (const auto& [k, v] : extra.items()) j[k] = v;
  if (!options_.metrics_jsonl.empty()) {
    std::ofstream out(options_.metrics_jsonl, std::ios::app);
    out << j.dump() << "\n";
  }
  if (tensorboard_) tensorboard_->metrics(j, r.step);
}

Trainer::Boundary Trainer::agree_at_boundary(double seconds_since_save) {
  const auto& c = options_.checkpoint;
  double stop = pending_stop();
  if (stop == 0 && c.exit_after_minutes > 0 && seconds_since_start() > 60.0 * c.exit_after_minutes)
    stop = run::kExitRequeue;
  const bool late = c.every_minutes > 0 && seconds_since_save >= 60.0 * c.every_minutes;
  const bool writing = pending_write_.valid() &&
                       pending_write_.wait_for(std::chrono::seconds(0)) != std::future_status::ready;
  torch::Tensor flags = torch::tensor({stop, late ? 1.0 : 0.0, writing ? 1.0 : 0.0}, torch::kFloat64);
  groups_.world->all_reduce(flags, parallel::ReduceOp::kMax);
  const auto* f = flags.data_ptr<double>();
  return {static_cast<int>(f[0]), f[1] > 0, pending_write_.valid() && f[2] == 0};
}

void Trainer::run(const std::function<nlohmann::json(int64_t)>& validate) {
  const auto& o = options_.optim;
  const bool lead = groups_.world->rank() == 0;
  const auto& c = options_.checkpoint;
  if (store_ && resume()) {
    spdlog::info("{}: resumed at step {} of {}", options_.label, steps_done_, o.steps);
  } else if (lead) {
    // A fresh start: no lines or events of an earlier attempt.
    if (!options_.metrics_jsonl.empty()) std::filesystem::remove(options_.metrics_jsonl);
    if (!options_.tensorboard_dir.empty()) std::filesystem::remove_all(options_.tensorboard_dir);
  }
  if (lead && !options_.tensorboard_dir.empty())
    tensorboard_ = std::make_unique<tensorboard::SummaryWriter>(options_.tensorboard_dir,
                                                                options_.tensorboard_flush_seconds);
  if (!parameters_.empty()) util::reset_peak_memory(parameters_.front().device());
  Progress progress(options_.label, o.steps);
  double seconds = 0;
  int64_t tokens = 0, steps_here = 0;
  auto last_save = Clock::now();
  while (steps_done_ < o.steps) {
    const StepRecord r = step();
    ++steps_here;
    seconds += r.seconds;
    tokens += r.tokens;
    const bool last = steps_done_ == o.steps;
    nlohmann::json extra = nlohmann::json::object();
    if (validate && (last || (o.eval_every > 0 && steps_done_ % o.eval_every == 0))) {
      if (progress.interactive()) progress.finish();
      extra = validate(steps_done_);
      remember_if_best(extra);
    }
    const double eta = seconds / static_cast<double>(steps_here) * static_cast<double>(o.steps - steps_done_);
    const std::string status = fmt::format("loss {:.4f} lr {:.2e} {:.0f} tok/s", r.loss, r.lr,
                                           static_cast<double>(tokens) / std::max(seconds, 1e-9));
    if (lead && progress.interactive()) progress.update(steps_done_, status);
    if (last || steps_done_ % o.log_every == 0 || !extra.empty()) {
      log(r, extra);
      if (lead && !progress.interactive())
        spdlog::info("{} step {}/{} {} ETA {}{}", options_.label, steps_done_, o.steps, status,
                     format_duration(eta), extra.empty() ? "" : " " + extra.dump());
    }
    if (!store_) continue;
    // Every rank decides alike: the step count is shared, the rest comes from one all-reduce.
    const Boundary agreed = agree_at_boundary(seconds_since(last_save));
    if (agreed.save_written) publish_written_save();
    const bool due = last || (c.every_steps > 0 && steps_done_ % c.every_steps == 0) || agreed.late;
    const int stop = last ? 0 : agreed.stop;
    if (due || stop) {
      save_checkpoint();
      last_save = Clock::now();
    }
    if (stop) {
      finish_pending_save();
      if (lead && progress.interactive()) progress.finish();
      throw StopRequested(stop, fmt::format("{}: stopped at step {} of {} after saving a checkpoint in {}; {}",
                                            options_.label, steps_done_, o.steps, store_->root().string(),
                                            stop == run::kExitRequeue ? "exit status 75 asks for a requeue"
                                                                      : "run the same command to resume"));
    }
  }
  finish_pending_save();  // the last checkpoint is published before the stage goes on
  tensorboard_.reset();    // flushed and closed
  if (lead && progress.interactive()) progress.finish();
  if (o.keep == "best_valid") {
    DELREC_CHECK(best_step_ >= 0, "{}: train.keep is best_valid but no validation ran", options_.label);
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < trainables_.size(); ++i) trainables_[i].tensor.copy_(best_[i]);
    spdlog::info("{}: keeping step {} of {} (best {} {:.4f})", options_.label, best_step_, o.steps, o.keep_metric,
                 best_score_);
  }
}

void Trainer::remember_if_best(const nlohmann::json& validation) {
  const auto& o = options_.optim;
  if (o.keep != "best_valid") return;
  DELREC_CHECK(validation.contains(o.keep_metric) && validation[o.keep_metric].is_number(),
               "{}: train.keep_metric '{}' is not among the validation metrics {}", options_.label, o.keep_metric,
               validation.dump());
  const double score = validation[o.keep_metric].get<double>();
  if (best_step_ >= 0 && !(score > best_score_)) return;  // ties keep the earlier step
  torch::NoGradGuard no_grad;
  best_.clear();
  for (const auto& t : trainables_) best_.push_back(t.tensor.detach().clone());
  best_score_ = score;
  best_step_ = steps_done_;
}

}  // namespace delrec::train
