#!/usr/bin/env bash
# `dreamlab bench --quick` runs to the end and prints every figure: each row of the table has a number (inf only for
# a learning goal the quick budget did not reach, never nan) and the same name in the JSON line, and every section of
# bench.cpp's index gave its rows. Usage: check_bench.sh DREAMLAB
set -euo pipefail
bin=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if [ -n "${BENCH_OUTPUT:-}" ]; then cp "$BENCH_OUTPUT" "$out/bench.txt"; else "$bin" bench --quick --json > "$out/bench.txt" 2>&1; fi  # the table is on stderr with --json
table=$(sed -n '/^figure /,/^{/p' "$out/bench.txt" | sed '1d;$d' | grep -v '^$')
json=$(grep '^{' "$out/bench.txt" || true)
[ -n "$json" ] || { echo "bench: no JSON line"; exit 1; }
rows=0 bad=0
while read -r name value _; do
  rows=$((rows + 1))
  if ! [[ $value =~ ^-?[0-9.]+(e[-+]?[0-9]+)?$ || $value == inf ]]; then echo "bench: $name has the value '$value'"; bad=1; fi
  if [[ $json != *"\"$name\":"* ]]; then echo "bench: $name is in the table but not in the JSON line"; bad=1; fi
done <<< "$table"
for family in frozenlake_ cartpole_steps cartpole_vec_ minatar_asterix minatar_breakout minatar_freeway minatar_seaquest \
              minatar_space_invaders q_learning_ value_iteration_ ppo_update_ dqn_minatar_update sac_step act_forward \
              ppo_cartpole_ dqn_cartpole_ a2c_cartpole_ dream_steps worldmodel_cartpole_ sac_pendulum_ td3_pendulum_ \
              ddpg_pendulum_ ppo_pendulum_ a2c_pendulum_ worldmodel_breakout_ timeline_throughput_ sweep_efficiency sweep_trials_per_min \
              vec_cartpole_8_t1 vec_cartpole_4096_t2_busy td3_rltools_settings_ sac_rltools_settings_ ppo_cartpole_16_seeds_ \
              sac_wide_pendulum_ td3_wide_pendulum_ ddpg_wide_pendulum_; do
  [[ $'\n'$table == *$'\n'$family* ]] || { echo "bench: no row for section $family"; bad=1; }
done
[ "$rows" -ge 40 ] || { echo "bench: only $rows rows"; bad=1; }
[ $bad -eq 0 ] && echo "bench --quick: $rows figures, each a number and in the JSON line"
exit $bad
