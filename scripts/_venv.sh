# shellcheck shell=bash
# Shared by scripts/test and scripts/serve (sourced, not run): make sure .venv exists and holds
# the project, installed in editable mode with the given extras.
#
#   source scripts/_venv.sh
#   ensure_venv test        # or: ensure_venv ""   (no extras)
#   activate_venv
#
# The install is skipped when pyproject.toml is unchanged since the last successful install
# with those extras; the record lives in .venv/.omnigraph-installed.

OMNIGRAPH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV_DIR="$OMNIGRAPH_ROOT/.venv"
VENV_PYTHON="$VENV_DIR/bin/python"
INSTALL_STAMP="$VENV_DIR/.omnigraph-installed"

say() {
    printf '==> %s\n' "$*" >&2
}

die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

is_root() {
    [[ "$(id -u)" == 0 ]]
}

# Never prompts: CI runs without stdin. Errors still reach stderr.
apt_install() {
    local -x DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Debian ships venv's ensurepip in a separate package; python3 -m venv without it leaves a
# .venv with no pip.
python_can_make_venvs() {
    python3 -c 'import venv, ensurepip' 2>/dev/null
}

ensure_venv_module() {
    python_can_make_venvs && return 0
    local version
    version="$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
    if is_root && command -v apt-get >/dev/null; then
        say "python3 cannot create virtual environments; installing python3-venv with apt-get"
        apt_install python3-venv || die "apt-get could not install python3-venv"
        python_can_make_venvs && return 0
        apt_install "python${version}-venv" 2>/dev/null || true
        python_can_make_venvs && return 0
    fi
    die "python3 cannot create virtual environments (no venv/ensurepip module). On Debian or" \
        "Ubuntu run: sudo apt-get install python3-venv python${version}-venv"
}

# A venv without pip is what an interrupted or ensurepip-less "python3 -m venv" leaves behind.
venv_is_usable() {
    [[ -x "$VENV_PYTHON" && -x "$VENV_DIR/bin/pip" ]]
}

create_venv() {
    ensure_venv_module
    rm -rf "$VENV_DIR"
    say "creating $VENV_DIR"
    if ! python3 -m venv "$VENV_DIR"; then
        rm -rf "$VENV_DIR"
        die "python3 -m venv failed"
    fi
}

pyproject_hash() {
    sha256sum "$OMNIGRAPH_ROOT/pyproject.toml" | cut -d' ' -f1
}

# The stamp holds one line "<pyproject hash> <extras or ->" per install done since
# pyproject.toml last changed, so scripts/serve (no extras) and scripts/test ("test") do not
# undo each other's work.
install_is_current() {
    local extras="${1:--}" hash="$2" line_hash line_extras
    [[ -f "$INSTALL_STAMP" ]] || return 1
    while read -r line_hash line_extras; do
        [[ "$line_hash" == "$hash" ]] || continue
        [[ "$extras" == - || "$line_extras" == "$extras" ]] && return 0
    done <"$INSTALL_STAMP"
    return 1
}

record_install() {
    local extras="${1:--}" hash="$2" kept=""
    if [[ -f "$INSTALL_STAMP" ]]; then
        kept="$(grep -F "$hash " "$INSTALL_STAMP" || true)"
    fi
    printf '%s\n' ${kept:+"$kept"} "$hash $extras" | sort -u >"$INSTALL_STAMP.new"
    mv "$INSTALL_STAMP.new" "$INSTALL_STAMP"
}

install_project() {
    local extras="$1" target="$OMNIGRAPH_ROOT"
    if [[ -n "$extras" ]]; then
        target="${OMNIGRAPH_ROOT}[$extras]"
    fi
    say "installing omnigraph${extras:+[$extras]} into .venv (the first run downloads packages)"
    # -q keeps the success path silent; pip still prints errors. Extra index locations from
    # the user's pip configuration apply as usual.
    "$VENV_PYTHON" -m pip install -q -e "$target" || die "pip install failed (see above)"
}

# Another run in the same checkout (a second terminal, an editor hook) may be installing at
# the same moment; pip does not guard against that, so take a lock on this file while working.
with_install_lock() {
    local lock_fd status
    if command -v flock >/dev/null; then
        exec {lock_fd}<"${BASH_SOURCE[0]}"
        flock "$lock_fd"
        "$@"
        status=$?
        exec {lock_fd}<&-
        return "$status"
    fi
    "$@"
}

ensure_venv_unlocked() {
    local extras="${1:-}" hash started
    venv_is_usable || create_venv
    hash="$(pyproject_hash)"
    install_is_current "$extras" "$hash" && return 0
    started=$EPOCHSECONDS
    install_project "$extras"
    record_install "$extras" "$hash"
    say "installed in $((EPOCHSECONDS - started))s"
}

ensure_venv() {
    with_install_lock ensure_venv_unlocked "${1:-}"
}

# Put the venv's tools first on PATH for child processes (tests that start `omnigraph` or
# `alembic`), as `source .venv/bin/activate` would.
activate_venv() {
    export VIRTUAL_ENV="$VENV_DIR"
    export PATH="$VENV_DIR/bin:$PATH"
}
