#include "core/tensorboard/summary_writer.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/tensorboard/event_codec.h"
#include "core/tensorboard/record_file.h"
#include "tests/test_support.h"

namespace delrec::tensorboard {
namespace {

// (has_summary, step) of every record in the event files of `dir`, in reading order.
std::vector<std::pair<bool, int64_t>> steps_in(const std::filesystem::path& dir) {
  std::vector<std::pair<bool, int64_t>> out;
  for (const auto& file : event_files(dir))
    for (const auto& record : read_records(file).records) {
      const EventStep e = event_step(record, file.string());
      out.emplace_back(e.has_summary, e.step);
    }
  return out;
}

TEST(MetricScalars, EveryNumberButTheCountersByNestedTag) {
  const auto j = nlohmann::json::parse(
      R"({"stage": "stage 1", "step": 7, "loss": 1.5, "weight_ta": 0.25, "ok": true,
          "valid": {"HR@10": 0.5, "count": 600}, "list": [3, 4], "epoch": 2})");
  const auto got = metric_scalars(j);
  const std::vector<std::pair<std::string, double>> want = {
      {"list/0", 3}, {"list/1", 4}, {"loss", 1.5}, {"valid/HR@10", 0.5}, {"valid/count", 600}, {"weight_ta", 0.25}};
  EXPECT_EQ(got, want);
}

TEST(SummaryWriter, EventsReachTheFileAtFlushAndAtTheEnd) {
  test::TempDir dir;
  {
    SummaryWriter writer(dir / "tb", /*flush_seconds=*/3600);
    writer.scalar("loss", 1, 2.0);
    writer.scalar("loss", 2, 1.0);
    EXPECT_EQ(steps_in(dir / "tb").size(), 1u);  // only the file version: the scalars are buffered
    writer.flush();
    EXPECT_EQ(steps_in(dir / "tb").size(), 3u);
    writer.text("results", 0, "| a |");
  }
  EXPECT_EQ(steps_in(dir / "tb"), (std::vector<std::pair<bool, int64_t>>{{false, 0}, {true, 1}, {true, 2}, {true, 0}}));
}

TEST(SummaryWriter, AResumeKeepsTheStepsItsCheckpointCoversAndDropsATornRecord) {
  test::TempDir dir;
  std::filesystem::path first;
  {
    SummaryWriter writer(dir / "tb", 0);
    for (int64_t step = 1; step <= 6; ++step) writer.scalar("loss", step, double(step));
    first = writer.path();
  }
  {  // a kill in the middle of writing one more record
    std::ofstream out(first, std::ios::binary | std::ios::app);
    out << frame_record(scalar_event(0, 7, "loss", 7)).substr(0, 10);
  }
  keep_steps_up_to(dir / "tb", 4);
  EXPECT_FALSE(read_records(first).truncated);
  {
    SummaryWriter writer(dir / "tb", 0);  // the resumed attempt writes a second file, read after the first
    for (int64_t step = 5; step <= 6; ++step) writer.scalar("loss", step, double(step));
  }
  std::vector<int64_t> steps;
  for (const auto& [summary, step] : steps_in(dir / "tb"))
    if (summary) steps.push_back(step);
  EXPECT_EQ(steps, (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(event_files(dir / "tb").size(), 2u);
  EXPECT_EQ(event_files(dir / "tb").front(), first);
}

}  // namespace
}  // namespace delrec::tensorboard
