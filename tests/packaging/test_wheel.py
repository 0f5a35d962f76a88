"""The built wheel, installed as a user installs it: not editable, in a fresh venv holding only the pinned Airflow,
providers-http and what the wheel itself requires (no emulator, no test tools, no checkout on the path).

Slow (a venv with Airflow per Python, 3.11 to 3.13: about a minute each from pip's cache), so marked ``package``:
``make test-package`` runs it (and .ci/run), ``make test`` leaves it out (``tests/conftest.py``, ``OPT_IN_MARKERS``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.package

PARSE_DAGS = """
import sys
from airflow.models.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
print(sorted(bag.dag_ids))
print(bag.import_errors)
sys.exit(1 if bag.import_errors else 0)
"""


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """``make dist``'s build: the sdist and the wheel, from this checkout."""
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)], cwd=tmp_path_factory.mktemp("build"))
    return out


@pytest.fixture(scope="module")
def wheel(dist) -> Path:
    (path,) = dist.glob("airflow_provider_zoom-*.whl")
    return path


def _python(version: str) -> Path | None:
    """This interpreter for 3.11 (the venv's), else pyenv's build of ``version``, if the machine has one."""
    if version == f"{sys.version_info.major}.{sys.version_info.minor}":
        return Path(sys.executable)
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = sorted(root.glob(f"{version}.*/bin/python{version}"))
    return found[-1] if found else None


@pytest.fixture(scope="module", params=["3.11", "3.12", "3.13"])
def user_venv(request, tmp_path_factory, wheel) -> tuple[Path, dict[str, str]]:
    """A fresh venv with the wheel, Airflow and providers-http at their pins, and an Airflow home of its own,
    on each Python the classifiers name."""
    python = _python(request.param)
    if python is None:
        pytest.skip(f"no Python {request.param} on this machine")
    root = tmp_path_factory.mktemp(f"user-{request.param}")
    venv = root / "venv"
    # Nothing of the test run's environment: with PYTHONPATH on the checkout (and its .egg-info), pip would take the
    # provider for installed already and skip the wheel.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", "PYTHON"))}
    env.update({
        "AIRFLOW_HOME": str(root / "airflow-home"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{root / 'airflow.db'}",
    })
    _run([str(python), "-m", "venv", str(venv)], cwd=root, env=env)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "--quiet"]
    _run([*pip, "install", "-c", str(REPO / "constraints.txt"), "apache-airflow", "apache-airflow-providers-http",
          str(wheel)], cwd=root, env=env)
    return venv, env


def test_wheel_holds_the_provider_and_no_emulator(wheel, dist):
    names = zipfile.ZipFile(wheel).namelist()
    packages = {name.split("/")[0] for name in names if not name.startswith("airflow_provider_zoom-")}
    assert packages == {"airflow_provider_zoom"}
    assert not [name for name in names if "emulator" in name]
    assert "airflow_provider_zoom/py.typed" in names
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert "Requires-Python: >=3.11" in metadata
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert not [line for line in requires if any(web in line for web in ("uvicorn", "starlette", "fastapi"))]
    assert "requests-toolbelt" in metadata
    (sdist,) = dist.glob("airflow_provider_zoom-*.tar.gz")
    assert sdist.stat().st_size > 0


def test_airflow_lists_the_installed_provider(user_venv):
    venv, env = user_venv
    listed = _run([str(venv / "bin" / "airflow"), "providers", "list", "--output", "plain"], cwd=venv, env=env)
    assert "airflow-provider-zoom" in listed.stdout


def test_hook_and_operators_import_from_the_wheel(user_venv):
    venv, env = user_venv
    code = (
        "import airflow_provider_zoom, airflow_provider_zoom.hooks.zoom as h, airflow_provider_zoom.operators.im_groups, "
        "airflow_provider_zoom.operators.waves as w; "
        "assert 'site-packages' in airflow_provider_zoom.__file__; "
        "print(h.ZoomHook.conn_type, w.WaveCreateGroupsOperator.__name__)"
    )
    result = _run([str(venv / "bin" / "python"), "-c", code], cwd=venv, env=env)
    assert result.stdout.split() == ["zoom", "WaveCreateGroupsOperator"]
    missing = subprocess.run([str(venv / "bin" / "python"), "-c", "import zoom_emulator"], cwd=venv, env=env,
                             capture_output=True, text=True, check=False)
    assert missing.returncode != 0 and "No module named 'zoom_emulator'" in missing.stderr


def test_the_sample_dags_parse_with_the_installed_provider(user_venv, tmp_path):
    venv, env = user_venv
    result = _run([str(venv / "bin" / "python"), "-c", PARSE_DAGS, str(REPO / "dags")], cwd=tmp_path, env=env)
    assert "zoom_onboarding_im_groups" in result.stdout and "zoom_onboarding_wave" in result.stdout


def test_pip_refuses_the_wheel_on_python_3_10(wheel, tmp_path):
    """python_requires says 3.11: the provider's own floors (providers-http 6.3, providers-standard 1.21) need it."""
    python310 = _python("3.10")
    if python310 is None:
        pytest.skip("no Python 3.10 on this machine")
    _run([str(python310), "-m", "venv", str(tmp_path / "venv")], cwd=tmp_path)
    result = subprocess.run([str(tmp_path / "venv" / "bin" / "pip"), "install", "--no-deps", "--no-index", str(wheel)],
                            capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "requires a different Python" in result.stderr
