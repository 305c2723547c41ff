#!/usr/bin/env bash
# A real Slurm cluster of one node on localhost (Debian's slurmctld + slurmd + munge), a sweep submitted to it as a
# job array with `dreamlab sweep --slurm --submit`, and the result checked: every trial done, `sweep DIR --status`
# says so, and every trial's metrics.csv is byte-identical to the same sweep run locally. Opt-in (it installs and
# starts daemons; needs root or sudo): README "Sweeps". Usage: bash scripts/slurm_test.sh [DREAMLAB_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(readlink -f "${1:-build/dreamlab}")
[ -x "$bin" ] || { echo "slurm_test: no binary at $bin (build first: cmake -S . -B build && cmake --build build)"; exit 2; }
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
pkgs=(slurmctld slurmd slurm-client munge)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "slurm_test: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

work=$(mktemp -d /tmp/dreamlab-slurm.XXXXXX)
chmod 755 "$work"
host=$(hostname -s)
cleanup() {
  $SUDO pkill -f "slurmctld -f $work" 2>/dev/null || true
  $SUDO pkill -f "slurmd -f $work" 2>/dev/null || true
  [ -n "${munged_started:-}" ] && $SUDO pkill -x munged 2>/dev/null || true
  sleep 0.5
  rm -rf "$work"
}
trap cleanup EXIT

# munge: the key, then the daemon (unless one already runs).
if ! pgrep -x munged >/dev/null; then
  [ -f /etc/munge/munge.key ] || $SUDO mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null \
    || $SUDO sh -c 'dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null'
  $SUDO chown munge:munge /etc/munge/munge.key && $SUDO chmod 400 /etc/munge/munge.key
  $SUDO mkdir -p /run/munge /var/log/munge /var/lib/munge && $SUDO chown munge:munge /run/munge /var/log/munge /var/lib/munge
  $SUDO runuser -u munge -- /usr/sbin/munged
  munged_started=1
fi

mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
mkdir -p "$work/state" "$work/spool" "$work/logs"
cat >"$work/slurm.conf" <<EOF
ClusterName=dreamlab-test
SlurmctldHost=$host
SlurmUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/logs/slurmctld.log
SlurmdLogFile=$work/logs/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
NodeName=$host CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$work/slurm.conf
$SUDO env SLURM_CONF="$SLURM_CONF" /usr/sbin/slurmctld -f "$SLURM_CONF" -D >"$work/logs/ctld.out" 2>&1 &
sleep 1
$SUDO env SLURM_CONF="$SLURM_CONF" /usr/sbin/slurmd -f "$SLURM_CONF" -D >"$work/logs/d.out" 2>&1 &
for _ in $(seq 60); do
  sinfo -h -o "%t" 2>/dev/null | grep -qE "idle|mix" && break
  sleep 1
done
sinfo -h -o "%t" | grep -qE "idle|mix" || { echo "slurm_test: the node never came up"; tail -20 "$work"/logs/*; exit 1; }
echo "slurm_test: one-node cluster up ($host, $(nproc) CPUs)"

cat >"$work/sweep.toml" <<'EOF'
title = "Slurm test: PPO on CartPole"
[base]
env.id = "CartPole-v1"
algo.id = "ppo"
algo.args = { total_timesteps = 20000 }
[design]
seeds = 2
[axes]
learning_rate = [3e-4, 1e-3, 3e-3]
EOF
start=$(date +%s)
"$bin" sweep "$work/sweep.toml" --out "$work/slurm" --slurm --time 00:10:00 --chunk 2 --submit | tee "$work/submit.txt"
job=$(sed -n 's/^submitted job \([0-9]*\).*/\1/p' "$work/submit.txt")
[ -n "$job" ] || { echo "slurm_test: no job id"; exit 1; }
for _ in $(seq 300); do
  [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
  sleep 1
done
echo "slurm_test: job $job finished in $(( $(date +%s) - start )) s"
"$bin" sweep "$work/slurm" --status | tee "$work/status.txt"
grep -q "6 of 6 trials done" "$work/status.txt" || { echo "slurm_test: FAILED: not every trial is done"; cat "$work"/slurm/logs/*; exit 1; }

"$bin" sweep "$work/sweep.toml" --out "$work/local" --quiet
bad=0
for t in "$work"/local/trials/c*; do
  cmp -s "$t/metrics.csv" "$work/slurm/trials/$(basename "$t")/metrics.csv" || { echo "differs: $(basename "$t")"; bad=1; }
done
[ $bad -eq 0 ] || { echo "slurm_test: FAILED: Slurm and local trials differ"; exit 1; }
# Resubmitting a finished sweep does nothing new (every task skips its done trials).
"$bin" sweep "$work/sweep.toml" --out "$work/slurm" --slurm --chunk 2 --submit >/dev/null
sleep 3
for _ in $(seq 60); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 1; done
grep -h ": trained" "$work"/slurm/logs/slurm-*.log | sort | uniq -c | awk '$1 > 1 {exit 1}' \
  || { echo "slurm_test: FAILED: a trial was trained more than once"; exit 1; }
[ "$(grep -h ": already done" "$work"/slurm/logs/slurm-*.log | wc -l)" -eq 6 ] \
  || { echo "slurm_test: FAILED: the resubmitted array did not skip the 6 done trials"; exit 1; }
echo "slurm_test: 6 trials over a 3-task job array, identical to the local sweep; 1 passed, 0 failed"
