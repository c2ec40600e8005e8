"""Make docs/studio.jpg, the README's screenshot of the studio (needs Debian's chromium).

    python docs/studio_screenshot.py [--checkpoint RUN]

Starts the studio on a free port, dreams the bundled `chelsea` photo with the default recipe
in headless Chromium, shows the before/after split, and saves the page.
"""
from __future__ import annotations

import argparse
import io
from pathlib import Path

from PIL import Image

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    from playwright.sync_api import sync_playwright

    from dreamgan.studio.app import create_app
    from dreamgan.studio.server import served

    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--out", default=str(Path(__file__).with_name("studio.jpg")))
    args = ap.parse_args()
    with served(create_app(args.checkpoint)) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 960})
        page.goto(url)
        page.wait_for_function("document.getElementById('layers').options.length > 0")
        page.select_option("#sample", "chelsea")
        page.wait_for_function("document.getElementById('photo-info').textContent.includes('chelsea')")
        page.fill("#max_side", "448")
        page.click("#dream")
        page.wait_for_function("document.getElementById('progress-text').textContent.startsWith('done')", timeout=300_000)
        if args.checkpoint:
            page.click("#fast")
            page.wait_for_selector("#compare:not([hidden])", timeout=60_000)
            page.locator(".history-item").nth(1).click()
        page.check("input[name=mode][value=split]")
        page.fill("#slider", "55")
        page.evaluate("window.scrollTo(0, 0)")
        png = page.screenshot(full_page=False)
        browser.close()
    Image.open(io.BytesIO(png)).convert("RGB").save(args.out, quality=82)
    print(args.out)


if __name__ == "__main__":
    main()
