# shellcheck shell=bash
# tap.sh: the TAP output that the test scripts here share; source it. Each result is one "ok N - ..." or
# "not ok N - ..." line, with what failed on "#" lines under it; tap_done prints the plan, "1..N", last.
# $checks counts the results, $failures those that failed.
checks=0 failures=0

# image_main and the other helpers that read an image back past its early microcode archive.
# shellcheck source=test/image.sh
source "$(dirname "${BASH_SOURCE[0]}")/../image.sh"

# pass DESCRIPTION
pass() {
	checks=$((checks + 1))
	echo "ok $checks - $1"
}

# fail DESCRIPTION [LINE...]: the LINEs say what was seen.
fail() {
	checks=$((checks + 1)) failures=$((failures + 1))
	echo "not ok $checks - $1"
	shift
	local line
	for line in "$@"; do
		echo "#   $line"
	done
}

# skip DESCRIPTION REASON: a check that cannot run here, and why.
skip() {
	checks=$((checks + 1))
	echo "ok $checks - $1 # SKIP $2"
}

# skip_all REASON: none of this script's (or mode's) checks can be made here.
skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

# check DESCRIPTION COMMAND...: passes when COMMAND succeeds; on failure says the command and, when
# $check_stderr names a file, what it holds (the standard error of what was tested).
check() {
	local description=$1
	shift
	if "$@"; then
		pass "$description"
	else
		local lines=()
		[[ -n ${check_stderr:-} && -s $check_stderr ]] && mapfile -t lines <"$check_stderr"
		fail "$description" "failed: $*" "${lines[@]}"
	fi
}

# tap_done: prints the plan; its status is 0 when nothing failed.
tap_done() {
	echo "1..$checks"
	[[ $failures -eq 0 ]]
}
