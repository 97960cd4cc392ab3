# shellcheck shell=bash
# Helpers shared by scripts/demo and scripts/test; source it, do not run it.
#
# Environment knobs (all optional):
#   PYTHON                   the interpreter that imports odoo (default: python3)
#   TELEPHONY_PGDATA         data directory of the private PostgreSQL cluster
#   TELEPHONY_PGPORT         its port on 127.0.0.1 (default: the first free one from 55432 up)
#   TELEPHONY_DB_HOST        use an existing PostgreSQL server instead (PGHOST works too), with
#   TELEPHONY_DB_PORT/_USER/_PASSWORD (or PGPORT/PGUSER/PGPASSWORD)
#   TELEPHONY_EXTRA_ADDONS_PATH  comma-separated addons directories appended to Odoo's addons path

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
BUILD_DIR="$REPO_ROOT/.build"
LOG_DIR="$BUILD_DIR/logs"
ADDON_NAME=telephony
PYTHON="${PYTHON:-python3}"
# Odoo expects the server to run in UTC (odoo-bin sets it before anything imports time).
export TZ=UTC

mkdir -p "$LOG_DIR"

say() { printf '%s\n' "$*"; }
warn() { printf '%s\n' "$*" >&2; }
die() { warn "$*"; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

# ---------------------------------------------------------------------------------------------
# Python and Odoo
# ---------------------------------------------------------------------------------------------

# Prints nothing and returns 0 when Odoo 18.0 imports; otherwise prints one sentence saying
# what is missing and how to provide it, and returns 1.
odoo_problem() {
    local reason
    if reason="$("$PYTHON" - 2>/dev/null <<'EOF'
import sys
try:
    import odoo.release
except BaseException as exc:  # any failure to import is the answer we need
    print(f"{type(exc).__name__}: {exc}".splitlines()[0])
    sys.exit(1)
if odoo.release.serie != "18.0":
    print(f"found Odoo {odoo.release.version} instead")
    sys.exit(1)
try:
    import odoo.cli  # noqa: F401  # pulls in Odoo's own dependencies (psycopg2, werkzeug, ...)
except BaseException as exc:
    print(f"{type(exc).__name__}: {exc}".splitlines()[0])
    sys.exit(1)
EOF
)"; then
        return 0
    fi
    if ! command -v "$PYTHON" >/dev/null 2>&1; then
        reason="$PYTHON not found"
    fi
    say "Odoo 18.0 is not importable by $PYTHON (${reason:-unknown reason}): put an Odoo 18.0 source tree" \
        "on $PYTHON's path (pip install -e /path/to/odoo, or a .pth file) and install its requirements.txt;" \
        "it is not on PyPI."
    return 1
}

# Odoo's command line (odoo-bin); works with nothing but `import odoo`. Start background servers
# with "${ODOO_CMD[@]}" ... & so that $! is Odoo's own pid, not that of a subshell.
ODOO_CMD=("$PYTHON" -c 'import sys, odoo.cli; sys.argv[0] = "odoo"; odoo.cli.main()')
odoo_cli() { "${ODOO_CMD[@]}" "$@"; }

# The browser libraries of package.json (the softphone's SIP stack), installed with npm ci when the lock file
# is newer than what static/lib holds. Without npm the widget keeps desk phones and says why.
ensure_browser_libraries() {
    local installed="$REPO_ROOT/static/lib/sip.js/index.js"
    [ -f "$REPO_ROOT/package-lock.json" ] || return 0
    if [ -f "$installed" ] && [ "$installed" -nt "$REPO_ROOT/package-lock.json" ]; then
        return 0
    fi
    if ! command -v npm >/dev/null 2>&1; then
        say "npm is missing: the browser phone's SIP library is not installed (the widget keeps desk phones)."
        return 0
    fi
    say "Installing the browser libraries (npm ci)..."
    (cd "$REPO_ROOT" && npm ci --no-audit --no-fund --loglevel=error) >"$LOG_DIR/npm-ci.log" 2>&1 \
        || die "npm ci failed; see $LOG_DIR/npm-ci.log."
}

# Installs the requirements of FILE (and what it includes with -r) that are missing or too old.
ensure_requirements() {
    local file="$1" missing
    missing="$("$PYTHON" - "$file" <<'EOF'
import importlib.metadata
import pathlib
import sys

try:
    from packaging.requirements import Requirement
except ImportError:
    from pip._vendor.packaging.requirements import Requirement


def requirements(path):
    for line in pathlib.Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r"):
            yield from requirements(pathlib.Path(path).parent / line[2:].strip())
        elif line:
            yield Requirement(line)


for requirement in requirements(sys.argv[1]):
    try:
        version = importlib.metadata.version(requirement.name)
    except importlib.metadata.PackageNotFoundError:
        version = None
    if version is None or not requirement.specifier.contains(version, prereleases=True):
        print(requirement)
EOF
)" || die "Could not read $file with $PYTHON."
    [ -n "$missing" ] || return 0
    say "Installing missing Python packages: $(echo "$missing" | tr '\n' ' ')"
    "$PYTHON" -m pip install --quiet --disable-pip-version-check -r "$file" \
        || die "pip could not install the packages of $file into $PYTHON; install them yourself" \
               "($PYTHON -m pip install -r $file) and run this again."
}

# The addons path: the repository seen as `telephony`, Odoo's own addons, then any extras.
ADDONS_LINK_DIR="$BUILD_DIR/addons"
addons_path() {
    mkdir -p "$ADDONS_LINK_DIR"
    ln -sfn "$REPO_ROOT" "$ADDONS_LINK_DIR/$ADDON_NAME"
    local odoo_dirs
    odoo_dirs="$("$PYTHON" - <<'EOF'
import glob
import os

import odoo

dirs = []
for package_dir in odoo.__path__:
    for candidate in (os.path.join(package_dir, "addons"),
                      os.path.join(os.path.dirname(package_dir), "addons")):
        if glob.glob(os.path.join(candidate, "*", "__manifest__.py")) and candidate not in dirs:
            dirs.append(os.path.realpath(candidate))
print(",".join(dirs))
EOF
)"
    printf '%s' "$ADDONS_LINK_DIR,$odoo_dirs${TELEPHONY_EXTRA_ADDONS_PATH:+,$TELEPHONY_EXTRA_ADDONS_PATH}"
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL: a user-configured server, or a private cluster on 127.0.0.1
# ---------------------------------------------------------------------------------------------

# Sets DB_HOST, DB_PORT, DB_USER, DB_PASSWORD for Odoo and makes sure the server answers.
setup_database_server() {
    if [ -n "${TELEPHONY_DB_HOST:-${PGHOST:-}}" ]; then
        DB_HOST="${TELEPHONY_DB_HOST:-${PGHOST:-}}"
        DB_PORT="${TELEPHONY_DB_PORT:-${PGPORT:-5432}}"
        DB_USER="${TELEPHONY_DB_USER:-${PGUSER:-odoo}}"
        DB_PASSWORD="${TELEPHONY_DB_PASSWORD:-${PGPASSWORD:-}}"
        say "Using the configured PostgreSQL server $DB_USER@$DB_HOST:$DB_PORT."
        return 0
    fi
    DB_HOST=127.0.0.1
    DB_USER=odoo
    DB_PASSWORD=
    mkdir -p "$BUILD_DIR"
    # One script at a time sets the cluster up (demo and test may start together).
    exec 9>"$BUILD_DIR/postgresql.lock"
    flock 9
    start_private_cluster
    exec 9>&-
}

find_pg_bindir() {
    local initdb_path
    initdb_path="$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)"
    [ -n "$initdb_path" ] || initdb_path="$(command -v initdb || true)"
    [ -n "$initdb_path" ] && dirname "$(readlink -f "$initdb_path")"
}

# Runs a PostgreSQL server program as the cluster's owner (PostgreSQL refuses to run as root).
as_pg_owner() {
    if is_root; then
        (cd / && runuser -u postgres -- "$@")  # from /: the postgres user may not reach the cwd
    else
        "$@"
    fi
}

pg_data_dir() {
    if [ -n "${TELEPHONY_PGDATA:-}" ]; then
        printf '%s' "$TELEPHONY_PGDATA"
    elif ! is_root || runuser -u postgres -- test -x "$BUILD_DIR"; then
        printf '%s' "$BUILD_DIR/pgdata"
    else
        # The postgres user cannot reach the work tree: keep the cluster in /tmp, one per clone.
        printf '/tmp/telephony-pgdata-%s' "$(printf '%s' "$REPO_ROOT" | sha1sum | cut -c1-12)"
    fi
}

port_is_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# Prints the first port from $1 up that nothing on 127.0.0.1 listens on.
first_free_port() {
    local port="$1"
    while port_is_open 127.0.0.1 "$port"; do
        port=$((port + 1))
        [ "$port" -lt $(($1 + 100)) ] || die "No free port on 127.0.0.1 between $1 and $port."
    done
    printf '%s' "$port"
}

start_private_cluster() {
    local bindir pgdata pid running_port
    bindir="$(find_pg_bindir || true)"
    if [ -z "$bindir" ]; then
        is_root || die "PostgreSQL's server programs (initdb) are missing: install the postgresql package" \
                       "(apt-get install postgresql) or point TELEPHONY_DB_HOST at a running server."
        say "Installing PostgreSQL (apt-get install postgresql)..."
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
        bindir="$(find_pg_bindir)" || die "initdb is still missing after installing postgresql."
    fi
    if is_root && ! id postgres >/dev/null 2>&1; then
        useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
    pgdata="$(pg_data_dir)"

    if [ ! -s "$pgdata/PG_VERSION" ]; then
        say "Creating a private PostgreSQL cluster in $pgdata"
        mkdir -p "$pgdata"
        is_root && chown postgres: "$pgdata"
        chmod 700 "$pgdata"
        as_pg_owner "$bindir/initdb" --pgdata="$pgdata" --username=postgres --auth=trust \
            --encoding=UTF8 --locale=C >"$LOG_DIR/initdb.log" 2>&1 \
            || die "initdb failed for $pgdata; see $LOG_DIR/initdb.log."
        printf "\ninclude_if_exists = 'telephony.conf'\n" | as_pg_owner tee -a "$pgdata/postgresql.conf" >/dev/null
        # Trust, but only over loopback TCP: there is no Unix socket and no other interface.
        printf 'host all all 127.0.0.1/32 trust\n' | as_pg_owner tee "$pgdata/pg_hba.conf" >/dev/null
    fi
    # A postmaster.pid left by a crash or a reboot: the process it names is gone or is not ours.
    if [ -f "$pgdata/postmaster.pid" ]; then
        pid="$(head -n 1 "$pgdata/postmaster.pid")"
        if ! [ -r "/proc/$pid/comm" ] || [ "$(cat "/proc/$pid/comm")" != postgres ]; then
            say "Removing the stale $pgdata/postmaster.pid (process $pid is not a PostgreSQL server)."
            rm -f "$pgdata/postmaster.pid"
        fi
    fi

    # The port: the running cluster's own, unless TELEPHONY_PGPORT asks for another; when starting,
    # TELEPHONY_PGPORT or the first free port from 55432 up (another clone's cluster may hold 55432).
    if as_pg_owner "$bindir/pg_ctl" status --pgdata="$pgdata" >/dev/null 2>&1; then
        running_port="$(sed -n 4p "$pgdata/postmaster.pid")"
        if [ -n "${TELEPHONY_PGPORT:-}" ] && [ "$running_port" != "$TELEPHONY_PGPORT" ]; then
            say "Restarting PostgreSQL to move it from port $running_port to $TELEPHONY_PGPORT."
            as_pg_owner "$bindir/pg_ctl" stop --pgdata="$pgdata" --mode=fast --silent
        else
            DB_PORT="$running_port"
        fi
    fi
    if ! as_pg_owner "$bindir/pg_ctl" status --pgdata="$pgdata" >/dev/null 2>&1; then
        if [ -n "${TELEPHONY_PGPORT:-}" ]; then
            DB_PORT="$TELEPHONY_PGPORT"
            if port_is_open 127.0.0.1 "$DB_PORT"; then
                die "Port $DB_PORT on 127.0.0.1 is taken by another program: set TELEPHONY_PGPORT to a free port."
            fi
        else
            DB_PORT="$(first_free_port 55432)"
        fi
        # A throwaway development cluster: speed matters more than crash safety.
        printf '%s\n' "listen_addresses = '127.0.0.1'" "port = $DB_PORT" "unix_socket_directories = ''" \
            "fsync = off" "synchronous_commit = off" "full_page_writes = off" \
            | as_pg_owner tee "$pgdata/telephony.conf" >/dev/null
        say "Starting PostgreSQL on 127.0.0.1:$DB_PORT ($pgdata)"
        # 9>&-: the server must not inherit (and so keep holding) the setup lock.
        as_pg_owner "$bindir/pg_ctl" start --pgdata="$pgdata" --wait --timeout=60 --silent \
            --log="$pgdata/server.log" >/dev/null </dev/null 9>&- \
            || die "PostgreSQL did not start; see $pgdata/server.log."
    fi

    local psql=("$bindir/psql" -X -q -At -h 127.0.0.1 -p "$DB_PORT" -U postgres -d postgres)
    if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'")" != 1 ]; then
        "${psql[@]}" -c "CREATE ROLE $DB_USER LOGIN SUPERUSER" >/dev/null
    fi
}

# Drops database $1 (and its filestore) so that Odoo creates it afresh.
drop_database() {
    local name="$1"
    DB_HOST="$DB_HOST" DB_PORT="$DB_PORT" DB_USER="$DB_USER" DB_PASSWORD="$DB_PASSWORD" \
        "$PYTHON" - "$name" <<'EOF'
import os
import sys

import psycopg2
from psycopg2 import sql

connection = psycopg2.connect(
    host=os.environ["DB_HOST"], port=os.environ["DB_PORT"], user=os.environ["DB_USER"],
    password=os.environ["DB_PASSWORD"] or None, dbname="postgres",
)
connection.autocommit = True
with connection.cursor() as cursor:
    cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(sys.argv[1])))
connection.close()
EOF
    rm -rf "$BUILD_DIR/data/filestore/$name"
}

# Writes an Odoo configuration file: write_odoo_conf PATH HTTP_PORT [extra "key = value" lines...]
# and sets ADDONS_PATH.
write_odoo_conf() {
    local path="$1" http_port="$2" addons
    shift 2
    addons="$(addons_path)"
    # shellcheck disable=SC2034  # read by scripts/demo
    ADDONS_PATH="$addons"
    {
        printf '[options]\n'
        printf 'addons_path = %s\n' "$addons"
        printf 'data_dir = %s\n' "$BUILD_DIR/data"
        printf 'db_host = %s\n' "$DB_HOST"
        printf 'db_port = %s\n' "$DB_PORT"
        printf 'db_user = %s\n' "$DB_USER"
        printf 'db_password = %s\n' "${DB_PASSWORD:-False}"
        printf 'http_interface = 127.0.0.1\n'
        printf 'http_port = %s\n' "$http_port"
        printf 'workers = 0\n'
        printf '%s\n' "$@"
    } >"$path"
}
