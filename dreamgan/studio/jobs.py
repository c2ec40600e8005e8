"""One dream at a time, in the background: the studio's job queue.

A single worker thread runs jobs in arrival order, so two dreams never fight over the CPU
and the web server's own threads stay free to answer (progress polls, uploads, pages).
Each job reports progress through `JobContext.report`, which is also where a cancel lands:
once `cancel` is asked for, the next report raises `JobCancelled` inside the job, and the
engine loop unwinds.
"""
from __future__ import annotations

import itertools
import threading
import time
import traceback
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any, Callable

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)


class JobCancelled(Exception):
    """Raised inside a job when its cancel was asked for."""


class QueueFull(Exception):
    """`JobQueue.submit` when `max_pending` jobs already wait."""


@dataclass
class Job:
    """A unit of work and everything a client may ask about it.

    `fraction` is the share of the work done in [0, 1]; `eta_s` the seconds left, estimated
    from the elapsed time and that share. `preview`/`result` hold encoded PNG bytes.
    """

    id: str
    kind: str
    params: dict[str, Any]
    run: Callable[["JobContext"], Any] = field(repr=False)
    state: str = QUEUED
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    fraction: float = 0.0
    status: dict[str, Any] = field(default_factory=dict)
    preview: bytes | None = field(default=None, repr=False)
    preview_version: int = 0
    result: Any = field(default=None, repr=False)
    error: str | None = None
    cancel_requested: bool = False

    @property
    def elapsed_s(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or time.time()) - self.started

    @property
    def eta_s(self) -> float | None:
        if self.state != RUNNING or self.fraction <= 0.0:
            return None
        return self.elapsed_s * (1.0 - self.fraction) / self.fraction


class JobContext:
    """What a running job sees: progress reports, previews and the cancel check."""

    def __init__(self, job: Job, lock: threading.Lock):
        self._job, self._lock = job, lock

    def report(self, fraction: float, *, preview: bytes | None = None, **status) -> None:
        """Record progress (fraction in [0, 1] plus any status fields); raises `JobCancelled`
        if the job's cancel was asked for."""
        with self._lock:
            job = self._job
            if job.cancel_requested:
                raise JobCancelled()
            job.fraction = min(1.0, max(0.0, fraction))
            job.status.update(status)
            if preview is not None:
                job.preview, job.preview_version = preview, job.preview_version + 1


class JobQueue:
    """A FIFO of `Job`s served by one background worker thread.

    Args:
        keep: how many finished jobs to remember (the oldest are forgotten first).
        max_pending: how many jobs may wait behind the running one; `submit` refuses more.
    """

    def __init__(self, keep: int = 100, max_pending: int = 8):
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._pending: deque[Job] = deque()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._ids = itertools.count(1)
        self._keep = keep
        self.max_pending = max_pending
        self._closed = False
        self._worker_job: Job | None = None  # the running job, for `close`
        self._worker = threading.Thread(target=self._serve, name="dreamgan-studio-worker", daemon=True)
        self._worker.start()

    # -- client side -------------------------------------------------------------------------
    def submit(self, kind: str, params: dict[str, Any], run: Callable[[JobContext], Any]) -> Job:
        """Queue `run(ctx)`; its return value becomes `job.result`.

        Raises:
            QueueFull: `max_pending` jobs already wait (nothing is queued).
        """
        with self._lock:
            if len(self._pending) >= self.max_pending:
                raise QueueFull(f"the studio's queue is full ({len(self._pending)} jobs waiting); "
                                "wait for one to finish or cancel one (the server's --max-queue sets the bound)")
            job = Job(id=f"{next(self._ids):05d}", kind=kind, params=params, run=run)
            self._jobs[job.id] = job
            self._pending.append(job)
            self._forget_old()
            self._wake.notify()
            return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def position(self, job: Job) -> int:
        """0 while running or finished; n ≥ 1 when n jobs (this one included) are ahead in line."""
        with self._lock:
            try:
                return self._pending.index(job) + 1
            except ValueError:
                return 0

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a queued job at once, or ask a running one to stop at its next report."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.state in FINISHED:
                return job
            job.cancel_requested = True
            if job.state == QUEUED:
                self._pending.remove(job)
                job.state, job.finished = CANCELLED, time.time()
            return job

    def jobs(self) -> list[Job]:
        """Every remembered job, oldest first."""
        with self._lock:
            return list(self._jobs.values())

    def wait(self, job_id: str, timeout: float = 60.0) -> Job:
        """Block until the job finishes (for tests and scripts)."""
        deadline = time.time() + timeout
        while True:
            job = self.get(job_id)
            if job is None or job.state in FINISHED:
                return job
            if time.time() > deadline:
                raise TimeoutError(f"job {job_id} still {job.state} after {timeout} s")
            time.sleep(0.02)

    def close(self, timeout: float = 60.0) -> None:
        """Cancel every job and wait (up to `timeout` s) for the worker to leave the running one
        at its next step, so no torch op is cut off mid-flight when the process exits."""
        with self._lock:
            self._closed = True
            for job in self._pending:
                job.state, job.finished, job.cancel_requested = CANCELLED, time.time(), True
            self._pending.clear()
            if self._worker_job is not None:
                self._worker_job.cancel_requested = True
            self._wake.notify()
        if self._worker is not threading.current_thread():
            self._worker.join(timeout)

    # -- worker side -------------------------------------------------------------------------
    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.state in FINISHED]
        for job in finished[: max(0, len(finished) - self._keep)]:
            del self._jobs[job.id]

    def _serve(self) -> None:
        while True:
            with self._lock:
                while not self._pending and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                job = self._pending.popleft()
                job.state, job.started = RUNNING, time.time()
                self._worker_job = job
            state, result, error = DONE, None, None
            try:
                result = job.run(JobContext(job, self._lock))
            except JobCancelled:
                state = CANCELLED
            except Exception as e:  # a job's failure is reported to its client, never fatal
                state, error = FAILED, _one_line(e)
                if _debug():
                    traceback.print_exc()
            with self._lock:
                job.result, job.error, job.state, job.finished = result, error, state, time.time()
                if state == DONE:
                    job.fraction = 1.0
                self._worker_job = None
                self._forget_old()


def _one_line(e: Exception) -> str:
    from dreamgan.errors import DreamganError

    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text if isinstance(e, DreamganError) else f"{type(e).__name__}: {text}"


def _debug() -> bool:
    import os

    return bool(os.environ.get("DREAMGAN_DEBUG"))
