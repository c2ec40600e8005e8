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
    assert 'pip install -e ".[test]"' in out and "ruff check ." in out and out.endswith("python -m pytest")
    assert "README.md" in (ROOT / ".ci" / "run").read_text()


def test_main_job_commands_parse(tmp_path, monkeypatch):
    main_job = _bash_blocks()[0].strip()
    assert "pip install -e ." in main_job
    dreamgan_cmds = [c.strip() for c in main_job.split("&&") if c.strip().startswith("dreamgan ")]
    assert dreamgan_cmds == ["dreamgan pipeline run pipelines/default.toml"]
    # The pipeline file exists, validates, and a dry run plans every stage (the real run is
    # exercised at toy size by tests/test_pipeline.py with pipelines/smoke.toml).
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, shlex.split(dreamgan_cmds[0])[1:] + ["--dry-run"])
    assert result.exit_code == 0, result.output
    assert all(f"[{stage}]" in result.output for stage in ("dataset", "train", "evaluate", "sample"))


def test_documented_subcommands_exist():
    documented = {m for block in _bash_blocks() for m in re.findall(r"(?:^|&& |\| )dreamgan ([a-z][\w-]*)", block, re.M)}
    assert {"dream", "make-dataset", "dataset-info", "backbones", "layers", "classes", "train", "sample", "evaluate", "fid",
            "pipeline", "train-classifier", "serve", "video", "zoom", "export"} <= documented
    for cmd in documented:
        result = CliRunner().invoke(app, [cmd, "--help"])
        assert result.exit_code == 0, f"README documents `dreamgan {cmd}`, which does not exist"


def test_the_package_docstring_example_runs(tmp_path, monkeypatch, photo_uint8):
    import dreamgan
    from dreamgan.images import save_png

    example = dreamgan.__doc__.split("::", 1)[1]
    code = "\n".join(line[4:] for line in example.splitlines())
    monkeypatch.chdir(tmp_path)
    save_png("photo.jpg", photo_uint8)  # a PNG under a .jpg name: readers sniff the format
    exec(compile(code, "dreamgan.__doc__", "exec"), {})
    from dreamgan.images import load_image

    out = load_image(tmp_path / "dream.png")
    assert out.shape == photo_uint8.shape and abs(out.astype(int) - photo_uint8.astype(int)).mean() > 1


def _readme_commands() -> list[list[str]]:
    """Every `dreamgan …` command in README's bash blocks and inline code, split into words."""
    lines = []
    for block in _bash_blocks():
        text = re.sub(r"\\\n\s*", " ", block)  # join continued lines
        for line in text.splitlines():
            for part in re.split(r"&&|\|", line.split("#", 1)[0]):
                lines.append(part.strip())
    lines += [part.strip() for inline in re.findall(r"`(dreamgan [^`]+)`", README) for part in re.split(r"&&|\|", inline)]
    commands = []
    for line in lines:
        if line.startswith("dreamgan ") and "…" not in line and "..." not in line.split()[1]:
            try:
                commands.append(shlex.split(line))
            except ValueError:
                continue
    return commands


def test_every_readme_command_names_a_real_command_and_real_options():
    runner, checked = CliRunner(), 0
    helps: dict[str, str] = {}
    for words in _readme_commands():
        name = words[1]
        if name.startswith("-"):
            continue
        if name not in helps:
            result = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"})
            assert result.exit_code == 0, f"README names `dreamgan {name}`, which does not exist: {result.output[-300:]}"
            helps[name] = result.output
        if name == "pipeline" and len(words) > 2:  # a sub-command group
            sub = runner.invoke(app, [name, words[2], "--help"], env={"COLUMNS": "200"})
            assert sub.exit_code == 0, f"README names `dreamgan pipeline {words[2]}`, which does not exist"
            helps[name] += sub.output
        for option in (w.split("=", 1)[0] for w in words[2:] if w.startswith("--")):
            assert option in helps[name], f"README's `{' '.join(words)}` uses {option}, which `dreamgan {name}` does not take"
        checked += 1
    assert checked > 20, f"only {checked} README commands found: the extraction broke"


def test_readme_is_a_short_manual_whose_images_and_links_exist():
    assert len(README.splitlines()) <= 300, "README is a manual: research and details go to docs/"
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.name} links {target}, which does not exist"


def test_the_plain_install_gets_the_onnx_runtime_fast_path():
    """README's one install command (`pip install -e .`) gives sample's default runtime: onnx and
    onnxruntime are core dependencies, not an extra."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {d.split(";")[0].split("=")[0].split(">")[0].split("<")[0].strip() for d in project["dependencies"]}
    assert {"onnx", "onnxruntime"} <= names, names
