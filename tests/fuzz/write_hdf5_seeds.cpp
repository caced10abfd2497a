// Writes the HDF5 seeds of the fuzz corpora with the project's own writers, kept tiny (a few KB each):
//   <out>/prepared_dataset/synthetic.h5   a prepared synthetic dataset of 10 users and 30 items
//   <out>/teacher_shard/shard.h5          a teacher-cache shard of 4 examples, 5 candidates, top 3
// Run by tests/fuzz/make_corpus.py; the outputs are committed under tests/fuzz/corpus/.
#include <torch/torch.h>

#include <filesystem>
#include <iostream>

#include "core/config/recipe.h"
#include "core/data/prepare.h"
#include "core/data/prepared_dataset.h"
#include "core/teacher/shard_file.h"

using namespace delrec;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " OUT_DIR\n";
    return 2;
  }
  const std::filesystem::path out = argv[1];
  std::filesystem::create_directories(out / "prepared_dataset");
  std::filesystem::create_directories(out / "teacher_shard");

  const std::string yaml =
      "data: {dataset: synthetic, num_candidates: 5, min_history: 3,\n"
      "       synthetic: {users: 10, items: 30, min_length: 3, max_length: 5}}\n";
  const auto recipe = config::parse_recipe(yaml, "seed recipe");
  const auto dataset = data::prepare(recipe.data, yaml);
  data::save_prepared(dataset, out / "prepared_dataset" / "synthetic.h5");

  // The arrays and attributes of core/teacher/teacher_cache.cpp, with their dtypes.
  const int64_t rows = 4, candidates = 5, top_k = 3;
  teacher::ShardWriter shard(out / "teacher_shard" / "shard.h5");
  shard.set_attribute("format", "delrec-teacher-cache");
  shard.set_attribute("version", int64_t(1));
  shard.set_attribute("dataset_fingerprint", dataset.fingerprint);
  shard.set_attribute("begin", int64_t(0));
  shard.set_attribute("end", rows);
  shard.write("user", torch::arange(rows, torch::kLong));
  shard.write("position", torch::full({rows}, 2, torch::kLong));
  shard.write("kind", torch::zeros({rows}, torch::kInt8));
  shard.write("candidates", torch::arange(rows * candidates, torch::kInt32).reshape({rows, candidates}) % 30 + 1);
  shard.write("candidate_scores", torch::linspace(-1, 1, rows * candidates).reshape({rows, candidates}));
  shard.write("topk_items", torch::arange(rows * top_k, torch::kInt32).reshape({rows, top_k}) + 1);
  shard.write("topk_scores", torch::linspace(2, 0, rows * top_k).reshape({rows, top_k}));
  shard.close();
  return 0;
}
