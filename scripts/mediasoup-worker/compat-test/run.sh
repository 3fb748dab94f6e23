#!/usr/bin/env bash
# Builds and runs the tests of our compatibility code against the Debian
# libraries the worker links (apt: g++ pkg-config libsrtp2-dev libssl-dev):
#   - srtp_compat_test.cpp: the libsrtp v3 compat header on libsrtp2;
#   - bio_ktls_guard_test.c: the openssl stand-in's BIO_set_callback_ex guard
#     (a DTLS handshake with mediasoup's BIO callback on kTLS-enabled libssl),
#     linked with -Wl,--wrap=BIO_set_callback_ex exactly like the worker.
# Uses AddressSanitizer/UBSan when the toolchain has them, so an out-of-bounds
# write fails the run even where the tests' own canary checks would not see it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

flags=(-O1 -g -Wall -Wextra -Werror)
src="$here/srtp_compat_test.cpp"
libs=($(pkg-config --cflags --libs libsrtp2))

if echo 'int main(){}' | g++ -x c++ -fsanitize=address,undefined -o "$out/probe" - 2>/dev/null; then
  flags+=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  # libsrtp2's NSS backend keeps process-lifetime allocations: not leaks of ours.
  export ASAN_OPTIONS=detect_leaks=0
else
  echo "note: sanitizers unavailable, building without them"
fi

g++ -std=c++20 "${flags[@]}" -I"$here/../compat/srtp3" "$src" -o "$out/srtp_compat_test" "${libs[@]}"
"$out/srtp_compat_test"

ssl_libs=($(pkg-config --cflags --libs libssl libcrypto))
gcc -std=c11 "${flags[@]}" "$here/bio_ktls_guard_test.c" "$here/../subprojects/openssl/bio_ktls_guard.c" \
  -Wl,--wrap=BIO_set_callback_ex -o "$out/bio_ktls_guard_test" "${ssl_libs[@]}"
"$out/bio_ktls_guard_test"
