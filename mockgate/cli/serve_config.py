"""``ServeConfig``: what ``mockgate serve``'s options say, checked once, per API.

The command (``cli.serve``) only declares the options; everything that reads them — which APIs,
their ports, keys, scenarios and specs, the clock — lives here, so it is testable without
starting a server and every refusal names the option at fault.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from mockgate.apis.base import DATASETS
from mockgate.apis.context import MockOptions
from mockgate.core.access import allowed_host_entry, cors_origin_entry, is_loopback
from mockgate.core.clock import ID_ANCHOR, Clock
from mockgate.core.timestamps import parse_timestamp
from mockgate.openapi.catalog import ApiSpec, bundled_apis

__all__ = ["FROZEN_START", "ServeConfig"]

# `--clock frozen` without `--start` pins time here, so the same seed gives the same bytes: the
# instant seeded ids are anchored to, so timestamps and ids agree as they did when first seeded.
FROZEN_START = ID_ANCHOR
# `--host` values that listen on every interface: they name no host a client would use.
_EVERY_INTERFACE = frozenset({"", "0.0.0.0", "::", "[::]"})
_TOKEN = re.compile(r"[\x21-\x7e]+")  # what a header value carries unchanged


@dataclass(frozen=True)
class ServeConfig:
    apis: tuple[str, ...]
    host: str
    ports: Mapping[str, int]
    seed: int
    dataset: str  # the plain --dataset: every API's without its own
    datasets: Mapping[str, str]  # --dataset API=FILE|NAME
    clock_option: str
    start: datetime | None
    everywhere_keys: tuple[str, ...]  # --api-key KEY
    scoped_keys: Mapping[str, tuple[str, ...]]  # --api-key API=KEY
    rate_limit: str | None
    scenarios: Mapping[str, str]
    state_file: str | None
    state_sync: str
    cors: bool
    cors_origins: tuple[str, ...]
    allowed_hosts: tuple[str, ...]  # --allowed-host, and --host when it names one
    admin_token: str | None
    validate_responses: bool
    specs: Mapping[str, ApiSpec]  # --spec API=FILE, checked
    reload: bool
    access_log: bool
    log_level: str
    log_format: str  # text|json: mockserver.logs
    coverage_out: str | None = None  # --coverage-out FILE, written on shutdown

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> ServeConfig:
        """The command's parameters, checked: ``click.BadParameter`` (or ``ClickException``)
        naming the option that is wrong."""
        apis = tuple(params["apis"])
        unknown = [a for a in apis if a not in bundled_apis()]
        if unknown:
            raise click.BadParameter(
                f"{', '.join(unknown)}: bundled APIs are {', '.join(bundled_apis())}",
                param_hint="API",
            )
        rate_limit = params["rate_limit"]
        if (
            rate_limit is not None
            and rate_limit not in ("off", "docs")
            and not rate_limit.isdigit()
        ):
            raise click.BadParameter(
                f"{rate_limit!r}: expected off, docs or N", param_hint="--rate-limit"
            )
        everywhere, scoped = _keys(params["api_keys"])
        served = apis or tuple(bundled_apis())
        dataset, datasets = _datasets(params["datasets"], served)
        try:
            start = parse_timestamp(params["start"]) if params["start"] else None
            Clock.from_option(params["clock_option"], start=start)  # refused here, not later
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
        return cls(
            apis=served,
            host=params["host"],
            ports=_ports(params["ports"]),
            seed=params["seed"],
            dataset=dataset,
            datasets=datasets,
            clock_option=params["clock_option"],
            start=start,
            everywhere_keys=everywhere,
            scoped_keys=scoped,
            rate_limit=rate_limit,
            scenarios=_pairs(params["scenarios"], "--scenario"),
            state_file=params["state_file"],
            state_sync=params["state_sync"],
            cors=not params["no_cors"],
            cors_origins=_cors_origins(params["cors_origins"]),
            allowed_hosts=_allowed_hosts(params["allowed_hosts"], params["host"]),
            admin_token=_admin_token(params["admin_token"]),
            validate_responses=params["validate_responses"],
            coverage_out=params.get("coverage_out"),
            specs=_specs(_pairs(params["spec_files"], "--spec")),
            reload=params["reload"],
            access_log=params["access_log"],
            log_level=params["log_level"],
            log_format=params["log_format"],
        )

    def clock(self) -> Clock:
        frozen_default = FROZEN_START if self.clock_option == "frozen" else None
        return Clock.from_option(self.clock_option, start=self.start or frozen_default)

    def spec(self, api: str) -> ApiSpec:
        """The document ``api`` is served from: its ``--spec`` file, else the bundled one."""
        return self.specs.get(api) or bundled_apis()[api]

    @property
    def exposed(self) -> bool:
        """Whether ``--host`` listens beyond this machine."""
        return not is_loopback(self.host)

    def dataset_of(self, api: str) -> str:
        """The dataset ``api`` is seeded from: its ``--dataset API=...``, else the plain one."""
        return self.datasets.get(api, self.dataset)

    @property
    def datasets_text(self) -> str:
        """The datasets, as the banner says them: ``demo``, ``demo (agentlens: al.json)``."""
        scoped = ", ".join(f"{api}: {name}" for api, name in self.datasets.items())
        if not scoped:
            return self.dataset
        return scoped if set(self.apis) <= set(self.datasets) else f"{self.dataset} ({scoped})"

    def port(self, api: str) -> int:
        return self.ports.get(api) or self.spec(api).default_port or 8000

    def api_keys(self, api: str) -> tuple[str, ...]:
        """``KEY`` applies to every API, ``API=KEY`` to that API only."""
        return (*self.everywhere_keys, *self.scoped_keys.get(api, ()))

    def mock_options(self, api: str, *, seed: int, dataset: str) -> MockOptions:
        """``api``'s options (the seed and dataset may come from a state file instead)."""
        return MockOptions(
            seed=seed,
            dataset=dataset,
            api_keys=self.api_keys(api),
            validate_responses=self.validate_responses,
            cors=self.cors,
            cors_origins=self.cors_origins,
            allowed_hosts=self.allowed_hosts,
            admin_token=self.admin_token,
            access_log=self.access_log,
            rate_limit=self.rate_limit,
            scenario=self.scenarios.get(api),
        )


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        api, sep, rest = value.partition("=")
        if not sep or api not in bundled_apis():
            raise click.BadParameter(
                f"{value!r}: expected API=VALUE with API one of {', '.join(bundled_apis())}",
                param_hint=option,
            )
        pairs[api] = rest
    return pairs


def _ports(values: tuple[str, ...]) -> dict[str, int]:
    ports = {}
    for api, port in _pairs(values, "--port").items():
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise click.BadParameter(f"{api}={port}: a port is 1-65535", param_hint="--port")
        ports[api] = int(port)
    return ports


def _keys(values: tuple[str, ...]) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    everywhere: list[str] = []
    scoped: dict[str, tuple[str, ...]] = {}
    for value in values:
        api, sep, key = value.partition("=")
        if sep and api in bundled_apis():
            scoped[api] = (*scoped.get(api, ()), key)
        else:
            everywhere.append(value)
    return tuple(everywhere), scoped


def _allowed_hosts(values: tuple[str, ...], host: str) -> tuple[str, ...]:
    """``--allowed-host`` entries, checked, and the one interface ``--host`` names, if any:
    clients reach the mock by that name."""
    entries = []
    for value in values:
        try:
            entries.append(allowed_host_entry(value))
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--allowed-host") from None
    if host.strip().lower() not in _EVERY_INTERFACE and not is_loopback(host):
        # Not a name: an IPv6 address (served as every IP literal is), or uvicorn refuses it.
        with contextlib.suppress(ValueError):
            entries.append(allowed_host_entry(host))
    return tuple(dict.fromkeys(entries))


def _datasets(values: tuple[str, ...], apis: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """``--dataset``: (the plain value, or demo; ``API=VALUE`` per API). ``API=`` counts only
    with a served API's name (a path may hold ``=``); a plain file seeds the one API served."""
    plain: list[str] = []
    scoped: dict[str, str] = {}
    for value in values:
        api, sep, rest = value.partition("=")
        if sep and api in apis:
            if not rest or api in scoped:
                problem = "a dataset name or file after =" if not rest else "one dataset per API"
                raise click.BadParameter(f"{value!r}: expected {problem}", param_hint="--dataset")
            scoped[api] = rest
        elif sep and api in bundled_apis() and not Path(value).is_file():
            raise click.BadParameter(
                f"{value!r}: {api} is not served (serving {', '.join(apis)})",
                param_hint="--dataset",
            )
        else:
            plain.append(value)
    if len(plain) > 1:
        raise click.BadParameter(
            f"{', '.join(plain)}: one dataset for every API; give the others as API=FILE",
            param_hint="--dataset",
        )
    dataset = plain[0] if plain else "demo"
    unseeded = [api for api in apis if api not in scoped]
    if dataset not in DATASETS and len(unseeded) > 1:
        raise click.BadParameter(
            f"{dataset!r}: a file holds one API's records and {', '.join(unseeded)} are "
            f"served; say which API it seeds, e.g. --dataset {unseeded[0]}={dataset}",
            param_hint="--dataset",
        )
    return dataset, scoped


def _cors_origins(values: tuple[str, ...]) -> tuple[str, ...]:
    try:
        return tuple(dict.fromkeys(cors_origin_entry(value) for value in values))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--cors-origin") from None


def _admin_token(token: str | None) -> str | None:
    if token is not None and not _TOKEN.fullmatch(token):
        raise click.BadParameter(
            "a token is printable ASCII without spaces (it travels in a header)",
            param_hint="--admin-token",
        )
    return token


def _specs(files: dict[str, str]) -> dict[str, ApiSpec]:
    """``--spec API=FILE``: FILE, once it passes ``mockgate specs validate``."""
    from mockgate.openapi.speccheck import check_spec

    specs = {}
    for api, file in files.items():
        path = Path(file)
        if not path.is_file():
            raise click.BadParameter(f"{api}={file}: no such file", param_hint="--spec")
        problems = check_spec(path)
        if problems:
            raise click.ClickException(
                f"--spec {api}={file} cannot be served:\n  " + "\n  ".join(map(str, problems))
            )
        specs[api] = ApiSpec(api, path.resolve())
    return specs
