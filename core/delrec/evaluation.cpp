#include "core/delrec/evaluation.h"

#include <spdlog/spdlog.h>

#include "core/delrec/backbone.h"
#include "core/delrec/candidate_scorer.h"
#include "core/delrec/examples.h"
#include "core/delrec/prompt_encoder.h"
#include "core/delrec/run_layout.h"
#include "core/delrec/soft_prompt.h"
#include "core/llm/lora.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/fault_injection.h"
#include "core/util/json_input.h"

namespace fs = std::filesystem;

namespace delrec::stages {
namespace {

const std::vector<std::pair<std::string, std::pair<bool, int64_t>>> kColumns = {
    {"HR@1", {true, 1}}, {"HR@5", {true, 5}}, {"NDCG@5", {false, 5}}, {"HR@10", {true, 10}}, {"NDCG@10", {false, 10}}};

double value(const eval::RankingMetrics& m, const std::pair<bool, int64_t>& column) {
  return column.first ? m.hr.at(column.second) : m.ndcg.at(column.second);
}

// "RPS target = true next item: DELRec 412 of 1800 (22.9%, teacher_topk)" for each run with RPS.
std::string rps_lines(const RunResults& r) {
  std::string out;
  for (const auto& row : r.rows) {
    if (!r.rps_targets.count(row.id)) continue;
    const auto& j = r.rps_targets.at(row.id);
    out += fmt::format("RPS target = true next item ({}): {} of {} examples ({:.1f}%, {} candidates)\n", row.model,
                       j.value("target_is_true_item", int64_t{0}), j.value("examples", int64_t{0}),
                       100 * j.value("rate", 0.0), j.value("candidates", std::string("?")));
  }
  return out;
}

// The teacher's ranks on the test examples of the first `users` users, from their cache rows (column 0 = true
// item); no other row is read.
eval::RankingMetrics teacher_metrics(const teacher::TeacherCacheReader& cache, const data::Dataset& dataset,
                                     int64_t users) {
  const auto rows = teacher::cache_examples(dataset, cache.manifest().train_prefixes);
  DELREC_CHECK(static_cast<int64_t>(rows.size()) == cache.num_examples(),
               "teacher cache: the manifest lists {} examples, dataset '{}' makes {}; rebuild the cache with "
               "`delrec teacher cache RECIPE`", cache.num_examples(), dataset.name, rows.size());
  std::vector<torch::Tensor> scores;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].kind != teacher::ExampleKind::kTest || rows[i].user >= users) continue;
    const auto row = static_cast<int64_t>(i);
    const teacher::CacheBatch b = cache.read(row, row + 1);
    DELREC_CHECK(b.user[0].item<int64_t>() == rows[i].user &&
                     b.kind[0].item<int8_t>() == static_cast<int8_t>(teacher::ExampleKind::kTest),
                 "teacher cache row {} is not user {}'s test example; rebuild the cache with `delrec teacher cache "
                 "RECIPE`", row, rows[i].user);
    scores.push_back(b.candidate_scores);
  }
  DELREC_CHECK(!scores.empty(), "teacher cache: no test examples for the first {} users", users);
  return eval::ranking_metrics(eval::candidate_ranks(torch::cat(scores)), {1, 5, 10});
}

eval::RankingMetrics llm_metrics(const config::Recipe& recipe, const data::Dataset& dataset,
                                 const parallel::ParallelGroups& groups, const fs::path& adapter,
                                 const fs::path& soft_prompt_file) {
  Backbone backbone = load_backbone(recipe, groups);
  if (!adapter.empty()) llm::load_lora(backbone.model, adapter);
  torch::Tensor soft;
  if (!soft_prompt_file.empty()) soft = load_soft_prompt(soft_prompt_file, backbone.model);
  prompt::PromptEncoder encoder(recipe.prompt, recipe.teacher.model, soft.defined() ? soft.size(0) : 0,
                                *backbone.tokenizer, dataset, recipe.data.num_candidates);
  const auto test = examples::split_examples(dataset, examples::Split::kTest, recipe.eval.max_users,
                                             static_cast<uint64_t>(recipe.run.seed));
  prompt::EncodedExamples tokens(encoder, test, prompt::Task::kRecommend);
  return eval::ranking_metrics(rank_examples(backbone.model, soft, tokens, encoder, groups), {1, 5, 10});
}

}  // namespace

RunResults evaluate_run(const config::Recipe& recipe, const data::Dataset& dataset, const teacher::TeacherCacheReader& cache,
                        const parallel::ParallelGroups& groups) {
  fail_point("evaluation");
  const RunLayout layout(recipe);
  RunResults results;
  results.dataset = dataset.name;
  results.users = recipe.eval.max_users > 0 ? std::min(recipe.eval.max_users, dataset.num_users()) : dataset.num_users();
  results.candidates = recipe.data.num_candidates;
  // A row for each finished model: (id, name, adapter or "", soft prompt or "", whether it is asked for).
  struct Row {
    std::string id, name;
    fs::path adapter, soft_prompt, rps_targets;
    bool wanted;
  };
  const auto& e = recipe.eval;
  const std::vector<Row> rows = {
      {"delrec", "DELRec", layout.adapter(), layout.soft_prompt(), layout.stage1() / "rps_targets.json", true},
      {"no_ta", "w/o TA", layout.stage2_without("ta") / "adapter",
       layout.stage1_without("ta") / "soft_prompt.safetensors", layout.stage1_without("ta") / "rps_targets.json",
       e.runs("no_ta")},
      {"no_rps", "w/o RPS", layout.stage2_without("rps") / "adapter",
       layout.stage1_without("rps") / "soft_prompt.safetensors", {}, e.runs("no_rps")},
      {"no_soft_prompt", "w/o soft prompt (stage 2 only)", layout.ablation_adapter(), {}, {}, e.runs("no_soft_prompt")},
      {"no_stage2", "w/o stage 2 (frozen LLM)", {}, layout.soft_prompt(), {}, e.runs("no_stage2")},
      {"zero_shot", "LLM zero-shot", {}, {}, {}, e.runs("zero_shot")},
  };
  for (const auto& row : rows) {
    if (!row.wanted) continue;
    if ((!row.adapter.empty() && !fs::exists(row.adapter)) || (!row.soft_prompt.empty() && !fs::exists(row.soft_prompt)))
      continue;  // not trained (yet)
    spdlog::info("eval: {} on {} test users", row.name, results.users);
    results.rows.push_back({row.name, row.id, llm_metrics(recipe, dataset, groups, row.adapter, row.soft_prompt)});
    if (!row.rps_targets.empty() && fs::exists(row.rps_targets))
      results.rps_targets[row.id] = parse_json(read_file(row.rps_targets), row.rps_targets.string());
  }
  results.rows.push_back({prompt::teacher_display_name(recipe.teacher.model) + " (teacher)", "teacher",
                          teacher_metrics(cache, dataset, results.users)});
  return results;
}

std::string format_results(const RunResults& r) {
  std::string out = fmt::format("{} test users of {}, {} candidates each\n{:<32}", r.users, r.dataset, r.candidates,
                                "model");
  for (const auto& [name, column] : kColumns) out += fmt::format("{:>9}", name);
  out += "\n";
  for (const auto& row : r.rows) {
    out += fmt::format("{:<32}", row.model);
    for (const auto& [name, column] : kColumns) out += fmt::format("{:>9.4f}", value(row.metrics, column));
    out += "\n";
  }
  return out + rps_lines(r);
}

std::string results_markdown(const RunResults& r) {
  std::string out = fmt::format("{} test users of {}, {} candidates each.\n\n| model |", r.users, r.dataset,
                                r.candidates);
  std::string rule = "| --- |";
  for (const auto& [name, column] : kColumns) {
    out += " " + name + " |";
    rule += " ---: |";
  }
  out += "\n" + rule + "\n";
  for (const auto& row : r.rows) {
    out += "| " + row.model + " |";
    for (const auto& [name, column] : kColumns) out += fmt::format(" {:.4f} |", value(row.metrics, column));
    out += "\n";
  }
  const std::string rps = rps_lines(r);
  return rps.empty() ? out : out + "\n" + rps;
}

nlohmann::json results_json(const RunResults& r) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : r.rows) {
    nlohmann::json j = {{"model", row.model}, {"id", row.id}, {"examples", row.metrics.count}};
    if (r.rps_targets.count(row.id)) j["rps_targets"] = r.rps_targets.at(row.id);
    for (const auto& [name, column] : kColumns) j[name] = value(row.metrics, column);
    rows.push_back(j);
  }
  return {{"dataset", r.dataset}, {"users", r.users}, {"candidates", r.candidates}, {"rows", rows}};
}

void write_results(const RunResults& results, const fs::path& eval_dir) {
  fs::create_directories(eval_dir);
  write_file_atomically(eval_dir / "results.json", results_json(results).dump(2) + "\n");
  write_file_atomically(eval_dir / "results.md", results_markdown(results));
}

}  // namespace delrec::stages
