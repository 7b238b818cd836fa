#!/usr/bin/env bash
# Fetches real repositories from Debian source packages into a cache outside the checkout.
# Usage: scripts/fetch-corpus.sh PACKAGE...   (prints one unpacked directory per package)
# The cache is $LONGREPO_CORPUS_DIR, else $XDG_CACHE_HOME/longrepo-corpus, else ~/.cache/longrepo-corpus.
set -euo pipefail
cache="${LONGREPO_CORPUS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/longrepo-corpus}"
mkdir -p "$cache/debs" "$cache/src" "$cache/apt/lists/partial"
# one fetch at a time: parallel test processes may ask for the same package
exec 9>"$cache/.lock"
flock 9

mirror=$(grep -hoE '^(URIs:|deb) *https?://[^ ]*debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null \
  | grep -v security | head -1 | sed -E 's/^(URIs:|deb) *//; s/ *$//' || true)
mirror="${mirror:-http://deb.debian.org/debian}"
list="$cache/apt/sources.list"
echo "deb-src $mirror bookworm main" > "$list"
apt_opts=(-o "Dir::Etc::SourceList=$list" -o Dir::Etc::SourceParts=/nonexistent
  -o "Dir::State::Lists=$cache/apt/lists" -o Debug::NoLocking=1 -o APT::Sandbox::User=root)

updated=0
for pkg in "$@"; do
  dest="$cache/src/$pkg"
  if [ -f "$dest/.complete" ]; then echo "$dest/$(cat "$dest/.complete")"; continue; fi
  if [ $updated = 0 ]; then
    apt-get "${apt_opts[@]}" -qq update >&2
    updated=1
  fi
  # only the main .orig tarball: the extra component tarballs are not always on the mirror
  url=$(apt-get "${apt_opts[@]}" -qq --print-uris source "$pkg" | grep -oE "'[^']+\.orig\.tar\.[a-z0-9]+'" | tr -d "'" | head -1)
  [ -n "$url" ] || { echo "no .orig tarball for $pkg on $mirror" >&2; exit 1; }
  orig="$cache/debs/$(basename "$url")"
  if [ ! -s "$orig" ]; then
    if ! curl -fsSL --retry 3 -o "$orig.part" "$url"; then
      rm -f "$orig.part"
      echo "cannot download $url for $pkg" >&2
      exit 1
    fi
    mv "$orig.part" "$orig"
  fi
  rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
  tar -xf "$orig" -C "$dest.tmp" || { rm -rf "$dest.tmp"; echo "cannot unpack $orig" >&2; exit 1; }
  top=$(ls "$dest.tmp" | head -1)
  rm -rf "$dest" && mv "$dest.tmp" "$dest"
  echo "$top" > "$dest/.complete"
  echo "$dest/$top"
done
