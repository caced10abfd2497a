#pragma once
// A trained teacher: its model, the hyperparameters that rebuild it, and what it was trained on. This is what
// `delrec teacher eval` and `delrec teacher cache` load, and what later stages use to score histories directly.
//
// Checkpoint: one torch archive holding the parameters plus a JSON string under "delrec_teacher" (model name,
// hyperparameters, num_items, dataset fingerprint, epoch, validation NDCG@10). Saved atomically.
#include <torch/torch.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/config/teacher_config.h"
#include "core/teacher/sequence_model.h"

namespace delrec::teacher {

struct TeacherInfo {
  std::string dataset_name;
  std::string dataset_fingerprint;
  int64_t num_items = 0;
  int64_t epoch = 0;              // the epoch this checkpoint was taken after
  double valid_ndcg10 = 0;        // validation NDCG@10 at that epoch
};

class Teacher {
 public:
  // A fresh model for config.model (see make_sequence_model).
  Teacher(const config::TeacherConfig& config, TeacherInfo info);
  // Loads a checkpoint written by save(); the model is in eval mode. Errors name the file.
  static Teacher load(const std::filesystem::path& path);
  void save(const std::filesystem::path& path) const;

  // States after each history (B, D), no gradient, eval mode. Histories are cut to their last max_len items;
  // an empty history is allowed (the state of padding alone). Batches are padded to their longest history.
  torch::Tensor encode(const std::vector<std::vector<int64_t>>& histories) const;

  SequenceModelImpl& model() const { return *model_; }
  const std::shared_ptr<SequenceModelImpl>& model_ptr() const { return model_; }
  const config::TeacherConfig& config() const { return config_; }
  const TeacherInfo& info() const { return info_; }
  TeacherInfo& info() { return info_; }

 private:
  config::TeacherConfig config_;
  TeacherInfo info_;
  std::shared_ptr<SequenceModelImpl> model_;
};

// (B, T) int64 rows of `histories` (each cut to its last max_len items), left-padded with 0 to the longest,
// T = min(max_len, longest history), at least 1.
torch::Tensor pad_left(const std::vector<std::vector<int64_t>>& histories, int64_t max_len);

// <dir>/<model>.pt: where `delrec teacher train` puts the best checkpoint unless teacher.checkpoint says otherwise.
std::filesystem::path default_checkpoint_path(const config::TeacherConfig& config,
                                              const std::filesystem::path& out_dir);

}  // namespace delrec::teacher
