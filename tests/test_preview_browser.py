"""A real browser opens the editor's preview at phone size: nothing overflows, every image loads.

Uses Debian's Chromium through Playwright (no browser download). Screenshots are kept under
test-artifacts/ at the top of the repository.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from conftest import CHROMIUM, CHROMIUM_FLAGS

from wxbot.publishing.uploads import cover_crops
from wxbot.runtime import Runtime

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
PHONE = {"width": 375, "height": 812}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Return a headless Chromium, shared by this module's tests."""
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=CHROMIUM_FLAGS,
        )
        yield chromium
        chromium.close()


MEASURE = """() => {
  const article = document.querySelector('.rich-media-content');
  const inside = [...article.querySelectorAll('*')].map(e => e.getBoundingClientRect().right);
  return {
    viewport: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    widest: Math.max(...inside),
    images: [...document.images].map(
      i => ({src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0})),
    bodySize: parseFloat(getComputedStyle(article.querySelector('h2 + p')).fontSize),
    crops: Object.fromEntries([...document.querySelectorAll('.crop')].map(box => {
      const outer = box.getBoundingClientRect();
      const image = box.querySelector('img').getBoundingClientRect();
      return [box.dataset.crop, [
        (outer.left - image.left) / image.width, (outer.top - image.top) / image.height,
        (outer.right - image.left) / image.width, (outer.bottom - image.top) / image.height,
      ]];
    })),
  };
}"""


@pytest.mark.parametrize("theme", ["blue", "neutral"])
@pytest.mark.parametrize("issue_id", ["2026-06-13", "2026-06-25"])
def test_preview_fits_a_phone_and_every_image_loads(
    archive: Runtime,
    run_cli: Callable[..., Result],
    browser: Any,
    tmp_path: Path,
    issue_id: str,
    theme: str,
) -> None:
    result = run_cli("render", issue_id, "--out", str(tmp_path), "--theme", theme)
    assert result.exit_code == 0, result.output

    page = browser.new_page(viewport=PHONE, device_scale_factor=2)
    try:
        page.goto((tmp_path / "preview.html").as_uri(), wait_until="load")
        found = page.evaluate(MEASURE)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"preview-{issue_id}-{theme}.png"), full_page=True)
    finally:
        page.close()

    assert found["viewport"] == PHONE["width"]
    assert found["scrollWidth"] <= PHONE["width"], "the page scrolls sideways"
    assert found["widest"] <= PHONE["width"], "something in the article sticks out"
    srcs = [i["src"] for i in found["images"]]
    assert srcs == ["cover.jpg", "cover.jpg", "images/qr-account.png", "images/qr-website.png"]
    assert all(i["ok"] for i in found["images"]), found["images"]
    assert 15 <= found["bodySize"] <= 17
    # the feed card shows exactly the pic_crop_235_1 band, the share card the pic_crop_1_1 square
    for name, sent in zip(("pic_crop_235_1", "pic_crop_1_1"), cover_crops(), strict=True):
        expected = [float(v) for v in sent.split("_")]
        assert found["crops"][name] == pytest.approx(expected, abs=0.01), name
