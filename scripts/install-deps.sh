#!/bin/sh
# install-deps.sh — installs every Debian package netauto needs to build, test, demo and bench
# on a fresh Debian 12 machine (apt-get, as root or through sudo). Does nothing when all are
# present. Not a package manager of its own: nothing is fetched from anywhere but Debian.
#
#   scripts/install-deps.sh          build + test + demo
#   scripts/install-deps.sh --bench  also what `make bench` needs
#   scripts/install-deps.sh --fuzz   also what `make fuzz` needs
#   scripts/install-deps.sh --check  exit 1 if anything is missing, install nothing
set -eu

BASE="build-essential pkg-config
libssh2-1-dev libtelnet-dev libyaml-dev libpcre2-dev libevent-dev libjansson-dev
libsqlite3-dev libssl-dev libssh-dev libcmocka-dev
python3 python3-netmiko python3-pexpect python3-paramiko python3-yaml python3-textfsm
telnet inetutils-telnetd openssh-server openssh-client
openssl iproute2 procps curl ca-certificates"
BENCH="hyperfine valgrind iproute2 python3-netmiko linux-perf"
FUZZ="clang libclang-rt-14-dev"

want="$BASE"
check=0
for a in "$@"; do
    case "$a" in
    --bench) want="$want $BENCH" ;;
    --fuzz) want="$want $FUZZ" ;;
    --check) check=1 ;;
    *) echo "install-deps: unknown option $a" >&2; exit 2 ;;
    esac
done

missing=""
for p in $want; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed"; then
        case " $missing " in *" $p "*) ;; *) missing="$missing $p" ;; esac
    fi
done
[ -z "$missing" ] && exit 0
if [ "$check" = 1 ]; then
    echo "install-deps: missing:$missing" >&2
    exit 1
fi

echo "install-deps: installing Debian packages:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-deps: need root (or sudo) to run apt-get install$missing" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
