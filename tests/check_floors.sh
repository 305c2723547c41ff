#!/usr/bin/env bash
# The floors of the house (README, "Architecture"): every #include "x/..." of a project file must point to its own
# floor or one below it, and no chain of includes may come back to where it started.
#   app    -> render, core, media, envs, base       render -> core, media, envs, base
#   core   -> envs, base                            envs   -> base          media -> base          base -> base
# and inside core, four floors of its own:
#   core/session -> core/algos -> core/rl -> core/nn     (core/rl, algos and session may include envs; nn only base)
# No source lives in core/ itself.
# tests/ may include anything. Usage: check_floors.sh [SOURCE_DIR]   (exit 1 and every offending line on a breach)
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
core="core/session core/algos core/rl core/nn"
declare -A allowed=(
  [base]="base" [envs]="envs base" [media]="media base"
  [core/nn]="core/nn base" [core/rl]="core/rl core/nn envs base" [core/algos]="core/algos core/rl core/nn envs base"
  [core/session]="$core envs base"
  [render]="render $core media envs base" [app]="app render $core media envs base"
)
floor_of() {  # the floor of a path: its first folder, or its first two under core/
  local p=$1 top=${1%%/*}
  if [ "$top" = core ]; then local rest=${p#core/}; echo "core/${rest%%/*}"; else echo "$top"; fi
}
status=0
declare -A edges
files=$(git ls-files -co --exclude-standard -- base envs media core render app 2>/dev/null | grep -E '\.(h|cpp)$' || true)
[ -n "$files" ] || { echo "check_floors: no sources found under $(pwd)"; exit 1; }
for f in $files; do
  floor=$(floor_of "$f")
  if [[ -z "${allowed[$floor]+x}" ]]; then
    echo "$f is on no floor: core sources live in ${core// /, }"
    status=1
    continue
  fi
  while IFS= read -r line; do
    inc=${line#*\"}; inc=${inc%%\"*}
    [ "${inc%%/*}" = "$inc" ] && continue  # a file beside it ("x.h"), same floor
    target=$(floor_of "$inc")
    if [[ -z "${allowed[$target]+x}" ]]; then continue; fi  # not a project path (e.g. "imgui.h" in a subfolder)
    if [[ " ${allowed[$floor]} " != *" $target "* ]]; then
      echo "$f includes $inc: $floor may include only ${allowed[$floor]// /, }"
      status=1
    fi
    edges[$f]+="$inc "
  done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" || true)
done
# Include cycles between files: depth-first search, colouring files grey while on the current path.
declare -A colour
cycle_found=0
visit() {
  local f=$1 n
  colour[$f]=grey
  for n in ${edges[$f]:-}; do
    [ -f "$n" ] || continue
    if [ "${colour[$n]:-white}" = grey ]; then
      echo "include cycle: $f -> $n -> ... -> $f"
      cycle_found=1
    elif [ "${colour[$n]:-white}" = white ]; then
      visit "$n"
    fi
  done
  colour[$f]=black
}
for f in $files; do
  [ "${colour[$f]:-white}" = white ] && visit "$f"
done
[ $cycle_found -eq 0 ] || status=1
if [ $status -eq 0 ]; then echo "floors: $(echo "$files" | wc -l) files, every include points down or sideways, no cycle"; fi
exit $status
