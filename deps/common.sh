# Shared by deps/*, qemu/* and test/run: where the cache lives and how to install Debian packages.
# Sourced, never run.

RDINIT_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RDINIT_CACHE=${RDINIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rdinit}
RDINIT_BUILD=${RDINIT_BUILD:-$RDINIT_TOP/build}
# Prefix of the static musl archives, and the meson cross file that points at it (one per prefix, so a
# second prefix, e.g. RDINIT_MUSL=~/.cache/rdinit/musl-test, leaves the default one alone). A build
# tree keeps the prefix it was set up with (meson keeps its cross file): unless RDINIT_MUSL says
# otherwise (and build_rdinit refuses a different one), that one, so that a test running qemu/prepare
# in it builds there too.
if [ -z "${RDINIT_MUSL:-}" ] && [ -f "$RDINIT_BUILD/.rdinit-musl" ]; then
	RDINIT_MUSL=$(cat "$RDINIT_BUILD/.rdinit-musl")
fi
RDINIT_MUSL=${RDINIT_MUSL:-$RDINIT_CACHE/musl}
RDINIT_CROSS=$RDINIT_MUSL-cross.ini

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
	# apt and dpkg talk on stdout ("Selecting previously unselected package ..."), and callers such as
	# qemu/prepare print assignments there for eval: everything they say goes to stderr.
	as_root apt-get update -qq >&2 || die "apt-get update failed"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
		|| die "unable to install ${missing[*]}"
}

# The Debian archive this machine uses ($1: main or security), for the private apt configurations below.
debian_mirror() {
	local uri
	uri=$(apt-get indextargets --format '$(REPO_URI) $(SUITE)' 2>/dev/null |
		awk -v want="$1" '($2 ~ /-security$/) == (want == "security") { print $1; exit }')
	[ -n "$uri" ] || uri=http://deb.debian.org/debian$([ "$1" = security ] && echo -security)/
	echo "$uri"
}

# apt for one Debian suite (bookworm, trixie), whatever this machine's own sources say: a sources list,
# package lists and an archive cache of its own under $RDINIT_CACHE/apt/SUITE, which this machine's apt
# never reads. Sets the array APT_SUITE_OPTS for apt-get and apt-cache; fetches the lists the first time
# (or with --update); returns 1 when that fails. Only the indexes of main are used, unless COMPONENT (third
# argument: non-free-firmware, for the CPU microcode) names another: then only that one's, in a folder of its
# own, $RDINIT_CACHE/apt/SUITE-COMPONENT.
apt_suite() {
	local suite=$1 update=${2:-} component=${3:-main} dir mirror security
	dir=$RDINIT_CACHE/apt/$suite
	[ "$component" = main ] || dir=$dir-$component
	APT_SUITE_OPTS=(
		-o Dir::Etc::sourcelist="$dir/sources.list" -o Dir::Etc::sourceparts=-
		-o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache" -o Dir::Cache::archives="$dir/archives"
		-o Dir::Etc::preferences=/dev/null -o Dir::Etc::preferencesparts="$dir/preferences.d"
		# As root apt downloads as _apt, which cannot write into a private cache.
		-o APT::Sandbox::User=root -o APT::Get::List-Cleanup=false
	)
	if [ ! -s "$dir/sources.list" ]; then
		mirror=$(debian_mirror main) security=$(debian_mirror security)
		mkdir -p "$dir/lists/partial" "$dir/cache" "$dir/archives/partial" "$dir/preferences.d"
		cat >"$dir/sources.list.new" <<LIST
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite $component
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite $component
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite-updates $component
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $security $suite-security $component
LIST
		mv -f "$dir/sources.list.new" "$dir/sources.list"
		update=--update
	fi
	if [ "$update" = --update ] || ! ls "$dir/lists/"*_"$suite"_InRelease >/dev/null 2>&1; then
		say "fetching the package lists of Debian $suite $component (private apt configuration in $dir)"
		apt-get "${APT_SUITE_OPTS[@]}" update -qq >&2 || { say "unable to fetch the package lists of Debian $suite $component"; return 1; }
	fi
}

# Everything rdinit's build, its image builder and its test bed use.
RDINIT_PACKAGES=(
	build-essential musl-tools meson ninja-build pkg-config
	dpkg-dev autoconf automake libtool autopoint gettext gtk-doc-tools bison flex
	libarchive-dev liblzma-dev liblz4-dev libkmod-dev kmod lvm2 busybox-static
	qemu-system-x86 e2fsprogs fdisk cpio file util-linux zstd xz-utils gzip python3
	clang libclang-rt-14-dev libblkid-dev libmount-dev clang-format cmake
	cryptsetup-bin mdadm btrfs-progs dosfstools python3-cryptography strace lz4 mmdebstrap
)

# Configure (once) and build the meson tree: /init and the tests for musl, mkrdinit for the host.
build_rdinit() {
	if [ -f "$RDINIT_BUILD/build.ninja" ] && [ -f "$RDINIT_BUILD/.rdinit-musl" ] &&
		[ "$(cat "$RDINIT_BUILD/.rdinit-musl")" != "$RDINIT_MUSL" ]; then
		die "$RDINIT_BUILD links $(cat "$RDINIT_BUILD/.rdinit-musl"), not $RDINIT_MUSL: remove it first"
	fi
	"$RDINIT_TOP/deps/build"
	# meson keeps the link flags pkg-config gave at setup: new libraries (a libkmod that needs liblzma)
	# need a new setup (a reconfigure keeps what it found cached).
	local deps
	deps=$(cat "$RDINIT_MUSL"/.stamp-* "$RDINIT_CROSS")
	if [ -f "$RDINIT_BUILD/build.ninja" ] && [ "$(cat "$RDINIT_BUILD/.rdinit-deps" 2>/dev/null)" != "$deps" ]; then
		meson setup --wipe "$RDINIT_BUILD" "$RDINIT_TOP" >/dev/null || die "meson setup --wipe failed"
	elif [ ! -f "$RDINIT_BUILD/build.ninja" ]; then
		meson setup "$RDINIT_BUILD" "$RDINIT_TOP" --cross-file "$RDINIT_CROSS" \
			--buildtype=minsize -Db_ndebug=true >/dev/null || die "meson setup failed"
	fi
	printf '%s\n' "$deps" >"$RDINIT_BUILD/.rdinit-deps"
	printf '%s\n' "$RDINIT_MUSL" >"$RDINIT_BUILD/.rdinit-musl"
	ninja -C "$RDINIT_BUILD" >/dev/null || { ninja -C "$RDINIT_BUILD"; die "build failed"; }
}
