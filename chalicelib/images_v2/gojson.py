"""JSON as Go's encoding/json writes it, for configs that read like docker's (v2-pull §3.5):
compact, `<`, `>`, `&`, U+2028 and U+2029 escaped, map keys sorted byte-wise, times in
RFC 3339 with trailing zeros of the fraction dropped (time.RFC3339Nano)."""
import json
import re

HEX = "0123456789abcdef"
HTML_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
               "\u2028": "\\u2028", "\u2029": "\\u2029"}
SHORT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})")
ZERO_TIME = "0001-01-01T00:00:00Z"


def string(value: str) -> str:
    out = ['"']
    for char in value:
        if char in SHORT:
            out.append(SHORT[char])
        elif char in HTML_UNSAFE:
            out.append(HTML_UNSAFE[char])
        elif char < " ":
            out.append("\\u00" + HEX[ord(char) >> 4] + HEX[ord(char) & 0xF])
        elif "\ud800" <= char <= "\udfff":      # a lone surrogate: Go writes U+FFFD
            out.append("\ufffd")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def compact(raw: str) -> str:
    """Go's json.Compact with HTML escaping, as it writes a json.RawMessage: whitespace
    outside strings dropped, everything else kept as it was written."""
    out, in_string, escaped = [], False, False
    for char in raw:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            out.append(HTML_UNSAFE.get(char, char))
        elif char == '"':
            in_string = True
            out.append(char)
        elif char not in " \t\n\r":
            out.append(char)
    return "".join(out)


def raw_members(text: str) -> dict[str, str]:
    """The members of a JSON object, each value as its compacted text (a repeated key: the
    last one, as when Go decodes into a map)."""
    text, decoder, members = compact(text), json.JSONDecoder(), {}
    if not text.startswith("{"):
        raise ValueError("not a JSON object")
    position = 1
    while text[position] != "}":
        key, position = decoder.raw_decode(text, position)
        start = position + 1                          # past ":"
        _, position = decoder.raw_decode(text, start)
        members[key] = text[start:position]
        if text[position] == ",":
            position += 1
    return members


def map_object(members: dict[str, str]) -> str:
    """An object of raw members with sorted keys, as Go writes a map."""
    return "{" + ",".join(string(key) + ":" + members[key] for key in sorted(members)) + "}"


def time(value) -> str:
    """An RFC 3339 time as Go writes a time.Time; anything else is Go's zero time."""
    match = RFC3339.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return ZERO_TIME
    fraction = (match[2] or "")[:9].rstrip("0")
    zone = "Z" if match[3] in ("Z", "+00:00", "-00:00") else match[3]
    return match[1] + ("." + fraction if fraction else "") + zone
