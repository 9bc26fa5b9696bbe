#!/bin/sh
# install-deps.sh — installs every Debian package netauto needs to build, test, demo and bench
# on a fresh Debian 12 machine (apt-get, as root or through sudo). Does nothing when all are
# present. Not a package manager of its own: nothing is fetched from anywhere but Debian.
# When the system's libssh2 is older than 1.11 (Debian 12), it then builds libssh2 1.11 from
# Debian's source package into $NETAUTO_DEPS (default build/deps): scripts/libssh2-local.sh.
#
#   scripts/install-deps.sh          build + test + demo
#   scripts/install-deps.sh --bench  also what `make bench` needs
#   scripts/install-deps.sh --fuzz   also what `make fuzz` needs
#   scripts/install-deps.sh --deb    also what `make deb` needs
#   scripts/install-deps.sh --check  exit 1 if anything is missing, install nothing
set -eu

# (chromium + chromium-driver: the web page's end-to-end test, tests/e2e/test_ui_web.py)
BASE="build-essential pkg-config
libssh2-1-dev libtelnet-dev libyaml-dev libpcre2-dev libevent-dev libjansson-dev
libsqlite3-dev libssl-dev libssh-dev libcmocka-dev
python3 python3-netmiko python3-pexpect python3-paramiko python3-yaml ansible-core python3-textfsm
telnet inetutils-telnetd openssh-server openssh-client
openssl iproute2 procps curl ca-certificates man-db
chromium chromium-driver"
# to build libssh2 1.11 from Debian's source package when the system's is older
LIBSSH2_BUILD="cmake dpkg-dev zlib1g-dev libssl-dev debian-archive-keyring"
BENCH="hyperfine valgrind iproute2 python3-netmiko linux-perf"
FUZZ="clang libclang-rt-14-dev"
DEB="debhelper dpkg-dev fakeroot lintian"

want="$BASE"
check=0
for a in "$@"; do
    case "$a" in
    --bench) want="$want $BENCH" ;;
    --fuzz) want="$want $FUZZ" ;;
    --deb) want="$want $DEB" ;;
    --check) check=1 ;;
    *) echo "install-deps: unknown option $a" >&2; exit 2 ;;
    esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEPS=${NETAUTO_DEPS:-$ROOT/build/deps}
old_libssh2() { ! pkg-config --atleast-version=1.11 libssh2 2>/dev/null; }

missing_of() { # packages of "$@" not installed
    m=""
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed"; then
            case " $m " in *" $p "*) ;; *) m="$m $p" ;; esac
        fi
    done
    echo "$m"
}

install_pkgs() { # apt-get install "$@" as root, or through sudo
    echo "install-deps: installing Debian packages: $*"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            SUDO="sudo"
        else
            echo "install-deps: need root (or sudo) to run apt-get install $*" >&2
            exit 1
        fi
    fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -q --no-install-recommends "$@"
}

# shellcheck disable=SC2086
missing=$(missing_of $want)
if [ -n "$missing" ]; then
    if [ "$check" = 1 ]; then
        echo "install-deps: missing:$missing" >&2
        exit 1
    fi
    # shellcheck disable=SC2086
    install_pkgs $missing
fi

# libssh2 >= 1.11: the system's, or built from Debian's source package (known only now that
# pkg-config and libssh2-1-dev are installed).
old_libssh2 || exit 0
if [ "$check" = 1 ]; then
    [ -n "$("$ROOT/scripts/libssh2-local.sh" pcdir "$DEPS" 2>/dev/null)" ] && exit 0
    echo "install-deps: missing: libssh2 >= 1.11 (built into $DEPS by this script)" >&2
    exit 1
fi
# shellcheck disable=SC2086
missing=$(missing_of $LIBSSH2_BUILD)
# shellcheck disable=SC2086
[ -n "$missing" ] && install_pkgs $missing
exec "$ROOT/scripts/libssh2-local.sh" build "$DEPS"
