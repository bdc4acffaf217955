"""The console's pages and their ES modules, served as the browser loads them: every module a page names and every
module those import is there, as JavaScript, and exports each name imported from it; no inline script anywhere."""

from __future__ import annotations

import re
from posixpath import dirname, normpath
from typing import Any

from fastapi.testclient import TestClient

from console.main import STATIC

PAGES = ("login.html", "desk.html", "ops.html")
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S)
IMPORT = re.compile(r"^import \{([^}]*)\} from '([^']+)';$", re.M)
EXPORT = re.compile(r"^export (?:async )?(?:function|const|let|class) ([\w$]+)|^export const \{ ([\w$]+) \} =", re.M)
MARKUP = re.compile(r"\binnerHTML\b|\bouterHTML\b|insertAdjacentHTML|document\.write|\beval\(|new Function\b")


def module_graph(client: TestClient) -> dict[str, str]:
    """Every module the pages load, by URL path, with its source as served."""
    todo: list[str] = []
    for page in PAGES:
        for attrs, body in SCRIPT.findall((STATIC / page).read_text(encoding="utf-8")):
            assert not body.strip(), f"inline script in {page}"
            src = re.search(r'src="([^"]+)"', attrs)
            assert src, f"a script without src in {page}"
            if src.group(1).startswith("/static/"):
                assert 'type="module"' in attrs, f"{src.group(1)} is not loaded as a module"
                todo.append(src.group(1))
    found: dict[str, str] = {}
    while todo:
        path = todo.pop()
        if path in found:
            continue
        resp = client.get(path)
        assert resp.status_code == 200, path
        assert resp.headers["content-type"].split(";")[0] in {"text/javascript", "application/javascript"}, path
        found[path] = resp.text
        todo.extend(normpath(f"{dirname(path)}/{target}") for _, target in IMPORT.findall(resp.text))
    return found


def test_every_module_is_served_as_javascript_and_exports_what_is_imported(app_and_rasa: Any) -> None:
    app, _ = app_and_rasa
    with TestClient(app) as client:
        modules = module_graph(client)
    assert {"/static/login.js", "/static/desk/main.js", "/static/ops/main.js", "/static/shared/api.js"} <= set(modules)
    on_disk = {f"/static/{p.relative_to(STATIC).as_posix()}" for p in STATIC.rglob("*.js")}
    assert set(modules) == on_disk, "a module no page loads"
    exports = {path: {a or b for a, b in EXPORT.findall(src)} for path, src in modules.items()}
    for path, src in modules.items():
        assert src.startswith("// "), f"{path} does not say what it holds"
        assert not MARKUP.search(src), f"{path} parses markup or code"
        for names, target in IMPORT.findall(src):
            wanted = {n.strip() for n in names.split(",") if n.strip()}
            missing = wanted - exports[normpath(f"{dirname(path)}/{target}")]
            assert not missing, f"{path} imports {sorted(missing)} that {target} does not export"
