#!/usr/bin/env bash
# GUI soak (opt-in, README "Reliability"): the app on a lesson under a virtual X server for MINUTES, with random
# real input from xdotool (mouse moves and clicks anywhere in the window, drags, the wheel, the lesson and transport
# keys), its resident memory sampled every 10 s. Fails if the app dies or its RSS grows more than LIMIT_MB between
# the first sample (after a minute of warm-up) and the last.
# Usage: bash scripts/soak.sh [MINUTES] [LESSON] [LIMIT_MB] [SEED]      (default 10, space-invaders-ppo, 200, 1)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10} lesson=${2:-space-invaders-ppo} limit_mb=${3:-200} seed=${4:-1}
bash scripts/setup.sh
dpkg-query -W -f='${Status}' xdotool 2>/dev/null | grep -q "install ok installed" || {
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends xdotool
}
[ -x build/dreamlab ] || { cmake -S . -B build >/dev/null && cmake --build build -j"$(nproc)"; }
out=$(mktemp -d /tmp/dreamlab-soak.XXXXXX)
display=":$((90 + RANDOM % 100))"
Xvfb "$display" -screen 0 1920x1080x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill $app $xvfb 2>/dev/null || true' EXIT
sleep 1
root=$PWD
(cd "$out" && DISPLAY=$display exec "$root/build/dreamlab" gui --lesson "$lesson" --size 1920x1080 --play) >"$out/app.log" 2>&1 &
app=$!
sleep 5
rss() { awk '/VmRSS/ {print int($2/1024)}' "/proc/$app/status"; }
RANDOM=$seed
keys=(space Right Left n s e u F5 Escape 1 2 Up Down Tab)
end=$(( $(date +%s) + minutes * 60 )) warm=$(( $(date +%s) + 60 ))
first="" last="" samples=0 events=0 next_sample=0
echo "soak: $lesson for $minutes min, pid $app, display $display; log in $out"
while [ "$(date +%s)" -lt "$end" ]; do
  kill -0 "$app" 2>/dev/null || { echo "soak: FAILED: the app died after $events input events"; tail -20 "$out/app.log"; exit 1; }
  x=$((RANDOM % 1920)) y=$((40 + RANDOM % 1040))
  case $((RANDOM % 8)) in
    0|1|2) DISPLAY=$display xdotool mousemove "$x" "$y" ;;
    3|4) DISPLAY=$display xdotool mousemove "$x" "$y" click 1 ;;
    5) DISPLAY=$display xdotool mousemove "$x" "$y" mousedown 1 mousemove $(( (x + 120) % 1920 )) "$y" mouseup 1 ;;
    6) DISPLAY=$display xdotool mousemove "$x" "$y" click $((4 + RANDOM % 2)) ;;
    7) DISPLAY=$display xdotool key "${keys[$((RANDOM % ${#keys[@]}))]}" ;;
  esac
  events=$((events + 1))
  now=$(date +%s)
  if [ "$now" -ge "$warm" ] && [ "$now" -ge "$next_sample" ]; then
    last=$(rss); [ -n "$first" ] || first=$last
    samples=$((samples + 1)) next_sample=$((now + 10))
    echo "soak: $(( (now - warm) / 60 )) min after warm-up: RSS $last MB"
  fi
  sleep 0.05
done
kill -0 "$app" 2>/dev/null || { echo "soak: FAILED: the app died at the end"; exit 1; }
# What the input left on screen (which runs exist, what is open): F12 writes a screenshot into the app's folder.
DISPLAY=$display xdotool key F12; sleep 3
shot=$(ls "$out"/screenshots/*.png 2>/dev/null | tail -1 || true)
[ -n "$shot" ] && echo "soak: the window at the end: $shot"
growth=$((last - first))
echo "soak: $events input events in $minutes min; RSS $first MB -> $last MB (growth $growth MB over $samples samples, limit $limit_mb MB)"
[ "$growth" -le "$limit_mb" ] || { echo "soak: FAILED: memory grew by $growth MB"; exit 1; }
echo "soak: 1 passed, 0 failed"
