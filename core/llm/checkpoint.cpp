#include "core/llm/checkpoint.h"

#include <nlohmann/json.hpp>

#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/json_input.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace delrec::llm {

Checkpoint::Checkpoint(const fs::path& dir) : dir_(dir) {
  const fs::path index = dir / "model.safetensors.index.json";
  const fs::path single = dir / "model.safetensors";
  if (fs::exists(index)) {
    json j = parse_json(read_file(index), index.string());
    DELREC_CHECK(j.contains("weight_map") && j["weight_map"].is_object(), "{}: missing the \"weight_map\" object",
                 index.string());
    for (const auto& [name, file] : j["weight_map"].items()) {
      DELREC_CHECK(file.is_string(), "{}: weight_map[\"{}\"] is not a file name", index.string(), name);
      const std::string f = file.get<std::string>();
      // Shard names come from an untrusted file: only plain names inside the folder.
      DELREC_CHECK(!f.empty() && f.find('/') == std::string::npos && f != "." && f != "..",
                   "{}: weight_map[\"{}\"] = \"{}\" is not a file name inside the checkpoint folder", index.string(),
                   name, f);
      shard_of_[name] = f;
    }
  } else if (fs::exists(single)) {
    files_["model.safetensors"] = std::make_unique<SafetensorsFile>(single);
    for (const auto& name : files_["model.safetensors"]->names()) shard_of_[name] = "model.safetensors";
  } else {
    const bool pickle = fs::exists(dir / "pytorch_model.bin") || fs::exists(dir / "pytorch_model.bin.index.json");
    DELREC_CHECK(!pickle, "{} holds only PyTorch pickle weights (pytorch_model.bin); delrec does not load pickle files "
                 "because they can run arbitrary code. Convert them to safetensors (e.g. load with transformers and "
                 "save_pretrained(dir, safe_serialization=True)).", dir.string());
    throw Error(fmt::format("{}: neither model.safetensors nor model.safetensors.index.json found (is this a Hugging "
                            "Face model folder?)", dir.string()));
  }
}

const SafetensorsFile& Checkpoint::file_for(const std::string& name) const {
  auto it = shard_of_.find(name);
  DELREC_CHECK(it != shard_of_.end(), "checkpoint {}: no tensor named '{}'", dir_.string(), name);
  auto& file = files_[it->second];
  if (!file) file = std::make_unique<SafetensorsFile>(dir_ / it->second);
  return *file;
}

const TensorInfo& Checkpoint::info(const std::string& name) const { return file_for(name).info(name); }

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  for (const auto& kv : shard_of_) out.push_back(kv.first);
  return out;
}

torch::Tensor Checkpoint::read(const std::string& name) const { return file_for(name).read(name); }

torch::Tensor Checkpoint::read_slice(const std::string& name, int64_t dim, int64_t start, int64_t length) const {
  return file_for(name).read_slice(name, dim, start, length);
}

}  // namespace delrec::llm
