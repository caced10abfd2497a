#include "core/report/report_page.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <functional>
#include <set>

#include "core/report/chart_js.h"
#include "core/util/atomic_file.h"
#include "core/util/median.h"

namespace delrec::report {
namespace {

using nlohmann::json;

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// JSON inside <script>: "</" would end the element; "<\/" is the same JSON string.
std::string script_json(const json& j) {
  std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace);
  for (size_t at = text.find("</"); at != std::string::npos; at = text.find("</", at + 3)) text.insert(at + 1, "\\");
  return text;
}

struct Family {
  const char* id;
  const char* title;
  std::function<bool(const std::string&)> has;
};

// Which tags share a chart. Counters (tokens, the teacher's valid/count) are left out: they are not curves.
const std::vector<Family>& families() {
  static const std::vector<Family> f = {
      {"loss", "loss", [](const std::string& t) { return t == "loss" || starts_with(t, "loss_"); }},
      {"validation", "validation",
       [](const std::string& t) { return starts_with(t, "valid") && !ends_with(t, "/count"); }},
      {"throughput", "tokens/s", [](const std::string& t) { return t == "tokens_per_second"; }},
      {"lr", "learning rate", [](const std::string& t) { return t == "lr"; }},
      {"grad_norm", "gradient norm", [](const std::string& t) { return t == "grad_norm"; }},
      {"weights", "task weights", [](const std::string& t) { return starts_with(t, "weight_"); }},
      {"time", "seconds per ", [](const std::string& t) { return t == "seconds" || t == "forward_backward_seconds"; }},
  };
  return f;
}

const char* const kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string table(const std::string& id, const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows) {
  std::string out = "<table id=\"" + id + "\"><thead><tr>";
  for (const auto& h : header) out += "<th>" + escape(h) + "</th>";
  out += "</tr></thead><tbody>\n";
  for (const auto& row : rows) {
    out += "<tr>";
    for (const auto& cell : row) out += "<td>" + escape(cell) + "</td>";
    out += "</tr>\n";
  }
  return out + "</tbody></table>\n";
}

std::string results_section(const std::vector<RunContents>& runs) {
  const bool many = runs.size() > 1;
  const std::vector<std::string> preferred = {"HR@1", "HR@5", "NDCG@5", "HR@10", "NDCG@10"};
  std::vector<std::string> metrics;
  for (const auto& run : runs)
    if (run.results.is_object())
      for (const auto& row : run.results.value("rows", json::array()))
        for (const auto& [key, value] : row.items())
          if (value.is_number() && key != "examples" && std::find(metrics.begin(), metrics.end(), key) == metrics.end())
            metrics.push_back(key);
  std::stable_sort(metrics.begin(), metrics.end(), [&](const std::string& a, const std::string& b) {
    auto rank = [&](const std::string& m) {
      return std::find(preferred.begin(), preferred.end(), m) - preferred.begin();
    };
    return rank(a) < rank(b);
  });
  std::vector<std::string> header;
  if (many) header.push_back("run");
  header.push_back("model");
  header.insert(header.end(), metrics.begin(), metrics.end());
  header.insert(header.end(), {"test users", "RPS target = true next item"});
  std::vector<std::vector<std::string>> rows;
  std::string about;
  for (const auto& run : runs) {
    if (!run.results.is_object()) continue;
    about += fmt::format("<p>{}{} test users, {} candidates each, dataset {}.</p>\n",
                         many ? escape(run.name) + ": " : "", run.results.value("users", json()).dump(),
                         run.results.value("candidates", json()).dump(),
                         escape(run.results.value("dataset", std::string("?"))));
    for (const auto& r : run.results.value("rows", json::array())) {
      std::vector<std::string> row;
      if (many) row.push_back(run.name);
      row.push_back(r.value("model", std::string("?")));
      for (const auto& m : metrics)
        row.push_back(r.contains(m) && r[m].is_number() ? fmt::format("{:.4f}", r[m].get<double>()) : "");
      row.push_back(r.contains("examples") ? r["examples"].dump() : "");
      std::string rps;
      if (r.contains("rps_targets") && r["rps_targets"].is_object()) {
        const json& t = r["rps_targets"];
        rps = fmt::format("{} of {} ({:.1f}%, {})", t.value("target_is_true_item", 0), t.value("examples", 0),
                          100.0 * t.value("rate", 0.0), t.value("candidates", std::string()));
      }
      row.push_back(rps);
      rows.push_back(row);
    }
  }
  if (rows.empty())
    return "<section><h2>Results</h2><p>No evaluation yet (eval/results.json is missing).</p></section>\n";
  return "<section><h2>Results</h2>\n" + about + table("results", header, rows) + "</section>\n";
}

// Step names in the order of the pipeline: teacher, stage1, stage2, then the ablations.
std::vector<std::string> step_names(const std::vector<RunContents>& runs) {
  std::vector<std::string> names;
  for (const auto& run : runs)
    for (const auto& c : run.curves)
      if (std::find(names.begin(), names.end(), c.step) == names.end()) names.push_back(c.step);
  auto rank = [](const std::string& s) { return s == "teacher" ? 0 : s == "stage1" ? 1 : s == "stage2" ? 2 : 3; };
  std::stable_sort(names.begin(), names.end(), [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  return names;
}

// The charts' canvases (HTML) and their data (JSON for the script at the end of the page).
std::string curves_section(const std::vector<RunContents>& runs, json* charts) {
  const bool many = runs.size() > 1;
  std::string html = "<section><h2>Training and validation curves</h2>\n";
  for (const std::string& step : step_names(runs)) {
    html += "<div class=\"step\" id=\"step-" + escape(step) + "\"><h3>" + escape(step) +
            "</h3><div class=\"charts\">\n";
    for (const Family& family : families()) {
      json datasets = json::array();
      std::string x = "step";
      size_t colour = 0;
      for (const auto& run : runs)
        for (const auto& c : run.curves) {
          if (c.step != step) continue;
          x = c.x;
          for (const auto& [tag, points] : c.series) {
            if (!family.has(tag)) continue;
            json p = json::array();
            for (const auto& [at, value] : points) p.push_back({at, value});
            const char* color = kPalette[colour++ % (sizeof(kPalette) / sizeof(kPalette[0]))];
            datasets.push_back({{"label", many ? run.name + ": " + tag : tag}, {"color", color}, {"points", p}});
          }
        }
      if (datasets.empty()) continue;
      const std::string canvas = "chart-" + step + "-" + family.id;
      html += "<div class=\"chart\"><canvas id=\"" + escape(canvas) + "\" data-step=\"" + escape(step) +
              "\"></canvas></div>\n";
      const std::string title = step + ": " + family.title + (std::string(family.id) == "time" ? x : "");
      charts->push_back({{"canvas", canvas}, {"title", title}, {"x", x}, {"datasets", datasets}});
    }
    html += "</div></div>\n";
  }
  return html + "</section>\n";
}

std::string timings_section(const std::vector<RunContents>& runs) {
  const bool many = runs.size() > 1;
  std::vector<std::string> header = {"step", "last step or epoch", "logged", "median s/step", "median tokens/s",
                                     "forward+backward share", "estimated total"};
  if (many) header.insert(header.begin(), "run");
  std::vector<std::vector<std::string>> rows;
  for (const auto& run : runs)
    for (const auto& c : run.curves) {
      std::vector<double> seconds, tps;
      double fb = 0, all = 0, last = 0;
      for (const auto& line : c.lines) {
        last = std::max(last, line[c.x].get<double>());
        if (line.contains("seconds") && line["seconds"].is_number()) {
          seconds.push_back(line["seconds"].get<double>());
          all += seconds.back();
          if (line.contains("forward_backward_seconds") && line["forward_backward_seconds"].is_number())
            fb += line["forward_backward_seconds"].get<double>();
        }
        if (line.contains("tokens_per_second") && line["tokens_per_second"].is_number())
          tps.push_back(line["tokens_per_second"].get<double>());
      }
      std::vector<std::string> row = {c.step, fmt::format("{:g}", last), std::to_string(c.lines.size()),
                                      seconds.empty() ? "" : fmt::format("{:.3f}", util::median(seconds)),
                                      tps.empty() ? "" : fmt::format("{:.0f}", util::median(tps)),
                                      fb > 0 && all > 0 ? fmt::format("{:.0f}%", 100 * fb / all) : "",
                                      seconds.empty() ? "" : fmt::format("{:.1f} s", util::median(seconds) * last)};
      if (many) row.insert(row.begin(), run.name);
      rows.push_back(row);
    }
  return "<section><h2>Timings and throughput</h2>\n<p>Per logged line; the total is the median step time times "
         "the steps (validation and loading not included).</p>\n" +
         table("timings", header, rows) + "</section>\n";
}

std::string checkpoints_section(const std::vector<RunContents>& runs) {
  const bool many = runs.size() > 1;
  std::vector<std::string> header = {"step", "checkpoint", "size"};
  if (many) header.insert(header.begin(), "run");
  std::vector<std::vector<std::string>> rows;
  for (const auto& run : runs)
    for (const auto& c : run.checkpoints) {
      std::vector<std::string> row = {c.step, c.name, fmt::format("{:.2f} MB", double(c.bytes) / 1e6)};
      if (many) row.insert(row.begin(), run.name);
      rows.push_back(row);
    }
  if (rows.empty()) return "<section><h2>Checkpoints</h2><p>None left.</p></section>\n";
  return "<section><h2>Checkpoints</h2>\n" + table("checkpoints", header, rows) + "</section>\n";
}

std::string run_details(const RunContents& run) {
  std::string out = "<section class=\"run\"><h2>Run " + escape(run.name) + "</h2>\n<p>" + escape(run.dir.string()) +
                    "</p>\n";
  out += "<h3>Provenance of the outputs</h3>\n";
  for (const auto& [output, record] : run.provenance)
    out += "<details><summary>" + escape(output) + "</summary><pre>" + escape(record.dump(2)) + "</pre></details>\n";
  out += "<h3>Recipe (recipe.resolved.yaml)</h3>\n<details><summary>show</summary><pre class=\"recipe\">" +
         escape(run.recipe) + "</pre></details>\n";
  return out + "</section>\n";
}

const char* const kStyle = R"css(
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: 1em; }
.chart { position: relative; height: 240px; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; }
)css";

// Chart.js configuration for each chart in the page's data; the drawing is Chart.js's.
const char* const kChartsScript = R"js(
const report = JSON.parse(document.getElementById('report-data').textContent);
for (const c of report.charts) {
  new Chart(document.getElementById(c.canvas), {
    type: 'line',
    data: {datasets: c.datasets.map(d => ({
      label: d.label, borderColor: d.color, backgroundColor: d.color, borderWidth: 1.5,
      pointRadius: d.points.length < 30 ? 2 : 0, data: d.points.map(p => ({x: p[0], y: p[1]}))}))},
    options: {animation: false, maintainAspectRatio: false,
              plugins: {title: {display: true, text: c.title}, legend: {labels: {boxWidth: 12}}},
              scales: {x: {type: 'linear', title: {display: true, text: c.x}}}}
  });
}
)js";

}  // namespace

std::string report_page(const std::vector<RunContents>& runs) {
  std::string names;
  for (const auto& run : runs) names += (names.empty() ? "" : ", ") + run.name;
  json charts = json::array();
  const std::time_t now = std::time(nullptr);
  char when[64] = {};
  std::strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&now));
  std::string body = "<h1>delrec report: " + escape(names) + "</h1>\n<p>Written " + when + ".</p>\n";
  body += results_section(runs);
  body += curves_section(runs, &charts);
  body += timings_section(runs);
  body += checkpoints_section(runs);
  for (const auto& run : runs) body += run_details(run);
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>delrec report: " + escape(names) +
         "</title>\n<style>" + kStyle + "</style>\n<script>" + kChartJs + "</script>\n</head><body>\n" + body +
         "<script type=\"application/json\" id=\"report-data\">" + script_json({{"charts", charts}}) +
         "</script>\n<script>" + kChartsScript + "</script>\n</body></html>\n";
}

void write_report(const std::vector<std::filesystem::path>& run_dirs, const std::filesystem::path& out) {
  std::vector<RunContents> runs;
  for (const auto& dir : run_dirs) runs.push_back(read_run(dir));
  write_file_atomically(out, report_page(runs));
}

}  // namespace delrec::report
