#!/bin/bash
# tests/system/debian-packages.sh — the Debian packages (debian/) (TAP).
#
# Builds every binary package from the `make dist` file list with
# dpkg-buildpackage, once, then checks what they install without installing
# anything system-wide: the ferry package unpacked alone (dpkg -x into a
# scratch root) copies dir: and oci: images and names the package of a
# transport it lacks; unpacking ferry-transport-docker beside it makes
# docker:// work against a real registry. Each package depends only on the
# libraries its modules link (dpkg-shlibdeps), the transports on the exact
# ferry version (the module ABI); lintian reports no errors.
#
# Skips when dpkg-buildpackage or debhelper is missing or the build
# dependencies are not installed (.ci/run installs them all), and under a
# memory checker: the packages are built with Debian's flags, not the
# checker's, so a second run would test the same thing again.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/docker-lib.sh"

[ -n "${FERRY_SANITIZED:-}" ] && skip_all "the packages are built with Debian's flags: tested in the plain run only"
for tool in dpkg-buildpackage dpkg-deb dpkg-checkbuilddeps dh; do
    command -v "$tool" >/dev/null 2>&1 || skip_all "$tool not installed (Debian packages dpkg-dev, debhelper)"
done

# Make's jobserver of `make check` is not the package build's.
unset MAKEFLAGS MFLAGS MAKELEVEL

# ------------------------------------------------ the source, as `make dist` lists it
dist_tree "$T/build"
SRC=$DIST_TREE
# A debian/ file that Makefile.am's EXTRA_DIST misses would be silently
# absent from tarball builds.
if git -C "$SRCDIR" rev-parse --git-dir >/dev/null 2>&1; then
    is "every debian/ file of the checkout is in the tarball" "$(cd "$SRC" && find debian -type f | LC_ALL=C sort)" \
        "$(git -C "$SRCDIR" ls-files debian | LC_ALL=C sort)"
fi
is "debian/changelog's version is configure.ac's" "$(cd "$SRC" && dpkg-parsechangelog -SVersion)" "$VERSION"
(cd "$SRC" && dpkg-checkbuilddeps) >"$T/builddeps" 2>&1 ||
    skip_all "build dependencies missing: $(sed -n 's/.*Unmet build dependencies: //p' "$T/builddeps")"

# ------------------------------------------------ the build
# noopt (Debian policy's -O0): what is checked here is what the packages
# hold and that it runs, not the optimiser; and an unoptimised build links
# what the optimiser's inlining can hide (libm's floor(), once missing).
if (cd "$SRC" && DEB_BUILD_OPTIONS="nocheck noopt parallel=2" timeout 3600 dpkg-buildpackage -us -uc -b) \
    >"$T/build.log" 2>&1; then
    ok "dpkg-buildpackage -us -uc -b"
else
    not_ok "dpkg-buildpackage -us -uc -b" "$(tail -n 30 "$T/build.log")"
    finish
fi

ARCH=$(dpkg --print-architecture)
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
PACKAGES="ferry ferry-transport-docker ferry-transport-archives ferry-transport-docker-daemon
    ferry-transport-containers-storage ferry-transport-ostree ferry-transport-sif libferry-transport-dev"
deb() { echo "$T/build/${1}_${VERSION}_$ARCH.deb"; }
for p in $PACKAGES; do
    if [ -f "$(deb "$p")" ]; then
        ok "built $p"
        diag "$p: Installed-Size $(dpkg-deb -f "$(deb "$p")" Installed-Size) KiB; Depends: $(dpkg-deb -f "$(deb "$p")" Depends)"
    else
        not_ok "built $p" "$(ls "$T/build")"
    fi
done
# debhelper adds a -dbgsym package of detached debug symbols per package with ELF files.
is "nothing else built" "$(cd "$T/build" && ls -- *.deb | sed 's/_.*//' | grep -v -- '-dbgsym$' | sort | tr '\n' ' ')" \
    "$(echo $PACKAGES | tr ' ' '\n' | sort | tr '\n' ' ')"

# ------------------------------------------------ contents
MODDIR="usr/lib/$MULTIARCH/ferry/transports"
contents() { dpkg-deb -c "$(deb "$1")" | awk '{print $6}' | grep -v '/$' | sed 's|^\./||' | grep -v '^usr/share/doc/'; }
is "ferry: the executable, the dir and oci modules, the man pages and the completions" \
    "$(contents ferry | grep -v '^usr/share/man/' | sort | tr '\n' ' ')" \
    "usr/bin/ferry $MODDIR/dir.so $MODDIR/oci.so usr/share/bash-completion/completions/ferry usr/share/zsh/vendor-completions/_ferry "
is "ferry: a man page for ferry and for each of its 12 commands" "$(contents ferry | grep -c '^usr/share/man/man1/ferry.*\.1\.gz$')" 13
is "ferry-transport-docker: docker.so" "$(contents ferry-transport-docker)" "$MODDIR/docker.so"
is "ferry-transport-archives: docker-archive.so, oci-archive.so and tarball.so" \
    "$(contents ferry-transport-archives | sort | tr '\n' ' ')" "$MODDIR/docker-archive.so $MODDIR/oci-archive.so $MODDIR/tarball.so "
for t in docker-daemon containers-storage ostree sif; do
    is "ferry-transport-$t: $t.so" "$(contents "ferry-transport-$t")" "$MODDIR/$t.so"
done
contents libferry-transport-dev >"$T/dev.list"
dpkg-deb -c "$(deb libferry-transport-dev)" | awk '{print $6}' >"$T/dev.all"
for f in usr/include/ferry/abi.h usr/include/ferry/transport.h "usr/lib/$MULTIARCH/pkgconfig/ferry-transport.pc"; do
    check "libferry-transport-dev: $f" grep -qx "$f" "$T/dev.list"
done
check "libferry-transport-dev: ferry-transport(7)" grep -qx usr/share/man/man7/ferry-transport.7.gz "$T/dev.list"
check "libferry-transport-dev: the plugin guide" grep -qE '^\./usr/share/doc/libferry-transport-dev/plugin-abi\.md(\.gz)?$' "$T/dev.all"
for p in $PACKAGES; do dpkg-deb -c "$(deb "$p")"; done >"$T/all.list"
is "no libtool .la file in any package" "$(grep '\.la$' "$T/all.list")" ""

# ------------------------------------------------ dependencies (dpkg-shlibdeps)
# depends PACKAGE: its Depends, one package name per line.
depends() { dpkg-deb -f "$(deb "$1")" Depends | tr ',|' '\n\n' | sed 's/^ *//; s/ .*//' | sort -u; }
# depends_on DESC PACKAGE REGEX [REGEX...]: each matches a Depends entry.
# not_depends_on DESC PACKAGE REGEX: none matches.
depends_on() {
    local desc=$1 p=$2 re; shift 2
    for re; do
        depends "$p" | grep -qE "^($re)\$" || { not_ok "$desc" "Depends: $(dpkg-deb -f "$(deb "$p")" Depends)"; return; }
    done
    ok "$desc"
}
not_depends_on() {
    if depends "$2" | grep -qE "^($3)\$"; then not_ok "$1" "Depends: $(dpkg-deb -f "$(deb "$2")" Depends)"; else ok "$1"; fi
}
CURL='libcurl[0-9]*(-openssl|-gnutls|-nss)?'
for p in $PACKAGES; do
    case $p in ferry-transport-*)
        is "$p depends on exactly this ferry (the module ABI)" \
            "$(dpkg-deb -f "$(deb "$p")" Depends | tr ',' '\n' | sed 's/^ *//' | grep '^ferry ')" "ferry (= $VERSION)" ;;
    esac
done
depends_on "ferry depends on the core's libraries" ferry 'libc6' 'libjansson4' 'libgpgme11' 'libltdl7' 'libzstd1'
not_depends_on "ferry does not depend on libcurl, libarchive or libostree" ferry "$CURL|libarchive[0-9]*|libostree-.*"
depends_on "ferry-transport-docker depends on libcurl" ferry-transport-docker "$CURL"
not_depends_on "ferry-transport-docker does not depend on libostree or libarchive" ferry-transport-docker \
    'libostree-.*|libarchive[0-9]*'
depends_on "ferry-transport-archives depends on libarchive" ferry-transport-archives 'libarchive[0-9]*'
not_depends_on "ferry-transport-archives does not depend on libcurl or libostree" ferry-transport-archives \
    "$CURL|libostree-.*"
depends_on "ferry-transport-docker-daemon depends on libcurl and libarchive" ferry-transport-docker-daemon \
    "$CURL" 'libarchive[0-9]*'
not_depends_on "ferry-transport-docker-daemon does not depend on libostree" ferry-transport-docker-daemon 'libostree-.*'
depends_on "ferry-transport-containers-storage depends on libarchive" ferry-transport-containers-storage 'libarchive[0-9]*'
not_depends_on "ferry-transport-containers-storage does not depend on libcurl or libostree" \
    ferry-transport-containers-storage "$CURL|libostree-.*"
depends_on "ferry-transport-ostree depends on libostree" ferry-transport-ostree 'libostree-.*'
not_depends_on "ferry-transport-ostree does not depend on libcurl" ferry-transport-ostree "$CURL"

# ------------------------------------------------ ferry alone
ROOT="$T/root"
dpkg -x "$(deb ferry)" "$ROOT"
# The unpacked ferry looks in its compiled-in /usr/lib/MULTIARCH/ferry/transports
# too: a ferry installed on this machine would answer for docker.
if [ -e "/$MODDIR/docker.so" ]; then
    skip_all "/$MODDIR/docker.so is installed on this machine: a ferry alone cannot be tested here"
fi
# pkg-ferry ARGS...: the unpacked ferry, with the unpacked modules.
printf '#!/bin/sh\nFERRY_TRANSPORT_PATH="%s" exec "%s" --policy "%s" "$@"\n' "$ROOT/$MODDIR" "$ROOT/usr/bin/ferry" \
    "$POLICY" >"$T/bin/pkg-ferry"
chmod +x "$T/bin/pkg-ferry"
run pkg-ferry inspect docker://127.0.0.1:5000/x
is "ferry alone: inspect docker://: exit 1" "$RC" 1
stderr_one_line "ferry alone: inspect docker:// names the package to install" \
    "transport docker is not installed (package ferry-transport-docker)"
run pkg-ferry inspect "oci-archive:$T/nosuch.tar"
is "ferry alone: inspect oci-archive:: exit 1" "$RC" 1
stderr_one_line "ferry alone: inspect oci-archive: names the package to install" \
    "transport oci-archive is not installed (package ferry-transport-archives)"
mkimage --layers 2 "$T/img/d" >/dev/null || { echo "Bail out! mkimage failed"; exit 1; }
run_ok "ferry alone: copy dir: to oci:" pkg-ferry copy -q "dir:$T/img/d" "oci:$T/w/o:t"
run_ok "ferry alone: the oci: image is complete" checkimage verify oci "$T/w/o:t" --diffids

# ------------------------------------------------ with ferry-transport-docker
dpkg -x "$(deb ferry-transport-docker)" "$ROOT"
run pkg-ferry inspect docker://127.0.0.1:1/x:t
is "with ferry-transport-docker: inspect of an unreachable registry: exit 1" "$RC" 1
stderr_one_line "with ferry-transport-docker: the error is the registry's, not a missing transport" \
    "docker://127.0.0.1:1/x:t"
is "with ferry-transport-docker: no 'not installed'" "$(grep 'not installed' "$T/err")" ""
start_registry reg
R="127.0.0.1:$REG_PORT"
run_ok "with ferry-transport-docker: copy oci: to docker://" \
    pkg-ferry copy -q --dest-tls-verify=false "oci:$T/w/o:t" "docker://$R/pkg/x:t"
run_ok "with ferry-transport-docker: copy docker:// to dir:" \
    pkg-ferry copy -q --src-tls-verify=false "docker://$R/pkg/x:t" "dir:$T/w/back"
run_ok "with ferry-transport-docker: the dir: image is complete" checkimage verify dir "$T/w/back" --diffids
is "with ferry-transport-docker: the same manifest went round" \
    "$(checkimage verify dir "$T/w/back" --print digest)" "$(checkimage verify oci "$T/w/o:t" --print digest || echo none)"
run pkg-ferry inspect "docker-archive:$T/nosuch.tar"
stderr_one_line "with ferry-transport-docker: docker-archive: still names its package" \
    "transport docker-archive is not installed (package ferry-transport-archives)"

# ------------------------------------------------ every module loads
for p in ferry-transport-archives ferry-transport-docker-daemon ferry-transport-containers-storage \
    ferry-transport-ostree; do
    dpkg -x "$(deb "$p")" "$ROOT"
done
run pkg-ferry list-transports
is "all packages unpacked: list-transports exits 0" "$RC" 0
for t in dir oci docker oci-archive docker-archive docker-daemon containers-storage ostree; do
    check "all packages unpacked: list-transports shows $t from the unpacked tree" \
        grep -qE "^$t[[:space:]].*$ROOT/$MODDIR/" "$T/out"
done

# ------------------------------------------------ libferry-transport-dev: a module built against it
# The example module, from the package's examples, compiled with the
# package's headers and ferry-transport.pc only (moved below the scratch root).
dpkg -x "$(deb libferry-transport-dev)" "$ROOT"
cp -r "$ROOT/usr/share/doc/libferry-transport-dev/examples/hello-transport" "$T/hello"
if PKG_CONFIG_PATH="$ROOT/usr/lib/$MULTIARCH/pkgconfig" make -C "$T/hello" \
    PKG_CONFIG="pkg-config --define-variable=prefix=$ROOT/usr" hello.so >"$T/hello.log" 2>&1; then
    ok "libferry-transport-dev: the example module builds with the packaged headers"
else
    not_ok "libferry-transport-dev: the example module builds with the packaged headers" "$(tail -n 10 "$T/hello.log")"
fi
FERRY_TRANSPORT_PATH="$T/hello:$ROOT/$MODDIR" run "$ROOT/usr/bin/ferry" --policy "$POLICY" inspect hello:latest
is "libferry-transport-dev: the packaged ferry loads the example module" "$RC" 0
check "libferry-transport-dev: the example module inspects its image" grep -q Digest "$T/out"

# ------------------------------------------------ lintian
if command -v lintian >/dev/null 2>&1; then
    CHANGES="$T/build/ferry_${VERSION}_$ARCH.changes"
    lintian --fail-on none "$CHANGES" >"$T/lintian" 2>&1
    diag "lintian: $(grep -c '^[EWIP]:' "$T/lintian") tags"
    grep '^W:' "$T/lintian" | while IFS= read -r l; do diag "$l"; done
    is "lintian: no errors" "$(grep '^E:' "$T/lintian")" ""
else
    skip "lintian: no errors" "lintian not installed"
fi

finish
