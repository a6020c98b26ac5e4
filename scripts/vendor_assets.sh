#!/usr/bin/env bash
# Vendor the front-end assets the pages need into static/vendor/<pkg>-<version>/ from the npm
# registry (npm pack), with each package's licence file.  The result is committed: the app never
# loads a script, stylesheet or font from a CDN.  Re-run after changing a version below, then
# update static/vendor/README.md.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/static/vendor"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

LEAFLET=1.9.4
JQUERY=3.7.1
BOOTSTRAP=5.2.2
FONTAWESOME=6.2.0
AWESOME_MARKERS=2.0.5
SWAGGER_UI=5.32.0

unpack() {  # unpack NAME@VERSION into $TMP/<dir>/package
  local spec="$1" dir="$2"
  (cd "$TMP" && npm pack --silent "$spec" >/dev/null)
  mkdir -p "$TMP/$dir"
  tar xzf "$TMP"/*.tgz -C "$TMP/$dir"
  rm -f "$TMP"/*.tgz
}

copy() {  # copy FILES... from package dir $1 into $DEST/$2 keeping relative paths
  local src="$1" out="$DEST/$2"
  shift 2
  mkdir -p "$out"
  for f in "$@"; do
    mkdir -p "$out/$(dirname "$f")"
    cp "$src/$f" "$out/$f"
  done
}

rm -rf "$DEST"/leaflet-* "$DEST"/jquery-* "$DEST"/bootstrap-* "$DEST"/fontawesome-free-* \
  "$DEST"/leaflet.awesome-markers-* "$DEST"/swagger-ui-dist-*

unpack "leaflet@$LEAFLET" leaflet
P="$TMP/leaflet/package"
copy "$P" "leaflet-$LEAFLET" LICENSE dist/leaflet.js dist/leaflet.css \
  dist/images/layers.png dist/images/layers-2x.png dist/images/marker-icon.png \
  dist/images/marker-icon-2x.png dist/images/marker-shadow.png

unpack "jquery@$JQUERY" jquery
copy "$TMP/jquery/package" "jquery-$JQUERY" LICENSE.txt dist/jquery.min.js

unpack "bootstrap@$BOOTSTRAP" bootstrap
copy "$TMP/bootstrap/package" "bootstrap-$BOOTSTRAP" LICENSE dist/css/bootstrap.min.css \
  dist/js/bootstrap.bundle.min.js

unpack "@fortawesome/fontawesome-free@$FONTAWESOME" fontawesome
P="$TMP/fontawesome/package"
copy "$P" "fontawesome-free-$FONTAWESOME" LICENSE.txt css/all.min.css \
  $(cd "$P" && ls webfonts/*)

unpack "leaflet.awesome-markers@$AWESOME_MARKERS" awesome
P="$TMP/awesome/package"
copy "$P" "leaflet.awesome-markers-$AWESOME_MARKERS" LICENSE dist/leaflet.awesome-markers.js \
  dist/leaflet.awesome-markers.css $(cd "$P" && ls dist/images/*)

unpack "swagger-ui-dist@$SWAGGER_UI" swagger
copy "$TMP/swagger/package" "swagger-ui-dist-$SWAGGER_UI" LICENSE NOTICE swagger-ui-bundle.js \
  swagger-ui-bundle.js.LICENSE.txt swagger-ui-standalone-preset.js \
  swagger-ui-standalone-preset.js.LICENSE.txt swagger-ui.css favicon-32x32.png

# source maps are not shipped: drop the sourceMappingURL comments so browsers do not ask for them
find "$DEST" -name '*.js' -o -name '*.css' | while read -r f; do
  sed -i -E 's@^//# sourceMappingURL=.*$@@; s@/\*# sourceMappingURL=[^*]*\*/@@' "$f"
done
echo "vendored into $DEST"
