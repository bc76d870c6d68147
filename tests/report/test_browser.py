"""The data card and the ``dvc plots`` page in a real browser: headless Chromium, offline, no script run.

``dvc repro`` runs the whole pipeline in a temporary copy of the repository, on the bundled sample
plus a few raw rows carrying ``<script>alert(1)</script>``; ``dvc plots show`` renders the declared
plots with the vendored template. Chromium (Debian packages ``chromium`` and ``chromium-driver``,
driven by selenium) then loads both files with a fresh profile. The test asserts that no network
request is made, that the key numbers are on the card, that the injected script is shown as text
and never runs, and that every plot is drawn. Full-page screenshots go to reports/screenshots/.

Without Chromium the test skips with the reason, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from e2e_helpers import REPO, copy_repo, run  # noqa: E402

SCRIPT = "<script>alert(1)</script>"
SCREENSHOTS = REPO / "reports" / "screenshots"
PLOTS_TEMPLATE = "src/tuneset/report/vendor/dvc_plots.html"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run")

# Raw rows injected next to the sample. The first is an ordinary ticket that is kept; its text was
# chosen (the word "eldid") so that its example_id starts with 00000, which makes it the smallest in
# its split, hence one of the sample examples the card shows as chat bubbles. The other three use an
# unknown role, so normalize drops them under known_roles and the card shows them as dropped samples.
KEPT_USER = f"Hi, the subject of my ticket about eldid shows {SCRIPT} instead of my name. Can you fix it?"
KEPT_ANSWER = ("Sorry about that! The subject displayed raw markup from an old import. I have reset it, "
               "so it now shows your name.")
INJECTED = [
    {"messages": [{"role": "user", "content": KEPT_USER}, {"role": "assistant", "content": KEPT_ANSWER}]},
    *[{"messages": [{"role": "narrator", "content": f"{SCRIPT} narrated aside {i}"},
                    {"role": "assistant", "content": "Noted."}]} for i in range(3)],
]

# Runs before the page's own code: any alert() lands in a list instead of a dialog.
ALERT_HOOK = "window.__alerts = []; window.alert = function (m) { window.__alerts.push(String(m)); };"


def _need_chromium() -> tuple[str, str]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    missing = [name for name, path in (("chromium", chromium), ("chromedriver (chromium-driver)", driver)) if not path]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package (pip install -e '.[test]')")
    if missing:
        reason = (f"headless Chromium browser test needs {', '.join(missing)}: "
                  "apt-get install chromium chromium-driver (.ci/run does)")
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
    return chromium, driver  # type: ignore[return-value]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium, chromedriver = _need_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
                 "--window-size=1280,1000", "--hide-scrollbars"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    os.environ.setdefault("SE_AVOID_STATS", "true")  # selenium-manager is not used (paths are given), but never phone home
    driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": ALERT_HOOK})
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A temporary copy of the repository after ``dvc repro`` and ``dvc plots show``."""
    repo = copy_repo(tmp_path_factory.mktemp("browser") / "repo")
    raw = repo / "data" / "raw" / "injected" / "tickets.jsonl"
    raw.parent.mkdir(parents=True)
    raw.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in INJECTED), encoding="utf-8")
    run(repo, "tuneset", "config")  # params.yaml from this tree's conf/ (staleness has its own e2e test)
    run(repo, "git", "init", "-q")
    run(repo, "git", "add", "-A")
    run(repo, "git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "copy")
    run(repo, "dvc", "repro")
    run(repo, "dvc", "plots", "show", "--html-template", PLOTS_TEMPLATE, "-o", "dvc_plots")
    return repo


def _load(driver, path: Path) -> dict[str, Any]:
    """Load ``path``; return the URLs the page requested and its console messages."""
    driver.get("about:blank")
    driver.get_log("performance")  # drop what the browser did before this page
    driver.get_log("browser")
    driver.get(path.resolve().as_uri())
    time.sleep(0.5)  # late requests (fonts, images) would show up here
    events = [json.loads(e["message"])["message"] for e in driver.get_log("performance")]
    urls = [e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"]
    urls += [e["params"]["url"] for e in events if e["method"] == "Network.webSocketCreated"]
    return {"urls": urls, "console": driver.get_log("browser")}


def _assert_offline(page: dict[str, Any], path: Path) -> None:
    own = path.resolve().as_uri()
    others = [u for u in page["urls"] if u != own and not u.startswith(("data:", "blob:", "about:"))]
    assert others == [], f"{path.name} made network requests: {others}"
    assert own in page["urls"]  # the log did record this page's own load, so it was listening
    errors = [m for m in page["console"] if m["level"] == "SEVERE"]
    assert errors == [], f"{path.name}: console errors (a blocked fetch shows up here): {errors}"


def _screenshot(driver, name: str) -> Path:
    """A full-page PNG under reports/screenshots/ (for review; not a DVC output)."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    out = SCREENSHOTS / name
    out.write_bytes(base64.b64decode(shot["data"]))
    assert out.stat().st_size > 10_000
    return out


def _first_in_split(repo: Path) -> set[str]:
    """Example ids the card must show as samples: the 3 smallest of each split."""
    m = pd.read_parquet(repo / "data/final/manifest.parquet", columns=["example_id", "split"])
    return {e for _, g in m.groupby("split") for e in sorted(g["example_id"])[:3]}


@pytest.mark.e2e
def test_datacard_and_dvc_plots_in_headless_chromium(browser, built):
    """One test, so that pytest-xdist never builds the pipeline twice for one module."""
    check_datacard(browser, built)
    check_dvc_plots(browser, built)


def check_datacard(browser, built: Path) -> None:
    """Offline, the injected script shown as text and never run, the key numbers, every section."""
    from selenium.webdriver.common.by import By

    card = built / "reports" / "datacard.html"
    page = _load(browser, card)
    _screenshot(browser, "datacard.png")
    _assert_offline(page, card)

    # The injected script is text on the page, and nothing ran: no script element, no alert.
    assert browser.execute_script("return window.__alerts") == []
    assert browser.execute_script("return document.getElementsByTagName('script').length") == 0
    body = browser.find_element(By.TAG_NAME, "body").text
    assert SCRIPT in body
    drops = browser.find_element(By.ID, "drop-samples").text
    assert "known_roles" in drops and f"{SCRIPT} narrated aside" in drops
    examples = pd.read_parquet(built / "data/final/examples.parquet", columns=["example_id", "messages"])
    injected = [e for e, ms in zip(examples["example_id"], examples["messages"])
                if any(m["content"] == KEPT_USER for m in ms)]
    assert len(injected) == 1, "the injected ticket was not kept as it was written"
    assert injected[0] in _first_in_split(built), "the injected ticket is no longer the smallest id of its split"
    assert KEPT_USER in browser.find_element(By.ID, "samples").text

    # Key numbers: the books, the splits and the version, as the pipeline wrote them.
    lineage = json.loads((built / "reports/lineage.json").read_text())
    version = json.loads((built / "data/final/VERSION.json").read_text())
    tiles = {t.find_element(By.CLASS_NAME, "k").text: t.find_element(By.CLASS_NAME, "n").text
             for t in browser.find_elements(By.CLASS_NAME, "tile")}
    assert tiles["raw units"] == f"{lineage['raw_rows']:,}"
    assert tiles["quarantined"] == f"{lineage['quarantined']:,}" and tiles["dropped"] == f"{lineage['dropped']:,}"
    assert tiles["kept"] == f"{lineage['kept']:,}"
    for split, n in lineage["by_split"].items():
        assert tiles[split] == f"{n:,}"
    assert lineage["raw_rows"] >= 2000 + len(INJECTED) and lineage["balanced"]
    assert (f"{lineage['raw_rows']:,} raw units = {lineage['quarantined']:,} quarantined + "
            f"{lineage['dropped']:,} dropped + {lineage['kept']:,} kept") in body
    assert version["dataset_version"] in body and version["params_fingerprint"] in body
    # Every section is on the page, and reads as results or as "not enabled", never as a blank.
    ids = [s.get_attribute("id") for s in browser.find_elements(By.CSS_SELECTOR, "section.card")]
    for required in ("version", "funnel", "token-lengths", "turns", "labels", "coverage", "pii", "duplicates",
                     "contamination", "split-balance", "samples", "drop-samples"):
        assert required in ids
        assert browser.find_element(By.ID, required).text.strip()
    assert browser.find_elements(By.CSS_SELECTOR, "#token-lengths svg.chart rect")


def check_dvc_plots(browser, built: Path) -> None:
    """`dvc plots show` with the vendored template: no CDN, offline, every declared plot drawn."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    index = built / "dvc_plots" / "index.html"
    html = index.read_text(encoding="utf-8")
    assert "cdn.jsdelivr" not in html and "<script src" not in html
    declared = yaml.safe_load((built / "dvc.yaml").read_text())["plots"]
    page = _load(browser, index)

    def drawn(driver) -> list[int] | bool:
        marks = driver.execute_script(
            "return Array.from(document.querySelectorAll('main > div')).map(d => "
            "d.querySelectorAll('svg g.mark-rect path, svg g.mark-line path, svg g.mark-symbol path').length)")
        return marks if len(marks) == len(declared) and all(marks) else False

    marks = WebDriverWait(browser, 30).until(drawn)
    assert len(marks) == len(declared) and all(n > 0 for n in marks), marks
    page["console"] += browser.get_log("browser")
    _screenshot(browser, "dvc_plots.png")
    _assert_offline(page, index)
    errors = browser.find_elements(By.CSS_SELECTOR, "main .error, main .vega-embed .error")
    assert errors == []


def test_missing_chromium_skips_locally_and_fails_under_ci(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium chromium-driver"):
        _need_chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true and headless Chromium browser test needs chromium"):
        _need_chromium()
