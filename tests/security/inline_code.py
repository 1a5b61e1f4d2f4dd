"""What a Content-Security-Policy would block on a page: inline scripts and styles not allowed
by a hash, event-handler and style attributes, and javascript: links."""

import base64
import hashlib
from html.parser import HTMLParser


def policy_of(response):
    """{"script-src": ["'self'", …], …} from the response's Content-Security-Policy header."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def allowed_by(policy, kind):
    return policy.get(f"{kind}-src", policy.get("default-src", []))


def _hash(text):
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


class _InlineCode(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []  # (kind, what, text or None)
        self._open = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name.startswith("on"):
                self.found.append(("script", f"<{tag} {name}=…>", None))
            elif name == "style":
                self.found.append(("style", f"<{tag} style=…>", None))
            elif name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(("script", f"<{tag} {name}=javascript:…>", None))
        if tag == "style" or (tag == "script" and "src" not in attrs):
            self._open = (tag if tag == "style" else "script", [])

    def handle_data(self, data):
        if self._open:
            self._open[1].append(data)

    handle_entityref = handle_charref = lambda self, name: None  # noqa: E731

    def handle_endtag(self, tag):
        if self._open and tag in ("style", "script"):
            kind, parts = self._open
            text = "".join(parts)
            if text.strip():
                self.found.append((kind, f"<{tag}>{text.strip()[:60]}…", text))
            self._open = None


def blocked(html, policy):
    """Descriptions of the inline code on the page the policy would refuse to run or apply."""
    parser = _InlineCode()
    parser.feed(html)
    refused = []
    for kind, what, text in parser.found:
        sources = allowed_by(policy, kind)
        if "'unsafe-inline'" in sources:
            continue
        if text is not None and _hash(text) in sources:
            continue
        refused.append(what)
    return refused
