#!/usr/bin/env bash
# Make, sign, notarise and staple the dmg of one location's macOS build. Reviewed on paper, not run here (no Mac).
#   packaging/macos/make-dmg.sh DIR/NAME.app [OUT.dmg]
# Needs: Xcode command line tools; a "Developer ID Application" certificate in the keychain (SIGN_IDENTITY);
# a notarytool keychain profile made once with
#   xcrun notarytool store-credentials receptionist-notary --apple-id ID --team-id TEAM --password APP-PASSWORD
# Unset SIGN_IDENTITY to make an unsigned dmg (for a test on your own Mac only: Gatekeeper refuses it elsewhere).
set -euo pipefail
app=${1:?usage: make-dmg.sh DIR/NAME.app [OUT.dmg]}
app=${app%/}
name=$(basename "$app" .app)
out=${2:-$(dirname "$app")/$name.dmg}
here=$(cd "$(dirname "$0")" && pwd)
identity=${SIGN_IDENTITY:-}
profile=${NOTARY_PROFILE:-receptionist-notary}

if [ -n "$identity" ]; then
  # Sign inside out: every Mach-O in the bundle, then the bundle, with the hardened runtime and a timestamp.
  find "$app/Contents" -type f \( -name "*.so" -o -name "*.dylib" -o -perm -u+x \) -print0 |
    while IFS= read -r -d '' f; do
      if file "$f" | grep -q "Mach-O"; then
        codesign --force --timestamp --options runtime --entitlements "$here/entitlements.plist" \
          --sign "$identity" "$f"
      fi
    done
  codesign --force --timestamp --options runtime --entitlements "$here/entitlements.plist" \
    --sign "$identity" "$app"
  codesign --verify --deep --strict --verbose=2 "$app"
fi

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
rm -f "$out"
hdiutil create -volname "$name" -srcfolder "$staging" -fs HFS+ -format UDZO -ov "$out"

if [ -n "$identity" ]; then
  codesign --force --timestamp --sign "$identity" "$out"
  xcrun notarytool submit "$out" --keychain-profile "$profile" --wait
  xcrun stapler staple "$out"
  xcrun stapler validate "$out"
  spctl --assess --type open --context context:primary-signature --verbose "$out"
fi
echo "$out"
