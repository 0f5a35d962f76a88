#!/usr/bin/env bash
# Issue 10: the hook, operator and DAG tests against one supported Airflow minor version.
#
#   scripts/test_compat.sh 3.1|3.2|3.3 [pytest args...]
#
# Builds (or reuses) .venv-compat-VERSION from that version's pins (constraints-airflow-3.1.txt,
# constraints-airflow-3.2.txt; 3.3 is the main constraints.txt), installs the provider into it as a
# user would (a normal, non-editable install of a copy of this checkout, so nothing is written into
# the work tree), and runs the tests from a directory that holds tests/ and dags/ but not the package,
# so that what is tested is the installed provider.
#
# Environment: PYTHON (default python3.11, else python3), COMPAT_VENV (default .venv-compat-VERSION), COMPAT_WORKERS
# (pytest-xdist workers, default two per core; 0: one process),
# COMPAT_TESTS (default: the hook, operator, DAG, provider-info and compat tests).
set -euo pipefail

usage() { echo "usage: $0 3.1|3.2|3.3 [pytest args...]" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
VERSION="$1"; shift
REPO="$(cd "$(dirname "$0")/.." && pwd)"

case "$VERSION" in
    3.1 | 3.2) CONSTRAINTS="$REPO/constraints-airflow-$VERSION.txt" ;;
    3.3) CONSTRAINTS="$REPO/constraints.txt" ;;
    *) usage ;;
esac
[[ -f "$CONSTRAINTS" ]] || { echo "missing $CONSTRAINTS" >&2; exit 2; }
AIRFLOW_PIN="$(grep -E '^apache-airflow==' "$CONSTRAINTS" | head -n 1)"
[[ "$AIRFLOW_PIN" == "apache-airflow==$VERSION."* ]] || { echo "$CONSTRAINTS does not pin Airflow $VERSION.x" >&2; exit 2; }

PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
VENV="${COMPAT_VENV:-$REPO/.venv-compat-$VERSION}"
PY="$VENV/bin/python"
STAMP="$VENV/.installed"
PIP=("$PY" -m pip --disable-pip-version-check --quiet)

# 1. The venv: every package at its pin, rebuilt when the pins change.
if [[ ! -f "$STAMP" || "$CONSTRAINTS" -nt "$STAMP" ]]; then
    start=$SECONDS
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    printf '*\n' > "$VENV/.gitignore"   # a venv inside the checkout stays out of git
    "${PIP[@]}" install -r "$CONSTRAINTS"
    touch "$STAMP"
    echo "test-compat $VERSION: venv built from $(basename "$CONSTRAINTS") in $((SECONDS - start))s"
fi

# 2. The provider, installed from a copy of the checkout (tracked and new files, nothing ignored).
WORK="$(mktemp -d "${TMPDIR:-/tmp}/zoom-compat-$VERSION.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir "$WORK/src" "$WORK/run"
if git -C "$REPO" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$REPO" && git ls-files -z --cached --others --exclude-standard \
        | xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh \
        | tar --null -T - -cf -) | tar -xf - -C "$WORK/src"
else
    tar -C "$REPO" --exclude='./.venv*' --exclude=./.git --exclude='*.egg-info' --exclude=./build \
        --exclude=__pycache__ -cf - . | tar -xf - -C "$WORK/src"
fi
start=$SECONDS
"${PIP[@]}" install --no-deps --force-reinstall "$WORK/src" "$WORK/src/emulator"
echo "test-compat $VERSION: provider installed in $((SECONDS - start))s"

# 3. The tests, run beside the DAG folder but away from the package source.
cp -r "$WORK/src/tests" "$WORK/src/dags" "$WORK/src/setup.cfg" "$WORK/run/"
read -r -a TESTS <<< "${COMPAT_TESTS:-tests/hooks tests/operators tests/dags tests/test_provider_info.py tests/compat}"
cd "$WORK/run"
"$PY" - <<'EOF'
import airflow_provider_zoom, importlib.metadata as md
assert "site-packages" in airflow_provider_zoom.__file__, airflow_provider_zoom.__file__
print(f"test-compat: Airflow {md.version('apache-airflow')}, task SDK {md.version('apache-airflow-task-sdk')}, "
      f"provider {md.version('airflow-provider-zoom')} from {airflow_provider_zoom.__file__}")
EOF
start=$SECONDS
set +e
# Two workers per core, as make test (COMPAT_WORKERS=0: one process).
WORKERS="${COMPAT_WORKERS:-$("$PY" -c 'import os; print(2 * (os.cpu_count() or 1))')}"
AIRFLOW__CORE__LOAD_EXAMPLES=False "$PY" -m pytest -p no:cacheprovider -n "$WORKERS" --dist worksteal \
    "${TESTS[@]}" "$@"
rc=$?
set -e
echo "test-compat $VERSION: tests took $((SECONDS - start))s (exit $rc)"
exit $rc
