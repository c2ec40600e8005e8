"""The live dream mirror: camera frames in, fast dreams out, newest frame wins.

A page opens a mirror (`MirrorRequest`: the frame size and the noise seed) and then posts one
camera frame at a time (JPEG, PNG or WebP bytes); each answer is the frame dreamed by the
loaded generator, as a JPEG. The page sends its next frame when the answer comes, so at most one
frame per mirror is in flight; and should frames arrive while one is being dreamed, only the
newest waits (the older get 204 at once): a slow server drops frames and never queues them.

Every frame of a mirror is dreamed with the same noise (its seed), so a still scene keeps its
motifs instead of boiling with fresh noise each frame (benchmarks/mirror.py measures the flicker).

Privacy: frames live in memory for the time of their dream; nothing is written or logged.
Bounds: one mirror per client address (a new one replaces the old), at most `MAX_FRAME_BYTES`
per frame, `MAX_FPS` frames a second and `MAX_MIRRORS` mirrors at once.
"""
from __future__ import annotations

import io
import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

MIRROR_SIZES = (64, 512)
"""The least and most pixels on a mirror frame's long side."""
DEFAULT_MIRROR_SIZE = 299
MAX_FRAME_BYTES = 2 * 1024 * 1024
MAX_FRAME_PIXELS = 1024 * 1024
"""A decoded frame may have at most this many pixels (a 1024² frame; the page sends ≤ 512 px)."""
MAX_FPS = 30.0
"""Frames a second a mirror may send, on average (a bucket of `BURST` frames refilled at this
rate, so a frame that arrives a little early is not refused); past it, 429 before decoding."""
BURST = 3.0
MAX_MIRRORS = 16
"""Mirrors open at once (each client has one); the least recently used one closes past it."""
JPEG_QUALITY = 85


class MirrorRequest(BaseModel):
    """Open a mirror: the long side its frames are dreamed at and the seed of its noise."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    size: int = Field(DEFAULT_MIRROR_SIZE, ge=MIRROR_SIZES[0], le=MIRROR_SIZES[1],
                      description="frames are shrunk to this many px on their long side")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="the noise every frame is dreamed with")


class MirrorClosed(Exception):
    """The mirror was replaced by a newer one of the same client, or closed."""


class TooFast(Exception):
    """A frame came sooner than 1 / MAX_FPS s after the previous one."""


@dataclass
class Mirror:
    """One client's mirror: its settings, the newest frame's ticket and a lock that lets one
    frame at a time be dreamed."""

    id: str
    client: str
    size: int
    seed: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    newest: int = 0
    last_frame: float = 0.0
    tokens: float = BURST
    dropped: int = 0
    closed: bool = False
    used: float = field(default_factory=time.monotonic)


class Mirrors:
    """The open mirrors, by id, one per client address."""

    def __init__(self, max_mirrors: int = MAX_MIRRORS, max_fps: float = MAX_FPS):
        self._by_id: dict[str, Mirror] = {}
        self._lock = threading.Lock()
        self._tickets = itertools.count(1)
        self.max_mirrors, self.max_fps = max_mirrors, max_fps

    def open(self, client: str, req: MirrorRequest) -> Mirror:
        """A new mirror for `client`; the client's previous mirror (and, past `max_mirrors`, the
        least recently used one) is closed."""
        mirror = Mirror(secrets.token_hex(8), client, req.size, req.seed)
        with self._lock:
            for old in [m for m in self._by_id.values() if m.client == client]:
                self._close(old)
            self._by_id[mirror.id] = mirror
            while len(self._by_id) > self.max_mirrors:
                self._close(min(self._by_id.values(), key=lambda m: m.used))
        return mirror

    def close(self, mirror_id: str) -> None:
        with self._lock:
            if mirror_id in self._by_id:
                self._close(self._by_id[mirror_id])

    def _close(self, mirror: Mirror) -> None:
        mirror.closed = True
        self._by_id.pop(mirror.id, None)

    def get(self, mirror_id: str) -> Mirror:
        with self._lock:
            mirror = self._by_id.get(mirror_id)
        if mirror is None:
            raise MirrorClosed(f"mirror {mirror_id[:20]!r} is closed (another mirror opened from this browser, or the "
                               "server restarted); open it again")
        return mirror

    def admit(self, mirror: Mirror) -> int:
        """A ticket for a frame that just arrived (the newest now), or `TooFast`."""
        now = time.monotonic()
        with self._lock:
            mirror.tokens = min(BURST, mirror.tokens + (now - mirror.last_frame) * self.max_fps)
            if mirror.tokens < 1:
                raise TooFast(f"frames are coming faster than {self.max_fps:g} a second; send the next one when the dream comes back")
            mirror.tokens -= 1
            mirror.last_frame = mirror.used = now
            mirror.newest = next(self._tickets)
            return mirror.newest

    def dream(self, mirror: Mirror, ticket: int, data: bytes, dream_fn) -> bytes | None:
        """The frame's dream as JPEG bytes, or None when a newer frame arrived while this one
        waited (dropped). `dream_fn(x01) → x01` is the generator's pass with the mirror's seed.

        Raises:
            MirrorClosed: the mirror closed while the frame waited.
            DreamganError: the bytes are not an image (one line).
        """
        from dreamgan.images import decode_image_bytes, fit_longest_side, uint8_to_x01, x01_to_uint8

        with mirror.lock:
            if mirror.closed:
                raise MirrorClosed(f"mirror {mirror.id} closed while a frame waited")
            if ticket != mirror.newest:
                mirror.dropped += 1
                return None
            frame = fit_longest_side(decode_image_bytes(data, label="camera frame", max_pixels=MAX_FRAME_PIXELS), mirror.size)
            dreamed = x01_to_uint8(dream_fn(uint8_to_x01(frame)))
            return jpeg_bytes(dreamed)


def jpeg_bytes(uint8: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    """(H, W, 3) uint8 → JPEG bytes (in memory only)."""
    buf = io.BytesIO()
    Image.fromarray(uint8).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


__all__ = ["DEFAULT_MIRROR_SIZE", "MAX_FPS", "MAX_FRAME_BYTES", "MIRROR_SIZES", "Mirror", "MirrorClosed", "MirrorRequest", "Mirrors",
           "TooFast", "jpeg_bytes"]
