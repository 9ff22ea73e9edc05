#!/usr/bin/env bash
# install.sh installs the reference forecasting library (Debian's
# python3-statsmodels, for /usr/bin/python3) when it is not importable yet.
# The forecast evaluation compares its own models against it.
set -euo pipefail

if /usr/bin/python3 -c 'import statsmodels' 2>/dev/null; then
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "install.sh: not root and no sudo; install python3-statsmodels by hand" >&2
		exit 1
	fi
fi

echo "installing python3-statsmodels for /usr/bin/python3 (apt)" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-statsmodels >/dev/null
/usr/bin/python3 -c 'import statsmodels; print("statsmodels", statsmodels.__version__)' >&2
