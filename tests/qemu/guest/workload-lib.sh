#!/bin/sh
# The workload's side of both test guests (init.sh of the small guest,
# distro-driver.sh of the Debian guests), sourced by them from
# /usr/lib/snaptest/workload-lib.sh after guest-lib.sh (wait_for_line).
# WORKLOAD_DIR says where the workload's log and the tmpfs file are (a
# tmpfs: they must survive only in memory).

# last_counter PID: the last counter the workload printed.
last_counter() {
	sed -n "s/^workload: pid=$1 counter=\([0-9]*\)$/\1/p" "$WORKLOAD_DIR/workload.log" | tail -n 1
}

file_sum() {
	sha256sum "$1" | cut -d ' ' -f 1
}

# check_workload: is the workload $wpid alive, does its counter go on above
# $before, is its memory intact, is the tmpfs file unchanged (against
# $tmp_sum)?  Sets alive, after, verify, tmpfs and tmp_now.
check_workload() {
	if kill -0 "$wpid" 2> /dev/null; then alive=yes; else alive=no; fi

	# The counter lives in the workload's memory: after the resume it must
	# go on above the value printed before the snapshot.
	after=$before
	_i=0
	while [ "$_i" -lt 100 ] && [ "${after:-0}" -le "${before:-0}" ]; do
		sleep 0.1
		after=$(last_counter "$wpid")
		_i=$((_i + 1))
	done

	kill -USR1 "$wpid" 2> /dev/null
	verify=none
	if wait_for_line "$WORKLOAD_DIR/workload.log" "^workload: verify pid=$wpid " 120; then
		if grep -q "^workload: verify pid=$wpid counter=[0-9]* ok$" "$WORKLOAD_DIR/workload.log"; then
			verify=ok
		else
			verify=BAD
		fi
	fi
	grep '^workload: verify' "$WORKLOAD_DIR/workload.log"

	tmp_now=$(file_sum "$WORKLOAD_DIR/tmpfile")
	if [ "$tmp_now" = "$tmp_sum" ]; then tmpfs=ok; else tmpfs=BAD; fi
}
