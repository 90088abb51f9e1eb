#!/usr/bin/env bash
# Keeps the zh_CN catalog in step with the code, with jupyterlab-translate: extract the strings of
# the front end and the settings schema, merge them into the catalog, then compile it (.json for
# the page, .mo). Translate what `msgstr ""` it leaves in the .po, then run it again.
# It works on a copy of src/ and schema/, since the extractor reads every file under its folder.
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
echo "catalog: $LOCALE/zh_CN/LC_MESSAGES/jupyterlab_modelarts_snapshot.po"
