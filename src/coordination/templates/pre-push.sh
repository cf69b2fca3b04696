#!/bin/sh
# coord:pre-push -- installed by `coord init` (rerun it to update; delete this
# file to uninstall). Blocks a push that changes files another engineer holds a
# coord claim on. The pre-push hook that was here before coord, if any, was
# renamed to pre-push.local in this directory: it runs first, with the same
# arguments and input, and its failure stops the push.
# Bypass once: git push --no-verify.   Strict (block when coord is down):
# COORD_PREPUSH_STRICT=1.
hook_dir=$(dirname "$0")
input=$(cat)
feed() { if [ -n "$input" ]; then printf '%s\n' "$input"; fi; }
if [ -x "$hook_dir/pre-push.local" ]; then
    feed | "$hook_dir/pre-push.local" "$@" || exit $?
fi
coord_bin=$(command -v coord 2>/dev/null)
if [ -z "$coord_bin" ]; then
    coord_bin={{coord_bin}}
fi
if [ ! -x "$coord_bin" ]; then
    echo "coord: 'coord' not found on PATH; claim check skipped (push allowed)." >&2
    if [ "${COORD_PREPUSH_STRICT:-}" = "1" ]; then
        exit 1
    fi
    exit 0
fi
feed | "$coord_bin" hook pre-push "$@"
