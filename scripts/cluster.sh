#!/usr/bin/env bash
# Starts a local cluster of three server agents and two client agents, each
# its own process with its own data directory and ports, on 127.0.0.1.
#
#   scripts/cluster.sh          start it and wait; Ctrl-C stops every agent
#   scripts/cluster.sh start    start it in the background and return
#   scripts/cluster.sh stop     stop a cluster started in the background
#
# CLUSTER_DIR (default .cluster) holds each agent's data dir, log and pid.
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=${BIN:-bin/constellation}
DIR=${CLUSTER_DIR:-.cluster}
BASE=${CLUSTER_BASE_PORT:-8100}
GPU_MOCK=${GPU_MOCK:-}

# ours PID: is PID still a constellation agent (and not a reused PID)?
ours() {
	grep -q constellation "/proc/$1/cmdline" 2>/dev/null
}

# stop_all stops every agent this script started and waits for them to exit.
stop_all() {
	local pids=()
	for pidfile in "$DIR"/*/pid; do
		[ -f "$pidfile" ] || continue
		pid=$(cat "$pidfile")
		rm -f "$pidfile"
		if ours "$pid"; then
			kill "$pid" 2>/dev/null || true
			pids+=("$pid")
		fi
	done
	for pid in "${pids[@]}"; do
		for _ in $(seq 1 100); do
			ours "$pid" || break
			sleep 0.1
		done
	done
}

if [ "${1:-}" = stop ]; then
	stop_all
	echo "cluster stopped"
	exit 0
fi

[ -x "$BIN" ] || make build >/dev/null
stop_all
mkdir -p "$DIR"

# start_agent NAME INDEX ROLE-FLAGS...
start_agent() {
	local name=$1 i=$2
	shift 2
	local http=$((BASE + 10 * i + 1)) raft=$((BASE + 10 * i + 2)) gossip=$((BASE + 10 * i + 3))
	mkdir -p "$DIR/$name"
	setsid "$BIN" agent -name "$name" -data-dir "$DIR/$name/data" -bind 127.0.0.1 \
		-http-port "$http" -raft-port "$raft" -gossip-port "$gossip" \
		-join "127.0.0.1:$((BASE + 3))" "$@" >"$DIR/$name/agent.log" 2>&1 &
	echo $! >"$DIR/$name/pid"
	local raftcol="-"
	[ "$1" = -server ] && raftcol="127.0.0.1:$raft"
	printf '%-4s %-7s http://127.0.0.1:%-6s raft %-16s gossip 127.0.0.1:%-6s log %s\n' \
		"$name" "$1" "$http" "$raftcol" "$gossip" "$DIR/$name/agent.log"
}

echo "starting 3 servers and 2 clients:"
start_agent s1 0 -server -bootstrap-expect 3
start_agent s2 1 -server -bootstrap-expect 3
start_agent s3 2 -server -bootstrap-expect 3
gpu_flags=()
[ -n "$GPU_MOCK" ] && gpu_flags=(-gpu-mock "$GPU_MOCK")
start_agent c1 3 -client "${gpu_flags[@]}"
start_agent c2 4 -client "${gpu_flags[@]}"

# Wait for a leader and both clients.
addr="http://127.0.0.1:$((BASE + 1))"
for _ in $(seq 1 100); do
	if "$BIN" node status -address "$addr" 2>/dev/null | grep -c ready | grep -q 2; then
		break
	fi
	sleep 0.2
done
echo
"$BIN" operator raft list-peers -address "$addr" || true
echo
"$BIN" node status -address "$addr" || true
echo
echo "use it:  export CONSTELLATION_ADDR=$addr"
echo "         $BIN job run examples/jobs/taxi.hcl"

if [ "${1:-}" = start ]; then
	exit 0
fi
trap 'trap "" INT TERM; echo; stop_all; echo "cluster stopped"; exit 0' INT TERM
echo "Ctrl-C stops the cluster"
# Agents get their own process group, so Ctrl-C reaches only this script,
# which stops them in order.
while :; do
	sleep 1 &
	wait $! || true
done
