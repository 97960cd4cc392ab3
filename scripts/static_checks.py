"""Checks of the addon that need no Odoo: run before the slow Odoo suite to fail fast and clearly.

- every XML file parses;
- the manifest is a literal dict with version 18.0.x.y.z and license LGPL-3, and every file its
  data, demo and assets (globs aside) name exists;
- every model declared under models/ and wizard/ has an access line in security/ir.model.access.csv;
- nothing in pbx/ imports odoo;
- every string a user may read is marked for translation (check_translatable.py);
- every Python file runs on Python 3.10, Odoo 18's oldest Python (vermin reads the syntax, modules and
  members each file uses: ``from datetime import UTC`` needs 3.11).

Usage: static_checks.py [ADDON_DIR]   (default: the repository this script lives in)
"""

import ast
import csv
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from check_translatable import check_translatable

MODULE = "telephony"
SKIPPED_DIRS = {".build", ".git", "node_modules", ".venv", "venv", "__pycache__"}
VERSION = re.compile(r"^18\.0\.\d+\.\d+\.\d+$")
GLOB_CHARS = set("*?[")
MODEL_BASES = {"Model", "TransientModel"}
OLDEST_PYTHON = "3.10"


def files(root, suffix):
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        found += [Path(folder, name) for name in names if name.endswith(suffix)]
    return sorted(found)


def check_xml(root, failures):
    count = 0
    for path in files(root, ".xml"):
        count += 1
        try:
            ET.parse(path)
        except ET.ParseError as error:
            failures.append(f"{path.relative_to(root)} is not well-formed XML: {error}.")
    return f"{count} XML files parse"


def asset_paths(entry):
    """The file paths of this addon named by one assets entry (a path, or a directive tuple)."""
    if isinstance(entry, str):
        candidates = [entry]
    elif isinstance(entry, (list, tuple)) and entry and entry[0] != "include":
        candidates = [entry[-1]]
    else:
        candidates = []
    return [c for c in candidates if isinstance(c, str) and c.startswith(f"{MODULE}/") and not GLOB_CHARS & set(c)]


def check_manifest(root, failures):
    path = root / "__manifest__.py"
    try:
        manifest = ast.literal_eval(path.read_text(encoding="utf-8"))
    except ValueError:
        failures.append("__manifest__.py is not a literal Python dict: it computes something (a call, a name...).")
        return "manifest unreadable"
    except (OSError, SyntaxError) as error:
        failures.append(f"__manifest__.py is not a literal Python dict: {error}.")
        return "manifest unreadable"
    if not isinstance(manifest, dict):
        failures.append("__manifest__.py does not contain a dict.")
        return "manifest unreadable"
    version, license_ = manifest.get("version", ""), manifest.get("license")
    if not VERSION.match(str(version)):
        failures.append(f"__manifest__.py: version {version!r} is not of the form 18.0.x.y.z.")
    if license_ != "LGPL-3":
        failures.append(f"__manifest__.py: license {license_!r} should be 'LGPL-3'.")

    listed = [(key, name) for key in ("data", "demo") for name in manifest.get(key, [])]
    for bundle, entries in manifest.get("assets", {}).items():
        listed += [(f"assets[{bundle!r}]", name[len(MODULE) + 1 :]) for e in entries for name in asset_paths(e)]
    for key, name in listed:
        if not (root / name).is_file():
            failures.append(f"__manifest__.py: {key} lists {name}, which does not exist.")
    return f"manifest {version} {license_}, {len(listed)} listed files exist"


def literal_assignments(class_node):
    values = {}
    for node in class_node.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                continue  # not a literal (a computed value): irrelevant here
            values[node.targets[0].id] = value
    return values


def is_model_class(class_node):
    for base in class_node.bases:
        name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", None)
        if name in MODEL_BASES:
            return True
    return False


def parse(path, root, failures):
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError) as error:
        failures.append(f"{path.relative_to(root)} is not valid Python: {error}.")
        return None


def declared_models(root, failures):
    """(model name, file) for each new concrete model: `_name` set and not merely extending itself."""
    models = []
    for folder in ("models", "wizard"):
        for path in files(root / folder, ".py") if (root / folder).is_dir() else []:
            tree = parse(path, root, failures)
            for node in ast.walk(tree) if tree else []:
                if isinstance(node, ast.ClassDef) and is_model_class(node):
                    values = literal_assignments(node)
                    name, inherit = values.get("_name"), values.get("_inherit", [])
                    inherit = [inherit] if isinstance(inherit, str) else inherit
                    if isinstance(name, str) and name not in inherit:
                        models.append((name, path.relative_to(root)))
    return models


def check_access(root, failures):
    models = declared_models(root, failures)
    acl = root / "security" / "ir.model.access.csv"
    covered = set()
    if acl.is_file():
        with acl.open(encoding="utf-8", newline="") as csv_file:
            for row in csv.DictReader(csv_file):
                covered.add((row.get("model_id:id") or "").strip().removeprefix(f"{MODULE}."))
    elif models:
        failures.append(f"{acl.relative_to(root)} is missing, but the addon declares {len(models)} models.")
        return "no access file"
    for name, path in models:
        xmlid = "model_" + name.replace(".", "_")
        if xmlid not in covered:
            failures.append(
                f"{path}: model {name!r} has no line in security/ir.model.access.csv (model_id:id {xmlid})."
            )
    return f"{len(models)} models have access lines"


def imports_odoo(node):
    if isinstance(node, ast.Import):
        return any(alias.name == "odoo" or alias.name.startswith("odoo.") for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        module = node.module or ""
        return node.level == 0 and (module == "odoo" or module.startswith("odoo."))
    return False


def check_pbx_independent(root, failures):
    count = 0
    for path in files(root / "pbx", ".py") if (root / "pbx").is_dir() else []:
        count += 1
        tree = parse(path, root, failures)
        for node in ast.walk(tree) if tree else []:
            if imports_odoo(node):
                failures.append(f"{path.relative_to(root)}:{node.lineno} imports odoo; pbx/ must never import odoo.")
    return f"{count} pbx/ files free of odoo"


def check_python_version(root, failures):
    paths = files(root, ".py")
    command = [
        sys.executable,
        "-c",
        "import sys; from vermin import main; sys.exit(main())",
        f"-t={OLDEST_PYTHON}-",
        "--violations",
        "--format",
        "parsable",
        "--no-parse-comments",
        *map(str, paths),
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        failures.append(f"vermin could not run: {error}.")
        return "Python version unchecked"
    if "No module named 'vermin'" in result.stderr:
        failures.append("vermin is not installed: pip install -r requirements-dev.txt.")
        return "Python version unchecked"
    # Parsable lines are path:line:column:py2:py3:feature; a line without a line number is a file's summary.
    violations = [line.split(":", 5) for line in result.stdout.splitlines()]
    for path, line, _column, _py2, py3, feature in (v for v in violations if len(v) == 6 and v[1]):
        failures.append(
            f"{Path(path).relative_to(root)}:{line} uses {feature}, which needs Python {py3}; "
            f"the addon must run on Python {OLDEST_PYTHON}."
        )
    if result.returncode and not any(len(v) == 6 and v[1] for v in violations):
        failures.append(f"vermin failed: {(result.stderr or result.stdout).strip()}")
    return f"{len(paths)} Python files run on Python {OLDEST_PYTHON}"


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent).resolve()
    failures = []
    results = [
        check(root, failures)
        for check in (
            check_xml,
            check_manifest,
            check_access,
            check_pbx_independent,
            check_python_version,
        )
    ]
    results.append(check_translatable(root, failures, files))
    for failure in failures:
        sys.stdout.write(f"FAIL: {failure}\n")
    if failures:
        sys.stdout.write(f"Static checks: {len(failures)} problem(s).\n")
        return 1
    sys.stdout.write(f"Static checks OK: {'; '.join(results)}.\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
