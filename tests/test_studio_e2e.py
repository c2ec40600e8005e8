"""The studio in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

A person's path: pick or upload a photo, dream, watch progress, see the result, move the
overlay slider, download the PNG, compare with a fast dream, re-load a recipe from the
history, cancel a long dream, and get an error for a corrupt upload. Screenshots go to
test-artifacts/studio/ (or $DREAMGAN_TEST_ARTIFACTS).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from studio_helpers import tiny_pix2pix_run

CHROMIUM = os.environ.get("DREAMGAN_CHROMIUM", "/usr/bin/chromium")
# Chromium on a closed network: no background connections, no first-run, no sandbox (root in CI).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(os.environ.get("DREAMGAN_TEST_ARTIFACTS", Path(__file__).resolve().parents[1] / "test-artifacts" / "studio"))

if not Path(CHROMIUM).exists():
    message = f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) for the browser tests"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)  # CI installs it (.ci/run): its absence there is a failure
    pytest.skip(message, allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow  # a real browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The studio with a tiny pix2pix checkpoint, served by uvicorn on a free loopback port."""
    from dreamgan.studio.app import create_app
    from dreamgan.studio.server import served

    with served(create_app(str(tiny_pix2pix_run(tmp_path_factory.mktemp("e2e"))))) as url:
        yield url


@pytest.fixture(scope="module")
def playwright():
    with sync_api.sync_playwright() as p:  # one per thread: the browsers of this module share it
        yield p


@pytest.fixture(scope="module")
def browser(playwright):
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server)
    page.wait_for_function("document.getElementById('layers').options.length > 0")
    yield page
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def _shot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _record(page, element_id, attribute=None):
    """Record every value an element's text (or attribute) takes, in window.__seen[element_id]."""
    page.evaluate("""([id, attr]) => {
        window.__seen = window.__seen || {};
        const seen = window.__seen[id] = [];
        const el = document.getElementById(id);
        const read = () => attr ? el.getAttribute(attr) : el.textContent;
        new MutationObserver(() => seen.push(read())).observe(el, {attributes: true, childList: true, characterData: true, subtree: true});
    }""", [element_id, attribute])


def _seen(page, element_id):
    return page.evaluate("(id) => window.__seen[id]", element_id)


def _set(page, **fields):
    for name, value in fields.items():
        page.fill(f"#{name}", str(value))


def test_a_person_dreams_a_photo_end_to_end(page, tmp_path, photo_uint8):
    # 1. upload a photo
    photo = tmp_path / "my photo.png"
    Image.fromarray(np.asarray(Image.fromarray(photo_uint8).resize((200, 160)))).save(photo)
    page.set_input_files("#file", str(photo))
    page.wait_for_function("document.getElementById('photo-info').textContent.includes('200×160')")
    _shot(page, "1-uploaded")
    # 2. choose layers and a small recipe, start the dream and watch it grow
    page.select_option("#layers", ["mixed_2", "mixed_4"])
    assert "mixed_4" in page.inner_text("#layer-hint")
    _set(page, octaves=2, steps=8, max_side=200, seed=7)
    _record(page, "progress-text")
    _record(page, "dream-img", "src")
    page.click("#dream")
    page.wait_for_function("document.getElementById('progress-text').textContent.startsWith('done')", timeout=60_000)
    progress = _seen(page, "progress-text")
    assert any("octave 1/2" in t for t in progress) and any("octave 2/2" in t for t in progress), progress
    assert any("ETA" in t for t in progress), progress
    sources = _seen(page, "dream-img")
    assert any(s and "preview.png" in s for s in sources), "an intermediate image was shown while dreaming"
    assert page.get_attribute("#dream-img", "src").endswith("/dream.png")
    assert page.is_visible("#download")
    _shot(page, "2-dreamed")
    # 3. the overlay slider: opacity, then the before/after split
    page.fill("#slider", "30")
    assert page.eval_on_selector("#dream-img", "e => e.style.opacity") == "0.3"
    page.check("input[name=mode][value=split]")
    page.fill("#slider", "40")
    assert page.eval_on_selector("#dream-img", "e => e.style.clipPath") == "inset(0px 60% 0px 0px)"
    assert page.is_visible("#split-line")
    _shot(page, "3-split")
    # 4. download the PNG: the recipe is inside it
    with page.expect_download() as info:
        page.click("#download")
    target = tmp_path / "download.png"
    info.value.save_as(target)
    with Image.open(target) as png:
        recipe = json.loads(png.text["dreamgan.recipe"])
        assert png.size == (200, 160)
    assert recipe["config"]["layers"] == ["mixed_2", "mixed_4"] and recipe["config"]["seed"] == 7
    # 5. a fast dream from the generator, compared with the classical one
    page.click("#fast")
    page.wait_for_selector("#compare:not([hidden])", timeout=30_000)
    assert "faster" in page.inner_text("#compare-fast-text")
    _shot(page, "4-compare")
    # 6. the history strip re-loads a recipe into the controls
    items = page.locator(".history-item")
    assert items.count() == 2
    _set(page, octaves=5, steps=3)
    items.nth(1).click()  # the classical one (newest first)
    page.wait_for_function("document.getElementById('octaves').value === '2'")
    assert page.input_value("#steps") == "8" and page.input_value("#seed") == "7"
    assert sorted(o for o in page.eval_on_selector_all("#layers option:checked", "els => els.map(e => e.value)")) == ["mixed_2", "mixed_4"]


def test_drop_a_photo_and_set_a_guide(page, tmp_path, photo_uint8):
    # a drop on the drop zone (a PNG made in the page, dropped with a real DataTransfer)
    page.evaluate("""async () => {
        const canvas = Object.assign(document.createElement('canvas'), {width: 64, height: 48});
        const ctx = canvas.getContext('2d');
        ctx.fillStyle = '#3366cc'; ctx.fillRect(0, 0, 64, 48); ctx.fillStyle = '#ffcc00'; ctx.fillRect(10, 10, 20, 20);
        const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
        const data = new DataTransfer();
        data.items.add(new File([blob], 'dropped.png', {type: 'image/png'}));
        document.getElementById('drop').dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true}));
    }""")
    page.wait_for_function("document.getElementById('photo-info').textContent.includes('64×48')")
    guide = tmp_path / "guide.png"
    Image.fromarray(photo_uint8).save(guide)
    page.set_input_files("#guide-file", str(guide))
    page.wait_for_function("document.getElementById('guide-info').textContent === 'guide: 64×64'")
    _set(page, octaves=1, steps=2, max_side=64)
    page.select_option("#layers", ["mixed_1"])
    page.click("#dream")
    page.wait_for_function("document.getElementById('progress-text').textContent.startsWith('done')", timeout=60_000)
    jobs = page.evaluate("async () => (await fetch('/api/jobs')).json()")
    assert jobs[-1]["params"]["guide"] is not None and jobs[-1]["result"]["width"] == 64, "the dream used the guide"
    assert page.is_visible("#guide-clear")
    page.click("#guide-clear")
    assert page.inner_text("#guide-info") == "no guide" and not page.is_visible("#guide-clear")


def test_cancel_a_long_dream_and_errors_are_shown_in_the_page(page, tmp_path):
    page.select_option("#sample", "astronaut")
    page.wait_for_function("document.getElementById('photo-info').textContent.includes('astronaut')")
    _set(page, octaves=1, steps=100, max_side=384)
    page.click("#dream")
    page.wait_for_function("document.getElementById('progress-text').textContent.includes('step')", timeout=30_000)
    page.click("#cancel")
    page.wait_for_function("document.getElementById('progress-text').textContent === 'cancelled'", timeout=30_000)
    assert page.is_disabled("#cancel")
    # a corrupt upload
    bad = tmp_path / "holiday.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    page.set_input_files("#file", str(bad))
    page.wait_for_selector("#error:not([hidden])")
    assert "corrupt or truncated" in page.inner_text("#error-text") or "not an image" in page.inner_text("#error-text")
    _shot(page, "5-corrupt-upload")
    # an out-of-range value and an unknown channel: the server's one-line message, no traceback
    _set(page, steps=500)
    page.click("#dream")
    page.wait_for_function("document.getElementById('error-text').textContent.includes('steps')")
    assert "less than or equal to 100" in page.inner_text("#error-text")
    _set(page, steps=2, channels="99999")
    page.click("#dream")
    page.wait_for_function("document.getElementById('error-text').textContent.includes('channel 99999')")
    assert "Traceback" not in page.inner_text("#error-text")
    _shot(page, "6-bad-request")


def test_a_zoom_streams_frames_into_the_page_and_downloads_as_a_video(page, tmp_path):
    import av

    page.select_option("#sample", "coffee")
    page.wait_for_function("document.getElementById('photo-info').textContent.includes('coffee')")
    _set(page, max_side=256, zoom_frames=48, zoom_zoom=1.08, zoom_rotate=2)
    page.select_option("#zoom_mode", "fast")
    _record(page, "progress-text")
    _record(page, "dream-img", "src")
    page.click("#zoom")
    page.wait_for_function("document.getElementById('progress-text').textContent.startsWith('done')", timeout=60_000)
    assert any("zoom: frame" in t for t in _seen(page, "progress-text")), _seen(page, "progress-text")
    shown = {s for s in _seen(page, "dream-img") if s and "preview.png" in s}
    assert len(shown) >= 2, f"frames appear as they are made: {shown}"
    assert page.is_visible("#download-video")
    _shot(page, "6-zoom")
    with page.expect_download() as info:
        page.click("#download-video")
    target = tmp_path / "zoom.mp4"
    info.value.save_as(target)
    with av.open(str(target)) as c:
        assert sum(1 for _ in c.decode(c.streams.video[0])) == 48
    assert "zoom 48 frames" in page.inner_text("#history")


def _camera_clip(path: Path, frames: int = 24, width: int = 160, height: int = 120) -> Path:
    """A fake camera's clip for Chromium: a gradient with a bright square moving across it."""
    from dreamgan.video.io import write_y4m

    yy, xx = np.mgrid[0:height, 0:width]
    clip = []
    for t in range(frames):
        rgb = np.stack([60 + 100 * xx / width, 40 + 120 * yy / height, np.full_like(xx, 120.0)], -1).astype(np.uint8)
        x0 = (t * 5) % (width - 30)
        rgb[40:70, x0:x0 + 30] = 235
        clip.append(rgb)
    return write_y4m(path, clip)


def _dreaming_checkpoint(root: Path) -> Path:
    """The tiny run's generator with a random head: its dreams differ visibly from the photo."""
    import torch

    from dreamgan.models.checkpoint import load_gan_checkpoint

    ckpt = load_gan_checkpoint(tiny_pix2pix_run(root))
    ckpt["g"] = {k: (torch.randn(v.shape, generator=torch.Generator().manual_seed(0)) * 0.05 if k.startswith("head.") else v)
                 for k, v in ckpt["g"].items()}
    ckpt.pop("path")
    torch.save(ckpt, root / "dreaming.pt")
    return root / "dreaming.pt"


def test_the_live_mirror_dreams_a_fake_camera_in_the_page(playwright, tmp_path):
    """Chromium with a fake camera playing a clip made here: the page opens the camera, sends its
    frames to the studio and shows dreams that differ from the camera's frames, with an fps
    counter above a floor."""
    from dreamgan.studio.app import create_app
    from dreamgan.studio.server import served

    camera = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={_camera_clip(tmp_path / 'camera.y4m')}"]
    with served(create_app(str(_dreaming_checkpoint(tmp_path)))) as url:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + camera)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_function("!document.getElementById('mirror-start').disabled")
        page.fill("#mirror_size", "128")
        page.click("#mirror-start")
        page.wait_for_function("Number(document.getElementById('mirror-stats').dataset.frames) >= 8", timeout=60_000)
        stats = page.eval_on_selector("#mirror-stats", "e => ({...e.dataset, text: e.textContent})")
        assert float(stats["fps"]) >= 1.0 and "fps" in stats["text"], stats
        difference = page.evaluate("""() => {
            const read = (el) => {
                const c = document.createElement('canvas');
                c.width = 64; c.height = 48;
                const g = c.getContext('2d');
                g.drawImage(el, 0, 0, 64, 48);
                return g.getImageData(0, 0, 64, 48).data;
            };
            const a = read(document.getElementById('mirror-camera')), b = read(document.getElementById('mirror-dream'));
            const gray = (d) => Array.from({length: d.length / 4}, (_, i) => d[4 * i] + d[4 * i + 1] + d[4 * i + 2]);
            const x = gray(a), y = gray(b), n = x.length;
            const mx = x.reduce((s, v) => s + v, 0) / n, my = y.reduce((s, v) => s + v, 0) / n;
            let sxy = 0, sxx = 0, syy = 0, diff = 0;
            for (let i = 0; i < n; i++) {
                sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) ** 2; syy += (y[i] - my) ** 2; diff += Math.abs(x[i] - y[i]) / 3;
            }
            return {difference: diff / n, correlation: sxy / Math.sqrt(sxx * syy + 1e-9)};
        }""")
        # the dream of *the camera's* frame: it follows the camera's picture, and it is not the picture
        assert difference["correlation"] > 0.3, f"the dream should be of the camera's frame: {difference}"
        assert difference["difference"] > 5, f"the dream should differ from the camera: {difference}"
        _shot(page, "7-mirror")
        page.click("#mirror-stop")
        page.wait_for_function("document.getElementById('mirror-stats').textContent === 'stopped'")
        frames = page.eval_on_selector("#mirror-stats", "e => e.dataset.frames")
        page.wait_for_timeout(1000)  # a frame in flight at Stop must not bring the counter back
        assert page.inner_text("#mirror-stats") == "stopped" and page.eval_on_selector("#mirror-stats", "e => e.dataset.frames") == frames
        assert not errors, errors
        browser.close()


def test_the_mirror_says_so_when_there_is_no_camera(page):
    """The module's browser has no camera and grants no permission: a clear message, no mirror."""
    page.click("#mirror-start")
    page.wait_for_function("!document.getElementById('error').hidden")
    message = page.inner_text("#error-text")
    assert "camera" in message.lower(), message
    assert page.is_hidden("#mirror")


def test_a_person_draws_textures_and_a_strip_and_downloads_them(browser, tmp_path):
    """The Textures view with a noise run: set a size and seed, draw, see the texture at that
    size, download it (the API's PNG, seed in its metadata), then a strip from that seed to
    another; a studio without a texture generator says how to get one and draws nothing."""
    from dreamgan.dream.files import RECIPE_KEY
    from dreamgan.studio.app import create_app
    from dreamgan.studio.server import served

    with served(create_app(textures=str(tiny_pix2pix_run(tmp_path / "runs", "dcgan")))) as url:
        page = browser.new_page(viewport={"width": 1300, "height": 1000}, accept_downloads=True)
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_function("!document.getElementById('texture-draw').disabled")
        page.fill("#texture_width", "96")
        page.fill("#texture_height", "64")
        page.fill("#texture_seed", "3")
        page.click("#texture-draw")
        page.wait_for_function("document.getElementById('texture-img').naturalWidth === 96")
        assert page.eval_on_selector("#texture-img", "e => e.naturalHeight") == 64
        assert page.eval_on_selector("#texture-info", "e => e.dataset.size") == "96x64"
        with page.expect_download() as download:
            page.click("#texture-download")
        saved = tmp_path / "texture.png"
        download.value.save_as(saved)
        assert download.value.suggested_filename == "texture-seed3.png"
        image = Image.open(saved)
        assert image.size == (96, 64) and json.loads(image.text[RECIPE_KEY])["seed"] == 3
        page.fill("#strip_seed_b", "4")
        page.fill("#strip_frames", "5")
        page.click("#strip-draw")
        page.wait_for_function("document.getElementById('strip-img').naturalWidth > 0 && !document.getElementById('strip-img').hidden")
        width = page.eval_on_selector("#strip-img", "e => e.naturalWidth")
        assert width > 4 * 64, width
        _shot(page, "8-textures")
        page.fill("#texture_width", "5000")
        page.click("#texture-draw")
        page.wait_for_function("!document.getElementById('error').hidden")
        assert "width" in page.inner_text("#error-text")
        assert not errors, errors
        page.close()


def test_without_a_texture_generator_the_view_says_how_to_get_one(browser, tmp_path, monkeypatch):
    from dreamgan.studio.app import create_app
    from dreamgan.studio.server import served

    monkeypatch.setattr("dreamgan.models.checkpoint.BUNDLED_TEXTURES", tmp_path / "absent.pt")  # an install without one
    with served(create_app()) as url:
        page = browser.new_page()
        page.goto(url)
        page.wait_for_function("document.getElementById('textures-hint').textContent.length > 0")
        hint = page.inner_text("#textures-hint")
        assert "--textures RUN" in hint and "pipelines/textures.toml" in hint, hint
        assert page.is_disabled("#texture-draw") and page.is_disabled("#strip-draw")
        page.close()
