"""The self-loop check: every spelling of this machine on the proxy's own port is refused at
start-up; another port, or an address the proxy does not listen on, is not."""

from __future__ import annotations

import ipaddress

import pytest
from click.testing import CliRunner

from mockgate.cli import cli
from mockgate.proxy.app import ProxyOptions
from mockgate.proxy.selfloop import IPAddress, loops_back

PORT = 3400  # agentlens' documented port: the proxy's default

LOOPBACK_SPELLINGS = [
    pytest.param("http://127.1:3400", id="127.1"),
    pytest.param("http://localhost:3400", id="localhost"),
    pytest.param("http://[::1]:3400", id="ipv6-loopback"),
    pytest.param("http://0x7f000001:3400", id="hex-0x7f000001"),
    pytest.param("http://0x7f.1:3400", id="hex-0x7f.1"),
    pytest.param("http://2130706433:3400", id="decimal"),
    pytest.param("http://[::ffff:127.0.0.1]:3400", id="ipv4-mapped"),
    pytest.param("http://127.0.0.2:3400", id="other-loopback"),
    pytest.param("http://0.0.0.0:3400", id="unspecified"),
]


@pytest.mark.parametrize("upstream", LOOPBACK_SPELLINGS)
def test_every_spelling_of_the_loopback_on_the_own_port_is_a_loop(upstream):
    loop = loops_back(upstream, "127.0.0.1", PORT)
    assert loop is not None
    assert "it would forward to itself" in loop


@pytest.mark.parametrize(
    ("upstream", "host"),
    [
        pytest.param("http://127.1:3401", "127.0.0.1", id="another-port"),
        pytest.param("http://localhost", "127.0.0.1", id="default-port-80"),
        pytest.param("http://192.0.2.1:3400", "127.0.0.1", id="another-machine"),
    ],
)
def test_another_port_or_machine_is_no_loop(upstream, host):
    assert loops_back(upstream, host, PORT) is None


def fake_resolver(host: str, port: int) -> list[str]:
    return {"dev.example": ["192.0.2.10"], "0.0.0.0": ["0.0.0.0"], "127.0.0.1": ["127.0.0.1"]}[host]


def ours(address: IPAddress) -> bool:
    """This machine: the loopback and one interface address, 192.0.2.10."""
    return address.is_loopback or address == ipaddress.ip_address("192.0.2.10")


@pytest.mark.parametrize(
    ("host", "loops"),
    [
        pytest.param("0.0.0.0", True, id="listening-everywhere"),
        pytest.param("127.0.0.1", False, id="listening-on-the-loopback-only"),
    ],
)
def test_an_interface_address_loops_only_when_the_proxy_listens_on_it(host, loops):
    found = loops_back("http://dev.example:3400", host, PORT, resolver=fake_resolver, local=ours)
    assert (found is not None) == loops


@pytest.mark.parametrize("upstream", LOOPBACK_SPELLINGS[:4])
def test_the_cli_refuses_a_loop_at_start_with_exit_2(upstream):
    result = CliRunner().invoke(cli, ["proxy", "agentlens", "--upstream", upstream])
    assert result.exit_code == 2
    (line,) = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert f"{upstream} is " in line
    assert "where this proxy listens (--host 127.0.0.1 --port 3400)" in line


def test_the_cli_default_cap_is_the_proxys():
    result = CliRunner().invoke(cli, ["proxy", "--help"])
    cap = ProxyOptions().validate_max_bytes
    assert f"[default: {cap};" in " ".join(result.output.split())
