# test/vm/tap.sh - TAP checks on a boot's serial log, sourced by boot.sh, images.sh and resume_test.sh.
#
# A check reads $log, the serial log of the boot just made. A log that is missing or empty (QEMU did not
# start, or wrote nothing) fails every check that reads it, those that want a line absent too: "never
# printed X" of a log that holds nothing proves nothing. new_log removes what an earlier run left, so that no
# check reads a stale log.
count=0 failed=0
ok() { count=$((count + 1)); echo "ok $count - $1"; }
not_ok() { count=$((count + 1)); failed=$((failed + 1)); echo "not ok $count - $1"; }
# new_log FILE: FILE becomes $log, removed until the boot writes it.
new_log() {
	log=$1
	mkdir -p "$(dirname "$log")"
	rm -f "$log"
}
# have_log: whether $log holds something.
have_log() { [ -s "$log" ]; }
# expect/reject PATTERN DESCRIPTION: an extended regexp that must (not) be in the log.
expect() {
	if ! have_log; then
		not_ok "$2 (no serial log: $log is missing or empty)"
	elif grep -aqE -- "$1" "$log"; then ok "$2"; else not_ok "$2 (no /$1/ in $log)"; fi
}
reject() {
	if ! have_log; then
		not_ok "$2 (no serial log: $log is missing or empty)"
	elif grep -aqE -- "$1" "$log"; then not_ok "$2 (found /$1/ in $log)"; else ok "$2"; fi
}
