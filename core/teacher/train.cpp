#include "core/teacher/train.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>

#include "core/tensorboard/summary_writer.h"
#include "core/teacher/evaluate.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/progress.h"

namespace delrec::teacher {
namespace {

constexpr int64_t kBatchesPerLengthChunk = 16;

int64_t uniform(std::mt19937_64& rng, int64_t n) { return static_cast<int64_t>(rng() % uint64_t(n)); }

template <class T>
void shuffle(std::vector<T>& v, std::mt19937_64& rng) {
  for (int64_t i = int64_t(v.size()) - 1; i > 0; --i) std::swap(v[i], v[uniform(rng, i + 1)]);
}

}  // namespace

TeacherTrainer::TeacherTrainer(Teacher& teacher, const data::Dataset& dataset, uint64_t seed)
    : teacher_(teacher),
      config_(teacher.config()),
      num_items_(dataset.num_items()),
      optimizer_(teacher.model().parameters(), torch::optim::AdamOptions(teacher.config().lr)
                                                   .betas({0.9, teacher.config().adam_beta2})
                                                   .weight_decay(teacher.config().weight_decay)),
      rng_(seed) {
  const int64_t L = config_.max_len;
  std::vector<int64_t> inputs, targets;
  for (int64_t u = 0; u < dataset.num_users(); ++u) {
    const auto train = dataset.train_sequence(u);
    const int64_t n = std::min<int64_t>(int64_t(train.size()) - 1, L);  // positions: inputs train[-n-1..-2]
    if (n < 1) continue;
    const size_t row = inputs.size();
    inputs.resize(row + L, 0);
    targets.resize(row + L, 0);
    std::copy(train.end() - n - 1, train.end() - 1, inputs.begin() + row + (L - n));
    std::copy(train.end() - n, train.end(), targets.begin() + row + (L - n));
    lengths_.push_back(n);
    auto seen = train;
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    seen_.push_back(std::move(seen));
  }
  const int64_t R = static_cast<int64_t>(lengths_.size());
  DELREC_CHECK(R > 0, "teacher: no user has two or more training items in dataset '{}'; nothing to train on",
               dataset.name);
  inputs_ = torch::from_blob(inputs.data(), {R, L}, torch::kLong).clone();
  targets_ = torch::from_blob(targets.data(), {R, L}, torch::kLong).clone();
}

int64_t TeacherTrainer::steps_per_epoch() const {
  return (static_cast<int64_t>(lengths_.size()) + config_.batch_size - 1) / config_.batch_size;
}

std::vector<std::vector<int64_t>> TeacherTrainer::epoch_batches() {
  std::vector<int64_t> order(lengths_.size());
  std::iota(order.begin(), order.end(), 0);
  shuffle(order, rng_);
  const size_t chunk = size_t(config_.batch_size * kBatchesPerLengthChunk);
  std::vector<std::vector<int64_t>> batches;
  for (size_t begin = 0; begin < order.size(); begin += chunk) {
    const auto first = order.begin() + begin, last = order.begin() + std::min(order.size(), begin + chunk);
    std::stable_sort(first, last, [&](int64_t a, int64_t b) { return lengths_[a] > lengths_[b]; });
    for (auto it = first; it < last; it += std::min<ptrdiff_t>(config_.batch_size, last - it))
      batches.emplace_back(it, it + std::min<ptrdiff_t>(config_.batch_size, last - it));
  }
  shuffle(batches, rng_);
  return batches;
}

double TeacherTrainer::train_step(const std::vector<int64_t>& rows) {
  const int64_t L = config_.max_len;
  int64_t T = 1;
  for (int64_t r : rows) T = std::max(T, lengths_[r]);
  auto index = torch::tensor(rows, torch::kLong);
  auto inputs = inputs_.index_select(0, index).slice(1, L - T).contiguous();    // (B, T)
  auto targets = targets_.index_select(0, index).slice(1, L - T).contiguous();  // (B, T)
  auto mask = targets.ne(0);
  auto& model = teacher_.model();
  auto states = model.forward(inputs).index({mask});               // (M, D), positions with a target
  auto positive = targets.index({mask});                           // (M)
  torch::Tensor loss;
  if (config_.loss == "bce") {
    // One negative per position, outside the row's training items.
    auto negative = torch::empty_like(positive);
    auto* neg = negative.data_ptr<int64_t>();
    const auto* tgt = targets.data_ptr<int64_t>();
    int64_t m = 0;
    for (size_t b = 0; b < rows.size(); ++b) {
      const auto& seen = seen_[rows[b]];
      for (int64_t t = 0; t < T; ++t) {
        if (tgt[b * T + t] == 0) continue;
        int64_t item;
        do item = 1 + uniform(rng_, num_items_);
        while (std::binary_search(seen.begin(), seen.end(), item) && int64_t(seen.size()) < num_items_);
        neg[m++] = item;
      }
    }
    auto logits = model.score(states, torch::stack({positive, negative}, 1));  // (M, 2)
    loss = torch::binary_cross_entropy_with_logits(logits.select(1, 0), torch::ones_like(logits.select(1, 0))) +
           torch::binary_cross_entropy_with_logits(logits.select(1, 1), torch::zeros_like(logits.select(1, 1)));
  } else {
    auto logits = model.score_all(states).slice(1, 1);               // (M, N): column 0 (padding) never a class
    loss = torch::nn::functional::cross_entropy(logits, positive - 1);
  }
  optimizer_.zero_grad();
  loss.backward();
  optimizer_.step();
  return loss.item<double>();
}

double TeacherTrainer::train_epoch(const std::function<void(int64_t, int64_t, double)>& on_step) {
  teacher_.model().train();
  const auto batches = epoch_batches();
  double total = 0;
  for (size_t i = 0; i < batches.size(); ++i) {
    const double loss = train_step(batches[i]);
    DELREC_CHECK(std::isfinite(loss), "teacher training diverged: loss {} at epoch {} step {}; lower teacher.lr",
                 loss, epoch_ + 1, i + 1);
    total += loss;
    if (on_step) on_step(int64_t(i) + 1, int64_t(batches.size()), loss);
  }
  ++epoch_;
  return total / double(batches.size());
}

TrainOutcome train_teacher(const data::Dataset& dataset, const config::TeacherConfig& config, uint64_t seed,
                           const std::filesystem::path& checkpoint, const std::filesystem::path& metrics_jsonl,
                           const std::filesystem::path& tensorboard_dir) {
  torch::manual_seed(seed);
  Teacher teacher(config, {dataset.name, dataset.fingerprint, dataset.num_items(), 0, 0});
  TeacherTrainer trainer(teacher, dataset, seed);
  const int64_t steps = trainer.steps_per_epoch();
  spdlog::info("teacher: training {} on {} ({} users, {} items): {} epochs max, {} steps each, loss {}",
               config.model, dataset.name, dataset.num_users(), dataset.num_items(), config.epochs, steps,
               config.loss);
  Progress progress("train " + config.model, config.epochs * steps);
  TrainOutcome outcome;
  std::string jsonl;
  std::unique_ptr<tensorboard::SummaryWriter> events;
  if (!tensorboard_dir.empty()) {
    std::filesystem::remove_all(tensorboard_dir);
    events = std::make_unique<tensorboard::SummaryWriter>(tensorboard_dir, /*flush_seconds=*/0);
  }
  double train_seconds = 0;
  int64_t bad_validations = 0;
  for (int64_t epoch = 1; epoch <= config.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    const double loss = trainer.train_epoch([&](int64_t step, int64_t, double step_loss) {
      progress.update((epoch - 1) * steps + step, fmt::format("epoch {} loss {:.4f}", epoch, step_loss));
    });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    train_seconds += seconds;
    outcome.epochs_run = epoch;
    nlohmann::json record{{"epoch", epoch}, {"loss", loss}, {"seconds", seconds}};
    const bool validate = epoch % config.eval_every == 0 || epoch == config.epochs;
    if (validate) {
      const auto valid = evaluate_teacher(teacher, dataset, Split::kValid, /*full_catalogue=*/false);
      const double ndcg10 = valid.candidates.ndcg.at(10);
      record["valid"] = to_json(valid)["candidates"];
      progress.finish();
      spdlog::info("teacher: epoch {} loss {:.4f} valid NDCG@10 {:.4f} HR@10 {:.4f}{}", epoch, loss, ndcg10,
                   valid.candidates.hr.at(10), ndcg10 > outcome.best_valid_ndcg10 ? " (best, saved)" : "");
      if (ndcg10 > outcome.best_valid_ndcg10) {
        outcome.best_valid_ndcg10 = ndcg10;
        outcome.best_epoch = epoch;
        bad_validations = 0;
        teacher.info().epoch = epoch;
        teacher.info().valid_ndcg10 = ndcg10;
        teacher.save(checkpoint);
      } else {
        ++bad_validations;
      }
    } else if (!progress.interactive()) {
      spdlog::info("teacher: epoch {}/{} loss {:.4f} ({:.2f}s)", epoch, config.epochs, loss, seconds);
    }
    jsonl += record.dump() + "\n";
    write_file_atomically(metrics_jsonl, jsonl);
    if (events) events->metrics(record, epoch);
    if (config.patience > 0 && bad_validations >= config.patience) {
      progress.finish();
      spdlog::info("teacher: no better validation NDCG@10 in {} validations; stopping after epoch {}",
                   config.patience, epoch);
      break;
    }
  }
  progress.finish();
  outcome.seconds_per_epoch = train_seconds / double(outcome.epochs_run);
  spdlog::info("teacher: best validation NDCG@10 {:.4f} at epoch {}; checkpoint {}", outcome.best_valid_ndcg10,
               outcome.best_epoch, checkpoint.string());
  return outcome;
}

}  // namespace delrec::teacher
