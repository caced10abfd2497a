#pragma once
// A Hugging Face checkpoint folder seen as one set of named tensors, whether it holds one model.safetensors or
// shards listed by model.safetensors.index.json.
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/llm/safetensors.h"

namespace delrec::llm {

// A checkpoint folder: model.safetensors, or shards listed by model.safetensors.index.json. Shards are opened
// lazily and kept mapped. Pickle (.bin/.pt) checkpoints are refused with a message that says how to convert.
class Checkpoint {
 public:
  explicit Checkpoint(const std::filesystem::path& dir);

  bool contains(const std::string& name) const { return shard_of_.count(name) > 0; }
  const TensorInfo& info(const std::string& name) const;
  std::vector<std::string> names() const;
  torch::Tensor read(const std::string& name) const;
  torch::Tensor read_slice(const std::string& name, int64_t dim, int64_t start, int64_t length) const;

 private:
  const SafetensorsFile& file_for(const std::string& name) const;

  std::filesystem::path dir_;
  std::map<std::string, std::string> shard_of_;  // tensor name -> file name within dir_
  mutable std::map<std::string, std::unique_ptr<SafetensorsFile>> files_;
};

}  // namespace delrec::llm
