#pragma once
// The training loop both DELRec stages share, readable top to bottom in Trainer::step():
//
//   for each task active this step (stage 1: TA and RPS, mixed or alternating; stage 2: one task)
//     global batch b of the task = samples [b*G, (b+1)*G) of its stream (each epoch a seeded permutation)
//     this rank's share: the dp_rank-th of dp equal slices; micro-batches of micro_batch_size
//     forward + backward of (sum of losses) / (G / dp) per micro-batch, gradients accumulate
//     all-reduce (average) the gradients over the DP group: bucketed, parallel/data_parallel.h
//     keep the task's gradient and its global norm (TP-aware)
//   combine the task gradients with fixed or dynamic weights (dynamic: w_i ~ sqrt(1 / ||g_i||), normalised)
//   clip the global norm, set the scheduled learning rate, optimizer step (AdamW or Lion)
//   every checkpoint.every_steps steps (or minutes), at the end, and when a stop is requested: save a checkpoint
//   after the last step with optim.keep = best_valid: the trainable tensors go back to the best validated step
//
// So the update is the same for any DP size given the same global batch (up to float summation order), and the
// run is deterministic given the seed and the layout. Per step it records the losses, norm, weights, tokens and
// the time spent inside forward/backward; every log_every steps a JSON line goes to the metrics file and a log
// line (or the progress bar on a terminal) shows loss, tokens/s and the ETA; rank 0 also writes the line's numbers as
// TensorBoard scalars (core/tensorboard/), flushed before every checkpoint.
//
// Checkpoints (trainer_checkpoint.cpp, docs/resilience.md) hold only the trainable state: each TP rank's slices of
// the trainable tensors and their optimizer state, every rank's RNG state, the step and each task's data position,
// the layout and the fingerprint of what the stage trains on. run() resumes from the newest complete one: with the
// same layout the continuation is bitwise identical to an uninterrupted run; with another TP or DP size the state
// is resharded and the data position (in global samples) is kept, so no sample is skipped or repeated.
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/checkpoint_config.h"
#include "core/config/stage_config.h"
#include "core/train/checkpoint_store.h"
#include "core/train/trainable.h"
#include "parallel/data_parallel.h"
#include "parallel/parallel_groups.h"

namespace delrec::tensorboard {
class SummaryWriter;
}

namespace delrec::train {

struct Task {
  std::string name;          // "ta", "rps", "rec": names the loss in logs and metrics
  int64_t num_examples = 0;  // the stream cycles through these, reshuffled every epoch
  // Sum over `examples` (indices into the task's examples) of the per-example losses: a scalar with a graph.
  std::function<torch::Tensor(const std::vector<int64_t>& examples)> loss;
  // Tokens the forward pass sees for these examples (tokens/s); may be empty. Called before `loss` on the same
  // examples, outside the timed forward/backward, so it is the place to prepare (tokenise) them.
  std::function<int64_t(const std::vector<int64_t>& examples)> tokens;
};

struct TrainerOptions {
  config::OptimConfig optim;
  bool dynamic_weights = false;    // else `weights`
  std::vector<double> weights;     // per task; empty = 1 each
  bool alternate = false;          // step s trains task s % tasks only; else every task every step
  uint64_t seed = 0;               // data order
  std::string label = "train";     // progress bar and log prefix
  std::filesystem::path metrics_jsonl;  // appended by world rank 0; empty = none
  std::filesystem::path tensorboard_dir;  // the same lines as TensorBoard scalars, by world rank 0; empty = none
  double tensorboard_flush_seconds = 30;
  std::filesystem::path checkpoint_dir; // empty = no checkpoints
  config::CheckpointConfig checkpoint;
  std::string fingerprint;              // what the state belongs to; a checkpoint with another one is refused
};

struct StepRecord {
  int64_t step = 0;                       // 1-based, after the update
  std::map<std::string, double> losses;   // mean loss of each task trained this step
  std::vector<double> weights;            // the task weights applied
  double loss = 0;                        // sum of weight * loss
  double grad_norm = 0;                   // of the combined gradient, before clipping
  double lr = 0;
  int64_t tokens = 0;                     // over all DP ranks
  double seconds = 0, forward_backward_seconds = 0;  // this rank
};

class Trainer {
 public:
  // `trainables`: the tensors to train (requires_grad) and how each is split over the TP group.
  Trainer(TrainerOptions options, std::vector<Task> tasks, std::vector<TrainableTensor> trainables,
          const parallel::ParallelGroups& groups);
  ~Trainer();

  // Resumes from the newest complete checkpoint (if any), then runs up to optim.steps steps. `validate(step)` is
  // called on every rank every eval_every steps and after the last (collective inside is allowed); what it
  // returns is added to that step's metrics line. Throws StopRequested after saving when a stop was requested.
  void run(const std::function<nlohmann::json(int64_t step)>& validate);
  StepRecord step();

  // Collective over the world: saves the trainable state as checkpoint `steps_done()`. With checkpoint.async_save
  // it returns once the state is copied to host memory; a background thread writes the files, and the checkpoint
  // is published at the first step boundary where every rank's files are written (or by finish_pending_save()).
  void save_checkpoint();
  // Collective: waits for a background save still in flight and publishes it; nothing when none is pending.
  // run() calls it before returning or stopping, and save_checkpoint() before starting the next save.
  void finish_pending_save();
  // Collective: loads the newest complete checkpoint; returns false when there is none.
  bool resume();

  const std::vector<StepRecord>& history() const { return history_; }
  int64_t steps_done() const { return steps_done_; }

  // Global sample indices of global batch `batch` of task `task` (all G of them, every rank alike).
  std::vector<int64_t> global_batch(size_t task, int64_t batch);

 private:
  double task_gradient(size_t task, std::vector<torch::Tensor>* grads, double* loss, int64_t* tokens,
                       double* fb_seconds);
  std::vector<double> task_weights(const std::vector<size_t>& active, const std::vector<double>& norms);
  void log(const StepRecord& record, const nlohmann::json& extra);
  // What every rank decides alike at a step boundary, from one all-reduce (max over ranks).
  struct Boundary {
    int stop = 0;              // the stop requested on any rank (0 = none; 130 wins over 75), incl. the time budget
    bool late = false;         // checkpoint.every_minutes passed since the last save on some rank
    bool save_written = false; // a background save is in flight and every rank has written its files
  };
  Boundary agree_at_boundary(double seconds_since_save);
  void publish_written_save();  // after save_written: collects the writers' errors, rank 0 publishes

  TrainerOptions options_;
  std::vector<Task> tasks_;
  std::vector<TrainableTensor> trainables_;
  std::vector<torch::Tensor> parameters_, sharded_, replicated_;
  std::vector<double> sharded_weights_;  // 1 / holders
  std::unique_ptr<CheckpointStore> store_;
  std::unique_ptr<tensorboard::SummaryWriter> tensorboard_;  // world rank 0, during run()
  parallel::ParallelGroups groups_;
  std::unique_ptr<parallel::DataParallelGradients> dp_grads_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::vector<int64_t> batches_taken_;       // per task
  std::vector<double> last_norm_;            // per task, for dynamic weights when tasks alternate
  std::vector<std::pair<int64_t, std::vector<int64_t>>> permutation_;  // per task: (epoch, order)
  std::vector<StepRecord> history_;
  int64_t steps_done_ = 0;
  // A background save (checkpoint.async_save): this rank's writer, then (world rank 0) the publication.
  std::future<void> pending_write_, pending_publish_;
  int64_t pending_step_ = 0;
  std::map<std::string, torch::Tensor> staging_;  // host buffers of background saves, by tensor key
  // optim.keep = best_valid: this rank's trainable tensors at the best validation so far (checkpointed with them).
  void remember_if_best(const nlohmann::json& validation);
  std::vector<torch::Tensor> best_;
  double best_score_ = 0;
  int64_t best_step_ = -1;  // -1 = no validation yet
};

// Dynamic task weights from gradient norms: w_i = sqrt(1 / n_i) / sum_j sqrt(1 / n_j) (a zero norm counts as 1e-12).
std::vector<double> dynamic_weights(const std::vector<double>& norms);

}  // namespace delrec::train
