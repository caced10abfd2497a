#pragma once
// Teacher training: the next-item objective at every position of every user's training sequence.
//
// Each user contributes one row: input s[0..n-4] -> targets s[1..n-3] (training part of the leave-one-out split),
// both cut to their last max_len items and left-padded. Positions whose target is padding are left out of the loss.
//   bce:     log-sigmoid of the target's score plus log-sigmoid of minus the score of one negative per position,
//            sampled uniformly among items absent from the user's training sequence (SASRec).
//   softmax: cross-entropy over the whole catalogue.
// Adam with betas (0.9, adam_beta2). Users are shuffled every epoch, then grouped by length within chunks of 16
// batches so that a batch is padded only to its own longest sequence; batch order is shuffled again. Everything
// random (initialisation, dropout, order, negatives) follows from the seed.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <random>
#include <vector>

#include "core/data/dataset.h"
#include "core/teacher/teacher.h"

namespace delrec::teacher {

class TeacherTrainer {
 public:
  // Trains teacher.model() in place; the dataset must outlive the trainer.
  TeacherTrainer(Teacher& teacher, const data::Dataset& dataset, uint64_t seed);

  // One pass over every training row; returns the mean loss. on_step(step, steps, loss) follows each step.
  double train_epoch(const std::function<void(int64_t step, int64_t steps, double loss)>& on_step = nullptr);
  int64_t steps_per_epoch() const;
  int64_t epochs_done() const { return epoch_; }

 private:
  std::vector<std::vector<int64_t>> epoch_batches();
  double train_step(const std::vector<int64_t>& rows);

  Teacher& teacher_;
  const config::TeacherConfig& config_;
  int64_t num_items_;
  torch::Tensor inputs_, targets_;          // (R, max_len) int64, left-padded
  std::vector<int64_t> lengths_;            // [R] real positions per row
  std::vector<std::vector<int64_t>> seen_;  // [R] sorted items of the row's training sequence
  torch::optim::Adam optimizer_;
  std::mt19937_64 rng_;
  int64_t epoch_ = 0;
};

struct TrainOutcome {
  int64_t epochs_run = 0;
  int64_t best_epoch = 0;
  double best_valid_ndcg10 = -1;
  double seconds_per_epoch = 0;  // mean training time per epoch (validation excluded)
};

// The whole loop: seeds torch, trains for up to config.epochs, validates every eval_every epochs (and after the
// last), saves the checkpoint with the best validation NDCG@10 atomically to `checkpoint`, stops after `patience`
// validations without improvement, and rewrites `metrics_jsonl` (one JSON object per epoch) after every epoch.
// With `tensorboard_dir`, each epoch's numbers also go there as TensorBoard scalars at step = epoch (the folder is
// emptied first: the teacher always trains from the start).
TrainOutcome train_teacher(const data::Dataset& dataset, const config::TeacherConfig& config, uint64_t seed,
                           const std::filesystem::path& checkpoint, const std::filesystem::path& metrics_jsonl,
                           const std::filesystem::path& tensorboard_dir = {});

}  // namespace delrec::teacher
