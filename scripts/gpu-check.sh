#!/usr/bin/env bash
# gpu-check: on a machine with an NVIDIA GPU, discover the GPUs through
# NVML, print them as a node record would carry them, and run a task bound
# to one of them through the gpu driver. Without NVML it says so and exits 0.
set -euo pipefail

cd "$(dirname "$0")/.."

# Is libnvidia-ml loadable here?
have_nvml() {
	if command -v ldconfig >/dev/null 2>&1 && ldconfig -p 2>/dev/null | grep -q 'libnvidia-ml\.so'; then
		return 0
	fi
	local d
	for d in /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib64 /usr/lib \
		/usr/local/nvidia/lib64 /usr/local/cuda/lib64 ${LD_LIBRARY_PATH:+${LD_LIBRARY_PATH//:/ }}; do
		if compgen -G "$d/libnvidia-ml.so*" >/dev/null; then
			return 0
		fi
	done
	return 1
}

if ! have_nvml; then
	echo "gpu-check: libnvidia-ml.so not found; this machine has no NVIDIA driver, nothing to check."
	exit 0
fi

GO=${GO:-go}

# The check does not need the binary, but a GPU machine is where to find
# out that it builds with cgo and NVML present.
if [[ ! -x bin/constellation ]]; then
	echo "gpu-check: building bin/constellation"
	if ! "$GO" build -o bin/constellation ./cmd/constellation; then
		echo "gpu-check: warning: bin/constellation does not build; continuing with the device check"
	fi
fi

if command -v nvidia-smi >/dev/null 2>&1; then
	echo "gpu-check: nvidia-smi -L"
	nvidia-smi -L || true
fi

echo "gpu-check: discovering devices and running a task bound to one of them"
CONSTELLATION_GPU_CHECK=1 "$GO" test -count=1 -run '^TestRealNVML$' -v ./client/gpu
