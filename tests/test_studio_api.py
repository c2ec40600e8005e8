"""The studio's HTTP API: every endpoint, the job queue, and the bad requests a page can send."""
from __future__ import annotations

import io
import json
import threading
import time

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from PIL import Image
from studio_helpers import png_file_bytes, tiny_pix2pix_run, wait_job

from dreamgan.dream import DreamConfig, dream
from dreamgan.dream.files import RECIPE_KEY
from dreamgan.errors import DreamganError
from dreamgan.images import uint8_to_x01, x01_to_uint8
from dreamgan.studio import app as studio_app
from dreamgan.studio.app import create_app
from dreamgan.studio.jobs import JobQueue

SMALL = dict(octaves=1, steps=2, max_side=80, layers=["mixed_1"])


def local_client(app) -> TestClient:
    """A client that names the studio as a browser on this machine does (Host: 127.0.0.1)."""
    return TestClient(app, base_url="http://127.0.0.1:7860")


@pytest.fixture
def client():
    with local_client(create_app()) as c:  # the context runs startup/shutdown (the worker stops)
        yield c


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("studio-runs")
    return {"pix2pix": tiny_pix2pix_run(root), "dcgan": tiny_pix2pix_run(root, "dcgan")}


def _upload(client, uint8, **save):
    r = client.post("/api/images", content=png_file_bytes(uint8, **save))
    assert r.status_code == 201, r.text
    return r.json()


def _png(response) -> Image.Image:
    assert response.status_code == 200 and response.headers["content-type"] == "image/png", response.text
    return Image.open(io.BytesIO(response.content))


# -- catalogue -------------------------------------------------------------------------------------
def test_info_lists_backbones_samples_and_the_request_limits(client):
    info = client.get("/api/info").json()
    names = {b["name"]: b for b in info["backbones"]}
    assert names["inception-v3-tf"]["available"] and names["efficientnet-lite0"]["available"]
    assert "chelsea" in info["photos"] and info["checkpoint"] is None
    assert info["dream"]["steps"] == {"default": 10, "minimum": 1, "maximum": 100}
    assert info["upload"] == {"max_bytes": 20 * 2**20, "max_pixels": 30_000_000}


def test_backbone_layers_come_from_the_real_network_with_hints(client):
    inc = client.get("/api/backbones/inception-v3-tf").json()
    layers = [l["name"] for l in inc["layers"]]
    assert layers[0] == "conv" and layers[-1] == "pool2" and "mixed_10" in layers
    by_name = {l["name"]: l for l in inc["layers"]}
    assert by_name["mixed_3"]["channels"] == 768 and by_name["conv"]["depth"] == "shallow"
    assert by_name["mixed_8"]["depth"] == "deep" and "eyes" in by_name["mixed_8"]["hint"]
    assert inc["default_layers"] == ["mixed_3", "mixed_5"] and inc["classes"] == []
    lite = client.get("/api/backbones/efficientnet-lite0").json()
    assert len(lite["classes"]) == 1000 and any(l["logits"] for l in lite["layers"])
    r = client.get("/api/backbones/nope")
    assert r.status_code == 400 and "the studio offers" in r.json()["error"]
    r = client.get("/api/backbones/..%2F..%2Fcheckpoints%2Fx.pt")
    assert r.status_code in (400, 404) and r.json()["error"], "no path reaches load_backbone"


def test_a_dream_with_a_path_as_backbone_is_refused_without_touching_the_file(client, photo_uint8, tmp_path, monkeypatch):
    """No file-existence oracle: an existing file, a missing one and an unknown name get the
    same answer, and the server never opens the path."""
    import builtins

    import torch

    image = _upload(client, photo_uint8)["id"]
    existing = tmp_path / "weights.pt"
    existing.write_bytes(b"not weights")
    opened = []
    real_open, real_load = builtins.open, torch.load
    monkeypatch.setattr(builtins, "open", lambda f, *a, **k: (opened.append(str(f)), real_open(f, *a, **k))[1])
    monkeypatch.setattr(torch, "load", lambda f, *a, **k: (opened.append(str(f)), real_load(f, *a, **k))[1])
    answers = []
    for value in (str(existing), str(tmp_path / "missing.pt"), "/etc/shadow", "no-such-net"):
        r = client.post("/api/dreams", json={"image": image, "backbone": value, **SMALL})
        assert r.status_code == 400, r.text
        answers.append(r.json()["error"])
    assert len(set(answers)) == 1 and "not a backbone the studio offers" in answers[0], answers
    assert not [f for f in opened if str(tmp_path) in f or "shadow" in f], opened


@pytest.mark.parametrize("host, ok", [("127.0.0.1:7860", True), ("localhost:7860", True), ("[::1]:7860", True),
                                      ("localhost", True), ("attacker.example", False),
                                      ("attacker.example:7860", False), ("127.0.0.1.attacker.example", False), ("", False)])
def test_only_requests_naming_this_machine_are_served(client, host, ok):
    """DNS rebinding: a page on attacker.example pointed at 127.0.0.1 still sends its own name."""
    r = client.get("/api/info", headers={"host": host})
    if ok:
        assert r.status_code == 200, r.text
    else:
        assert r.status_code == 400 and "is not this studio's" in r.json()["error"], r.text


def test_the_listening_address_is_a_trusted_host_too():
    from dreamgan.studio.app import allowed_hosts

    assert allowed_hosts("192.168.1.5") == ("localhost", "127.0.0.1", "[::1]", "192.168.1.5")
    assert allowed_hosts("::1") == ("localhost", "127.0.0.1", "[::1]")
    assert allowed_hosts("0.0.0.0") is None  # opened to the network on purpose (serve warns)
    with TestClient(create_app(host="192.168.1.5"), base_url="http://192.168.1.5:7860") as c:
        assert c.get("/api/info").status_code == 200
        assert c.get("/api/info", headers={"host": "evil.example"}).status_code == 400


# -- uploads ---------------------------------------------------------------------------------------
def test_uploads_of_every_mode_are_normalised_and_stored(client, photo_uint8):
    rgb = _upload(client, photo_uint8)
    assert (rgb["width"], rgb["height"], rgb["source"]) == (64, 64, "upload")
    stored = np.asarray(_png(client.get(rgb["url"])))
    assert np.array_equal(stored, photo_uint8)
    rgba = np.dstack([photo_uint8, np.full((64, 64), 128, np.uint8)])
    assert _upload(client, rgba)["width"] == 64
    assert _upload(client, photo_uint8[..., 0])["width"] == 64  # grayscale
    gray16 = (photo_uint8[..., 0].astype(np.uint16) * 257)
    buf = io.BytesIO()
    Image.fromarray(gray16).save(buf, format="PNG")
    assert client.post("/api/images", content=buf.getvalue()).status_code == 201
    wide = np.zeros((40, 90, 3), np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° on display
    r = client.post("/api/images", content=png_file_bytes(wide, format="JPEG", exif=exif))
    assert (r.json()["width"], r.json()["height"]) == (40, 90), "EXIF rotation is applied"
    assert client.get(f"/api/images/{rgb['id']}.json").json() == rgb


def test_bad_uploads_get_clear_4xx_messages(client, photo_uint8, monkeypatch):
    jpeg = png_file_bytes(photo_uint8, format="JPEG")
    cases = [
        (b"", 400, "empty"),
        (b"this is not an image", 400, "not an image"),
        (jpeg[: len(jpeg) // 3], 400, "corrupt or truncated"),
        (png_file_bytes(photo_uint8[:8, :8]), 400, "at least 16x16"),
    ]
    for body, status, words in cases:
        r = client.post("/api/images", content=body)
        assert r.status_code == status and words in r.json()["error"], (words, r.status_code, r.text)
    monkeypatch.setattr(studio_app, "MAX_UPLOAD_PIXELS", 1000)
    r = client.post("/api/images", content=png_file_bytes(photo_uint8))
    assert r.status_code == 400 and "megapixels" in r.json()["error"]
    monkeypatch.setattr(studio_app, "MAX_UPLOAD_BYTES", 1000)
    r = client.post("/api/images", content=b"\0" * 5000)
    assert r.status_code == 413 and "limit" in r.json()["error"]

    def chunked():  # no Content-Length: the cap holds while the body streams in
        for _ in range(10):
            yield b"\0" * 500

    r = client.post("/api/images", content=chunked())
    assert r.status_code == 413
    assert client.get("/api/images/img9999.png").status_code == 404


def test_big_uploads_are_stored_at_the_largest_working_size(client):
    big = np.random.default_rng(0).integers(0, 255, (300, 2500, 3), dtype=np.uint8)
    image = _upload(client, big)
    assert (image["width"], image["height"]) == (2500, 300)
    assert _png(client.get(image["url"])).size == (studio_app.MAX_STORED_SIDE, 246)


# -- classical dreams ------------------------------------------------------------------------------
def test_a_classical_dream_is_the_engine_s_dream_with_its_recipe(client):
    photo = client.post("/api/photos/chelsea").json()
    r = client.post("/api/dreams", json={"image": photo["id"], **SMALL, "octaves": 2, "seed": 3})
    assert r.status_code == 202 and r.json()["state"] in ("queued", "running")
    job = wait_job(client, r.json()["id"])
    assert job["state"] == "done", job["error"]
    assert job["fraction"] == 1.0 and job["status"]["step"] == job["status"]["steps"] == 4
    assert job["result"]["width"] == 80 and job["result"]["height"] == 53
    dream_png = _png(client.get(job["result"]["dream"]))
    recipe = json.loads(dream_png.text[RECIPE_KEY])
    assert recipe["config"]["layers"] == ["mixed_1"] and recipe["config"]["octaves"] == 2 and recipe["source"] == "chelsea"
    # The same engine as the CLI: the recipe, re-run through `dream`, gives the same pixels.
    photo_uint8 = np.asarray(_png(client.get(job["result"]["photo"])))
    with torch.no_grad():
        expected = x01_to_uint8(dream(uint8_to_x01(photo_uint8), DreamConfig.from_dict(recipe["config"])))
    assert np.array_equal(np.asarray(dream_png), expected)
    assert not np.array_equal(expected, photo_uint8)
    # overlay: alpha 0 is the photo, 1 the dream; downloads are attachments
    assert np.array_equal(np.asarray(_png(client.get(f"/api/jobs/{job['id']}/overlay.png?alpha=0"))), photo_uint8)
    assert np.array_equal(np.asarray(_png(client.get(f"/api/jobs/{job['id']}/overlay.png?alpha=1"))), expected)
    r = client.get(f"/api/jobs/{job['id']}/dream.png?download=1")
    assert r.headers["content-disposition"] == f'attachment; filename="dream-{job["id"]}.png"'
    assert client.get(f"/api/jobs/{job['id']}/overlay.png?alpha=2").status_code == 422
    assert np.array_equal(np.asarray(_png(client.get(f"/api/jobs/{job['id']}/preview.png"))), expected)


def test_guided_top_k_and_class_dreams_run(client, photo_uint8):
    photo = _upload(client, photo_uint8)
    guide = client.post("/api/photos/coffee").json()
    bodies = [
        {"image": photo["id"], **SMALL, "guide": guide["id"]},
        {"image": photo["id"], **SMALL, "top_k": 5, "top_k_mode": "least"},
        {"image": photo["id"], **SMALL, "channels": [3, 7]},
        {"image": photo["id"], **SMALL, "backbone": "efficientnet-lite0", "layers": [], "class_target": "tabby"},
    ]
    for body in bodies:
        r = client.post("/api/dreams", json=body)
        assert r.status_code == 202, (body, r.text)
        job = wait_job(client, r.json()["id"])
        assert job["state"] == "done", (body, job["error"])
    recipe = job["result"]["recipe"]
    assert recipe["class_target"] == "tabby" and recipe["backbone"] == "efficientnet-lite0"


@pytest.mark.parametrize("change, status, words", [
    ({"steps": 500}, 422, "steps: Input should be less than or equal to 100 (got 500)"),
    ({"steps": "many"}, 422, "steps: Input should be a valid integer"),
    ({"step_size": 0}, 422, "step_size"),
    ({"layers": ["mixed_99"]}, 400, "unknown layer 'mixed_99'"),
    ({"layers": []}, 400, "give at least one layer"),
    ({"backbone": "resnet-9000"}, 400, "not a backbone the studio offers"),
    ({"channels": [5000]}, 400, "mixed_1 has 288 channels"),
    ({"channels": ["x"]}, 422, "channels.0"),
    ({"top_k": 1000}, 400, "more than the 288 channels"),
    ({"class_target": "cat"}, 400, "has no class logits"),
    ({"backbone": "efficientnet-lite0", "layers": [], "class_target": "flying saucer"}, 400, "unknown class"),
    ({"image": "img9999"}, 404, "no image"),
    ({"guide": "img9999"}, 404, "no image"),
    ({"colour": "red"}, 422, "colour: Extra inputs are not permitted"),
])
def test_bad_dream_requests_are_one_line_4xx(client, change, status, words):
    photo = client.post("/api/photos/chelsea").json()
    r = client.post("/api/dreams", json={"image": photo["id"], **SMALL, **change})
    assert r.status_code == status, r.text
    message = r.json()["error"]
    assert words in message and "\n" not in message and "Traceback" not in message
    assert client.get("/api/jobs").json() == [], "a refused request queues nothing"


def test_non_json_and_unknown_routes(client):
    r = client.post("/api/dreams", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"].startswith("the request body is not valid JSON; send a JSON object")
    assert client.get("/api/jobs/99999").status_code == 404
    assert client.get("/api/nothing").status_code == 404
    assert client.get("/static/../../pyproject.toml").status_code == 404
    assert client.post("/api/photos/mona_lisa").status_code == 400


def test_page_and_assets_are_served_locally_with_no_external_urls(client):
    page = client.get("/")
    assert page.status_code == 200 and "dreamgan studio" in page.text
    for name in ("studio.js", "studio.css"):
        asset = client.get(f"/static/{name}")
        assert asset.status_code == 200
        assert "http://" not in asset.text and "https://" not in asset.text, f"{name} must not load anything remote"
    assert "http" not in page.text.replace("http-equiv", "")


# -- queue -----------------------------------------------------------------------------------------
def test_one_job_at_a_time_queue_positions_cancel_and_a_responsive_server(client):
    photo = client.post("/api/photos/astronaut").json()
    long = {"image": photo["id"], "layers": ["mixed_3"], "octaves": 1, "steps": 100, "max_side": 256}
    a = client.post("/api/dreams", json=long).json()
    b = client.post("/api/dreams", json=long).json()
    c = client.post("/api/dreams", json={"image": photo["id"], **SMALL}).json()
    deadline = time.time() + 30
    while client.get(f"/api/jobs/{a['id']}").json()["state"] != "running":
        assert time.time() < deadline
        time.sleep(0.05)
    assert client.get(f"/api/jobs/{b['id']}").json()["position"] == 1
    assert client.get(f"/api/jobs/{c['id']}").json()["position"] == 2
    # The server answers while a dream runs.
    t = time.perf_counter()
    assert client.get("/api/info").status_code == 200
    assert time.perf_counter() - t < 2.0
    # A queued job is cancelled at once and the next one moves up.
    assert client.post(f"/api/jobs/{b['id']}/cancel").json()["state"] == "cancelled"
    assert client.get(f"/api/jobs/{c['id']}").json()["position"] == 1
    # The running one stops at its next step, with progress and an ETA on the way.
    while (job := client.get(f"/api/jobs/{a['id']}").json())["status"].get("step", 0) < 2:
        time.sleep(0.05)
    assert job["eta_s"] is not None and 0 < job["fraction"] < 1
    client.post(f"/api/jobs/{a['id']}/cancel")
    assert wait_job(client, a["id"], timeout=20)["state"] == "cancelled"
    assert wait_job(client, c["id"])["state"] == "done"
    assert client.get(f"/api/jobs/{a['id']}/dream.png").status_code == 409
    history = client.get("/api/jobs").json()
    assert [j["id"] for j in history] == [a["id"], b["id"], c["id"]]
    assert [j["state"] for j in history] == ["cancelled", "cancelled", "done"]
    assert history[2]["params"]["layers"] == ["mixed_1"]


def test_job_queue_runs_jobs_in_order_never_two_at_once_and_reports_failures():
    queue = JobQueue()
    spans, lock = [], threading.Lock()

    def work(i):
        def run(ctx):
            start = time.perf_counter()
            time.sleep(0.05)
            ctx.report(0.5, step=i)
            with lock:
                spans.append((i, start, time.perf_counter()))
            return i
        return run

    def boom(ctx):
        raise DreamganError("that went wrong\nsecond line")

    jobs = [queue.submit("t", {}, work(i)) for i in range(4)] + [queue.submit("t", {}, boom)]
    finished = [queue.wait(j.id) for j in jobs]
    assert [j.result for j in finished[:4]] == [0, 1, 2, 3] and [s[0] for s in spans] == [0, 1, 2, 3]
    assert all(s[2] <= t[1] for s, t in zip(spans, spans[1:])), "jobs never overlap"
    assert finished[4].state == "failed" and finished[4].error == "that went wrong"
    queue.close()


# -- fast dreams -----------------------------------------------------------------------------------
@pytest.mark.slow
def test_fast_dreams_come_from_the_checkpoint_s_generator(runs, photo_uint8):
    from dreamgan.fast import fast_dream, load_generator

    with local_client(create_app(str(runs["pix2pix"]))) as client:
        info = client.get("/api/info").json()
        assert info["checkpoint"]["arch"] == "pix2pix" and info["checkpoint"]["step"] == 2
        name = info["checkpoint"]["name"]
        assert "/" not in name.split("/", 1)[1] and name.endswith(".pt"), "the page shows the run name, not a server path"
        photo = _upload(client, photo_uint8)
        job = wait_job(client, client.post("/api/fast", json={"image": photo["id"]}).json()["id"])
        assert job["state"] == "done" and job["kind"] == "fast", job["error"]
        out = _png(client.get(job["result"]["dream"]))
        assert json.loads(out.text[RECIPE_KEY])["refine"] == 0 and "dreamgan.generator" in out.text
        g, _, _ = load_generator(runs["pix2pix"])
        expected = x01_to_uint8(fast_dream(g, uint8_to_x01(photo_uint8)))
        assert np.array_equal(np.asarray(out), expected)
        refined = wait_job(client, client.post("/api/fast", json={"image": photo["id"], "refine": 2}).json()["id"])
        assert refined["state"] == "done" and refined["result"]["recipe"]["refine"] == 2
        seeded = wait_job(client, client.post("/api/fast", json={"image": photo["id"], "seed": 5}).json()["id"])
        assert seeded["state"] == "done" and seeded["result"]["recipe"]["seed"] == 5
        assert client.post("/api/fast", json={"image": photo["id"], "seed": -1}).status_code == 422
        assert client.post("/api/fast", json={"image": photo["id"], "refine": 50}).status_code == 422
    with local_client(create_app()) as client:
        photo = _upload(client, photo_uint8)
        r = client.post("/api/fast", json={"image": photo["id"]})
        assert r.status_code == 409 and "--checkpoint" in r.json()["error"]
    with pytest.raises(DreamganError, match="from noise"):
        create_app(str(runs["dcgan"]))


# -- zooms -----------------------------------------------------------------------------------------
def test_a_zoom_streams_its_frames_and_serves_the_video(client):
    import av

    photo = client.post("/api/photos/chelsea").json()
    r = client.post("/api/zoom", json={"image": photo["id"], "backbone": "tiny", "layers": ["conv2"], "octaves": 1, "steps": 2,
                                       "frames": 4, "zoom": 1.1, "rotate": 2, "frame_steps": 2, "max_side": 64})
    assert r.status_code == 202, r.text
    job = wait_job(client, r.json()["id"])
    assert job["state"] == "done" and job["kind"] == "zoom", job["error"]
    assert job["status"]["frame"] == job["status"]["frames"] == 4 and job["fraction"] == 1.0
    last = np.asarray(_png(client.get(job["result"]["dream"])))
    assert np.array_equal(np.asarray(_png(client.get(f"/api/jobs/{job['id']}/preview.png"))), last), "the preview is the newest frame"
    video = client.get(job["result"]["video"] + "?download=1")
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    assert video.headers["content-disposition"] == f'attachment; filename="zoom-{job["id"]}.mp4"'
    with av.open(io.BytesIO(video.content)) as c:
        assert sum(1 for _ in c.decode(c.streams.video[0])) == 4
    # a still dream has no video; bad zooms are 4xx; a fast zoom needs a generator
    r = client.post("/api/zoom", json={"image": photo["id"], "mode": "fast", "frames": 3})
    assert r.status_code == 409 and "--checkpoint" in r.json()["error"]
    still = wait_job(client, client.post("/api/dreams", json={"image": photo["id"], **SMALL}).json()["id"])
    assert "video" not in still["result"] and client.get(f"/api/jobs/{still['id']}/video.mp4").status_code == 404
    assert client.post("/api/zoom", json={"image": photo["id"], "frames": 1000}).status_code == 422
    assert client.post("/api/zoom", json={"image": photo["id"], "backbone": "/etc/passwd"}).status_code in (400, 422)


def test_a_fast_zoom_runs_the_studio_s_generator(photo_uint8):
    from dreamgan.fast.bundled import BUNDLED_GENERATOR

    with local_client(create_app(str(BUNDLED_GENERATOR))) as client:
        photo = _upload(client, photo_uint8)
        job = wait_job(client, client.post("/api/zoom", json={"image": photo["id"], "mode": "fast", "frames": 3}).json()["id"])
        assert job["state"] == "done" and job["result"]["recipe"]["generator"].endswith("fast_dream.pt"), job["error"]
        assert job["result"]["width"] == 64 and client.get(job["result"]["video"]).status_code == 200


# -- bounds and hostile requests (#23) -------------------------------------------------------------
def test_the_queue_is_bounded_and_answers_429_past_it(photo_uint8):
    with local_client(create_app(max_queue=2)) as client:
        photo = _upload(client, photo_uint8)
        long = {"image": photo["id"], "backbone": "tiny", "layers": ["conv2"], "octaves": 1, "steps": 100, "max_side": 64}
        ids = [client.post("/api/dreams", json=long) for _ in range(3)]  # 1 running (or about to), 2 waiting at most
        codes = [r.status_code for r in ids]
        assert codes[:2] == [202, 202], codes
        flood = [client.post("/api/dreams", json=long) for _ in range(4)]
        refused = [r for r in flood if r.status_code == 429]
        assert refused and all("queue is full" in r.json()["error"] and "\n" not in r.json()["error"] for r in refused)
        waiting = [j for j in client.get("/api/jobs").json() if j["state"] == "queued"]
        assert len(waiting) <= 2, "never more than --max-queue jobs wait"
        for j in client.get("/api/jobs").json():
            client.post(f"/api/jobs/{j['id']}/cancel")
    with pytest.raises(DreamganError, match="--max-queue"):
        create_app(max_queue=0)


def test_a_request_for_too_much_work_is_a_422_naming_the_limit(client):
    photo = client.post("/api/photos/chelsea").json()
    huge = {"image": photo["id"], "frames": 240, "max_side": 1024, "octaves": 8, "steps": 100, "frame_steps": 20}
    r = client.post("/api/zoom", json=huge)
    assert r.status_code == 422 and "over the studio's limit of 1e+09" in r.json()["error"] and "pixel-steps" in r.json()["error"], r.text
    r = client.post("/api/dreams", json={"image": photo["id"], "max_side": 2048, "octaves": 8, "steps": 100})
    assert r.status_code == 422 and "limit" in r.json()["error"]
    assert client.post("/api/zoom", json={"image": photo["id"], "backbone": "tiny", "layers": ["conv2"], "frames": 2,
                                          "octaves": 1, "steps": 1, "max_side": 64}).status_code == 202, "the defaults stay well inside"


def test_nan_and_infinity_are_named_as_such(client):
    photo = client.post("/api/photos/chelsea").json()
    for value in ("NaN", "inf", "-Infinity"):
        r = client.post("/api/zoom", json={"image": photo["id"], "zoom": value})
        assert r.status_code == 422 and "zoom: NaN and infinity are not numbers a dream takes" in r.json()["error"], r.text


def test_a_post_from_another_site_is_refused(client, photo_uint8):
    body = png_file_bytes(photo_uint8)
    evil = {"Origin": "http://evil.example.com", "Content-Type": "text/plain"}
    r = client.post("/api/images", content=body, headers=evil)
    assert r.status_code == 403 and "evil.example.com" in r.json()["error"], r.text
    assert client.post("/api/photos/chelsea", headers={"Origin": "null"}).status_code == 403
    assert client.post("/api/images", content=body, headers={"Origin": "http://127.0.0.1:7860"}).status_code == 201, "the studio's own page"
    assert client.post("/api/images", content=body).status_code == 201, "no Origin: not a browser page (curl, scripts)"
    assert client.get("/api/info", headers=evil).status_code == 200, "reads are not refused"


def test_a_classical_zoom_reports_and_cancels_within_frame_0(registered_tiny_backbone):
    from dreamgan.studio.app import StoredImage
    from dreamgan.studio.dreams import zoom_job
    from dreamgan.studio.jobs import JobCancelled
    from dreamgan.studio.requests import ZoomRequest

    uint8 = (np.random.default_rng(0).random((64, 64, 3)) * 255).astype(np.uint8)
    photo = StoredImage("img1", uint8, "upload", 64, 64)
    req = ZoomRequest(image="img1", backbone="tiny", layers=["conv2"], octaves=2, steps=10, frames=5, frame_steps=2, max_side=64)
    run = zoom_job(req, photo)
    reports = []

    class Ctx:
        def report(self, fraction, *, preview=None, **status):
            reports.append((fraction, preview is not None, status["frame"]))
            if len(reports) == 6:
                raise JobCancelled()  # what a cancel does at the next report

    with pytest.raises(JobCancelled):
        run(Ctx())
    fractions = [f for f, _, _ in reports]
    assert not any(p for _, p, _ in reports), "cancelled inside frame 0, before its frame was done"
    assert fractions[0] == 0 and all(0 < f < 20 / 28 for f in fractions[1:]), "frame 0's steps report progress (20 of 28 steps)"
    assert fractions == sorted(fractions)


# -- the live mirror -------------------------------------------------------------------------------
def test_the_mirror_dreams_each_frame_with_its_seed_and_nothing_else(runs, photo_uint8, tmp_path, monkeypatch):
    """A frame in, the generator's dream of it out (JPEG, at the mirror's size), every frame with
    the mirror's seed; the frame is never written anywhere."""
    from dreamgan.fast import fast_dream, load_generator
    from dreamgan.images import fit_longest_side

    monkeypatch.chdir(tmp_path)
    with local_client(create_app(str(runs["pix2pix"]))) as client:
        info = client.get("/api/info").json()["mirror"]
        assert info["size"]["default"] == 299 and info["size"]["maximum"] == 512 and info["max_fps"] > 0
        opened = client.post("/api/mirror", json={"size": 64, "seed": 3})
        assert opened.status_code == 201, opened.text
        mirror = opened.json()
        frame = png_file_bytes(photo_uint8, format="JPEG", quality=95)
        r = client.post(mirror["frame"], content=frame, headers={"Content-Type": "image/jpeg"})
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg" and float(r.headers["X-Dream-Ms"]) > 0
        dreamed = np.asarray(Image.open(io.BytesIO(r.content)))
        g, _, _ = load_generator(runs["pix2pix"])
        from dreamgan.images import decode_image_bytes
        small = fit_longest_side(decode_image_bytes(frame), 64)
        expected = x01_to_uint8(fast_dream(g, uint8_to_x01(small), seed=3))
        from dreamgan.studio.mirror import jpeg_bytes
        assert dreamed.shape == expected.shape and max(dreamed.shape[:2]) == 64
        assert r.content == jpeg_bytes(expected), "the generator's dream of the frame at the mirror's size and seed"
        time.sleep(0.05)
        again = client.post(mirror["frame"], content=frame)
        assert again.status_code == 200 and again.content == r.content, "the same frame, the same noise: the same dream"
        assert client.delete(f"/api/mirror/{mirror['id']}").status_code == 204
        assert client.post(mirror["frame"], content=frame).status_code == 410
    assert not any(tmp_path.iterdir()), "nothing from the camera is written"


def test_bad_mirror_requests_are_refused_in_one_line(runs, photo_uint8, monkeypatch):
    frame = png_file_bytes(photo_uint8, format="JPEG")
    with local_client(create_app()) as client:
        r = client.post("/api/mirror", json={})
        assert r.status_code == 409 and "generator" in r.json()["error"]
    with local_client(create_app(str(runs["pix2pix"]))) as client:
        for body, words in (({"size": 10}, "size"), ({"size": 4096}, "size"), ({"seed": -1}, "seed"), ({"fps": 3}, "fps"),
                            ({"size": 1.5}, "size")):
            r = client.post("/api/mirror", content=json.dumps(body), headers={"Content-Type": "application/json"})
            assert r.status_code == 422 and words in r.json()["error"], (body, r.text)
        mirror = client.post("/api/mirror", json={"size": 64}).json()
        r = client.post(mirror["frame"], content=b"not an image")
        assert r.status_code == 400 and "camera frame" in r.json()["error"]
        time.sleep(0.05)
        r = client.post(mirror["frame"], content=b"x" * (studio_app.MAX_FRAME_BYTES + 1))
        assert r.status_code == 413
        time.sleep(0.05)
        burst = [client.post(mirror["frame"], content=frame) for _ in range(8)]  # at once: faster than 30 a second
        codes = [r.status_code for r in burst]
        assert codes[0] == 200 and 429 in codes, codes
        assert "a second" in burst[codes.index(429)].json()["error"]
        evil = client.post(mirror["frame"], content=frame, headers={"Origin": "http://evil.example.com"})
        assert evil.status_code == 403, "frames from another site's page are refused"
        assert client.post("/api/mirror/nope/frame", content=frame).status_code == 410
        second = client.post("/api/mirror", json={"size": 64}).json()  # one mirror per client: the new one replaces the old
        r = client.post(mirror["frame"], content=frame)
        assert r.status_code == 410 and "another mirror" in r.json()["error"]
        assert client.post(second["frame"], content=frame).status_code == 200
    with TestClient(create_app(str(runs["pix2pix"])), base_url="http://evil.example.com") as client:
        assert client.post("/api/mirror", json={}).status_code == 400, "Host must name this machine"


def test_the_newest_frame_wins_and_older_waiting_ones_are_dropped():
    """Frames that arrive while one is dreamed do not queue: only the newest is dreamed next."""
    from dreamgan.studio.mirror import MirrorRequest, Mirrors

    mirrors = Mirrors(max_fps=1e6)
    m = mirrors.open("client", MirrorRequest(size=64))
    frame = png_file_bytes(np.zeros((32, 32, 3), np.uint8))
    started, release, calls = threading.Event(), threading.Event(), []

    def slow(x01):
        calls.append(x01.shape)
        started.set()
        release.wait(10)
        return x01

    results = {}
    first = threading.Thread(target=lambda: results.update(first=mirrors.dream(m, mirrors.admit(m), frame, slow)))
    first.start()
    started.wait(10)
    tickets = [mirrors.admit(m) for _ in range(3)]  # three frames arrive while the first is dreamed
    waiting = [threading.Thread(target=lambda t=t: results.update({t: mirrors.dream(m, t, frame, slow)})) for t in tickets]
    for t in waiting:
        t.start()
    release.set()
    for t in [first, *waiting]:
        t.join(10)
    assert results["first"] is not None and results[tickets[-1]] is not None
    assert results[tickets[0]] is None and results[tickets[1]] is None, "the older waiting frames are dropped"
    assert len(calls) == 2 and m.dropped == 2
    other = mirrors.open("client", MirrorRequest())
    assert m.closed and not other.closed, "one mirror per client"


# -- textures --------------------------------------------------------------------------------------
@pytest.mark.slow
def test_textures_are_the_noise_generator_s_and_match_the_cli_pixel_for_pixel(runs, tmp_path, monkeypatch):
    """The Textures view draws with the given noise run: a seed's texture is `dreamgan textures
    --seed S`'s first file at that size, its PNG names the seed; tileable sizes round to whole
    noise cells; a strip's ends are the two seeds' textures at the training size; bad requests
    are one-line 422s; without a texture generator the view says how to get one (409), and a
    photo → dream run is refused at start."""
    from dreamgan.fast import load_generator, write_noise_dreams
    from dreamgan.fast.dreams import draw_texture, interpolation_frames, seed_noise
    from dreamgan.studio.textures import MAX_SIDE

    with local_client(create_app(textures=str(runs["dcgan"]))) as client:
        info = client.get("/api/info").json()["textures"]
        assert info["step"] == 2 and info["width"]["maximum"] == MAX_SIDE and info["frames"]["minimum"] == 2 and "error" not in info
        r = client.post("/api/textures", json={"width": 80, "height": 48, "seed": 3})
        texture = _png(r)
        assert texture.size == (80, 48) and r.headers["X-Texture-Size"] == "80x48"
        assert json.loads(texture.text[RECIPE_KEY])["seed"] == 3
        cli = write_noise_dreams(runs["dcgan"], tmp_path / "cli", n=1, seed=3, size=(48, 80))[0]
        assert np.array_equal(np.asarray(texture), np.asarray(Image.open(cli))), "the studio's texture of a seed is the CLI's"
        assert not np.array_equal(np.asarray(texture), np.asarray(_png(client.post("/api/textures", json={"width": 80, "height": 48, "seed": 4}))))
        tiled = client.post("/api/textures", json={"width": 70, "height": 40, "seed": 3, "tileable": True})
        assert _png(tiled).size == (80, 48) and tiled.headers["X-Texture-Size"] == "80x48"
        strip = np.asarray(_png(client.post("/api/textures/strip", json={"seed_a": 3, "seed_b": 4, "frames": 4})))
        g = load_generator(runs["dcgan"])[0]
        ends = interpolation_frames(g, seed_noise(g, 3), seed_noise(g, 4), 2)
        s = g.size
        assert strip.shape == (s + 4, 4 * (s + 2) + 2, 3)
        assert np.array_equal(strip[2:2 + s, 2:2 + s], x01_to_uint8(ends[0])), "the strip starts at seed A's texture"
        assert np.array_equal(strip[2:2 + s, -2 - s:-2], x01_to_uint8(ends[1])), "and ends at seed B's"
        assert np.array_equal(x01_to_uint8(ends[0]), x01_to_uint8(draw_texture(g, s, s, torch.Generator().manual_seed(3))))
        for body, words in (({"width": 5000}, "width"), ({"seed": -1}, "seed"), ({"height": 8}, "height"), ({"colour": 1}, "colour")):
            r = client.post("/api/textures", json=body)
            assert r.status_code == 422 and words in r.json()["error"], (body, r.text)
        r = client.post("/api/textures/strip", json={"frames": 1})
        assert r.status_code == 422 and "frames" in r.json()["error"]
    monkeypatch.setattr("dreamgan.models.checkpoint.BUNDLED_TEXTURES", tmp_path / "absent.pt")
    with local_client(create_app()) as client:
        error = client.get("/api/info").json()["textures"]["error"]
        assert "--textures RUN" in error and "pipelines/textures.toml" in error
        r = client.post("/api/textures", json={})
        assert r.status_code == 409 and "--textures RUN" in r.json()["error"]
    with pytest.raises(DreamganError, match="dreams photos"):
        create_app(textures=str(runs["pix2pix"]))
