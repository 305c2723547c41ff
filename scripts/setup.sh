#!/usr/bin/env bash
# Installs every Debian package Dreamlab needs (only the missing ones). Idempotent; safe to run twice.
# Usage: bash scripts/setup.sh [--gui]   (--gui adds the packages needed to open a window under Xvfb)
set -euo pipefail
pkgs=(build-essential cmake pkg-config libeigen3-dev doctest-dev nlohmann-json3-dev libtomlplusplus-dev libstb-dev
      libimgui-dev libglfw3-dev libepoxy-dev libavcodec-dev libavformat-dev libswscale-dev libavutil-dev
      xvfb xauth libgl1-mesa-dri libegl1 libegl-mesa0 libopenmpi-dev openmpi-bin)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
