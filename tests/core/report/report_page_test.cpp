#include "core/report/report_page.h"

#include <gtest/gtest.h>

#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "tests/test_support.h"

namespace delrec::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A run directory as delrec writes one: a resumed stage 1 (its metrics file holds each step once), a teacher,
// results with an ablation, a provenance record and checkpoints.
void make_run(const fs::path& dir, double loss_scale) {
  fs::create_directories(dir / "stage1/checkpoints/step-4");
  fs::create_directories(dir / "stage1/checkpoints/step-10");
  fs::create_directories(dir / "stage1/checkpoints/step-12.tmp");
  fs::create_directories(dir / "teacher");
  fs::create_directories(dir / "eval");
  write_file_atomically(dir / "recipe.resolved.yaml", "run:\n  name: \"</script><b>x</b>\"\n");
  std::string lines;
  for (int step = 2; step <= 10; step += 2)
    lines += json{{"stage", "stage 1"}, {"step", step}, {"loss", loss_scale / step}, {"loss_ta", 1.0},
                  {"seconds", 0.5}, {"forward_backward_seconds", 0.25}, {"tokens_per_second", 100.0 * step}}
                 .dump() + "\n";
  lines += R"({"stage": "stage 1", "step": 12, "loss)";  // cut short by a kill
  write_file_atomically(dir / "stage1/metrics.jsonl", lines);
  write_file_atomically(dir / "stage1/checkpoints/step-4/trainer.json", std::string(1000, 'x'));
  write_file_atomically(dir / "teacher/sasrec.metrics.jsonl",
                        R"({"epoch": 1, "loss": 2.0, "valid": {"HR@10": 0.5, "count": 600}})" "\n");
  write_file_atomically(dir / "stage1/soft_prompt.safetensors.provenance.json",
                        R"({"output": "soft_prompt.safetensors"})");
  write_file_atomically(dir / "eval/results.json", json{{"dataset", "synthetic"}, {"users", 8}, {"candidates", 20},
      {"rows", {{{"model", "DELRec"}, {"id", "delrec"}, {"examples", 8}, {"HR@1", 0.125}, {"NDCG@10", 0.5}},
                {{"model", "w/o TA"}, {"id", "no_ta"}, {"examples", 8}, {"HR@1", 0.25}, {"NDCG@10", 0.75}}}}}.dump());
}

// The JSON the page's script draws from.
json page_data(const std::string& page) {
  const std::string open = "<script type=\"application/json\" id=\"report-data\">";
  const size_t at = page.find(open) + open.size();
  return json::parse(page.substr(at, page.find("</script>", at) - at));
}

TEST(ReportPage, HoldsTheResultsEveryCurveAndTheCheckpoints) {
  test::TempDir dir;
  make_run(dir / "run", 10.0);
  const std::string page = report_page({read_run(dir / "run")});
  EXPECT_NE(page.find("<td>w/o TA</td><td>0.2500</td><td>0.7500</td>"), std::string::npos);
  EXPECT_NE(page.find("Chart.js v"), std::string::npos);  // the library is in the page, not fetched
  EXPECT_EQ(page.find("<b>x</b>"), std::string::npos);    // the recipe is text, escaped
  const json data = page_data(page);
  std::map<std::string, json> charts;
  for (const auto& c : data["charts"]) charts[c["canvas"]] = c;
  ASSERT_TRUE(charts.count("chart-stage1-loss"));
  ASSERT_TRUE(charts.count("chart-teacher-validation"));
  // loss at steps 2..10 as logged; the torn line of step 12 is left out.
  const json& loss = charts["chart-stage1-loss"]["datasets"];
  ASSERT_EQ(loss.size(), 2u);
  EXPECT_EQ(loss[0]["label"], "loss");
  EXPECT_EQ(loss[0]["points"], json::parse("[[2,5.0],[4,2.5],[6,1.6666666666666667],[8,1.25],[10,1.0]]"));
  // The teacher's validation chart has HR@10 by epoch, not the example count.
  ASSERT_EQ(charts["chart-teacher-validation"]["datasets"].size(), 1u);
  EXPECT_EQ(charts["chart-teacher-validation"]["x"], "epoch");
  for (const auto& [id, chart] : charts) EXPECT_NE(page.find("<canvas id=\"" + id + "\""), std::string::npos) << id;
  // Timings: median 0.5 s/step, tokens/s median of 200..1000, half the time in forward/backward.
  EXPECT_NE(page.find("<td>stage1</td><td>10</td><td>5</td><td>0.500</td><td>600</td><td>50%</td><td>5.0 s</td>"),
            std::string::npos);
  // Complete checkpoints only, in step order.
  EXPECT_NE(page.find("<td>stage1</td><td>step-4</td>"), std::string::npos);
  EXPECT_LT(page.find("step-4</td>"), page.find("step-10</td>"));
  EXPECT_EQ(page.find("step-12"), std::string::npos);
  EXPECT_NE(page.find("stage1/soft_prompt.safetensors</summary>"), std::string::npos);
}

TEST(ReportPage, ComparingRunsOverlaysTheirCurvesAndTabulatesTheirResults) {
  test::TempDir dir;
  make_run(dir / "a", 10.0);
  make_run(dir / "b", 20.0);
  write_report({dir / "a", dir / "b"}, dir / "compare.html");
  const std::string page = read_file(dir / "compare.html");
  EXPECT_NE(page.find("<td>a</td><td>DELRec</td>"), std::string::npos);
  EXPECT_NE(page.find("<td>b</td><td>w/o TA</td>"), std::string::npos);
  // The parsed page outlives the loop: iterating a member of a temporary would read freed memory.
  const json data = page_data(page);
  int loss_charts = 0;
  for (const auto& c : data.at("charts"))
    if (c.at("canvas") == "chart-stage1-loss") {
      ++loss_charts;
      ASSERT_EQ(c.at("datasets").size(), 4u);
      EXPECT_EQ(c["datasets"][2]["label"], "b: loss");
      EXPECT_EQ(c["datasets"][2]["points"][0], json::parse("[2, 10.0]"));
    }
  EXPECT_EQ(loss_charts, 1);
}

TEST(ReportPage, ADirectoryWithoutARunIsAnErrorNamingIt) {
  test::TempDir dir;
  fs::create_directories(dir / "empty");
  try {
    read_run(dir / "empty");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "empty").string() + " holds no delrec run"), std::string::npos);
  }
}

}  // namespace
}  // namespace delrec::report
