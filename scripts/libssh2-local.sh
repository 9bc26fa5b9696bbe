#!/bin/sh
# libssh2-local.sh — libssh2 >= 1.11 for netauto when the system's is older (Debian 12 ships
# 1.10, without rsa-sha2-256/512, strict key exchange or AES-GCM). Builds libssh2 1.11.x from
# Debian's own source package, fetched by apt itself from the Debian archive the machine already
# uses (deb.debian.org, suite trixie), verified through the archive's signed index, Debian's
# patches applied by dpkg-source; compiled as a static library against the system OpenSSL and
# zlib into DEPS/libssh2-<version>/ (one build, shared by build/ and build-asan/). On a system
# whose libssh2 is new enough it does nothing and the system library is used.
# Not a package manager: nothing but that one source package is downloaded, nothing is installed
# outside DEPS.
#
#   scripts/libssh2-local.sh build DEPS     build if needed (quiet; ~10 s), print nothing
#   scripts/libssh2-local.sh pcdir DEPS     print the pkg-config directory to put first on
#                                           PKG_CONFIG_PATH ("" = use the system libssh2)
# Needs (scripts/install-deps.sh installs them): apt, dpkg-dev (dpkg-source), cmake, a C
# compiler, libssl-dev, zlib1g-dev, pkg-config, debian-archive-keyring.
set -eu

MIN=1.11          # what netauto needs
SUITE=trixie      # the Debian release whose libssh2 is 1.11.x
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
MIRROR=${NETAUTO_DEBIAN_MIRROR:-http://deb.debian.org/debian}

cmd=${1:-}
DEPS=${2:-build/deps}
case "$cmd" in build|pcdir) ;; *) echo "usage: $0 build|pcdir DEPS" >&2; exit 2 ;; esac

system_ok() { pkg-config --atleast-version="$MIN" libssh2 2>/dev/null; }

# A finished local build: DEPS/libssh2-1.11.*/.done (the newest if several).
local_dir() {
    d=""
    for x in "$DEPS"/libssh2-1.1[1-9]*; do
        [ -f "$x/.done" ] && d=$x
    done
    echo "$d"
}

if [ "$cmd" = pcdir ]; then
    if system_ok; then echo ""; exit 0; fi
    d=$(local_dir)
    if [ -z "$d" ]; then
        echo "libssh2-local: no libssh2 >= $MIN (run scripts/install-deps.sh)" >&2
        exit 1
    fi
    echo "$(cd "$d" && pwd)/lib/pkgconfig"
    exit 0
fi

system_ok && exit 0
[ -n "$(local_dir)" ] && exit 0

mkdir -p "$DEPS"
DEPS=$(cd "$DEPS" && pwd)
# one build at a time (make and make asan may start together)
exec 9>"$DEPS/.libssh2.lock"
flock 9
[ -n "$(local_dir)" ] && exit 0

work="$DEPS/libssh2-src"
rm -rf "$work"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/src"
log="$DEPS/libssh2-build.log"
: >"$log"
fail() {
    echo "libssh2-local: $1 (log: $log)" >&2
    tail -n 15 "$log" | sed 's/^/    /' >&2
    exit 1
}
echo "deb-src [signed-by=$KEYRING] $MIRROR $SUITE main" >"$work/sources.list"
# apt with a private source list, index and cache: the machine's own apt state is untouched.
APT_OPTS="-o Dir::Etc::SourceList=$work/sources.list -o Dir::Etc::SourceParts=$work/none
 -o Dir::State::Lists=$work/lists -o Dir::Cache=$work/cache -o Debug::NoLocking=1"
[ "$(id -u)" -eq 0 ] && APT_OPTS="$APT_OPTS -o APT::Sandbox::User=root"
t0=$(date +%s)
echo "libssh2-local: system libssh2 is older than $MIN; building libssh2 from Debian's $SUITE source package into $DEPS"
# shellcheck disable=SC2086
apt-get -q $APT_OPTS update >>"$log" 2>&1 || fail "apt-get update of the $SUITE source index failed"
# shellcheck disable=SC2086
ver=$(apt-cache $APT_OPTS showsrc libssh2 2>>"$log" | sed -n 's/^Version: //p' | head -n 1)
case "$ver" in
1.1[1-9].*) ;;
*) fail "Debian $SUITE has no libssh2 >= $MIN (found '${ver:-nothing}')" ;;
esac
# shellcheck disable=SC2086
(cd "$work/src" && apt-get -q $APT_OPTS source "libssh2=$ver") >>"$log" 2>&1 ||
    fail "apt-get source libssh2=$ver failed"
up=${ver%%-*}
src="$work/src/libssh2-$up"
[ -f "$src/CMakeLists.txt" ] || fail "unexpected source layout in $work/src"
dest="$DEPS/libssh2-$up"
rm -rf "$dest" "$work/b"
# Debian's hardening flags; -fPIC because the programs are position-independent.
CFLAGS="$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
export CFLAGS
cmake -S "$src" -B "$work/b" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DBUILD_STATIC_LIBS=ON -DBUILD_EXAMPLES=OFF -DBUILD_TESTING=OFF -DCRYPTO_BACKEND=OpenSSL \
    -DENABLE_ZLIB_COMPRESSION=ON -DCMAKE_POSITION_INDEPENDENT_CODE=ON >>"$log" 2>&1 ||
    fail "cmake configuration failed"
make -C "$work/b" -j"$(nproc 2>/dev/null || echo 2)" libssh2_static >>"$log" 2>&1 || fail "build failed"
mkdir -p "$dest/lib/pkgconfig" "$dest/include"
cp "$work/b/src/libssh2.a" "$dest/lib/"
cp "$src"/include/*.h "$dest/include/"
cp "$src/COPYING" "$dest/"
cp "$work/src/libssh2_$ver.dsc" "$dest/" 2>/dev/null || true
cat >"$dest/lib/pkgconfig/libssh2.pc" <<EOF
# libssh2 $ver (Debian $SUITE source package), static, built by scripts/libssh2-local.sh
prefix=$dest
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: libssh2
Description: Library for SSH-based communication (static build for netauto)
Version: $up
Requires.private: libcrypto zlib
Libs: -L\${libdir} -lssh2 -lcrypto -lz
Cflags: -I\${includedir}
EOF
echo "$ver" >"$dest/.done"
rm -rf "$work"
echo "libssh2-local: libssh2 $ver built in $(($(date +%s) - t0)) s ($dest)"
