#!/usr/bin/env bash
# Installs Debian's scikit-learn for /usr/bin/python3, the reference that
# `make eval-anomaly` compares our detectors with. Skips the install when
# sklearn already imports; exits 0 either way so that the evaluation still
# runs (and says the reference is absent) where apt cannot be reached.
set -u
if /usr/bin/python3 -c 'import sklearn' >/dev/null 2>&1; then
	exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "install_anomaly: not root or no apt-get; skipping python3-sklearn" >&2
	exit 0
fi
echo "install_anomaly: installing python3-sklearn with apt-get" >&2
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -qq python3-sklearn >/dev/null; }; then
	echo "install_anomaly: apt-get failed; the sklearn reference will be absent" >&2
fi
exit 0
