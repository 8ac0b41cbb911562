#!/bin/sh
# Finishing steps of the toolchain image, shared by the Dockerfile and the bootstrap build.
# Runs as root inside the image (docker build) or in a chroot of the root filesystem (bootstrap).
set -eu

# A fixed non-root user for jobs, and a work dir that any user may write.
getent group sandbox >/dev/null || groupadd --gid 1000 sandbox
getent passwd sandbox >/dev/null || useradd --uid 1000 --gid 1000 --create-home --shell /bin/bash sandbox
mkdir -p /work
chmod 1777 /work

# Readable sanitizer reports: the sanitizers look for llvm-symbolizer on PATH.
ln -sf /usr/lib/llvm-14/bin/llvm-symbolizer /usr/local/bin/llvm-symbolizer

# Fail the build now, not at the first race check, if a piece the verifiers rely on is missing.
for path in /usr/bin/clang++ /usr/lib/llvm-14/lib/libarcher.so /usr/lib/llvm-14/bin/llvm-symbolizer \
    /usr/bin/g++ /usr/bin/make /usr/bin/valgrind /usr/bin/python3; do
  [ -e "$path" ] || { echo "setup.sh: $path is missing from the image" >&2; exit 1; }
done
ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.tsan-*.a >/dev/null
python3 -c 'import numpy' || { echo "setup.sh: python3 cannot import numpy" >&2; exit 1; }

# A smaller image: no package caches, lists or logs.
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt/* /var/log/dpkg.log /var/log/alternatives.log
