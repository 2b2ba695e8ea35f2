#!/usr/bin/env bash
# Installs the Debian packages the tests use (idempotent). Services are not
# started by the packages (policy-rc.d); tests start what they need.
set -euo pipefail
# redis-server, ansible (community.general's redis cache plugin) and python3-redis:
# the sliced gather through the fact cache (tests/integration/sliced-gather.sh).
pkgs=(libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils ansible-core rsync bc time redis-server ansible python3-redis)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && { echo "setup-host: all packages present"; exit 0; }
[ "$(id -u)" -eq 0 ] || { echo "setup-host: need root to install: ${missing[*]}" >&2; exit 1; }
had_policy=0; [ -e /usr/sbin/policy-rc.d ] && had_policy=1
if [ $had_policy -eq 0 ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; fi
trap '[ $had_policy -eq 1 ] || rm -f /usr/sbin/policy-rc.d' EXIT
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
