#!/usr/bin/env bash
# The release generator's training photos (docs/model_card.md): the embedded scikit-image photos
# plus the 11 natural photographs in Debian's plasma-workspace-wallpapers (LGPLv3, authors in
# docs/model_card.md). gnome-backgrounds 43 holds only abstract artwork, so none of it is used.
# Fetched once with apt-get download + dpkg -x (install time, not run time); no root needed.
# Usage: bash pipelines/release_photos.sh [OUT=data/release_photos]
set -euo pipefail
out="${1:-data/release_photos}"
natural=(BytheWater ColdRipple ColorfulCups DarkestHour EveningGlow FallenLeaf Grey Kite OneStandsOut Path summer_1am)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download plasma-workspace-wallpapers >/dev/null && dpkg -x plasma-workspace-wallpapers_*.deb x)
mkdir -p "$out"
for name in "${natural[@]}"; do
  src="$tmp/x/usr/share/wallpapers/$name/contents/images"
  # the 1280-px-wide rendition where there is one (enough for 299-px views), else the only one
  file="$src/1280x800.jpg"; [ -f "$file" ] || file="$(ls "$src"/*.jpg | head -n 1)"
  cp "$file" "$out/debian-$name.jpg"
done
dreamgan photos -o "$out" >/dev/null
echo "$(ls "$out" | wc -l) photos in $out"
