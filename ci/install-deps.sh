#!/usr/bin/env bash
# Installs the Debian packages Flashstor needs to build and test; idempotent and quiet
# when everything is present. Usage: ci/install-deps.sh [build|test|bench|fuzz|image|all]
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config clang-format libisal-dev libssl-dev libsystemd-dev
  libseccomp-dev libcap-dev libcjson-dev libcmocka-dev libpugixml-dev libaudit-dev
  binutils libcrcutil-dev libnghttp2-dev libboost-context-dev)
test_pkgs=(curl python3 python3-pytest python3-boto3 python3-requests python3-cryptography awscli s3cmd rclone prometheus systemd openssl
  selinux-policy-dev checkpolicy semodule-utils iproute2 procps
  e2fsprogs nghttp2-client python3-h2)
bench_pkgs=(nginx-light wrk radosgw ceph-mon ceph-osd)
fuzz_pkgs=(clang-16 libclang-rt-16-dev)
image_pkgs=(mmdebstrap qemu-system-x86 qemu-utils squashfs-tools cryptsetup-bin fdisk dosfstools
  mtools e2fsprogs dpkg-dev fakeroot ovmf diffoscope-minimal selinux-policy-dev policycoreutils attr zstd xz-utils curl iproute2
  openssl binutils)

want=()
case "${1:-test}" in
build) want=("${build_pkgs[@]}") ;;
test) want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
bench) want=("${build_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
image) want=("${build_pkgs[@]}" "${image_pkgs[@]}") ;;
fuzz) want=("${build_pkgs[@]}" "${fuzz_pkgs[@]}") ;;
all) want=("${build_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}" "${fuzz_pkgs[@]}" "${image_pkgs[@]}") ;;
*) echo "usage: $0 [build|test|bench|image|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "flashstor: missing packages: ${missing[*]} (run as root or install them)" >&2
  exit 1
fi
echo "flashstor: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# nginx-light must not start a system nginx on port 80 during install.
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
