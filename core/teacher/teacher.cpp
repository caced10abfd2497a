#include "core/teacher/teacher.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace delrec::teacher {
namespace {

constexpr const char* kMetaKey = "delrec_teacher";

nlohmann::json to_json(const config::TeacherConfig& c, const TeacherInfo& info) {
  return {{"model", c.model},
          {"max_len", c.max_len},
          {"sasrec", {{"hidden", c.sasrec.hidden}, {"blocks", c.sasrec.blocks}, {"heads", c.sasrec.heads},
                      {"dropout", c.sasrec.dropout}}},
          {"gru4rec", {{"hidden", c.gru4rec.hidden}, {"layers", c.gru4rec.layers}, {"dropout", c.gru4rec.dropout}}},
          {"caser", {{"hidden", c.caser.hidden}, {"window", c.caser.window}, {"vertical", c.caser.vertical},
                     {"horizontal", c.caser.horizontal}, {"dropout", c.caser.dropout}}},
          {"dataset_name", info.dataset_name},
          {"dataset_fingerprint", info.dataset_fingerprint},
          {"num_items", info.num_items},
          {"epoch", info.epoch},
          {"valid_ndcg10", info.valid_ndcg10}};
}

void from_json(const nlohmann::json& j, config::TeacherConfig& c, TeacherInfo& info) {
  c.model = j.at("model");
  c.max_len = j.at("max_len");
  const auto& s = j.at("sasrec");
  c.sasrec = {s.at("hidden"), s.at("blocks"), s.at("heads"), s.at("dropout")};
  const auto& g = j.at("gru4rec");
  c.gru4rec = {g.at("hidden"), g.at("layers"), g.at("dropout")};
  const auto& k = j.at("caser");
  c.caser = {k.at("hidden"), k.at("window"), k.at("vertical"), k.at("horizontal"), k.at("dropout")};
  info.dataset_name = j.at("dataset_name");
  info.dataset_fingerprint = j.at("dataset_fingerprint");
  info.num_items = j.at("num_items");
  info.epoch = j.at("epoch");
  info.valid_ndcg10 = j.at("valid_ndcg10");
}

}  // namespace

Teacher::Teacher(const config::TeacherConfig& config, TeacherInfo info)
    : config_(config), info_(std::move(info)), model_(make_sequence_model(config, info_.num_items)) {}

Teacher Teacher::load(const std::filesystem::path& path) {
  DELREC_CHECK(std::filesystem::exists(path),
               "teacher checkpoint {} does not exist; train it with `delrec teacher train RECIPE`", path.string());
  torch::serialize::InputArchive archive;
  config::TeacherConfig config;
  TeacherInfo info;
  try {
    archive.load_from(path.string());
    c10::IValue meta;
    archive.read(kMetaKey, meta);
    from_json(nlohmann::json::parse(meta.toStringRef()), config, info);
  } catch (const std::exception& e) {
    throw Error(fmt::format("teacher checkpoint {} is not readable (truncated, or not written by `delrec teacher "
                            "train`): {}",
                            path.string(), std::string(e.what()).substr(0, 300)));
  }
  Teacher teacher(config, info);
  try {
    teacher.model_->load(archive);
  } catch (const std::exception& e) {
    throw Error(fmt::format("teacher checkpoint {}: parameters do not match a {} model: {}", path.string(),
                            config.model, std::string(e.what()).substr(0, 300)));
  }
  teacher.model_->eval();
  return teacher;
}

void Teacher::save(const std::filesystem::path& path) const {
  torch::serialize::OutputArchive archive;
  model_->save(archive);
  archive.write(kMetaKey, c10::IValue(to_json(config_, info_).dump()));
  if (!path.parent_path().empty()) std::filesystem::create_directories(path.parent_path());
  write_atomically(path, [&](const std::filesystem::path& tmp) { archive.save_to(tmp.string()); });
}

torch::Tensor Teacher::encode(const std::vector<std::vector<int64_t>>& histories) const {
  torch::NoGradGuard no_grad;
  const bool was_training = model_->is_training();
  model_->eval();
  auto states = model_->forward(pad_left(histories, config_.max_len)).select(1, -1);  // (B, D)
  if (was_training) model_->train();
  return states;
}

torch::Tensor pad_left(const std::vector<std::vector<int64_t>>& histories, int64_t max_len) {
  int64_t width = 1;
  for (const auto& h : histories) width = std::max<int64_t>(width, std::min<int64_t>(h.size(), max_len));
  auto out = torch::zeros({static_cast<int64_t>(histories.size()), width}, torch::kLong);
  auto* p = out.data_ptr<int64_t>();
  for (size_t b = 0; b < histories.size(); ++b) {
    const auto& h = histories[b];
    const int64_t n = std::min<int64_t>(h.size(), max_len);
    std::copy(h.end() - n, h.end(), p + b * width + (width - n));
  }
  return out;
}

std::filesystem::path default_checkpoint_path(const config::TeacherConfig& config,
                                              const std::filesystem::path& out_dir) {
  if (!config.checkpoint.empty()) return config.checkpoint;
  return out_dir / "teacher" / (config.model + ".pt");
}

}  // namespace delrec::teacher
