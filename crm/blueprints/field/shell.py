"""The app shell the service worker keeps on the phone, and its version.

The shell is every file under crm/static that a page may load (the woff fallback and licences aside),
Bootstrap's own files, the offline page and the manifest. Its version is a hash of those files' bytes
and of the worker's and offline page's templates: a deploy that changes any of them changes the worker
script, the browser installs the new worker, and the new worker drops the old caches when it takes over.
Computed once per app (the files do not change under a running process).
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app, url_for

SKIPPED = (".woff", "LICENSE", ".map", ".md")  # browsers that run service workers all take woff2
BOOTSTRAP_FILES = ("css/bootstrap.min.css", "umd/popper.min.js", "js/bootstrap.min.js")
TEMPLATES = ("field/sw.js", "field/offline.html")
_KEY = "crm_app_shell"


@dataclass(frozen=True)
class Shell:
    version: str
    urls: tuple[str, ...]
    size: int  # bytes of the static files precached


def _static_files(app: Flask) -> list[tuple[str, str, Path]]:
    """(endpoint, filename, path) of every shell file, in a stable order."""
    out = []
    root = Path(app.static_folder or "")
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if not path.name.endswith(SKIPPED):
            out.append(("static", path.relative_to(root).as_posix(), path))
    bootstrap = app.blueprints.get("bootstrap")
    if bootstrap is not None and bootstrap.static_folder:
        for name in BOOTSTRAP_FILES:
            path = Path(bootstrap.static_folder) / name
            if path.is_file():
                out.append(("bootstrap.static", name, path))
    return out


def manifest_data() -> dict:
    """The web app manifest: name, icons and colours of the installed app."""
    icon = lambda name, size, purpose="any": {  # noqa: E731 -- a row of the table below
        "src": url_for("static", filename=f"icons/{name}"),
        "sizes": size,
        "type": "image/png",
        "purpose": purpose,
    }
    return {
        "name": "联企通",
        "short_name": "联企通",
        "description": "园区联企干部走访、问题交办与跟踪",
        "lang": "zh-CN",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#0d6efd",
        "icons": [
            icon("icon-192.png", "192x192"),
            icon("icon-512.png", "512x512"),
            icon("icon-maskable-512.png", "512x512", "maskable"),
        ],
        "shortcuts": [{"name": "待同步走访", "short_name": "待同步", "url": url_for("field.drafts")}],
    }


def app_shell() -> Shell:
    """The shell of the running app (computed on first use, inside a request)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    shell = app.extensions.get(_KEY)
    if shell is None:
        digest = hashlib.sha256()
        urls, size = [], 0
        for endpoint, filename, path in _static_files(app):
            url = url_for(endpoint, filename=filename)
            data = path.read_bytes()
            digest.update(url.encode() + b"\0" + hashlib.sha256(data).digest())
            urls.append(url)
            size += len(data)
        loader = app.jinja_env.loader
        for name in TEMPLATES:
            if loader is not None:
                digest.update(loader.get_source(app.jinja_env, name)[0].encode())
        digest.update(json.dumps(manifest_data(), sort_keys=True).encode())
        urls += [url_for("field.offline"), url_for("field.manifest")]
        shell = Shell(digest.hexdigest()[:16], tuple(urls), size)
        app.extensions[_KEY] = shell
    return shell
