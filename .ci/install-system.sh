#!/usr/bin/env bash
# System packages ParaForge needs: compilers, OpenMP with Archer, sanitizer runtimes, Docker; Chromium renders
# the eval report in its test.
set -euo pipefail
packages=(clang libomp-dev llvm-14 libclang-rt-14-dev lld-14 docker.io debootstrap valgrind make cmake chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
