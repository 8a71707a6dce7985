#!/usr/bin/env bash
# Puts `refinery` on PATH for every terminal: a symlink to bin/refinery in /usr/local/bin when this
# user may write there, else in ~/.local/bin. Says where, and whether that folder is on PATH.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
launcher="$root/bin/refinery"

link_in() { # <folder>: succeeds when <folder>/refinery is (now) a link to this checkout's launcher
  local link="$1/refinery"
  mkdir -p "$1" 2>/dev/null && [ -w "$1" ] || return 1
  # Another file of that name (not a link) is someone else's command: leave it alone.
  [ -e "$link" ] && [ ! -L "$link" ] && { echo "refinery: $link exists and is not a link; not replacing it" >&2; return 1; }
  [ "$(readlink "$link" 2>/dev/null)" = "$launcher" ] || ln -sfn "$launcher" "$link"
}

for folder in /usr/local/bin "$HOME/.local/bin"; do
  link_in "$folder" || continue
  case ":$PATH:" in
    *":$folder:"*) echo "refinery: $folder/refinery -> $launcher ($folder is on PATH)" ;;
    *) echo "refinery: $folder/refinery -> $launcher; $folder is NOT on PATH: add it (export PATH=\"$folder:\$PATH\" in your shell profile), or run $launcher" ;;
  esac
  exit 0
done
echo "refinery: could not link it into /usr/local/bin or ~/.local/bin; run $launcher instead" >&2
