"""Opens a run's report.html in headless Chromium (Debian's chromium and chromedriver, driven by selenium) and
checks what a reader sees: the results table with every row of eval/results.json, and for every step of the run
that logged metrics (teacher, stage1, stage2, the ablations) at least one chart that Chart.js drew: a canvas with a
chart of non-empty datasets and painted pixels. Saves a screenshot.

usage: report_in_chromium.py RUN_DIR SCREENSHOT.png     exit 0 when it renders; 77 (skip) without chromium
"""
import json
import pathlib
import shutil
import sys

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

# Painted (non-transparent) pixels of a canvas, and what Chart.js holds for it.
CANVAS_STATE = """
const c = arguments[0];
const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
let painted = 0;
for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) painted++;
const chart = Chart.getChart(c);
return {width: c.width, height: c.height, painted: painted,
        points: chart ? chart.data.datasets.reduce((n, s) => n + s.data.length, 0) : -1};
"""


def main():
    run = pathlib.Path(sys.argv[1]).resolve()
    screenshot = pathlib.Path(sys.argv[2])
    if not CHROMIUM or not CHROMEDRIVER:
        print("SKIP: Debian's chromium and chromium-driver are not installed (.ci/install installs them)")
        sys.exit(77)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,2400", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    failures = []
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.get((run / "report.html").as_uri())
        results = json.loads((run / "eval" / "results.json").read_text())
        rows = driver.find_elements(By.CSS_SELECTOR, "table#results tbody tr")
        models = [r.find_elements(By.TAG_NAME, "td")[0].text for r in rows]
        want = [r["model"] for r in results["rows"]]
        if models != want:
            failures.append(f"results table rows {models}, results.json has {want}")
        else:
            header = [th.text for th in driver.find_elements(By.CSS_SELECTOR, "table#results thead th")]
            hr1 = [r.find_elements(By.TAG_NAME, "td")[header.index("HR@1")].text for r in rows]
            if hr1 != [f"{r['HR@1']:.4f}" for r in results["rows"]]:
                failures.append(f"HR@1 column {hr1} differs from results.json")
        steps = ["teacher"] if any((run / "teacher").glob("*.metrics.jsonl")) else []
        steps += sorted(p.parent.name for p in run.glob("*/metrics.jsonl"))
        drawn = {}
        for step in steps:
            canvases = driver.find_elements(By.CSS_SELECTOR, f"#step-{step} canvas")
            states = [driver.execute_script(CANVAS_STATE, c) for c in canvases]
            good = [s for s in states if s["points"] > 0 and s["painted"] > 0.01 * s["width"] * s["height"]]
            drawn[step] = len(good)
            if not good:
                failures.append(f"{step}: no chart drawn ({len(canvases)} canvases: {states})")
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(screenshot))
    finally:
        driver.quit()
    for f in failures:
        print("FAIL", f)
    print(f"results table: {len(rows)} rows; charts drawn per step: {drawn}; screenshot {screenshot}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
