#pragma once
// Data-parallel gradients: the trainable parameters' gradients are packed into flat buckets (in reverse
// registration order, roughly the order backward produces them) and each bucket is averaged over the DP group
// with one all-reduce, instead of one collective per parameter.
//
// Two ways to use it:
//   all_reduce_gradients()   after backward (and after gradient accumulation): synchronous.
//   overlap(true)            hooks copy each gradient into its bucket as backward produces it and launch the
//                            bucket's all-reduce as soon as the bucket is full, overlapping communication with the
//                            rest of backward; call finish_gradient_sync() after each backward. Every parameter
//                            must receive a gradient in every backward (use all_reduce_gradients() otherwise).
// Either way, afterwards each .grad holds the DP average of what it held without data parallelism.
#include <torch/torch.h>

#include <memory>
#include <vector>

#include "parallel/communicator.h"

namespace delrec::parallel {

struct DataParallelOptions {
  TORCH_ARG(double, bucket_mb) = 25.0;  // bucket capacity in MiB
  TORCH_ARG(bool, overlap) = false;
};

class DataParallelGradients {
 public:
  DataParallelGradients(std::vector<torch::Tensor> parameters, std::shared_ptr<Communicator> dp,
                        DataParallelOptions options = {});
  ~DataParallelGradients();
  DataParallelGradients(const DataParallelGradients&) = delete;
  DataParallelGradients& operator=(const DataParallelGradients&) = delete;

  // Averages every parameter's .grad over the DP group (a missing .grad counts as zeros and is created).
  void all_reduce_gradients();
  // Overlap mode, after backward: waits for the buckets and writes the averaged gradients into .grad.
  void finish_gradient_sync();

  size_t num_buckets() const { return buckets_.size(); }

 private:
  struct Bucket {
    std::vector<size_t> members;  // indices into parameters_
    std::vector<int64_t> offsets;  // element offset of each member in flat
    torch::Tensor flat;            // (sum of member numels)
    size_t ready = 0;              // members whose gradient arrived in this backward (overlap mode)
  };

  void build_buckets(double bucket_mb);
  void on_gradient(size_t param, const torch::Tensor& grad);
  torch::Tensor slot(const Bucket& bucket, size_t member) const;
  void write_back(const Bucket& bucket);

  std::vector<torch::Tensor> parameters_;
  std::shared_ptr<Communicator> dp_;
  DataParallelOptions options_;
  std::vector<Bucket> buckets_;
  std::vector<std::pair<size_t, size_t>> location_;  // parameter -> (bucket, member)
  std::vector<unsigned> hooks_;
};

}  // namespace delrec::parallel
