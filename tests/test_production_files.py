"""The production files an operator installs: gunicorn.conf.py, the systemd units, the Procfile,
the settings example, and the README that walks through them."""

import configparser
import os
import re
import runpy
import shlex
import subprocess
import tomllib
from pathlib import Path

import pytest
from gunicorn.config import Config as GunicornConfig

from helpdesk import config as settings

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
UNITS = ROOT / "deploy" / "systemd"
ENV_EXAMPLE = ROOT / "deploy" / "helpdesk.env.example"
# Settings in the example that gunicorn.conf.py reads rather than the app.
GUNICORN_SETTINGS = {"HELPDESK_BIND", "WEB_CONCURRENCY", "HELPDESK_ACCESS_LOG", "PORT"}


def load_gunicorn_conf(monkeypatch, environ: dict[str, str]) -> tuple[GunicornConfig, dict]:
    """Read gunicorn.conf.py under `environ` as gunicorn does: every name it sets is a setting."""
    fake_environ = dict(environ)
    with monkeypatch.context() as patch:
        patch.setattr(os, "environ", fake_environ)
        namespace = runpy.run_path(str(GUNICORN_CONF))
    config = GunicornConfig()
    for name, value in namespace.items():
        if name.startswith("_") or name == "os":
            continue
        assert name in config.settings, f"gunicorn has no setting {name!r}"
        config.set(name, value)  # gunicorn's own validation (types, hook arity)
    return config, fake_environ


@pytest.mark.parametrize(
    ("environ", "bind", "workers"),
    [
        ({}, ["127.0.0.1:8000"], 2),
        ({"HELPDESK_BIND": "0.0.0.0:9000", "WEB_CONCURRENCY": "5"}, ["0.0.0.0:9000"], 5),
        ({"PORT": "5100"}, ["0.0.0.0:5100"], 2),
    ],
)
def test_gunicorn_conf_takes_bind_and_workers_from_the_environment(
    monkeypatch, environ, bind, workers
):
    config, _ = load_gunicorn_conf(monkeypatch, environ)

    assert config.bind == bind
    assert config.workers == workers
    assert config.worker_class_str == "sync"
    assert config.preload_app is False
    assert config.accesslog == "-"
    assert config.timeout > 0 and config.graceful_timeout > 0


def test_gunicorn_conf_access_log_can_be_turned_off(monkeypatch):
    config, _ = load_gunicorn_conf(monkeypatch, {"HELPDESK_ACCESS_LOG": ""})

    assert config.accesslog is None


def test_app_counts_the_workers_gunicorn_conf_starts(monkeypatch):
    """The development warning about per-worker login limits sees the file's default of 2."""
    _, environ = load_gunicorn_conf(monkeypatch, {})
    gunicorn_process = {**environ, "SERVER_SOFTWARE": "gunicorn/27.0.1"}

    assert settings.gunicorn_workers(gunicorn_process, ["gunicorn", "app:app"]) == 2


def exec_start(unit: str) -> tuple[list[str], configparser.SectionProxy]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(UNITS / unit)
    service = parser["Service"]
    return shlex.split(service["ExecStart"]), service


def assert_runs_gunicorn_with_the_config(argv: list[str]) -> None:
    assert Path(argv[0]).name == "gunicorn"
    options = GunicornConfig().parser().parse_args(argv[1:])
    assert Path(options.config).name == GUNICORN_CONF.name
    assert options.args == ["app:app"]


def test_web_unit_runs_gunicorn_with_the_config_from_the_venv():
    argv, service = exec_start("helpdesk-web.service")

    assert_runs_gunicorn_with_the_config(argv)
    assert argv[0] == f"{service['WorkingDirectory']}/.venv/bin/gunicorn"
    options = GunicornConfig().parser().parse_args(argv[1:])
    assert options.config == f"{service['WorkingDirectory']}/gunicorn.conf.py"
    assert service["EnvironmentFile"] == "/etc/helpdesk/helpdesk.env"


def test_worker_unit_runs_flask_worker_from_the_venv():
    argv, service = exec_start("helpdesk-worker.service")

    assert argv == [f"{service['WorkingDirectory']}/.venv/bin/flask", "--app", "app", "worker"]
    assert service["EnvironmentFile"] == "/etc/helpdesk/helpdesk.env"


def test_procfile_runs_the_same_web_server_and_worker():
    processes = dict(
        line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )

    assert set(processes) == {"web", "worker"}
    assert_runs_gunicorn_with_the_config(shlex.split(processes["web"]))
    assert (ROOT / shlex.split(processes["web"])[2]).is_file()
    assert shlex.split(processes["worker"]) == ["flask", "--app", "app", "worker"]


def test_settings_example_names_only_settings_that_exist():
    names = [
        line.split("=", 1)[0].lstrip("#")
        for line in ENV_EXAMPLE.read_text().splitlines()
        if re.match(r"#?[A-Z_]+=", line)
    ]

    unknown = [
        name for name in names if name not in settings._ENV and name not in GUNICORN_SETTINGS
    ]
    assert unknown == []
    assert {"DATABASE_URL", "SECRET_KEY", "HELPDESK_ENV", "HELPDESK_MAIL_HOST"} <= set(names)


def readme_sections() -> dict[str, str]:
    text = (ROOT / "README.md").read_text()
    return dict(re.findall(r"^## (.+)\n((?:(?!^## ).*\n?)*)", text, flags=re.M))


def test_readme_says_to_use_the_venv_wherever_it_shows_flask_commands():
    """A bare `flask` is not on the PATH: each section that shows one says how to get it."""
    bare_flask = re.compile(r"(?<![/\w])flask --app")
    missing = [
        title
        for title, body in readme_sections().items()
        if bare_flask.search(body) and ". .venv/bin/activate" not in body
    ]

    assert missing == []


def test_readme_production_section_walks_through_the_production_files():
    production = next(
        body for title, body in readme_sections().items() if title.startswith("Production")
    )

    for name in (
        "gunicorn.conf.py",
        "deploy/systemd/helpdesk-web.service",
        "deploy/systemd/helpdesk-worker.service",
        "deploy/helpdesk.env.example",
        "Procfile",
    ):
        assert name in production
        assert (ROOT / name).is_file()


def test_licence_is_an_spdx_string_with_a_setuptools_that_reads_it():
    """The table form makes every `pip install` warn that it is deprecated."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())

    assert pyproject["project"]["license"] == "MIT"
    for pattern in pyproject["project"]["license-files"]:
        assert list(ROOT.glob(pattern))
    assert "setuptools>=77.0.3" in pyproject["build-system"]["requires"]


def test_settings_example_reads_the_same_in_a_shell():
    """README's set-up steps source the file with `sh`: quoted values come through whole."""
    shell = subprocess.run(
        ["sh", "-c", f'set -a && . "{ENV_EXAMPLE}" && printf %s "$HELPDESK_MAIL_FROM"'],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"]},
        check=True,
    )

    assert shell.stdout == "Helpdesk <support@example.com>"
