#!/usr/bin/env bash
# Installs the operating-system tools Distillery and its tests use (Debian/Ubuntu).
# Idempotent: packages already present are left alone; safe to run on every CI run.
set -euo pipefail
PACKAGES=(
  libvips-tools      # vips: TIFF -> lossless JPEG 2000 (OpenJPEG inside)
  libopenjp2-tools   # opj_compress / opj_decompress: JPEG 2000 encode and decode
  tesseract-ocr      # OCR for access copies
  cpio               # GNU mt (mt-gnu), which speaks the remote-tape protocol
  mt-st              # mt for a locally attached tape drive
  tar                # GNU tar writes and reads tape files
  openssh-server     # sshd for Islandora and remote-tape tests on loopback
  openssh-client
  rsync
  chromium           # real browser for the page tests
  fonts-noto-color-emoji  # the status lines use emoji; without a font the browser shows boxes
  curl               # slow and stalled live-stream clients in the page tests
  openssl            # independent fixity values (sha512/256…) in the OCFL conformance tests
  coreutils          # b2sum: independent BLAKE2b fixity values in the OCFL conformance tests
  imagemagick        # the benchmark measures the original's way (convert, identify -format %#) beside this one
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "system packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system packages: done"
