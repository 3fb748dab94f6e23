#!/usr/bin/env bash
# Builds and runs the libsrtp v3 compat header test against Debian's libsrtp2
# (apt: g++ pkg-config libsrtp2-dev). Uses AddressSanitizer/UBSan when the
# toolchain has them, so an out-of-bounds write fails the run even where the
# test's own canary checks would not see it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

flags=(-std=c++20 -O1 -g -Wall -Wextra -Werror -I"$here/../compat/srtp3")
src="$here/srtp_compat_test.cpp"
libs=($(pkg-config --cflags --libs libsrtp2))

if echo 'int main(){}' | g++ -x c++ -fsanitize=address,undefined -o "$out/probe" - 2>/dev/null; then
  flags+=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  # libsrtp2's NSS backend keeps process-lifetime allocations: not leaks of ours.
  export ASAN_OPTIONS=detect_leaks=0
else
  echo "note: sanitizers unavailable, building without them"
fi

g++ "${flags[@]}" "$src" -o "$out/srtp_compat_test" "${libs[@]}"
"$out/srtp_compat_test"
