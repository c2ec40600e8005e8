"""The `dreamgan` command line (Typer). One module per command group; commands stay thin.

Errors a user can cause are printed as one line with a non-zero exit. Set DREAMGAN_DEBUG=1
to see the traceback instead.
"""
from __future__ import annotations

import os
import sys
from typing import NoReturn

import typer

# Importing a command module registers its commands on the one Typer app (`cli/root.py`).
from dreamgan.cli import backbones as _backbones  # noqa: F401
from dreamgan.cli import classifier as _classifier  # noqa: F401
from dreamgan.cli import dataset as _dataset  # noqa: F401
from dreamgan.cli import dream as _dream  # noqa: F401
from dreamgan.cli import metrics as _metrics  # noqa: F401
from dreamgan.cli import photos as _photos  # noqa: F401
from dreamgan.cli import pipeline as _pipeline  # noqa: F401
from dreamgan.cli import serve as _serve  # noqa: F401
from dreamgan.cli import train as _train  # noqa: F401
from dreamgan.cli import video as _video  # noqa: F401
from dreamgan.cli.root import Interrupted, app
from dreamgan.errors import DreamganError

_PUT_OFF: list = []  # the kills put off while an error was handled (threading.Timer), called off when main ends


def _stop_on_sigterm() -> None:
    """A `kill` (SIGTERM) stops a job as Ctrl-C does: finished outputs are kept, a training run
    saves latest.pt, and the same command resumes. Background jobs started without job
    control ignore SIGINT, so SIGTERM is how a scheduler or a user stops them.

    A kill that lands while a `DreamganError` is being handled is put off by a moment instead:
    either that error ends the job with its own line (torchrun's agent SIGTERMs the survivors of a
    killed worker just as they report it, and the line must not become a KeyboardInterrupt
    traceback), or the error was caught and the job goes on, and the kill arrives again. When
    `main` ends first, the job is over and the repeat is called off (`_PUT_OFF`)."""
    import signal
    import threading

    def handler(signum, frame):
        if _error_under(sys.exc_info()[1]) is not None:
            again = threading.Timer(0.25, os.kill, (os.getpid(), signum))
            again.daemon = True  # it never holds the process open
            _PUT_OFF.append(again)
            again.start()
            return
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (e.g. inside a test runner's worker)
        pass


def _error_under(e: BaseException | None) -> DreamganError | None:
    """The `DreamganError` that `e` is, or was raised while handling (its cause/context chain), if any."""
    seen = set()
    while e is not None and id(e) not in seen:
        if isinstance(e, DreamganError):
            return e
        seen.add(id(e))
        e = e.__cause__ or e.__context__
    return None


def _fail(e: DreamganError) -> NoReturn:
    """One red line and exit code 1 (the traceback with DREAMGAN_DEBUG set)."""
    if os.environ.get("DREAMGAN_DEBUG"):
        raise e
    rank = os.environ.get("RANK", "0")  # under torchrun every process says which it is
    typer.secho(f"error: {e}" if rank == "0" else f"error (rank {rank}): {e}", fg="red", err=True)
    sys.exit(1)


def _fail_if_an_error_was_on_its_way_out(stop: BaseException) -> None:
    """A Ctrl-C or kill (`stop`, or what wraps it: `Interrupted`, click's Abort) that landed while a
    `DreamganError` was unwinding: report that error, the cause the user needs (e.g. torchrun's
    agent SIGTERMs the survivors of a killed worker while they report it)."""
    error = _error_under(stop)
    if error is not None:
        _fail(error)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: runs the app, turning user errors into one line + exit code 1."""
    _stop_on_sigterm()
    try:
        _run(argv)
    finally:
        while _PUT_OFF:
            _PUT_OFF.pop().cancel()


def _run(argv: list[str] | None) -> None:
    try:
        rc = app(args=argv, standalone_mode=False)
        if isinstance(rc, int) and rc:
            sys.exit(rc)  # typer.Exit(code) is returned, not raised, outside standalone mode
    except DreamganError as e:
        _fail(e)
    except (Interrupted, KeyboardInterrupt) as e:
        _fail_if_an_error_was_on_its_way_out(e)
        typer.secho("interrupted; rerun the same command to continue (finished outputs are complete, nothing half-written was kept)", fg="yellow", err=True)
        sys.exit(130)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort as e:  # click's wrapping of a KeyboardInterrupt inside a command
        _fail_if_an_error_was_on_its_way_out(e)
        typer.secho("aborted", fg="yellow", err=True)
        sys.exit(130)
    except Exception as e:  # click usage errors arrive here in non-standalone mode
        if isinstance(e, _click_exceptions()):
            e.show()
            sys.exit(e.exit_code)
        raise


def _click_exceptions() -> tuple[type, ...]:
    """Click's usage-error base class, from click and from the copy newer typers vendor."""
    import importlib

    found = []
    for module in ("click.exceptions", "typer._click.exceptions"):
        try:
            found.append(importlib.import_module(module).ClickException)
        except (ImportError, AttributeError):
            pass
    return tuple(found)
