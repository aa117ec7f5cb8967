"""MkDocs hook: renders the published OpenAPI document (docs/md/openapi.json) with Redoc.

Before each build, Redocly CLI's `build-docs` writes docs/md/api-reference.html (git-ignored):
one self-contained page, Redoc's script inlined (`--inlineBundle`) and a Content-Security-Policy
in its template (docs/redoc-template.hbs) so that it loads nothing from another host: the site
shows the API reference offline and in production, where the live `/api/schema/` is off. The page
openapi.md frames it. The file is rewritten only when it changes, so `mkdocs serve` does not loop.
"""
import os
import shutil
import subprocess
import tempfile

from mkdocs.exceptions import PluginError

SOURCE = "openapi.json"
TARGET = "api-reference.html"


def on_pre_build(config):
    docs_dir = config["docs_dir"]
    root = os.path.dirname(config["config_file_path"])
    cli = os.path.join(root, "node_modules", "@redocly", "cli", "bin", "cli.js")
    if not os.path.isfile(cli):
        raise PluginError("Redocly CLI is not installed (npm install): it renders openapi.json")
    env = {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"}
    with tempfile.TemporaryDirectory() as scratch:
        built = os.path.join(scratch, TARGET)
        result = subprocess.run(
            ["node", cli, "build-docs", os.path.join(docs_dir, SOURCE), "--inlineBundle",
             "--template", os.path.join(root, "docs", "redoc-template.hbs"),
             "--title", "Backoffice API reference", "--output", built],
            cwd=root, env=env, capture_output=True, text=True,
        )
        if result.returncode != 0 or not os.path.isfile(built):
            raise PluginError(f"redocly build-docs failed:\n{result.stdout}\n{result.stderr}")
        target = os.path.join(docs_dir, TARGET)
        with open(built, "rb") as new:
            fresh = new.read()
        if not os.path.isfile(target) or open(target, "rb").read() != fresh:
            shutil.copyfile(built, target)
