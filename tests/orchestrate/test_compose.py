"""docker-compose.yml and Dockerfile, checked without a Docker engine.

The compose file is interpolated with the values of .env.example exactly as Compose does
(`$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR:?error}`, `$$`), then parsed by compose-spec
(the Rust `compose_spec` parser: unknown keys, bad ports, durations or references fail).
The Dockerfile is parsed by `dockerfile` (BuildKit's own Go parser). Then the stack must agree
with meltano.yml and .env.example: variable names, ports, database names, build targets.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from dotenv import dotenv_values

from infinit import demo_data
from infinit.stack import ROOT, Stack

compose_spec = pytest.importorskip("compose_spec", reason="dev dependency compose-spec==0.2.1 is not installed")
dockerfile = pytest.importorskip("dockerfile", reason="dev dependency dockerfile==3.4.0 is not installed")

ENV_EXAMPLE = {k: v for k, v in dotenv_values(ROOT / ".env.example").items() if v is not None}
VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*))"
)


def interpolate(value: Any, env: dict[str, str], used: set[str]) -> Any:
    """Compose's variable interpolation over the whole document; records the names used."""
    if isinstance(value, dict):
        return {k: interpolate(v, env, used) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env, used) for v in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["named"]
        used.add(name)
        op, arg, current = match["op"], match["arg"] or "", env.get(name)
        unset = current is None or (op is not None and op.startswith(":") and current == "")
        if op in (":-", "-"):
            return arg if unset else str(current)
        if op in (":?", "?"):
            if unset:
                raise AssertionError(f"${{{name}}} is required: {arg}")
            return str(current)
        if op in (":+", "+"):
            return "" if unset else arg
        if current is None:
            raise AssertionError(f"${{{name}}} is not defined in .env.example")
        return str(current)

    return VARIABLE.sub(substitute, value)


def raw_compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def load_compose(env: dict[str, str] | None = None) -> tuple[dict[str, Any], set[str]]:
    used: set[str] = set()
    resolved = interpolate(raw_compose(), ENV_EXAMPLE if env is None else env, used)
    parsed = compose_spec.PyCompose.from_yaml(yaml.safe_dump(resolved))
    parsed.validate()
    return parsed.to_dict(), used


def meltano_environment(name: str) -> dict[str, str]:
    doc = yaml.safe_load((ROOT / "environments" / "environments.meltano.yml").read_text())
    return next(e for e in doc["environments"] if e["name"] == name).get("env", {})


def published(service: dict[str, Any]) -> set[tuple[str, str]]:
    """(host port, container port) pairs of a parsed service."""
    return {(port, target) for _, port, target in bindings(service)}


def bindings(service: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(host address, host port, container port) of a parsed service; "" when no address is given."""
    found = set()
    for port in service.get("ports", []):
        if isinstance(port, dict):
            found.add((str(port.get("host_ip", "")), str(port.get("published")), str(port["target"])))
        else:
            host, _, target = str(port).rpartition(":")
            address, _, number = host.rpartition(":")
            found.add((address, number, target))
    return found


def test_compose_file_is_valid_and_uses_only_env_example_variables() -> None:
    compose, used = load_compose()
    assert {"warehouse", "operations", "meltano", "dbt-docs", "cockpit", "airflow"} <= set(compose["services"])
    assert used, "the stack takes its settings from .env"
    assert used <= set(ENV_EXAMPLE), f"not in .env.example: {sorted(used - set(ENV_EXAMPLE))}"


def test_compose_fails_on_an_invalid_file() -> None:
    """The parser is strict: a typo in a key or a port is caught, not ignored."""
    doc = interpolate(raw_compose(), ENV_EXAMPLE, set())
    doc["services"]["warehouse"]["healthcheck"]["intervall"] = "5s"
    with pytest.raises(ValueError, match="intervall"):
        compose_spec.PyCompose.from_yaml(yaml.safe_dump(doc))
    with pytest.raises(AssertionError, match="NOT_A_SETTING"):
        interpolate({"x": "${NOT_A_SETTING}"}, ENV_EXAMPLE, set())


def test_databases_ports_and_names_match_env_and_meltano() -> None:
    compose, _ = load_compose()
    services = compose["services"]
    for service, prefix in (("warehouse", "WAREHOUSE"), ("operations", "OPS")):
        spec = services[service]
        assert spec["environment"]["POSTGRES_DB"] == ENV_EXAMPLE[f"{prefix}_DB"]
        assert spec["environment"]["POSTGRES_USER"] == ENV_EXAMPLE[f"{prefix}_ADMIN_USER"]
        assert published(spec) == {(ENV_EXAMPLE[f"{prefix}_PORT"], "5432")}
        assert "healthcheck" in spec
    assert ENV_EXAMPLE["WAREHOUSE_PORT"] == "5432" and ENV_EXAMPLE["OPS_PORT"] == "5433"

    # The Meltano `docker` environment points at these services' in-network addresses.
    docker_env = meltano_environment("docker")
    for prefix, service in (("WAREHOUSE", "warehouse"), ("OPS", "operations")):
        assert docker_env[f"{prefix}_HOST"] == service
        assert docker_env[f"{prefix}_PORT"] == "5432"
    runner = services["meltano"]
    for key, value in docker_env.items():
        assert runner["environment"][key] == value, key
    assert runner["environment"]["MELTANO_ENVIRONMENT"] == "docker"


def test_meltano_services_run_real_jobs_and_keep_state_in_the_warehouse(stack: Stack) -> None:
    from sqlalchemy.engine import make_url  # Meltano's own URL parser

    compose, _ = load_compose()
    services = compose["services"]
    jobs = json.loads(stack.meltano("job", "list", "--format=json").stdout)["jobs"]
    assert services["meltano"]["command"][:2] == ["run", "elt"]
    assert "elt" in {job["job_name"] for job in jobs}

    url = make_url(services["meltano"]["environment"]["MELTANO_DATABASE_URI"])
    assert url.drivername == "postgresql+psycopg"
    assert url.host == "warehouse" and url.port == 5432
    assert url.database == ENV_EXAMPLE["WAREHOUSE_DB"]
    assert url.query["options"] == "-csearch_path=meltano"

    # Ports the Meltano utilities listen on are the ones published.
    assert published(services["dbt-docs"]) == {("8080", "8080")}
    dbt = yaml.safe_load((ROOT / "transform" / "dbt.meltano.yml").read_text())["plugins"]["utilities"]
    assert "--port 8080" in next(p for p in dbt if p["name"] == "dbt")["commands"]["docs-serve"]
    assert published(services["cockpit"]) == {("8501", "8501")}
    report = yaml.safe_load((ROOT / "report" / "reports.meltano.yml").read_text())["plugins"]["utilities"]
    cockpit = next(p for p in report if p["name"] == "cockpit")
    assert next(s for s in cockpit["settings"] if s["name"] == "port")["value"] == "8501"
    assert services["cockpit"]["environment"]["COCKPIT_PORT"] == "8501"


def test_build_targets_exist_in_the_dockerfile() -> None:
    compose, _ = load_compose()
    stages = {
        command.value[2].lower()
        for command in dockerfile.parse_file(str(ROOT / "Dockerfile"))
        if command.cmd.upper() == "FROM" and len(command.value) == 3 and command.value[1].upper() == "AS"
    }
    built = {name: spec["build"] for name, spec in compose["services"].items() if "build" in spec}
    assert set(built) == {"preflight", "meltano", "dbt-docs", "cockpit", "airflow"}
    for name, build in built.items():
        assert (ROOT / build.get("context", ".") / build.get("dockerfile", "Dockerfile")).exists()
        assert build["target"] in stages, f"{name}: target {build['target']} not in {stages}"


def test_volumes_health_checks_env_file_and_profiles() -> None:
    compose, _ = load_compose()
    for name, spec in compose["services"].items():
        assert spec.get("env_file") in (".env", [".env"], [{"path": ".env"}]), name
        if name not in ("meltano", "preflight"):  # one-shot services exit; everything else is watched
            assert "healthcheck" in spec, name
        for volume in spec.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume["source"]
            path = ROOT / source
            # Persistent data under ./data/; the rest are read-only mounts of the repository.
            assert source.startswith(("./data/", "./output")) or path.exists(), f"{name}: {source}"
            if source.startswith("./deploy/"):
                assert str(volume).endswith(":ro") or volume.get("read_only"), f"{name}: {source} is read-only"
    assert compose["services"]["airflow"]["profiles"] == ["airflow"]
    assert not any(spec.get("profiles") for name, spec in compose["services"].items() if name != "airflow")


def test_cars_seed_is_the_demo_catalog() -> None:
    seed = (ROOT / "deploy" / "postgres" / "cars.sql").read_text()
    assert seed.endswith(demo_data.cars_sql())


def run_init_script(stack: Stack, role: str, dbname: str) -> None:
    """Run deploy/docker/initdb/<role>.sh as the postgres image would, against the test server."""
    from infinit import localdb, settings

    db = settings.warehouse(stack.env) if role == "warehouse" else settings.operations(stack.env)
    with psycopg.connect(stack.admin_conninfo(role, dbname="postgres"), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{dbname}" with (force)')
        conn.execute(f'create database "{dbname}"')
    stack.run(
        "sh",
        str(ROOT / "deploy" / "docker" / "initdb" / f"{role}.sh"),
        env={
            "PATH": f"{localdb.bin_dir()}:{stack.env['PATH']}",
            "POSTGRES_USER": db.admin_user,
            "POSTGRES_DB": dbname,
            "PGHOST": db.host,
            "PGPORT": str(db.port),
            "PGPASSWORD": db.admin_password,
            "DEPLOY_SQL_DIR": str(ROOT / "deploy" / "postgres"),
        },
    )


def test_operations_init_script_seeds_cars_for_the_extractor_only(stack: Stack) -> None:
    run_init_script(stack, "operations", "ops_compose_init")
    conninfo = stack.conninfo_as("OPS_READER").replace(f"dbname={stack.env['OPS_DB']}", "dbname=ops_compose_init")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        assert conn.execute("select count(*), min(car_id), max(car_id) from cars").fetchone() == (10, 101, 110)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("insert into cars values (999, 'x', 'y', 1)")


def test_warehouse_init_script_creates_schemas_and_meltano_schema(stack: Stack) -> None:
    run_init_script(stack, "warehouse", "wh_compose_init")
    with psycopg.connect(stack.admin_conninfo("warehouse", dbname="wh_compose_init"), autocommit=True) as conn:
        owners = dict(
            conn.execute(
                "select nspname, pg_get_userbyid(nspowner) from pg_namespace "
                "where nspname in ('raw', 'staging', 'marts', 'reports', 'meltano')"
            ).fetchall()
        )
    env = stack.env
    assert owners["raw"] == env["WAREHOUSE_LOADER_USER"]
    for schema in ("staging", "marts", "reports"):
        assert owners[schema] == env["WAREHOUSE_TRANSFORMER_USER"]
    assert "meltano" in owners


def test_init_scripts_are_mounted_and_executable() -> None:
    compose, _ = load_compose()
    for service in ("warehouse", "operations"):
        mounts = [v for v in compose["services"][service]["volumes"] if "docker-entrypoint-initdb.d" in str(v)]
        assert len(mounts) == 1
        source = mounts[0].split(":")[0] if isinstance(mounts[0], str) else mounts[0]["source"]
        script = ROOT / source
        assert script.exists() and script.stat().st_mode & 0o111, script
    assert Path(ROOT / "deploy" / "postgres" / "cars.sql").exists()


def test_meltano_settings_variables_reach_the_containers() -> None:
    """Every connection variable the Meltano plugins read exists in .env.example, which is the
    env_file of the Meltano services: the containers get every setting the plugins need."""
    referenced: set[str] = set()
    for path in [ROOT / "meltano.yml", *ROOT.glob("*/*.meltano.yml")]:
        for match in VARIABLE.finditer(path.read_text()):
            name = match["braced"] or match["named"]
            if name and name.startswith(("WAREHOUSE_", "OPS_", "FILE_DROPS_")):
                referenced.add(name)
    assert {"WAREHOUSE_LOADER_USER", "WAREHOUSE_LOADER_PASSWORD", "OPS_READER_PASSWORD"} <= referenced
    assert referenced <= set(ENV_EXAMPLE), sorted(referenced - set(ENV_EXAMPLE))
    compose, _ = load_compose()
    for name in ("meltano", "dbt-docs", "cockpit", "airflow"):
        assert compose["services"][name]["env_file"] in (".env", [".env"], [{"path": ".env"}])


# --- security (issue 28): loopback unless asked, nothing starts with an example password ------
def test_every_port_is_published_on_loopback_unless_publish_address_says_otherwise() -> None:
    default, _ = load_compose()
    without, _ = load_compose({k: v for k, v in ENV_EXAMPLE.items() if k != "PUBLISH_ADDRESS"})
    for compose in (default, without):  # an older .env without the variable stays on loopback too
        ports = {name: bindings(spec) for name, spec in compose["services"].items() if spec.get("ports")}
        assert set(ports) == {"warehouse", "operations", "dbt-docs", "cockpit", "airflow"}
        assert {address for found in ports.values() for address, _, _ in found} == {"127.0.0.1"}
        assert compose["services"]["cockpit"]["environment"]["COCKPIT_PUBLISHED_ADDRESS"] == "127.0.0.1"

    opened, _ = load_compose({**ENV_EXAMPLE, "PUBLISH_ADDRESS": "0.0.0.0"})
    services = opened["services"]
    for name in ("warehouse", "operations", "cockpit", "airflow"):
        assert {address for address, _, _ in bindings(services[name])} == {"0.0.0.0"}, name
    # dbt docs have no login: never beyond loopback. The cockpit knows it is exposed (login).
    assert bindings(services["dbt-docs"]) == {("127.0.0.1", "8080", "8080")}
    assert services["cockpit"]["environment"]["COCKPIT_PUBLISHED_ADDRESS"] == "0.0.0.0"
    assert services["cockpit"]["environment"]["COCKPIT_ADDRESS"] == "0.0.0.0"  # inside the container


def depends_on(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = spec.get("depends_on", {})
    return {name: {} for name in found} if isinstance(found, list) else found


def test_no_service_starts_before_the_password_check() -> None:
    compose, _ = load_compose()
    services = compose["services"]
    preflight = services["preflight"]
    assert preflight["entrypoint"] == ["python", "-m", "infinit.preflight", "compose"]
    assert preflight["env_file"] in (".env", [".env"], [{"path": ".env"}])
    for name in ("warehouse", "operations"):
        assert depends_on(services[name])["preflight"]["condition"] == "service_completed_successfully"

    def waits_for_preflight(name: str, seen: frozenset[str] = frozenset()) -> bool:
        assert name not in seen, f"dependency cycle through {name}"
        return any(dep == "preflight" or waits_for_preflight(dep, seen | {name}) for dep in depends_on(services[name]))

    assert all(waits_for_preflight(name) for name in services if name != "preflight")

    # Each image checks again at its own start (a container started with --no-deps, or in prod).
    entrypoints = [
        command.value
        for command in dockerfile.parse_file(str(ROOT / "Dockerfile"))
        if command.cmd.upper() == "ENTRYPOINT"
    ]
    assert entrypoints and all(value[0] == "/project/deploy/docker/entrypoint.sh" for value in entrypoints)
    for name in ("meltano", "dbt-docs", "cockpit", "airflow"):
        assert "entrypoint" not in services[name], f"{name} must keep the image's checking entrypoint"


def test_dbt_docs_are_served_on_loopback_only() -> None:
    """dbt docs have no login: `make docs` and the `docs-serve` command say 127.0.0.1 outright
    (a DBT_HOST in the environment cannot move them), and compose keeps them on 127.0.0.1."""
    make_docs = (ROOT / "Makefile").read_text().split("\ndocs:", 1)[1].split("\n\n", 1)[0]
    assert "dbt docs serve --host 127.0.0.1 " in make_docs
    dbt = yaml.safe_load((ROOT / "transform" / "dbt.meltano.yml").read_text())["plugins"]["utilities"]
    assert "--host 127.0.0.1" in next(p for p in dbt if p["name"] == "dbt")["commands"]["docs-serve"]
    compose, _ = load_compose({**ENV_EXAMPLE, "PUBLISH_ADDRESS": "0.0.0.0"})
    assert {address for address, _, _ in bindings(compose["services"]["dbt-docs"])} == {"127.0.0.1"}
