#!/bin/bash
# tests/system/rpm-spec.sh — the RPM spec file (ferry.spec.in) (TAP).
#
# Builds the RPMs the way a Fedora packager would, `rpmbuild -ta` on the
# `make dist` tarball, with Debian's rpm: --nodeps, since the BuildRequires
# name Fedora's packages (their -dev equivalents are what the suite's build
# already uses), and no debuginfo subpackage (Debian's rpm has no
# find-debuginfo). Then checks the split as debian-packages.sh does: which
# files each package has, that rpm's dependency generator gives each
# transport the libraries its module links and no other, and that every
# transport requires this very ferry (the module ABI). rpmlint (when
# installed) must report no errors on the spec file; its checks of the
# binary RPMs are not run, since Debian's rpmlint configuration is not
# Fedora's (it requires Packager and Group tags, which Fedora forbids or
# drops, and signatures).
#
# Skips when rpmbuild is missing (Debian package rpm) and under a memory
# checker (the RPMs are built with rpm's flags, not the checker's).
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"

[ -n "${FERRY_SANITIZED:-}" ] && skip_all "the RPMs are built with rpm's flags: tested in the plain run only"
command -v rpmbuild >/dev/null 2>&1 || skip_all "rpmbuild not installed (Debian package rpm)"
unset MAKEFLAGS MFLAGS MAKELEVEL

dist_tree "$T/dist"
DIST=$DIST_TREE
tar -C "$T/dist" -czf "$T/ferry-$VERSION.tar.gz" "ferry-$VERSION"
is "the tarball's ferry.spec has configure's version" "$(sed -n 's/^Version: *//p' "$DIST/ferry.spec")" "$VERSION"

TOP="$T/rpm"
# optflags -O0: what is checked is the split and that it runs, not the
# optimiser (debian-packages.sh builds with noopt, for the same reasons).
if timeout 3600 rpmbuild -ta --nodeps --define "_topdir $TOP" --define 'debug_package %{nil}' --define 'optflags -O0' \
    --define '_smp_mflags -j2' "$T/ferry-$VERSION.tar.gz" >"$T/build.log" 2>&1; then
    ok "rpmbuild -ta ferry-$VERSION.tar.gz"
else
    not_ok "rpmbuild -ta ferry-$VERSION.tar.gz" "$(tail -n 30 "$T/build.log")"
    finish
fi

ARCH=$(rpm --eval '%_arch')
LIBDIR=$(rpm --eval '%_libdir')
MODDIR="$LIBDIR/ferry/transports"
PACKAGES="ferry ferry-transport-docker ferry-transport-archives ferry-transport-docker-daemon
    ferry-transport-containers-storage ferry-transport-ostree ferry-transport-sif ferry-devel"
rpmfile() { echo "$TOP/RPMS/$ARCH/$1-$VERSION-1.$ARCH.rpm"; }
for p in $PACKAGES; do
    if [ -f "$(rpmfile "$p")" ]; then ok "built $p"; else not_ok "built $p" "$(ls "$TOP/RPMS/$ARCH")"; fi
done

# files PACKAGE: its regular files, outside the documentation (not the
# directories, nor rpm's /usr/lib/.build-id symbolic links).
files() { rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$(rpmfile "$1")" |
    awk '$1 ~ /^-/ {print $2}' | grep -v '^/usr/share/\(doc\|licenses\)/' | sort | tr '\n' ' '; }
is "ferry: the executable, the dir and oci modules and the completions" "$(files ferry | tr ' ' '\n' | grep -v '^/usr/share/man/' | tr '\n' ' ')" \
    "/usr/bin/ferry $MODDIR/dir.so $MODDIR/oci.so /usr/share/bash-completion/completions/ferry /usr/share/zsh/site-functions/_ferry "
is "ferry: a man page for ferry and for each of its 12 commands" "$(files ferry | tr ' ' '\n' | grep -cE '^/usr/share/man/man1/ferry.*\.1(\.(gz|bz2|xz|zst))?$')" 13
is "ferry-transport-docker: docker.so" "$(files ferry-transport-docker)" "$MODDIR/docker.so "
is "ferry-transport-archives: docker-archive.so, oci-archive.so and tarball.so" "$(files ferry-transport-archives)" \
    "$MODDIR/docker-archive.so $MODDIR/oci-archive.so $MODDIR/tarball.so "
for t in docker-daemon containers-storage ostree sif; do
    is "ferry-transport-$t: $t.so" "$(files "ferry-transport-$t")" "$MODDIR/$t.so "
done
check "ferry-devel: the headers and ferry-transport.pc" sh -c \
    "rpm -qpl '$(rpmfile ferry-devel)' | grep -qx /usr/include/ferry/transport.h &&
     rpm -qpl '$(rpmfile ferry-devel)' | grep -qx '$LIBDIR/pkgconfig/ferry-transport.pc'"

# requires PACKAGE: what rpm's generator and the spec made it require.
requires() { rpm -qp --requires "$(rpmfile "$1")" 2>/dev/null; }
has_require() {
    if requires "$2" | grep -qE "$3"; then ok "$1"; else not_ok "$1" "$(requires "$2" | tr '\n' ' ')"; fi
}
lacks_require() {
    if requires "$2" | grep -qE "$3"; then not_ok "$1" "$(requires "$2" | grep -E "$3" | tr '\n' ' ')"; else ok "$1"; fi
}
for p in $PACKAGES; do
    case $p in ferry-transport-*)
        has_require "$p requires exactly this ferry (the module ABI)" "$p" "^ferry\\(.*\\) = $VERSION-1\$" ;;
    esac
done
has_require "ferry requires the core's libraries" ferry '^libjansson\.so'
lacks_require "ferry requires neither libcurl, libarchive nor libostree" ferry '^lib(curl|archive|ostree)'
has_require "ferry-transport-docker requires libcurl" ferry-transport-docker '^libcurl\.so'
lacks_require "ferry-transport-docker requires neither libostree nor libarchive" ferry-transport-docker \
    '^lib(ostree|archive)'
has_require "ferry-transport-archives requires libarchive" ferry-transport-archives '^libarchive\.so'
lacks_require "ferry-transport-archives requires neither libcurl nor libostree" ferry-transport-archives '^lib(curl|ostree)'
has_require "ferry-transport-ostree requires libostree" ferry-transport-ostree '^libostree-1\.so'
lacks_require "ferry-transport-ostree does not require libcurl" ferry-transport-ostree '^libcurl'
lacks_require "ferry-transport-containers-storage requires neither libcurl nor libostree" \
    ferry-transport-containers-storage '^lib(curl|ostree)'

if command -v rpmlint >/dev/null 2>&1; then
    rpmlint "$DIST/ferry.spec" >"$T/rpmlint" 2>&1
    diag "rpmlint ferry.spec: $(tail -n 1 "$T/rpmlint")"
    is "rpmlint ferry.spec: no errors" "$(grep -E '^[^ ]+: E: ' "$T/rpmlint")" ""
else
    skip "rpmlint ferry.spec: no errors" "rpmlint not installed"
fi

finish
