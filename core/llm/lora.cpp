#include "core/llm/lora.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/llm/safetensors.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/json_input.h"
#include "core/util/fault_injection.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace delrec::llm {
namespace {

const std::vector<std::string> kProjections = {"q_proj", "k_proj", "v_proj", "o_proj",
                                               "gate_proj", "up_proj", "down_proj"};

std::string short_name(const std::string& projection) { return projection.substr(projection.find('.') + 1); }

std::string peft_key(int64_t layer, const std::string& projection) {
  return "base_model.model.model.layers." + std::to_string(layer) + "." + projection;
}

bool targeted(const LoraConfig& config, const std::string& projection) {
  const auto& t = config.target_modules;
  return std::find(t.begin(), t.end(), short_name(projection)) != t.end();
}

}  // namespace

double LoraConfig::scale() const { return use_rslora ? alpha / std::sqrt(double(r)) : alpha / double(r); }

LoraConfig load_lora_config(const fs::path& path) {
  const std::string src = path.string();
  json j = parse_json(read_file(path), src);
  DELREC_CHECK(j.value("peft_type", "") == "LORA", "{}: peft_type must be \"LORA\"", src);
  DELREC_CHECK(j.contains("r") && j["r"].is_number_integer() && j["r"].get<int64_t>() > 0,
               "{}: \"r\" must be a positive integer", src);
  LoraConfig c;
  c.r = j["r"].get<int64_t>();
  c.alpha = j.value("lora_alpha", static_cast<double>(c.r));
  c.use_rslora = j.value("use_rslora", false);
  c.dropout = j.value("lora_dropout", 0.0);
  DELREC_CHECK(!j.value("use_dora", false), "{}: DoRA adapters (use_dora) are not supported", src);
  DELREC_CHECK(j.value("bias", std::string("none")) == "none", "{}: adapters with bias are not supported", src);
  DELREC_CHECK(!j.value("fan_in_fan_out", false), "{}: fan_in_fan_out adapters are not supported", src);
  for (const char* key : {"rank_pattern", "alpha_pattern"})
    DELREC_CHECK(!j.contains(key) || j[key].is_null() || j[key].empty(), "{}: per-module \"{}\" is not supported",
                 src, key);
  const json& t = j.value("target_modules", json());
  if (t.is_string()) {
    DELREC_CHECK(t.get<std::string>() == "all-linear", "{}: target_modules \"{}\" (a regex) is not supported; list "
                 "the projection names", src, t.get<std::string>());
    c.target_modules = kProjections;
  } else {
    DELREC_CHECK(t.is_array() && !t.empty(), "{}: target_modules must be a list of projection names", src);
    c.target_modules.clear();
    for (const auto& m : t) {
      const std::string name = m.get<std::string>();
      DELREC_CHECK(std::find(kProjections.begin(), kProjections.end(), name) != kProjections.end(),
                   "{}: target module \"{}\" is not one of q_proj k_proj v_proj o_proj gate_proj up_proj down_proj",
                   src, name);
      c.target_modules.push_back(name);
    }
  }
  return c;
}

void attach_lora(CausalLm& model, const LoraConfig& config) {
  for (auto& layer : model->layers())
    for (auto& [name, p] : layer->projections)
      if (targeted(config, name)) {
        p->attach_lora(config.r, config.scale());
        p->set_lora_dropout(config.dropout);
      }
}

LoraConfig load_lora(CausalLm& model, const fs::path& dir) {
  LoraConfig config = load_lora_config(dir / "adapter_config.json");
  SafetensorsFile file(dir / "adapter_model.safetensors");
  for (size_t i = 0; i < model->layers().size(); ++i)
    for (auto& [name, p] : model->layers()[i]->projections)
      if (targeted(config, name)) {
        p->load_lora(file, peft_key(static_cast<int64_t>(i), name), config.scale());
        p->set_lora_dropout(config.dropout);
      }
  return config;
}

std::vector<torch::Tensor> lora_parameters(CausalLm& model) {
  std::vector<torch::Tensor> out;
  for (const auto& p : model->named_parameters()) {
    const std::string& key = p.key();
    if (key.size() >= 6 && (key.compare(key.size() - 6, 6, "lora_A") == 0 || key.compare(key.size() - 6, 6, "lora_B") == 0))
      out.push_back(p.value());
  }
  return out;
}

std::vector<train::TrainableTensor> lora_trainables(CausalLm& model) {
  std::vector<train::TrainableTensor> out;
  for (size_t i = 0; i < model->layers().size(); ++i)
    for (auto& [name, p] : model->layers()[i]->projections) {
      if (!p->has_lora()) continue;
      const std::string key = peft_key(static_cast<int64_t>(i), name);
      const bool column = p->spec().column;
      out.push_back({key + ".lora_A.weight", p->lora_a(), column ? -1 : 1, 1});
      out.push_back({key + ".lora_B.weight", p->lora_b(), column ? 0 : -1, column ? p->spec().replicas : 1});
    }
  return out;
}

void save_lora(CausalLm& model, const LoraConfig& config, const fs::path& dir, bool write) {
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (size_t i = 0; i < model->layers().size(); ++i)
    for (auto& [name, p] : model->layers()[i]->projections) {
      if (!p->has_lora()) continue;
      auto [a, b] = p->gather_lora();
      const std::string key = peft_key(static_cast<int64_t>(i), name);
      tensors.emplace_back(key + ".lora_A.weight", a);
      tensors.emplace_back(key + ".lora_B.weight", b);
    }
  if (!write) return;
  json j = {{"peft_type", "LORA"},
            {"task_type", "CAUSAL_LM"},
            {"r", config.r},
            {"lora_alpha", config.alpha},
            {"use_rslora", config.use_rslora},
            {"target_modules", config.target_modules},
            {"lora_dropout", config.dropout},
            {"bias", "none"},
            {"fan_in_fan_out", false},
            {"use_dora", false},
            {"inference_mode", true},
            {"modules_to_save", nullptr},
            {"base_model_name_or_path", nullptr}};
  // Published as a whole: both files are written into <dir>.tmp.<pid>, which is then renamed to <dir>. A kill
  // leaves the old adapter or the new one (or, while an old one is replaced, none), never one file of a pair.
  fs::path old;
  if (fs::exists(dir)) {
    old = dir;
    old += ".old." + std::to_string(::getpid());
    fs::remove_all(old);
    fs::rename(dir, old);
  }
  try {
    write_atomically(dir, [&](const fs::path& tmp) {
      fs::create_directories(tmp);
      save_safetensors(tmp / "adapter_model.safetensors", tensors, {{"format", "pt"}});
      fail_point("adapter_write");
      write_file_atomically(tmp / "adapter_config.json", j.dump(2) + "\n");
    });
  } catch (...) {
    if (!old.empty()) fs::rename(old, dir);  // the old adapter stays as it was
    throw;
  }
  if (!old.empty()) fs::remove_all(old);
}

}  // namespace delrec::llm
