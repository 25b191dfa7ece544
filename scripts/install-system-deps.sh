#!/usr/bin/env bash
# Installs the Debian packages Cumberland and its tests use. Idempotent: apt runs only when
# something is missing, so `make test` stays fast on a prepared machine.
set -euo pipefail
PACKAGES=(
  libarchive13        # archives (libarchive-c)
  libarchive-tools    # bsdtar: tests build nested archives
  hashdeep            # crypto-hashing baseline in bench/
  ewf-tools           # ewfacquire: tests wrap raw images as E01
  e2fsprogs           # mke2fs -d, debugfs: tests build ext4 images
  dosfstools mtools   # mkfs.fat + mcopy: tests build FAT images
  ntfs-3g gdisk       # mkntfs + ntfscp, sgdisk: tests build NTFS volumes and GPT disks
  p7zip-full          # 7z: tests build 7z archives
  qemu-utils          # qemu-img convert: tests build VMDK, VHD, VHDX and QCOW2 images
  cryptsetup-bin      # cryptsetup luksFormat: tests build LUKS volumes (no device mapper)
  sleuthkit           # fls, icat, tsk_recover: the examiner's route in bench/disk_image.py
  postgresql          # real server for the PostgreSQL tests
  chromium            # real browser for the web tests and PDF reports
  libimage-exiftool-perl  # exiftool: tests check that published object images carry no metadata
  fonts-dejavu-core   # text in generated demo images and bench/ocr.py
  # OCR (signals/ocr.py): Tesseract's trained data: Russian and Ukrainian read by
  # default, the Cyrillic and Latin script models (bench/ocr.py), the operation's languages
  tesseract-ocr tesseract-ocr-script-cyrl tesseract-ocr-script-latn
  tesseract-ocr-eng tesseract-ocr-deu tesseract-ocr-fra tesseract-ocr-nld tesseract-ocr-dan
  tesseract-ocr-swe tesseract-ocr-nor tesseract-ocr-spa tesseract-ocr-ita tesseract-ocr-por
  tesseract-ocr-pol tesseract-ocr-ces tesseract-ocr-hun tesseract-ocr-rus tesseract-ocr-ukr
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing system packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
