"""The studio's HTTP API and page: FastAPI over the same engine and sampler as the CLI.

Endpoints (JSON unless noted; every error is `{"error": "<one line>"}` with a 4xx status):

  GET  /                          the page (static HTML/JS/CSS shipped in the package; no CDN)
  GET  /api/info                  backbones, embedded photos, defaults, limits, the loaded checkpoint
  GET  /api/backbones/{name}      layers (with depth hints and channel counts), classes
  POST /api/images                body = the image file's bytes → {id, width, height}
  POST /api/photos/{name}        a bundled photo → {id, width, height}
  GET  /api/images/{id}.png       a stored image (PNG); `.json`: its id, size and source
  POST /api/dreams                a classical dream job (DreamRequest) → 202 + the job
  POST /api/fast                  a fast dream job from the checkpoint (FastRequest) → 202 + the job
  POST /api/zoom                  an infinite-zoom job, classical or fast (ZoomRequest) → 202 + the job
  GET  /api/jobs                  this session's jobs, oldest first (the history strip)
  GET  /api/jobs/{id}             state, queue position, progress (octave, step, ETA), recipe
  POST /api/jobs/{id}/cancel      cancel a queued or running job
  GET  /api/jobs/{id}/preview.png the latest intermediate image
  GET  /api/jobs/{id}/dream.png   the result, recipe in its PNG text (`?download=1`: as a file)
  GET  /api/jobs/{id}/video.mp4   a zoom's frames as an mp4 (`?download=1`: as a file)
  GET  /api/jobs/{id}/photo.png   the photo at the dream's size (for the overlay)
  GET  /api/jobs/{id}/overlay.png?alpha=A   the dream blended over the photo
  POST /api/mirror                open a live mirror (MirrorRequest: size, seed) → its id; one per client
  POST /api/mirror/{id}/frame     body = a camera frame's bytes → its fast dream (JPEG), 204 when a
                                  newer frame overtook it (newest frame wins; `mirror.py`)
  DELETE /api/mirror/{id}         close it
  POST /api/textures              a dream texture from noise (TextureRequest: width, height, seed,
                                  tileable) → PNG; 409 without a texture generator (`textures.py`)
  POST /api/textures/strip        an interpolation strip between two seeds' textures → PNG

A POST whose Origin header is another site's is refused (403); at most `max_queue` jobs wait
(429 past it); one request may ask for at most `requests.MAX_WORK` pixel-steps (422).

Uploads are raw bodies, never multipart: no client file name ever reaches the server, and
the size cap is enforced while the body streams in.
"""
from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from importlib import resources

import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

import dreamgan.studio.catalogue as catalogue
import dreamgan.studio.dreams as dreams
from dreamgan import __version__
from dreamgan.errors import DreamganError
from dreamgan.fast import fast_dream, load_fast_generator
from dreamgan.images import decode_image_bytes, fit_longest_side, png_bytes
from dreamgan.studio.jobs import DONE, Job, JobQueue, QueueFull
from dreamgan.studio.mirror import MAX_FRAME_BYTES, MirrorClosed, MirrorRequest, Mirrors, TooFast
from dreamgan.studio.requests import MAX_QUEUE, MAX_STORED_SIDE, MAX_UPLOAD_BYTES, MAX_UPLOAD_PIXELS, STORE_SIZE, DreamRequest, FastRequest, ZoomRequest
from dreamgan.studio.textures import StripRequest, TextureRequest, Textures

PREVIEW_EVERY = 2
"""Steps between intermediate images."""


class StudioError(Exception):
    """A request the studio refuses: `status` and a one-line message for the page."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


# -- state ---------------------------------------------------------------------------------------
@dataclass
class StoredImage:
    id: str
    uint8: np.ndarray  # (H, W, 3), longest side ≤ MAX_STORED_SIDE
    source: str  # "upload" or the sample photo's name
    width: int  # as uploaded
    height: int

    def to_json(self) -> dict:
        return {"id": self.id, "width": self.width, "height": self.height, "source": self.source,
                "url": f"/api/images/{self.id}.png"}


class ImageStore:
    """Uploaded and sample images by server-made id, the newest `size` kept."""

    def __init__(self, size: int = STORE_SIZE):
        self._items: OrderedDict[str, StoredImage] = OrderedDict()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._size = size

    def add(self, uint8: np.ndarray, source: str) -> StoredImage:
        h, w = uint8.shape[:2]
        stored = fit_longest_side(uint8, MAX_STORED_SIDE)  # outside the lock: it can take a while
        with self._lock:
            item = StoredImage(f"img{next(self._ids):04d}", stored, source, w, h)
            self._items[item.id] = item
            while len(self._items) > self._size:
                self._items.popitem(last=False)
            return item

    def get(self, image_id: str) -> StoredImage:
        with self._lock:
            item = self._items.get(image_id)
        if item is None:
            raise StudioError(404, f"no image {image_id!r} on the server (it may have been forgotten); upload it again")
        return item


@dataclass
class Studio:
    """What the app holds: the job queue, the images and the optional generator."""

    queue: JobQueue
    images: ImageStore
    mirrors: Mirrors
    generator: object | None = None
    checkpoint: dict | None = None
    textures: Textures | None = None
    no_textures: str = ""
    """Why there is no texture generator (the page shows it)."""


# -- app -----------------------------------------------------------------------------------------
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")
"""Host header names the studio always answers (its port aside)."""


def host_of(header: str) -> str:
    """The host part of a Host header, lower-cased: `[::1]:7860` → `[::1]`, `a.b:80` → `a.b`."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[: header.find("]") + 1] if "]" in header else header
    return header.split(":", 1)[0]


class TrustedHosts:
    """ASGI middleware: answer only requests whose Host header names this machine.

    A web page the user visits can point its own domain at 127.0.0.1 (DNS rebinding) and then
    call the studio; its requests still carry that domain in Host, so they are refused with a
    one-line 400. `allowed` None accepts any host (a studio opened to the network on 0.0.0.0).
    """

    def __init__(self, app, allowed: tuple[str, ...] | None):
        self.app, self.allowed = app, allowed

    async def __call__(self, scope, receive, send):
        if self.allowed is None or scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        header = dict(scope.get("headers") or ()).get(b"host", b"").decode("latin-1")
        if host_of(header) in self.allowed:
            return await self.app(scope, receive, send)
        shown = header if len(header) <= 60 else header[:57] + "…"
        response = JSONResponse({"error": f"refused: Host {shown!r} is not this studio's; open it at "
                                          f"http://127.0.0.1 or http://localhost (allowed hosts: {', '.join(self.allowed)})"},
                                status_code=400)
        await response(scope, receive, send)


class SameOrigin:
    """ASGI middleware: refuse a POST that a page of another site sent.

    A browser names the page that sent a request in its Origin header, and a cross-site page
    may POST a `text/plain` body without asking first (no CORS preflight): it could upload
    images or start jobs. So a POST whose Origin is not this studio's own address (the Host it
    was sent to) is refused with a one-line 403. Requests without an Origin (curl, scripts) are
    not a browser page's and pass.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "POST":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or ())
        origin = headers.get(b"origin")
        if origin is None or same_origin(origin.decode("latin-1"), headers.get(b"host", b"").decode("latin-1")):
            return await self.app(scope, receive, send)
        shown = origin.decode("latin-1")[:60]
        response = JSONResponse({"error": f"refused: a page from {shown!r} may not send requests to this studio; "
                                          "use the studio's own page"}, status_code=403)
        await response(scope, receive, send)


def same_origin(origin: str, host: str) -> bool:
    """True when the Origin header `origin` (`http://127.0.0.1:7860`) names the address in the
    Host header `host` (`127.0.0.1:7860`); "null" (sandboxed pages, files) never does."""
    from urllib.parse import urlsplit

    parts = urlsplit(origin.strip().lower())
    return parts.scheme in ("http", "https") and bool(parts.netloc) and parts.netloc == host.strip().lower()


def allowed_hosts(host: str) -> tuple[str, ...] | None:
    """The Host names a studio listening on `host` answers: this machine's names, plus `host`
    itself; None (any) for the all-interfaces addresses 0.0.0.0 and ::, whose users reach it by
    names the studio cannot know."""
    if host in ("0.0.0.0", "::", ""):
        return None
    named = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return tuple(dict.fromkeys([*LOCAL_HOSTS, named.lower()]))


def create_app(checkpoint: str | None = None, host: str = "127.0.0.1", *, onnx: str | None = None,
               max_queue: int = MAX_QUEUE, runtime: str = "torch", textures: str | None = None) -> FastAPI:
    """The studio app. With `checkpoint` (a pix2pix run dir or .pt) or `onnx` (a file from
    `dreamgan export`, run with ONNX Runtime) fast dreams are on. The Textures view draws with
    `textures` (a noise → dream run dir or .pt), else with the bundled texture generator where
    this install has one.
    `host` is the address it listens on: requests must name it, or this machine, in their Host
    header (`TrustedHosts`). At most `max_queue` jobs wait behind the running one; more are
    refused with 429. `runtime` says where a checkpoint runs (`fast.RUNTIMES`; `dreamgan serve`
    passes auto: ONNX Runtime where the generator exports).

    Raises:
        DreamganError: the checkpoint is missing, malformed or not a pix2pix generator; the
            textures checkpoint is missing, malformed or not a noise → dream generator.
    """
    if max_queue < 1:
        raise DreamganError(f"--max-queue must be ≥ 1, got {max_queue}")
    studio = Studio(queue=JobQueue(max_pending=max_queue), images=ImageStore(), mirrors=Mirrors())
    if checkpoint is not None or onnx is not None:
        studio.generator, studio.checkpoint = load_fast_generator(checkpoint, onnx=onnx, runtime=runtime)
    studio.textures, studio.no_textures = _load_textures(textures)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        studio.queue.close()  # the running job stops at its next step; queued ones are cancelled

    app = FastAPI(title="dreamgan studio", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json", lifespan=lifespan)
    app.state.studio = studio
    app.add_middleware(SameOrigin)
    app.add_middleware(TrustedHosts, allowed=allowed_hosts(host))
    static = resources.files("dreamgan.studio") / "static"

    # -- errors: one line, a 4xx, never a traceback ---------------------------------------------
    @app.exception_handler(StudioError)
    async def _studio_error(request, exc: StudioError):
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    @app.exception_handler(DreamganError)  # ImageError and BackboneError too (handlers follow the MRO)
    async def _dreamgan_error(request, exc: DreamganError):
        return JSONResponse({"error": str(exc)}, status_code=400)

    @app.exception_handler(QueueFull)
    async def _queue_full(request, exc: QueueFull):
        return JSONResponse({"error": str(exc)}, status_code=429)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request, exc: RequestValidationError):
        return JSONResponse({"error": validation_message(exc.errors())}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request, exc: StarletteHTTPException):
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)

    # -- page ----------------------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    def page():
        return FileResponse(str(static / "index.html"), media_type="text/html")

    @app.get("/static/{name}", include_in_schema=False)
    def static_file(name: str):
        types = {"studio.js": "text/javascript", "studio.css": "text/css"}
        if name not in types:  # a fixed list: no path from the client touches the file system
            raise StudioError(404, f"no static file {name!r}")
        return FileResponse(str(static / name), media_type=types[name])

    # -- catalogue -----------------------------------------------------------------------------
    @app.get("/api/info")
    def info():
        return catalogue.studio_info(studio.checkpoint, studio.textures.describe() if studio.textures else {"error": studio.no_textures})

    @app.get("/api/backbones/{name}")
    def backbone(name: str):
        return catalogue.backbone_info(name)

    # -- images --------------------------------------------------------------------------------
    @app.post("/api/images", status_code=201)
    async def upload(request: Request):
        data = await _read_capped(request, MAX_UPLOAD_BYTES)
        # decoding and shrinking a big upload is slow: off the event loop, which keeps serving
        item = await _in_thread(lambda: studio.images.add(_decode_upload(data), "upload"))
        return item.to_json()

    @app.post("/api/photos/{name}", status_code=201)
    def sample(name: str):
        from dreamgan.data.photos import embedded_photo

        return studio.images.add(embedded_photo(name), name).to_json()

    @app.get("/api/images/{image_id}.json")
    def image_json(image_id: str):
        return studio.images.get(image_id).to_json()

    @app.get("/api/images/{image_id}.png")
    def image_png(image_id: str):
        return _png(png_bytes(studio.images.get(image_id).uint8))

    # -- jobs ----------------------------------------------------------------------------------
    @app.post("/api/dreams", status_code=202)
    def start_dream(req: DreamRequest):
        photo = studio.images.get(req.image)
        guide = studio.images.get(req.guide) if req.guide else None
        run = dreams.classical_job(req, photo, guide, preview_every=PREVIEW_EVERY)  # validates before queueing
        return _job_json(studio, studio.queue.submit("classical", req.model_dump(), run))

    @app.post("/api/fast", status_code=202)
    def start_fast(req: FastRequest):
        if studio.generator is None:
            raise StudioError(409, "no generator loaded: this install has no bundled generator; start the studio with `dreamgan serve --checkpoint RUN`")
        photo = studio.images.get(req.image)
        run = dreams.fast_job(studio.generator, studio.checkpoint, req, photo)
        return _job_json(studio, studio.queue.submit("fast", req.model_dump(), run))

    @app.post("/api/zoom", status_code=202)
    def start_zoom(req: ZoomRequest):
        if req.mode == "fast" and studio.generator is None:
            raise StudioError(409, "no generator loaded: a fast zoom needs one; start the studio with `dreamgan serve --checkpoint RUN`")
        photo = studio.images.get(req.image)
        guide = studio.images.get(req.guide) if req.guide else None
        run = dreams.zoom_job(req, photo, guide, generator=studio.generator, ckpt=studio.checkpoint)
        return _job_json(studio, studio.queue.submit("zoom", req.model_dump(), run))

    @app.get("/api/jobs")
    def jobs():
        return [_job_json(studio, j) for j in studio.queue.jobs()]

    @app.get("/api/jobs/{job_id}")
    def job(job_id: str):
        return _job_json(studio, _get_job(studio, job_id))

    @app.post("/api/jobs/{job_id}/cancel")
    def cancel(job_id: str):
        _get_job(studio, job_id)
        return _job_json(studio, studio.queue.cancel(job_id))

    @app.get("/api/jobs/{job_id}/preview.png")
    def preview(job_id: str):
        job = _get_job(studio, job_id)
        if job.state == DONE:
            return _png(job.result.dream_png)
        if job.preview is None:
            raise StudioError(404, f"job {job_id} has no intermediate image yet")
        return _png(job.preview)

    @app.get("/api/jobs/{job_id}/dream.png")
    def dream_png(job_id: str, download: bool = False):
        result = _result(studio, job_id)
        headers = {"Content-Disposition": f'attachment; filename="dream-{job_id}.png"'} if download else None
        return _png(result.dream_png, headers)

    @app.get("/api/jobs/{job_id}/video.mp4")
    def video_mp4(job_id: str, download: bool = False):
        result = _result(studio, job_id)
        if result.video_mp4 is None:
            raise StudioError(404, f"job {job_id} is a still dream; only a zoom has a video")
        headers = {"Cache-Control": "no-store"}
        if download:
            headers["Content-Disposition"] = f'attachment; filename="zoom-{job_id}.mp4"'
        return Response(content=result.video_mp4, media_type="video/mp4", headers=headers)

    @app.get("/api/jobs/{job_id}/photo.png")
    def photo_png(job_id: str):
        return _png(png_bytes(_result(studio, job_id).photo_uint8))

    @app.get("/api/jobs/{job_id}/overlay.png")
    def overlay_png(job_id: str, alpha: float = 0.5, download: bool = False):
        if not 0.0 <= alpha <= 1.0:
            raise StudioError(422, f"alpha must be in [0, 1], got {alpha}")
        result = _result(studio, job_id)
        headers = {"Content-Disposition": f'attachment; filename="overlay-{job_id}.png"'} if download else None
        return _png(result.overlay_png(alpha), headers)

    # -- the live mirror -------------------------------------------------------------------------
    @app.post("/api/mirror", status_code=201)
    def open_mirror(req: MirrorRequest, request: Request):
        if studio.generator is None:
            raise StudioError(409, "no generator loaded: the mirror dreams with one; start the studio with `dreamgan serve` "
                                   "(the bundled generator) or `--checkpoint RUN`")
        mirror = studio.mirrors.open(_client(request), req)
        return {"id": mirror.id, "size": mirror.size, "seed": mirror.seed, "max_fps": studio.mirrors.max_fps,
                "frame": f"/api/mirror/{mirror.id}/frame"}

    @app.post("/api/mirror/{mirror_id}/frame")
    async def mirror_frame(mirror_id: str, request: Request):
        mirror = _mirror(studio, mirror_id, request)
        try:
            ticket = studio.mirrors.admit(mirror)
        except TooFast as e:
            raise StudioError(429, str(e)) from None
        data = await _read_capped(request, MAX_FRAME_BYTES)
        began = time.perf_counter()
        try:
            out = await _in_thread(studio.mirrors.dream, mirror, ticket, data,
                                   lambda x01: fast_dream(studio.generator, x01, seed=mirror.seed))
        except MirrorClosed as e:
            raise StudioError(410, str(e)) from None
        if out is None:
            return Response(status_code=204, headers={"Cache-Control": "no-store", "X-Mirror": "dropped: a newer frame came"})
        return Response(content=out, media_type="image/jpeg",
                        headers={"Cache-Control": "no-store", "X-Dream-Ms": f"{(time.perf_counter() - began) * 1000:.1f}"})

    @app.delete("/api/mirror/{mirror_id}", status_code=204)
    def close_mirror(mirror_id: str, request: Request):
        studio.mirrors.close(_mirror(studio, mirror_id, request).id)
        return Response(status_code=204)

    # -- textures from noise ----------------------------------------------------------------------
    @app.post("/api/textures")
    async def texture(req: TextureRequest):
        data, (w, h) = await _in_thread(_textures(studio).texture_png, req)
        return _png(data, {"X-Texture-Size": f"{w}x{h}"})

    @app.post("/api/textures/strip")
    async def texture_strip(req: StripRequest):
        return _png(await _in_thread(_textures(studio).strip_png, req))

    return app


# -- helpers -------------------------------------------------------------------------------------
def _load_textures(checkpoint: str | None) -> tuple[Textures | None, str]:
    """(the Textures view's generator, or None and why): `checkpoint` (its errors raise), else
    the bundled texture generator where this install has one."""
    from dreamgan.models.checkpoint import BUNDLED_TEXTURES, bundled_textures

    try:
        return Textures(checkpoint if checkpoint is not None else bundled_textures("start the studio with --textures RUN")), ""
    except DreamganError as e:
        if checkpoint is not None or BUNDLED_TEXTURES.is_file():
            raise  # a given or bundled file that does not load: the user must hear it at start
        return None, str(e)


def _textures(studio: Studio) -> Textures:
    if studio.textures is None:
        raise StudioError(409, f"no texture generator: {studio.no_textures}")
    return studio.textures


def _png(data: bytes, headers: dict | None = None) -> Response:
    return Response(content=data, media_type="image/png", headers={"Cache-Control": "no-store", **(headers or {})})


async def _read_capped(request: Request, cap: int) -> bytes:
    """The request body, refused with 413 as soon as it passes `cap` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise StudioError(413, f"upload is {int(declared) / 2**20:.1f} MB; the limit is {cap / 2**20:.0f} MB")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise StudioError(413, f"upload is over the limit of {cap / 2**20:.0f} MB")
        chunks.append(chunk)
    return b"".join(chunks)


def _decode_upload(data: bytes) -> np.ndarray:
    return decode_image_bytes(data, label="upload", max_pixels=MAX_UPLOAD_PIXELS)


def validation_message(errors: list[dict]) -> str:
    """One line from pydantic's errors: `steps: Input should be ≤ 100 (got 500); …`."""
    parts = []
    for e in errors:
        if e.get("type") == "json_invalid":
            parts.append('the request body is not valid JSON; send a JSON object, e.g. {"image": "img0001"}')
            continue
        where = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "request"
        got = f" (got {e['input']!r})" if "input" in e and not isinstance(e["input"], (dict, list)) else ""
        message = e.get("msg", "invalid").removeprefix("Value error, ")
        if e.get("type") == "finite_number":
            message = "NaN and infinity are not numbers a dream takes; give a finite number"
        parts.append(f"{where}: {message}{got}")
    return "; ".join(parts) or "invalid request"


async def _in_thread(fn, *args):
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)


def _client(request: Request) -> str:
    """The client's address: a mirror belongs to it."""
    return request.client.host if request.client else "unknown"


def _mirror(studio: Studio, mirror_id: str, request: Request):
    """The open mirror `mirror_id` of this client, or 410 (closed or replaced) / 403 (another client's)."""
    try:
        mirror = studio.mirrors.get(mirror_id)
    except MirrorClosed as e:
        raise StudioError(410, str(e)) from None
    if mirror.client != _client(request):
        raise StudioError(403, "this mirror belongs to another client; open your own with POST /api/mirror")
    return mirror


def _get_job(studio: Studio, job_id: str) -> Job:
    job = studio.queue.get(job_id)
    if job is None:
        raise StudioError(404, f"no job {job_id!r} (the server forgets old jobs and all jobs on restart)")
    return job


def _result(studio: Studio, job_id: str):
    job = _get_job(studio, job_id)
    if job.state != DONE:
        raise StudioError(409, f"job {job_id} is {job.state}; its dream is not ready")
    return job.result


def _job_json(studio: Studio, job: Job) -> dict:
    out = {
        "id": job.id, "kind": job.kind, "state": job.state, "params": job.params,
        "position": studio.queue.position(job), "fraction": round(job.fraction, 4),
        "elapsed_s": round(job.elapsed_s, 2), "eta_s": None if job.eta_s is None else round(job.eta_s, 1),
        "status": dict(job.status), "preview_version": job.preview_version, "error": job.error,
        "created": job.created,
    }
    if job.state == DONE:
        out["result"] = {"width": job.result.photo_uint8.shape[1], "height": job.result.photo_uint8.shape[0],
                         "seconds": round(job.result.seconds, 3), "recipe": job.result.recipe,
                         "dream": f"/api/jobs/{job.id}/dream.png", "photo": f"/api/jobs/{job.id}/photo.png"}
        if job.result.video_mp4 is not None:
            out["result"]["video"] = f"/api/jobs/{job.id}/video.mp4"
    return out
