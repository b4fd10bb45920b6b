"""Site profiles: ``[sites.NAME]`` tables, ``--site``/``DMSPROTO_SITE``, ``dmsproto sites``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dmsproto.cli import exits
from dmsproto.cli.connection import resolve
from dmsproto.cli.exits import CliError
from tests.support.cli import PASSWORD, USER, Server, TlsServer, cli_env, get_args, run, run_many


def write_config(folder: Path, plain: Server, tls: TlsServer) -> Path:
    config = folder / "config.toml"
    config.write_text(
        'whois = "site-laptop"\n'
        'site = "lab"\n'
        "\n[sites.lab]\n"
        f'url = "{plain.url}"\n'
        "\n[sites.north]\n"
        f'url = "{tls.url}"\n'
        f'cafile = "{tls.cafile.name}"\n'
        f'user = "{USER}"\n'
        "timeout = 5\n",
        encoding="utf-8")
    (folder / tls.cafile.name).write_bytes(tls.cafile.read_bytes())  # relative to the file
    return config


def test_a_site_is_picked_by_flag_environment_or_default(
    server: Server, tls_server: TlsServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, server, tls_server)
    env = cli_env(DMSPROTO_CONFIG=str(config), DMSPROTO_PASSWORD=PASSWORD)
    north, by_env, default, flag_wins = run_many(
        ("get", "System:Version", "--site", "north", "--json"),
        ("get", "System:Version", "--json", "--debug"),
        ("get", "Plant:HC1:TempFlow", "--json"),
        ("get", "System:Version", "--site", "north", "--url", tls_server.http_url, "--debug"),
        env=env)
    assert north.returncode == 0, north.stderr                       # TLS + Basic auth
    assert default.returncode == 0 and json.loads(default.stdout)[0]["type"] == "double"
    assert flag_wins.returncode == 0, flag_wins.stderr
    assert " post " in flag_wins.stderr                    # over https: the flag beats the site
    assert by_env.returncode == 0
    env["DMSPROTO_SITE"] = "north"
    secure = run("get", "System:Version", "--debug", env=env)
    assert secure.returncode == 0, secure.stderr
    assert "wss://" in secure.stderr and PASSWORD not in secure.stderr + secure.stdout
    unknown = run("get", "System:Version", "--site", "south", env=env)
    assert unknown.returncode == exits.USAGE
    assert "no site 'south'" in unknown.stderr and "lab, north" in unknown.stderr


def test_sites_lists_them_without_secrets(
    server: Server, tls_server: TlsServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, server, tls_server)
    env = cli_env(DMSPROTO_CONFIG=str(config), DMSPROTO_PASSWORD=PASSWORD)
    table, as_json = run_many(("sites",), ("sites", "--json", "--site", "north"), env=env)
    assert table.returncode == 0, table.stderr
    header, lab, north = table.stdout.splitlines()
    assert header.split() == ["SITE", "URL", "USER", "OTHER"]
    assert lab.startswith("*") and server.url in lab                   # the default site
    assert USER in north and f"cafile={tmp_path / tls_server.cafile.name}" in north
    assert "whois=site-laptop" in table.stderr
    doc = json.loads(as_json.stdout)
    assert doc["site"] == "north" and list(doc["sites"]) == ["lab", "north"]
    assert doc["sites"]["north"]["timeout"] == 5.0
    for output in (table.stdout + table.stderr, as_json.stdout):
        assert PASSWORD not in output and "password" not in output


def test_sites_without_a_config_file() -> None:
    result = run("sites")
    assert result.returncode == 0 and "no config file" in result.stderr
    named = run("sites", "--config", "/nonexistent/config.toml")
    assert named.returncode == exits.USAGE


def test_precedence_env_over_site_over_top_level(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('timeout = 3\nwhois = "top"\n[sites.a]\nwhois = "site-a"\n'
                      'url = "ws://a:1/json_data"\n', encoding="utf-8")
    env = {"DMSPROTO_CONFIG": str(config)}
    plain = resolve(get_args(), env)
    assert plain.site is None and plain.options["whois"] == "top"
    chosen = resolve(get_args("--site", "a"), env)
    assert chosen.site == "a" and chosen.options["whois"] == "site-a"
    assert chosen.options["timeout"] == 3.0                             # the top level still
    assert resolve(get_args(), {**env, "DMSPROTO_SITE": "a"}).options["url"] == "ws://a:1/json_data"
    env_wins = resolve(get_args("--site", "a"), {**env, "DMSPROTO_WHOIS": "env"})
    assert env_wins.options["whois"] == "env"


@pytest.mark.parametrize(("text", "message"), [
    ('[sites.a]\npassword = "x"\n', "DMSPROTO_PASSWORD"),
    ('[sites.a]\nurll = "x"\n', "unknown keys ['urll']"),
    ('sites = 3\n', "one table per site"),
    ('site = "b"\n[sites.a]\nurl = "ws://a:1/json_data"\n', "no site 'b'"),
    ('[sites.a]\ntimeout = "soon"\n', "[sites.a]: timeout"),
])
def test_bad_site_tables_are_usage_errors(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "c.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(CliError, match=message.replace("[", r"\[").replace("]", r"\]")) as info:
        resolve(get_args("--site", "a"), {"DMSPROTO_CONFIG": str(config)})
    assert info.value.code == exits.USAGE
