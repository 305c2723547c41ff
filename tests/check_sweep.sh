#!/usr/bin/env bash
# Sweeps as processes (CTest `sweep`): a local sweep, an MPI sweep (when mpirun is installed) and a trial trained
# alone give the same files; kill -9 of the driver, kill -9 of a trial's process, Ctrl-C, and kill -9 of an MPI rank
# each leave a sweep that the same command, rerun, completes — with every trial's metrics.csv identical to an
# uninterrupted sweep's (nothing lost, nothing run twice into the same directory, no staging left behind).
# Usage: check_sweep.sh DREAMLAB_BINARY
set -uo pipefail
bin=$(readlink -f "$1")
work=$(mktemp -d /tmp/dreamlab-sweep-test.XXXXXX)
trap 'pkill -9 -f "$work" 2>/dev/null; rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi

cat >"$work/ppo.toml" <<'EOF'
title = "PPO on CartPole (test)"
[base]
env.id = "CartPole-v1"
algo.id = "ppo"
algo.args = { total_timesteps = 40000 }
[design]
kind = "grid"
seeds = 3
[axes]
learning_rate = [1e-4, 3e-4, 1e-3]
EOF
trials=9

# Every trial of DIR present once, no staging or half-replaced directory, and the same metrics as the reference.
same_as_ref() {  # DIR WHAT
  local n bad=0
  n=$(find "$1/trials" -mindepth 1 -maxdepth 1 -type d -name 'c*' | wc -l)
  [ "$n" -eq "$trials" ] || { fail "$2: $n trial directories, expected $trials"; return; }
  if find "$1/trials" -mindepth 1 -maxdepth 1 -name '.*' | grep -q .; then
    fail "$2: staging left in $1/trials: $(ls -a "$1/trials" | grep '^\.[a-z]' | tr '\n' ' ')"; ps aux | grep "[d]reamlab" | head; return
  fi
  for t in "$work/ref/trials"/c*; do
    cmp -s "$t/metrics.csv" "$1/trials/$(basename "$t")/metrics.csv" || { bad=1; echo "  differs: $(basename "$t")"; }
  done
  [ "$bad" -eq 0 ] && ok "$2: all $trials trials, metrics identical to the uninterrupted sweep" || fail "$2: metrics differ"
}
done_count() { find "$1/trials" -mindepth 2 -maxdepth 2 -name config.json 2>/dev/null | wc -l; }
wait_done() {  # DIR N: until N trials are done (at most 60 s)
  for _ in $(seq 600); do [ "$(done_count "$1")" -ge "$2" ] && return 0; sleep 0.1; done
  return 1
}

# 1. The reference: a local sweep, uninterrupted.
"$bin" sweep "$work/ppo.toml" --out "$work/ref" --jobs 2 >"$work/ref.log" 2>&1 || { fail "local sweep: $(tail -3 "$work/ref.log")"; }
[ "$(done_count "$work/ref")" -eq "$trials" ] && ok "local sweep: $trials trials" || fail "local sweep did $(done_count "$work/ref") trials"
grep -q "sweep done: $trials trials" "$work/ref.log" || fail "local sweep did not say it was done"

# 2. A trial is a normal run: `train --config` of its config.json gives the same metrics.csv.
"$bin" train --config "$work/ref/trials/c001-s2/config.json" --out "$work/alone" --quiet || fail "train --config of a trial"
cmp -s "$work/alone/metrics.csv" "$work/ref/trials/c001-s2/metrics.csv" && ok "a trial equals the same config trained alone" \
  || fail "trial c001-s2 differs from train --config"

# 3. Resuming a finished sweep runs nothing.
"$bin" sweep "$work/ppo.toml" --out "$work/ref" >"$work/again.log" 2>&1 || fail "rerun of a finished sweep"
grep -q "$trials already done" "$work/again.log" && ok "rerun of a finished sweep: nothing to do" || fail "rerun: $(head -2 "$work/again.log")"

# 4. kill -9 of the driver: its trials die with it (no orphan keeps writing); the rerun completes.
"$bin" sweep "$work/ppo.toml" --out "$work/k1" --jobs 2 >"$work/k1.log" 2>&1 &
driver=$!
wait_done "$work/k1" 2 || fail "driver kill: no trial finished"
kill -9 "$driver"; wait "$driver" 2>/dev/null
sleep 0.5
pgrep -f "trial $work/k1 " >/dev/null && fail "driver kill: trial processes outlived the driver"
left=$((trials - $(done_count "$work/k1")))
[ "$left" -gt 0 ] && ok "driver killed with $left trials not done" || echo "note: every trial finished before the kill"
"$bin" sweep "$work/ppo.toml" --out "$work/k1" --jobs 2 >"$work/k1b.log" 2>&1 || fail "rerun after driver kill: $(tail -3 "$work/k1b.log")"
same_as_ref "$work/k1" "kill -9 of the driver, then rerun"

# 5. kill -9 of one trial's process: that trial fails (exit 1, named), the others finish; the rerun redoes it.
"$bin" sweep "$work/ppo.toml" --out "$work/k2" --jobs 2 >"$work/k2.log" 2>&1 &
driver=$!
victim=""
for _ in $(seq 600); do victim=$(pgrep -f "trial $work/k2 4$" | head -1); [ -n "$victim" ] && break; sleep 0.02; done
[ -n "$victim" ] && kill -9 "$victim" || fail "worker kill: trial 4's process never seen"
wait "$driver"; rc=$?
[ "$rc" -eq 1 ] && grep -q "1 trial failed: c001-s2" "$work/k2.log" && ok "a killed trial is reported failed (exit 1)" \
  || fail "worker kill: exit $rc, $(tail -2 "$work/k2.log")"
"$bin" sweep "$work/ppo.toml" --out "$work/k2" --jobs 2 >"$work/k2b.log" 2>&1 || fail "rerun after worker kill"
grep -q "8 already done" "$work/k2b.log" || fail "rerun after worker kill: $(head -1 "$work/k2b.log")"
same_as_ref "$work/k2" "kill -9 of a trial, then rerun"

# 6. Ctrl-C (SIGINT to the driver): stops its trials, exit 130, says how to finish; the rerun completes.
"$bin" sweep "$work/ppo.toml" --out "$work/k3" --jobs 2 >"$work/k3.log" 2>&1 &
driver=$!
wait_done "$work/k3" 1 || fail "Ctrl-C: no trial finished"
kill -INT "$driver"; wait "$driver"; rc=$?
[ "$rc" -eq 130 ] && grep -q "Rerun the same command" "$work/k3.log" && ok "Ctrl-C stops the sweep cleanly (exit 130)" \
  || fail "Ctrl-C: exit $rc, $(tail -2 "$work/k3.log")"
pgrep -f "trial $work/k3 " >/dev/null && fail "Ctrl-C: trial processes left running"
"$bin" sweep "$work/ppo.toml" --out "$work/k3" --jobs 2 >"$work/k3b.log" 2>&1 || fail "rerun after Ctrl-C"
same_as_ref "$work/k3" "Ctrl-C, then rerun"

# 7. MPI: the same trials over two ranks; a rank killed mid-sweep, then the rerun.
if command -v mpirun >/dev/null && "$bin" sweep "$work/ppo.toml" --out "$work/nompi-probe" --mpi 2>&1 | grep -q "has no MPI"; then
  echo "note: this build has no MPI; MPI checks skipped"
elif command -v mpirun >/dev/null; then
  mpirun --oversubscribe -np 2 "$bin" sweep "$work/ppo.toml" --out "$work/mpi" --mpi >"$work/mpi.log" 2>&1 \
    || fail "MPI sweep: $(tail -5 "$work/mpi.log")"
  grep -q "on 2 MPI ranks" "$work/mpi.log" || fail "MPI sweep did not run on 2 ranks"
  same_as_ref "$work/mpi" "MPI sweep (2 ranks)"
  mpirun --oversubscribe -np 2 "$bin" sweep "$work/ppo.toml" --out "$work/mpik" --mpi >"$work/mpik.log" 2>&1 &
  launcher=$!
  wait_done "$work/mpik" 2 || fail "MPI kill: no trial finished"
  rank=$(pgrep -f "$bin sweep $work/ppo.toml --out $work/mpik --mpi" | grep -v "^$launcher$" | tail -1)
  [ -n "$rank" ] && kill -9 "$rank" || fail "MPI kill: no rank process found"
  wait "$launcher"; rc=$?
  [ "$rc" -ne 0 ] && ok "MPI: a killed rank ends the job (mpirun exit $rc)" || echo "note: the job finished before the kill landed"
  sleep 0.5
  mpirun --oversubscribe -np 2 "$bin" sweep "$work/ppo.toml" --out "$work/mpik" --mpi >"$work/mpik2.log" 2>&1 \
    || fail "MPI rerun after a rank kill: $(tail -5 "$work/mpik2.log")"
  same_as_ref "$work/mpik" "kill -9 of an MPI rank, then rerun"
else
  echo "note: mpirun not installed (scripts/setup.sh installs openmpi-bin); MPI checks skipped"
fi

[ "$fails" -eq 0 ] && echo "sweep: all checks passed" || { echo "sweep: $fails failed"; exit 1; }
