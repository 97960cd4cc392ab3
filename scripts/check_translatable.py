"""Static check: every string a user may read is marked for translation, so that Odoo's export finds it.

What Odoo's export (``odoo-bin --i18n-export``) cannot see stays English for everyone. It reads:
- Python: the literal arguments of ``_()``, ``_lt()`` and ``env._()`` (Babel); field labels, helps, selections,
  ``_description`` and ``_sql_constraints`` come from the database instead. A file Babel cannot read loses all
  its terms silently (an f-string inside a ``_()`` call does that), so such a file is a failure too.
- JavaScript: the literal arguments of ``_t()``.
- OWL templates (static/src/**/*.xml): text nodes and the attributes OWL translates (title, placeholder, alt,
  label, data-tooltip); a string inside an expression (``t-esc="x ? 'Ringing' : ''"``) or in a component's prop
  without ``.translate`` is never exported, and a static aria-label is exported but never translated.

Prose is recognised by its shape (a capitalised word followed by more words, or three lower-case words);
identifiers, CSS classes, URLs and SQL do not look like that. In Python and JavaScript a single capitalised
word ("Conference") is a label too, unless it is compared with something: then it is a value the PBX or the
browser sends ("Up", "Escape"). Machine-facing texts are listed below by the call that carries them.
"""

import ast
import re
import xml.etree.ElementTree as ET

from babel.messages import extract
from babel.messages.jslexer import tokenize

PROSE = re.compile(r"^[A-Z][a-z']+(?:[ ,]+\S+)+|^[a-z]+(?: [a-z]+){2,}")
WORD = re.compile(r"^[A-Z][a-z]+$")
# Babel's lexer reads === as == then =, and !== as != then =.
JS_COMPARISONS = {"==", "!="}
PY_TRANSLATION_CALLS = {"_", "_lt"}
PY_FOLDERS = ("models", "wizard", "controllers", "cli", "pbx", "tools")
# The webhook's answers go to the PBX that posted an event (its administrator reads them in the PBX's logs),
# and the simulated PBX speaks Asterisk's English, as Asterisk does.
PY_MACHINE_FILES = {"controllers/main.py", "tools/webhook.py", "pbx/simulator.py"}
# Texts that never reach a person in Odoo: the log, SQL.
PY_MACHINE_CALLS = {"debug", "info", "warning", "error", "exception", "critical", "SQL", "execute"}
# In pbx/ (the router's own reasons go to the log and to Odoo as codes), only an error reaches a user.
PBX_ERROR = re.compile(r"^(Pbx\w*|AriDisabled)$")
# Field definitions carry their labels to the database, which Odoo exports as model terms.
PY_FIELD_KEYWORDS = {"string", "help", "selection", "placeholder"}
PY_FIELD_TYPES = {"Selection", "Char", "Text", "Html", "Integer", "Float", "Boolean", "Date", "Datetime", "Binary"}
PY_MODEL_TERMS = {"_description", "_sql_constraints"}
# The calls whose string arguments no user reads (or, for _t, that are translated), by their last name; and the
# browser console.
JS_MACHINE_CALLS = {"_t", "UserAgent", "querySelector", "querySelectorAll", "useService", "console"}
# The attributes OWL translates when it compiles a template in Odoo 18 (owl.js TRANSLATABLE_ATTRS and web's
# env.js): Odoo's export also reads aria-label, but the browser would show it in English.
TRANSLATED_ATTRS = {"label", "title", "placeholder", "alt", "data-tooltip"}
QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")


def _call_name(node):
    return node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)


def _is_selection_pair(node, parents):
    """``("key", "Label")``: a selection's option, whose label Odoo exports from the database."""
    pair = parents.get(node)
    return (
        isinstance(pair, ast.Tuple)
        and len(pair.elts) == 2
        and pair.elts[1] is node
        and isinstance(pair.elts[0], ast.Constant)
        and isinstance(pair.elts[0].value, str)
        and re.fullmatch(r"[a-z0-9_]+", pair.elts[0].value) is not None
    )


def _in_pbx_error(node, parents):
    parent = parents.get(node)
    while parent is not None:
        if isinstance(parent, ast.Call) and PBX_ERROR.match(_call_name(parent) or ""):
            return True
        parent = parents.get(parent)
    return False


def _python_string_is_exported(node, parents):
    if _is_selection_pair(node, parents):
        return True
    parent = parents.get(node)
    if isinstance(parent, ast.Expr):
        return True  # a docstring
    while parent is not None:
        if isinstance(parent, ast.Call):
            name = _call_name(parent)
            if name in PY_TRANSLATION_CALLS or name in PY_MACHINE_CALLS:
                return True
            if name in PY_FIELD_TYPES and node in parent.args:
                return True
        if isinstance(parent, ast.keyword) and parent.arg in PY_FIELD_KEYWORDS:
            return True
        if isinstance(parent, ast.Assign) and any(getattr(t, "id", None) in PY_MODEL_TERMS for t in parent.targets):
            return True
        parent = parents.get(parent)
    return False


def _python_prose(node, parents):
    if PROSE.match(node.value):
        return True
    return WORD.match(node.value) is not None and not isinstance(parents.get(node), ast.Compare)


def check_python(path, relative, failures, only_errors=False):
    source = path.read_bytes()
    try:
        with path.open("rb") as file:
            list(extract.extract("python", file, keywords={"_": None, "_lt": None}))
    except Exception as error:  # noqa: BLE001 - Babel raises whatever eval() of a token raised
        failures.append(
            f"{relative}: Odoo's export cannot read this file ({type(error).__name__}: {error}), so none of its "
            "strings would be translated: keep f-strings and other expressions out of the arguments of _()."
        )
        return
    tree = ast.parse(source, filename=str(path))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _python_prose(node, parents):
            if only_errors and not _in_pbx_error(node, parents):
                continue
            if not _python_string_is_exported(node, parents):
                failures.append(f"{relative}:{node.lineno}: {node.value[:60]!r} is shown untranslated: wrap it in _().")


def check_javascript(path, relative, failures):
    calls = []  # the name before each open parenthesis: whose arguments we are in
    tokens = tokenize(path.read_text(encoding="utf-8"), jsx=False, dotted=True, template_string=True)
    previous = before = None
    compared = None  # a one-word string just before a comparison: a value, not a label
    for token in tokens:
        if token.type in ("linecomment", "multilinecomment"):
            continue
        if compared and not (token.type == "operator" and token.value in JS_COMPARISONS):
            failures.append(_untranslated_js(relative, compared))
        compared = None
        if token.type == "operator" and token.value == "(":
            name = previous.value if previous and previous.type == "name" else ""
            calls.append("console" if name.startswith("console.") else name.rpartition(".")[2])
        elif token.type == "operator" and token.value == ")" and calls:
            calls.pop()
        elif token.type in ("string", "template_string") and not JS_MACHINE_CALLS & set(calls):
            text = token.value[1:-1]
            if PROSE.match(text):
                failures.append(_untranslated_js(relative, token))
            elif WORD.match(text) and not _after_comparison(previous, before):
                compared = token
        previous, before = token, previous
    if compared:
        failures.append(_untranslated_js(relative, compared))


def _after_comparison(previous, before):
    if previous is None or previous.type != "operator":
        return False
    return previous.value in JS_COMPARISONS or (previous.value == "=" and before and before.value in JS_COMPARISONS)


def _untranslated_js(relative, token):
    return f"{relative}:{token.lineno}: {token.value[1:-1][:60]!r} is shown untranslated: wrap it in _t()."


def _prose_literals(expression):
    for match in QUOTED.finditer(expression):
        text = match.group(1) if match.group(1) is not None else match.group(2)
        if PROSE.match(text):
            yield text


def check_template(path, relative, failures):
    for element in ET.parse(path).iter():
        component = isinstance(element.tag, str) and element.tag[:1].isupper()
        for name, value in element.attrib.items():
            if name.endswith(".translate"):
                continue
            if name.startswith("t-") or component:
                for text in _prose_literals(value):
                    failures.append(
                        f"{relative}: <{element.tag} {name}> holds {text[:60]!r}, which Odoo never exports: pass it "
                        "from _t() in the component (or use a prop's .translate suffix)."
                    )
            elif PROSE.match(value) and name not in TRANSLATED_ATTRS:
                failures.append(
                    f"{relative}: <{element.tag} {name}={value[:60]!r}> is not an attribute OWL translates: move "
                    "the text to title, or give it from _t() (t-att-...)."
                )


def check_translatable(root, failures, files):
    """``files(folder, suffix)`` lists a folder's files; returns a one-line summary."""
    counts = {"python": 0, "javascript": 0, "templates": 0}
    for folder in PY_FOLDERS:
        for path in files(root / folder, ".py") if (root / folder).is_dir() else []:
            relative = path.relative_to(root)
            if relative.as_posix() in PY_MACHINE_FILES or "tests" in relative.parts:
                continue
            counts["python"] += 1
            check_python(path, relative, failures, only_errors=folder == "pbx")
    static = root / "static" / "src"
    for path in files(static, ".js") if static.is_dir() else []:
        counts["javascript"] += 1
        check_javascript(path, path.relative_to(root), failures)
    for path in files(static, ".xml") if static.is_dir() else []:
        counts["templates"] += 1
        check_template(path, path.relative_to(root), failures)
    return (
        f"user-facing strings marked for translation in {counts['python']} Python, {counts['javascript']} "
        f"JavaScript and {counts['templates']} template files"
    )
