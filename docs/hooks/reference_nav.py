"""MkDocs hook: expands the nav entry `reference/index.md` into the whole generated code reference.

typedoc writes one page per module of src/ into docs/md/reference/ (git-ignored). Listing those
pages by hand in mkdocs.yml would drift whenever a module is added or removed, so this hook
builds that part of the nav from the files typedoc wrote, grouped by feature folder.
"""
import os

from mkdocs.exceptions import PluginError

INDEX = "reference/index.md"


def _section(docs_dir, folder):
    """Nav entries for the pages of one folder below docs_dir: pages first, then subfolders."""
    base = os.path.join(docs_dir, folder)
    entries = sorted(os.listdir(base))
    pages = [e for e in entries if e.endswith(".md") and os.path.isfile(os.path.join(base, e))]
    folders = [e for e in entries if os.path.isdir(os.path.join(base, e))]
    nav = [{page[:-3]: f"{folder}/{page}"} for page in pages if f"{folder}/{page}" != INDEX]
    nav += [{sub: _section(docs_dir, f"{folder}/{sub}")} for sub in folders]
    return nav


def _expand(items, docs_dir):
    """Walks the nav; replaces the item pointing at the reference index by the whole section."""
    found = False
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        for title, target in item.items():
            if target == INDEX:
                items[i] = {title: [{"Overview": INDEX}] + _section(docs_dir, "reference")}
                found = True
            elif isinstance(target, list):
                found = _expand(target, docs_dir) or found
    return found


def on_config(config, **kwargs):
    docs_dir = config["docs_dir"]
    if not os.path.isfile(os.path.join(docs_dir, INDEX)):
        raise PluginError(f"{os.path.join(docs_dir, INDEX)} is missing: run typedoc first (npm run docs does both)")
    if not _expand(config["nav"] or [], docs_dir):
        raise PluginError(f"mkdocs.yml: the nav has no entry for {INDEX}")
    return config
