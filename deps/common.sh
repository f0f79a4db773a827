# Shared by deps/*, qemu/* and test/run: where the cache lives and how to install Debian packages.
# Sourced, never run.

RDINIT_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RDINIT_CACHE=${RDINIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rdinit}
RDINIT_MUSL=$RDINIT_CACHE/musl          # prefix of the static musl archives
RDINIT_BUILD=${RDINIT_BUILD:-$RDINIT_TOP/build}

die() { printf '%s: %s\n' "${0##*/}" "$*" >&2; exit 1; }
say() { printf '==> %s\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Install the Debian packages named, only those missing, so a second run asks apt nothing.
need_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing ${missing[*]}"
	as_root apt-get update -qq || die "apt-get update failed"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
		|| die "unable to install ${missing[*]}"
}

# Everything rdinit's build, its image builder and its test bed use.
RDINIT_PACKAGES=(
	build-essential musl-tools meson ninja-build pkg-config
	dpkg-dev autoconf automake libtool autopoint gettext gtk-doc-tools bison flex
	libarchive-dev liblzma-dev liblz4-dev libkmod-dev kmod lvm2 busybox-static
	qemu-system-x86 e2fsprogs fdisk cpio file util-linux zstd xz-utils gzip python3
	clang libclang-rt-14-dev
)

# Configure (once) and build the meson tree: /init and the tests for musl, mkrdinit for the host.
build_rdinit() {
	"$RDINIT_TOP/deps/build"
	if [ ! -f "$RDINIT_BUILD/build.ninja" ]; then
		meson setup "$RDINIT_BUILD" "$RDINIT_TOP" --cross-file "$RDINIT_CACHE/musl-cross.ini" \
			--buildtype=minsize -Db_ndebug=true >/dev/null || die "meson setup failed"
	fi
	ninja -C "$RDINIT_BUILD" >/dev/null || { ninja -C "$RDINIT_BUILD"; die "build failed"; }
}
