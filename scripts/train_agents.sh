#!/usr/bin/env bash
# Regenerates the pretrained agents in assets/agents/ byte for byte (training is deterministic for a seed):
# each directory is a `dreamlab train --out` run (config.json, agent.json + agent.ckpt or model.json)
# plus manifest.json: the exact command, and the greedy score `dreamlab eval` gives it (tests/check_agents.sh
# checks both). summary.json (wall-clock times) and metrics.csv (the curve, up to 1.5 MB) are not shipped.
# Usage: bash scripts/train_agents.sh [BUILD_DIR] [NAME...]      (default: build/, every agent)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}; shift || true
bin="$build/dreamlab"
[ -x "$bin" ] || { echo "train_agents: $bin not found; build first (cmake --build $build)"; exit 1; }

# name | eval episodes | train arguments
agents=(
  "lake8-q|1000|--env FrozenLake8x8-v1 --algo q_learning --set episodes=30000 --seed 1"
  "cartpole-ppo|20|--env CartPole-v1 --algo ppo --seed 1"
  "cartpole-dqn|20|--env CartPole-v1 --algo dqn --seed 1"
  "pendulum-sac|10|--env Pendulum-v1 --algo sac --seed 1"
  "cartpole-dream|20|--env CartPole-v1 --algo dream_ac --seed 1"
  "breakout-dqn|10|--env MinAtar/Breakout-v1 --algo dqn --set total_timesteps=200000 --set hidden=128 --set batch_size=32 --set learning_starts=1000 --set exploration_fraction=0.1 --seed 1"
)
for entry in "${agents[@]}"; do
  IFS='|' read -r name episodes args <<<"$entry"
  if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
  out="assets/agents/$name"
  echo "train_agents: $name: dreamlab train $args"
  start=$(date +%s)
  # shellcheck disable=SC2086
  "$bin" train $args --out "$out" --overwrite --quiet
  rm -f "$out/summary.json" "$out/metrics.csv"  # wall-clock times; the learning curve (regenerated on demand)
  score=$("$bin" eval --run "$out" --episodes "$episodes" --seed 1000 --json)
  cat >"$out/manifest.json.tmp" <<JSON
{
  "name": "$name",
  "train": "dreamlab train $args --out assets/agents/$name",
  "eval": "dreamlab eval --run assets/agents/$name --episodes $episodes --seed 1000 --json",
  "eval_episodes": $episodes,
  "eval_seed": 1000,
  "score": $score,
  "train_seconds_on_the_machine_that_made_it": $(( $(date +%s) - start ))
}
JSON
  mv "$out/manifest.json.tmp" "$out/manifest.json"
  echo "train_agents: $name: $score"
done
