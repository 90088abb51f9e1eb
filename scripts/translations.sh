#!/usr/bin/env bash
# Keeps the zh_CN catalogs in step with the code: extract, merge into the catalog, compile.
# - The front end and the settings schema, with jupyterlab-translate: domain
#   jupyterlab_modelarts_snapshot (.json for the page, .mo). It works on a copy of src/ and
#   schema/, since the extractor reads every file under its folder.
# - The server's and the CLI's messages (`_()` and `tr()` in the Python package), with Babel:
#   domain jupyterlab_modelarts_snapshot_server (.mo).
# Translate what `msgstr ""` they leave in the .po files, then run it again.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
. "${VENV:-.venv}/bin/activate"
LOCALE=jupyterlab_modelarts_snapshot/locale
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/jupyterlab_modelarts_snapshot"
cp -r package.json src schema "$WORK/"
# The catalog comes along; the old template does not (the extractor would merge its line numbers).
[ -d "$LOCALE" ] && cp -r "$LOCALE" "$WORK/jupyterlab_modelarts_snapshot/"
rm -f "$WORK/$LOCALE/jupyterlab_modelarts_snapshot.pot"
(
  cd "$WORK"
  jupyterlab-translate extract . jupyterlab_modelarts_snapshot
  jupyterlab-translate update . jupyterlab_modelarts_snapshot -l zh_CN
  # Babel names the language zh_Hans_CN; JupyterLab loads a catalog only for its own name, zh-CN.
  sed -i 's/zh_Hans_CN/zh_CN/g' "$LOCALE/zh_CN/LC_MESSAGES/jupyterlab_modelarts_snapshot.po"
  jupyterlab-translate compile . jupyterlab_modelarts_snapshot -l zh_CN
) >/dev/null
rm -rf "$LOCALE"
cp -r "$WORK/$LOCALE" "$LOCALE"

SERVER=jupyterlab_modelarts_snapshot_server
SERVER_PO="$LOCALE/zh_CN/LC_MESSAGES/$SERVER.po"
pybabel -q extract --no-default-keywords -k _ -k tr --sort-by-file --project jupyterlab-modelarts-snapshot \
  -o "$LOCALE/$SERVER.pot" jupyterlab_modelarts_snapshot >/dev/null
if [ -f "$SERVER_PO" ]; then
  # No fuzzy guesses: a new message stays untranslated until someone translates it.
  pybabel -q update -D "$SERVER" -i "$LOCALE/$SERVER.pot" -d "$LOCALE" -l zh_CN \
    --no-fuzzy-matching --ignore-obsolete >/dev/null
else
  pybabel -q init -D "$SERVER" -i "$LOCALE/$SERVER.pot" -d "$LOCALE" -l zh_CN >/dev/null
fi
sed -i 's/zh_Hans_CN/zh_CN/g' "$SERVER_PO"
pybabel compile -D "$SERVER" -d "$LOCALE" -l zh_CN --statistics
echo "catalogs: $LOCALE/zh_CN/LC_MESSAGES/jupyterlab_modelarts_snapshot.po and $SERVER_PO"
