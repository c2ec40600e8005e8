"""The Typer application every command module registers on (kept apart from the command
modules, so that they import it without an import cycle through `dreamgan.cli`)."""
from __future__ import annotations

import typer
from typer.core import TyperGroup

from dreamgan import __version__


class Interrupted(Exception):
    """A Ctrl-C or kill inside a command (its `__cause__` is the KeyboardInterrupt). Typer turns
    a KeyboardInterrupt into a silent exit 130; this carries it to `dreamgan.cli.main` instead,
    which says what was kept, or reports the error the interrupt landed on."""


class _Group(TyperGroup):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as e:
            raise Interrupted() from e


app = typer.Typer(
    cls=_Group,
    name="dreamgan",
    help="Fast DeepDream: classical dreams, paired dream datasets, and GANs that dream in one pass.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool):
    if value:
        typer.echo(f"dreamgan {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit.")):
    """Fast DeepDream."""
