"""The README's commands never go stale: CI runs its test command, the main job's commands parse."""
from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from dreamgan.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _bash_blocks():
    return re.findall(r"```bash\n(.*?)```", README, re.S)


def test_ci_reads_the_readme_test_command():
    out = subprocess.run(
        ["awk", r"/<!-- test-command -->/{f=1; next} f && /^```bash/{g=1; next} g && /^```/{exit} g", "README.md"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    assert 'pip install -e ".[test]"' in out and out.endswith("python -m pytest")
    assert "README.md" in (ROOT / ".ci" / "run").read_text()


def test_main_job_commands_parse(tmp_path, monkeypatch):
    main_job = _bash_blocks()[0].strip()
    assert "pip install -e ." in main_job
    dreamgan_cmds = [c.strip() for c in main_job.split("&&") if c.strip().startswith("dreamgan ")]
    assert [c.split()[1] for c in dreamgan_cmds] == ["samples", "dream"]
    monkeypatch.chdir(tmp_path)
    # `samples` really runs; `dream` is checked to parse (the engine itself is tested elsewhere).
    assert CliRunner().invoke(app, shlex.split(dreamgan_cmds[0])[1:]).exit_code == 0
    from dreamgan.cli import dream as dream_cli
    from dreamgan.dream.files import DreamFilesReport

    seen = {}
    monkeypatch.setattr(dream_cli, "run_dream_files", lambda paths, out, config, overlay: seen.update(paths=paths) or DreamFilesReport(written=paths))
    result = CliRunner().invoke(app, shlex.split(dreamgan_cmds[1])[1:])
    assert result.exit_code == 0, result.output
    assert [p.name for p in seen["paths"]] == ["chelsea.png", "coffee.png"]


def test_documented_subcommands_exist():
    documented = {m for block in _bash_blocks() for m in re.findall(r"(?:^|&& |\| )dreamgan ([a-z][\w-]*)", block, re.M)}
    assert {"dream", "samples", "make-dataset", "dataset-info", "backbones", "layers", "classes"} <= documented
    for cmd in documented:
        result = CliRunner().invoke(app, [cmd, "--help"])
        assert result.exit_code == 0, f"README documents `dreamgan {cmd}`, which does not exist"
