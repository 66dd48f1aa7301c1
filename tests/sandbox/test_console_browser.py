"""The console page in a headless Chromium driven by Playwright, on the world of
test_console.py: every resource kind, the form following the endpoint, readable results,
versions compared, live events, and a layout that fits a phone.

The browser is Debian's ``/usr/bin/chromium`` (``apt-get install chromium``). Where it (or
playwright) is missing the test is skipped with that reason, unless
``PERSONALIZE_MOCK_REQUIRE_BROWSER=1`` (set by ``.ci/run``) makes a missing browser a failure.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.api.test_runtime import NOW, group_of
from tests.sandbox.test_console import (  # noqa: F401  (api, shop: fixtures)
    api,
    failed_import,
    s3_objects,
    send_rich_event,
    shop,
    world,
)

CHROMIUM = "/usr/bin/chromium"
REQUIRE = "PERSONALIZE_MOCK_REQUIRE_BROWSER"
# Without the background-networking flags Chromium's own connections are refused by a closed
# network, and it stalls; the page itself must not need anything but the server.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}


def missing_browser() -> str | None:
    """Why the browser test cannot run here, or None."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is not installed"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    return None


def need_browser() -> None:
    """Skip (naming what to install) where there is no browser; fail instead when the
    environment requires one (CI)."""
    reason = missing_browser()
    if reason is None:
        return
    message = (f"{reason}: the console's browser test needs Debian's chromium (apt-get install chromium) "
               f"and playwright (pip install -e '.[dev]')")
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{message}; {REQUIRE}=1 requires the browser.")
    pytest.skip(message)


def test_need_browser_skips_or_fails_as_the_environment_asks(monkeypatch):
    """Known answers of the skip logic, whatever this machine has installed."""
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    monkeypatch.delenv(REQUIRE, raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"apt-get install chromium"):
        need_browser()
    monkeypatch.setenv(REQUIRE, "1")
    with pytest.raises(pytest.fail.Exception, match=rf"{REQUIRE}=1 requires"):
        need_browser()
    monkeypatch.setattr(os, "access", lambda path, mode: True)
    if missing_browser() is None:  # with playwright importable, nothing is missing
        need_browser()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the module, with a fresh profile."""
    need_browser()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, viewport=DESKTOP,
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A page that records every request and fails the test on any script error or policy
    violation (the 400s the form is made to provoke are expected)."""
    page = chromium.new_page()
    page.requested, page.problems = [], []
    page.on("request", lambda r: page.requested.append(r.url))
    page.on("console", lambda m: page.problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    try:
        yield page
    finally:
        page.close()
    outside = [u for u in page.requested if urlparse(u).scheme != "data" and urlparse(u).hostname != "127.0.0.1"]
    assert outside == [] and page.requested, page.requested
    assert page.problems == []


# Elements that are wider than the viewport, stick out of it, or whose text spills out of
# their box (text nodes have no box of their own); and id segments broken over two lines.
LAYOUT_PROBLEMS = """() => {
  const W = document.documentElement.clientWidth;
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.getAttribute('data-testid') ? '[' + e.getAttribute('data-testid') + ']' : '');
  const all = [...document.querySelectorAll('body *')].filter(e => !(e instanceof SVGElement) || e.tagName === 'svg');
  const visible = all.filter(e => e.getClientRects().length);
  return {
    page: document.documentElement.scrollWidth - W,
    wide: visible.filter(e => { const r = e.getBoundingClientRect(); return r.width > W + 0.5 || r.right > W + 0.5 || r.left < -0.5; }).map(name),
    spilling: visible.filter(e => e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible').map(name),
    brokenIds: [...document.querySelectorAll('.seg')].filter(e => e.getClientRects().length > 1).map(e => e.textContent),
  };
}"""


def sig(value: float) -> str:
    """A number as the page writes it: JavaScript's ``Number(value.toPrecision(4))`` text (or the
    exponential form toPrecision chooses below 1e-6 and from 1e4)."""
    import math

    if value == 0:
        return "0"
    exponent = math.floor(math.log10(abs(value)))
    if exponent < -6 or exponent >= 4:
        mantissa, power = f"{value:.3e}".split("e")
        return f"{mantissa}e{int(power):+d}".replace("e+-", "e-")
    text = f"{value:.{max(0, 3 - exponent)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def test_sig_writes_numbers_like_the_page():
    assert [sig(v) for v in (0.71834, 1.0, 0.053, 3.0000386, 0.0000385, 2.9286627723942193e-15, 12346.0)] == [
        "0.7183", "1", "0.053", "3", "0.0000385", "2.929e-15", "1.235e+4"]


def table_display(page: Any, testid: str) -> str:
    return page.get_by_test_id(testid).first.locator("tbody tr").first.evaluate("e => getComputedStyle(e).display")


def disabled(option: Any) -> bool:
    return option.get_attribute("disabled") is not None


def test_console_in_chromium(page, api, shop):
    from playwright.sync_api import expect

    made = world(api, shop)
    failed_import(api, shop)
    p = api.personalize
    url = api.personalize.meta.endpoint_url
    page.set_viewport_size(DESKTOP)
    page.goto(f"{url}/personalize/")
    expect(page.get_by_test_id("auto-refresh")).to_be_checked()
    page.get_by_test_id("auto-refresh").uncheck()  # the steps below decide when to refresh

    # ---- 6. the section index and the desktop layout
    group = page.get_by_test_id("dataset-group").filter(has=page.get_by_test_id("group-name").get_by_text("shop", exact=True))
    expect(group.get_by_test_id("group-name")).to_have_text("shop")
    for anchor in page.get_by_test_id("index").locator("a").all():
        target = anchor.get_attribute("href")[1:]
        assert page.locator(f"[id='{target}']").count() == 1, target
    expect(page.get_by_test_id("group-link")).to_have_count(2)
    assert table_display(group, "datasets") == "table-row"
    assert group.get_by_test_id("datasets").evaluate("t => getComputedStyle(t.parentElement).overflowX") == "auto"

    # ---- 1. every resource kind, with status, failure reason, configuration and S3 objects
    # The data deletion job forgot u199 (8 interactions and a user); PutItems / PutUsers added i900 and u900.
    for kind, rows in (("INTERACTIONS", "1592"), ("ITEMS", "66"), ("USERS", "200")):
        row = group.get_by_test_id("dataset").filter(has=page.get_by_test_id("dataset-type").get_by_text(kind, exact=True))
        expect(row.get_by_test_id("dataset-rows")).to_have_text(rows)
    items_schema = page.get_by_test_id("schema").filter(has=page.get_by_test_id("schema-name").get_by_text("shop-Items", exact=True))
    expect(items_schema.get_by_test_id("schema-field")).to_have_count(4)
    expect(items_schema.get_by_test_id("schema-field").nth(1)).to_have_text(re.compile(r"GENRES\s*string\s*categorical"))
    failed = group.get_by_test_id("import-job").filter(has_text="import-few")
    expect(failed.get_by_test_id("job-status")).to_have_text("CREATE FAILED")
    expect(failed.get_by_test_id("failure-reason")).to_contain_text("at least 1000")

    solution = group.get_by_test_id("solution").filter(has=page.get_by_test_id("solution-name").get_by_text("up", exact=True))
    config = solution.get_by_test_id("solution-config")
    expect(config.locator('dd[data-key="performHPO"]')).to_have_text("yes")
    expect(config.locator('dd[data-key="performAutoTraining"]')).to_contain_text("yes")
    expect(solution.get_by_test_id("hyperparameters").locator('dd[data-key="hidden_dimension"]')).to_have_text("32")
    version = p.describe_solution_version(solutionVersionArn=made["v2"])["solutionVersion"]
    shown = solution.locator(f'[data-testid="solution-version"][data-arn="{made["v2"]}"]')
    expect(shown.get_by_test_id("training-hours")).to_have_text(sig(version["trainingHours"]))
    metrics = p.get_solution_metrics(solutionVersionArn=made["v2"])["metrics"]
    coverage = shown.locator('dd[data-metric="coverage"]')
    expect(coverage).to_have_text(sig(metrics["coverage"]))
    assert float(coverage.get_attribute("title")) == metrics["coverage"]  # the full value on hover

    explore = group.locator(f'[data-testid="campaign"][data-arn="{made["explore"]}"]')
    expect(explore.get_by_test_id("min-tps")).to_have_text("3")
    expect(explore.get_by_test_id("campaign-config")).to_contain_text("weight 0.3, item age cut-off 30 days")
    expect(explore.get_by_test_id("campaign-update")).to_contain_text("ACTIVE")
    expect(explore.get_by_test_id("campaign-update")).to_contain_text(made["v2"].split("/", 1)[1])
    expect(explore.get_by_test_id("tags")).to_have_text("team=recs")
    broken = group.locator(f'[data-testid="campaign"][data-arn="{made["broken"]}"]')
    expect(broken.get_by_test_id("failure-reason")).to_have_text("Injected: no capacity in this zone.")
    bad = group.locator(f'[data-testid="filter"][data-arn="{made["bad_filter"]}"]')
    expect(bad.get_by_test_id("failure-reason")).to_have_text("Injected: filter store unavailable.")

    for testid, prefix in (("batch-inference-job", "batch/out/"), ("batch-segment-job", "segments/out/"), ("export-job", "export/")):
        job = group.get_by_test_id(testid)
        expect(job.get_by_test_id("status")).to_have_text("ACTIVE")
        expected = s3_objects(api, prefix, ".out" if "batch" in testid else "")
        assert expected
        expect(job.get_by_test_id("output-object")).to_have_count(len(expected))
        for shown_object, (obj) in zip(job.get_by_test_id("output-object").all(), expected):
            expect(shown_object).to_contain_text(obj["url"])
            expect(shown_object.get_by_test_id("object-size")).to_have_text(f'{obj["size"]} B' if obj["size"] < 1024 else re.compile("KB|MB"))
    deletion = group.get_by_test_id("deletion-job")
    expect(deletion.get_by_test_id("input-object")).to_contain_text("s3://shop-data/delete/users.csv")
    deleted = p.describe_data_deletion_job(dataDeletionJobArn=made["deletion"])["dataDeletionJob"].get("numDeleted")
    expect(deletion.get_by_test_id("num-deleted")).to_have_text(str(deleted) if deleted is not None else "-")
    expect(group.get_by_test_id("metric-attribution")).to_contain_text("BUYS")

    # ---- 2. the form follows the endpoint
    options = {o.get_attribute("value"): o for o in page.locator("#rec-endpoint option").all()}
    # the attribute, not Locator.is_disabled(): playwright before ~1.6x ignores it on <option>
    assert disabled(options[made["broken"]]) and not disabled(options[made["explore"]])
    page.get_by_test_id("rec-endpoint").select_option(made["explore"])
    expect(page.get_by_test_id("rec-submit")).to_have_text("GetRecommendations")
    expect(page.get_by_test_id("rec-input-list")).to_be_hidden()
    expect(page.get_by_test_id("rec-item")).to_be_hidden()
    filter_options = {o.get_attribute("value"): o for o in page.locator("#rec-filter option").all()}
    assert disabled(filter_options[made["bad_filter"]]) and not disabled(filter_options[made["by_genre"]])
    page.get_by_test_id("rec-submit").click()
    expect(page.get_by_test_id("rec-error-code")).to_have_text("InvalidInputException")
    expect(page.get_by_test_id("rec-error-message")).to_contain_text("userId is required")

    # ---- 3. results: 4 significant digits, exploration and promotions marked, a score chart
    page.get_by_test_id("rec-user").fill("u1")
    page.get_by_test_id("rec-num").fill("10")
    page.get_by_test_id("rec-submit").click()
    expect(page.get_by_test_id("result-item")).to_have_count(10)
    expected = api.runtime.get_recommendations(campaignArn=made["explore"], userId="u1", numResults=10)["itemList"]
    expect(page.get_by_test_id("result-item-id")).to_have_text([i["itemId"] for i in expected])
    for cell, item in zip(page.get_by_test_id("result-score").all(), expected):
        assert cell.text_content() == sig(item["score"]) and float(cell.get_attribute("title")) == item["score"]
    cold = [i["itemId"] for i in expected if i["itemId"].startswith("new")]
    assert len(cold) == 2  # round(0.3 * 10 / 2) exploration slots, filled with the shop's new items
    marked = page.get_by_test_id("result-item").filter(has=page.get_by_test_id("mark-exploration"))
    expect(marked.get_by_test_id("result-item-id")).to_have_text(cold)
    expect(page.get_by_test_id("mark-exploration").first).to_have_attribute("title", re.compile("explorationWeight 0.3"))
    expect(page.get_by_test_id("score-bar")).to_have_count(10)
    expect(page.get_by_test_id("rec-summary")).not_to_contain_text("gives no scores")

    page.get_by_test_id("rec-promotion").select_option(made["promo"])
    page.get_by_test_id("rec-promotion-percent").fill("20")
    page.get_by_test_id("rec-submit").click()
    promoted = page.get_by_test_id("result-item").filter(has=page.get_by_test_id("mark-promoted"))
    expect(promoted).to_have_count(2)  # 20 % of 10
    assert all(group_of(i) == 3 for i in promoted.get_by_test_id("result-item-id").all_text_contents())
    page.get_by_test_id("rec-promotion").select_option("")

    # The filterValues hint: the filter's placeholder and real values, in their case.
    page.get_by_test_id("rec-filter").select_option(made["by_genre"])
    expect(page.get_by_test_id("placeholder-hint")).to_contain_text('$GENRE (Items.GENRES IN, required): values in the data "all", "g1"')
    expect(page.get_by_test_id("rec-filter-values")).to_have_attribute("placeholder", 'GENRE="all"')
    page.get_by_test_id("rec-filter-values").fill('GENRE="G2"')  # values are case-sensitive: nothing matches
    page.get_by_test_id("rec-submit").click()
    expect(page.get_by_test_id("no-items")).to_have_text(re.compile("^No items matched"))
    expect(page.get_by_test_id("rec-summary")).not_to_contain_text("gives no scores")
    page.get_by_test_id("rec-filter-values").fill('GENRE="g2"')
    page.get_by_test_id("rec-submit").click()
    expect(page.get_by_test_id("result-item")).to_have_count(10)
    assert all(group_of(i) == 2 for i in page.get_by_test_id("result-item-id").all_text_contents())
    page.get_by_test_id("fill-filter-values").click()
    expect(page.get_by_test_id("rec-filter-values")).to_have_value('GENRE="all"')
    page.get_by_test_id("rec-filter").select_option("")

    # Ranking: numResults (still filled) is not sent; inputList and the operation's name are.
    page.get_by_test_id("rec-endpoint").select_option(made["rank"])
    expect(page.get_by_test_id("rec-submit")).to_have_text("GetPersonalizedRanking")
    expect(page.get_by_test_id("rec-num")).to_be_hidden()
    expect(page.get_by_test_id("rec-promotion")).to_be_hidden()
    page.get_by_test_id("rec-input-list").fill("i5, zzz, i31")
    page.get_by_test_id("rec-submit").click()
    ranked = api.runtime.get_personalized_ranking(campaignArn=made["rank"], userId="u1", inputList=["i5", "zzz", "i31"])
    expect(page.get_by_test_id("result-item-id")).to_have_text([i["itemId"] for i in ranked["personalizedRanking"]])
    expect(page.get_by_test_id("result-score").last).to_have_text("-")  # zzz: an unknown item, last, no score

    # SIMS: itemId, and no scores because the recipe has none.
    page.get_by_test_id("rec-endpoint").select_option(made["sims"])
    expect(page.get_by_test_id("rec-item")).to_be_visible()
    expect(page.get_by_test_id("rec-input-list")).to_be_hidden()
    page.get_by_test_id("rec-item").fill("i1")
    page.get_by_test_id("rec-num").fill("5")
    page.get_by_test_id("rec-submit").click()
    expect(page.get_by_test_id("result-item")).to_have_count(5)
    expect(page.get_by_test_id("rec-summary")).to_contain_text("aws-sims gives no scores")
    expect(page.get_by_test_id("score-chart")).to_have_count(0)

    # ---- 4. solution versions compared: a column per version, a chart per metric
    page.get_by_test_id("compare-solution").select_option(made["up"])
    expect(page.get_by_test_id("compare-table").locator("thead th")).to_have_count(3)
    row = page.locator('[data-testid="compare-metric"][data-metric="coverage"]')
    expect(row.get_by_test_id("compare-value")).to_have_count(2)
    chart = page.locator('[data-testid="compare-chart"][data-metric="normalized_discounted_cumulative_gain_at_10"]')
    expect(chart.get_by_test_id("compare-bar")).to_have_count(2)
    expect(page.get_by_test_id("compare-chart")).to_have_count(len(metrics))

    # ---- 5. events with every field, Put records, "showing N latest", auto-refresh
    expect(page.get_by_test_id("events-count")).to_have_text("showing 0 latest of 0")
    expect(page.get_by_test_id("records-count")).to_have_text("showing 2 latest of 2")
    expect(page.get_by_test_id("record-operation")).to_have_text(["PutItems", "PutUsers"])
    expect(page.get_by_test_id("record").first.get_by_test_id("record-properties")).to_contain_text("genres=g1")
    page.get_by_test_id("auto-refresh").check()
    send_rich_event(api, made["stream"], "e-1")
    event = page.get_by_test_id("event")
    expect(event).to_have_count(1, timeout=10_000)  # no click: the console polls
    for testid, value in (("event-type", "rate"), ("event-session", "session-7"), ("event-value", "4.5"), ("event-id", "e-1"),
                          ("event-user", "reader")):
        expect(event.get_by_test_id(testid)).to_have_text(value)
    expect(event.get_by_test_id("event-properties").locator(".tag")).to_have_text(["device=phone", "numRatings=12"])
    expect(page.get_by_test_id("events-count")).to_have_text("showing 1 latest of 1")

    response = api.runtime.get_recommendations(campaignArn=made["explore"], userId="u1", numResults=3)
    api.events.put_events(trackingId=shop["tracking"], userId="u1", sessionId="s", eventList=[
        {"eventType": "click", "itemId": response["itemList"][1]["itemId"], "sentAt": NOW, "recommendationId": response["recommendationId"]}])
    clicked = page.get_by_test_id("event").filter(has=page.get_by_test_id("event-type").get_by_text("click", exact=True))
    expect(clicked.get_by_test_id("event-impression")).to_have_text(", ".join(i["itemId"] for i in response["itemList"]), timeout=10_000)
    expect(clicked.get_by_test_id("event-recommendation")).to_have_text(response["recommendationId"])

    # ---- 6. a phone: nothing wider than the screen, rows stacked, ids whole
    page.set_viewport_size(PHONE)
    page.get_by_test_id("auto-refresh").uncheck()
    page.get_by_test_id("rec-endpoint").select_option(made["explore"])
    page.get_by_test_id("rec-num").fill("10")
    page.get_by_test_id("rec-submit").click()
    expect(page.get_by_test_id("result-item")).to_have_count(10)
    assert table_display(group, "datasets") == "block"
    problems = page.evaluate(LAYOUT_PROBLEMS)
    assert problems == {"page": 0, "wide": [], "spilling": [], "brokenIds": []}, problems
    page.set_viewport_size(DESKTOP)
    assert page.evaluate(LAYOUT_PROBLEMS) == {"page": 0, "wide": [], "spilling": [], "brokenIds": []}
