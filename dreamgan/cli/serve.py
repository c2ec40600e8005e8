"""`dreamgan serve`: the dream studio in the browser."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from dreamgan.cli.root import app
from dreamgan.studio.server import DEFAULT_HOST, DEFAULT_PORT, is_loopback

Opt = typer.Option


@app.command("serve")
def serve_command(
    host: Annotated[str, Opt(help="Address to listen on. The default is this machine only; 0.0.0.0 opens it to the network.")] = DEFAULT_HOST,
    port: Annotated[int, Opt(help="Port to listen on.")] = DEFAULT_PORT,
    checkpoint: Annotated[Optional[Path], Opt(help="A pix2pix run dir or .pt for fast dreams (default: the bundled generator).")] = None,
    onnx: Annotated[Optional[Path], Opt(help="Fast dreams from a file of `dreamgan export`, with ONNX Runtime.")] = None,
    max_queue: Annotated[int, Opt(help="Jobs that may wait behind the running one; more are refused (HTTP 429).")] = 8,
    runtime: Annotated[str, Opt(help="auto (ONNX Runtime where the generator exports: faster on a CPU, for the mirror too), torch or onnx.")] = "auto",
    textures: Annotated[Optional[Path], Opt(help="A noise -> dream run dir or .pt for the Textures view (default: the bundled "
                                                 "texture generator, if this install has one).")] = None,
):
    """Open the dream studio: upload a photo, dream it live, compare with a fast dream."""
    from dreamgan.fast.loading import check_runtime
    from dreamgan.studio.server import run_server

    check_runtime(runtime)

    if not is_loopback(host):
        typer.secho(f"warning: listening on {host}: anyone who can reach this machine can use the studio "
                    "(it has no login). Use the default 127.0.0.1 unless you mean it.", fg="yellow", err=True)
    from dreamgan.fast.loading import default_checkpoint

    checkpoint = default_checkpoint(checkpoint, onnx)
    run_server(str(checkpoint) if checkpoint else None, host=host, port=port, onnx=str(onnx) if onnx else None, max_queue=max_queue,
               runtime=runtime, textures=str(textures) if textures else None,
               announce=lambda url: typer.echo(f"dreamgan studio on {url}  (Ctrl-C to stop)"))
