#!/bin/bash
# SPDX-License-Identifier: MIT
# The image's HEALTHCHECK: GET PATH (default /health) from the app on 127.0.0.1:$EDDY_PORT
# with bash's /dev/tcp, so the runtime image needs no HTTP client. Exit 0 on a 200, 1 on
# anything else (no answer within 2 s, a refused connection, another status).
set -u
path="${1:-/health}"
port="${EDDY_PORT:-8000}"
{ exec 3<>"/dev/tcp/127.0.0.1/${port}"; } 2>/dev/null || exit 1
printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$path" >&3 || exit 1
IFS=' ' read -r -t 2 version status _ <&3 || exit 1
[[ "$version" == HTTP/1.* && "$status" == 200 ]]
