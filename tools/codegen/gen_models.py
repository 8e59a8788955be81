#!/usr/bin/env python3
"""Generate compact Rust model tables for iamd-api from botocore service models.

Usage:
    pip download --no-deps botocore==1.44.5 -d /tmp/x && cd /tmp/x && unzip -q botocore-*.whl
    python3 tools/codegen/gen_models.py /tmp/x/botocore/data 1.44.5

Reads botocore/data/{iam,sts,secretsmanager,cloudtrail}/<version>/service-2.json[.gz] and writes
crates/iamd-api/src/generated/<service>.rs (the model tables the decoders and encoders walk) and
crates/iamd-api/src/shapes/<service>.rs (typed input and output structs per operation, see
gen_types.py). Only the generated Rust is committed. With `--check`, writes nothing and exits 1
when a committed file differs from what the generator produces (tests/e2e/test_codegen.py).
Python 3.11, standard library only.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import sys

SERVICES = [
    ("iam", "2010-05-08", "Iam"),
    ("sts", "2011-06-15", "Sts"),
    ("secretsmanager", "2017-10-17", "SecretsManager"),
    ("cloudtrail", "2013-11-01", "CloudTrail"),
]

# Constraints a service checks itself, with its own modeled exception, instead of answering the
# generic `ValidationException`: removed from the shape before generating, so the decoder lets the
# value through to the operation. CloudTrail's LookupEvents answers `InvalidMaxResultsException`
# for MaxResults outside 1–50, `InvalidLookupAttributesException` for an unknown AttributeKey or
# a bad AttributeValue, and `InvalidEventCategoryException` for an EventCategory other than
# `insight` (the model's LookupEvents errors; crates/iamd-cloudtrail checks each). These shapes
# are used by LookupEvents only. All of CloudTrail's operations are generated: the ones iamd does
# not serve answer NotImplemented.
RELAXED = {
    ("cloudtrail", "MaxResults"): ("min", "max"),
    ("cloudtrail", "LookupAttributeKey"): ("enum",),
    ("cloudtrail", "LookupAttributeValue"): ("min", "max"),
    ("cloudtrail", "EventCategory"): ("enum",),
}

KINDS = {
    "structure": "Structure",
    "list": "List",
    "map": "Map",
    "string": "String",
    "integer": "Integer",
    "long": "Long",
    "boolean": "Boolean",
    "timestamp": "Timestamp",
    "blob": "Blob",
    "double": "Double",
    "float": "Float",
}


def rs_str(s: str) -> str:
    """A Rust string literal (raw when possible)."""
    if '"#' not in s and "\n" not in s:
        if "\\" in s or '"' in s:
            return 'r#"' + s + '"#'
        return '"' + s + '"'
    return json.dumps(s)


def opt_str(s):
    return "None" if s is None else "Some(" + rs_str(s) + ")"


def opt_num(n):
    return "None" if n is None else "Some(" + repr(int(n)) + ")"


def java_to_rust_regex(p: str):
    """Translate a Java regex (as used by AWS's validators) to Rust `regex` syntax.

    Java's \\w and \\d are ASCII-only by default; Rust's are Unicode, so they are spelled out.
    \\uXXXX escapes become \\x{XXXX}. Look-around is not supported by `regex`: return None.
    The result is anchored because AWS matches the whole value (Java `Matcher.matches`).
    """
    if "(?!" in p or "(?=" in p or "(?<" in p:
        return None
    out = []
    i = 0
    in_class = False
    while i < len(p):
        c = p[i]
        if c == "\\" and i + 1 < len(p):
            n = p[i + 1]
            if n == "u":
                # Java allows \uXXXX (4 hex). Models also write \u10000 meaning U+10000.
                m = re.match(r"[0-9A-Fa-f]{4,6}", p[i + 2 :])
                hexd = m.group(0) if m else ""
                if len(hexd) > 4 and not in_class:
                    hexd = hexd[:4]
                out.append("\\x{" + hexd + "}")
                i += 2 + len(hexd)
                continue
            if n == "w":
                out.append("a-zA-Z0-9_" if in_class else "[a-zA-Z0-9_]")
                i += 2
                continue
            if n == "d":
                out.append("0-9" if in_class else "[0-9]")
                i += 2
                continue
            out.append(c + n)
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
        elif c == "]" and in_class:
            in_class = False
        out.append(c)
        i += 1
    body = "".join(out)
    # Java allows surrogate code points in classes; Rust does not. Clamp \x{D7FF}-\x{E000} gaps.
    return "^(?:" + body + ")$"


def load(data_dir: str, name: str, version: str):
    base = os.path.join(data_dir, name, version)
    path = os.path.join(base, "service-2.json")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            model = json.load(f)
    else:
        with gzip.open(path + ".gz", "rt", encoding="utf-8") as f:
            model = json.load(f)
    for (service, shape), keys in RELAXED.items():
        if service == name:
            for k in keys:
                model["shapes"][shape].pop(k, None)
    return model


def gen(model, name, version, enum_name, botocore_version):
    meta = model["metadata"]
    shapes = model["shapes"]
    names = sorted(shapes)
    idx = {n: i for i, n in enumerate(names)}
    patterns = []
    pat_idx = {}
    lines = []
    w = lines.append
    w("// @generated by tools/codegen/gen_models.py — do not edit by hand.")
    w(f"// Source: botocore {botocore_version}, botocore/data/{name}/{version}/service-2.json")
    w("// The botocore service models are Copyright Amazon.com, Inc. or its affiliates,")
    w("// licensed under the Apache License, Version 2.0.")
    w('#![allow(clippy::all, reason = "generated code: written for regularity, not for the lints")]')
    w("use crate::model::{ErrorInfo, Member, Operation, Pattern, Service, Shape, ShapeKind::*, DEFAULT_MEMBER as M, DEFAULT_SHAPE as S};")
    w("")
    w(f'pub const BOTOCORE_VERSION: &str = "{botocore_version}";')
    w(f'pub const API_VERSION: &str = "{meta["apiVersion"]}";')
    w(f'pub const PROTOCOL: &str = "{meta["protocol"]}";')
    w("")
    # shapes
    shape_lines = []
    for n in names:
        s = shapes[n]
        kind = KINDS[s["type"]]
        req = set(s.get("required", []))
        members = []
        for mn, mm in s.get("members", {}).items():
            f = ["name: " + rs_str(mn), "target: %d" % idx[mm["shape"]]]
            if mn in req:
                f.append("required: true")
            if mm.get("locationName") is not None:
                f.append("location_name: " + opt_str(mm["locationName"]))
            if (mm.get("xmlNamespace") or {}).get("uri") is not None:
                f.append("xml_namespace: " + opt_str(mm["xmlNamespace"]["uri"]))
            if mm.get("flattened"):
                f.append("flattened: true")
            if mm.get("sensitive"):
                f.append("sensitive: true")
            if mm.get("idempotencyToken"):
                f.append("idempotency_token: true")
            members.append("Member { " + ", ".join(f) + ", ..M }")
        member = s.get("member") or s.get("key")
        value = s.get("value")
        pat = s.get("pattern")
        pid = "None"
        if pat is not None:
            if pat not in pat_idx:
                pat_idx[pat] = len(patterns)
                patterns.append(pat)
            pid = "Some(%d)" % pat_idx[pat]
        enum = s.get("enum", [])
        err = "None"
        if s.get("exception"):
            e = s.get("error", {})
            code = e.get("code", n)
            fault = bool(s.get("fault"))
            status = e.get("httpStatusCode", 500 if fault else 400)
            sender = e.get("senderFault", not fault)
            err = "Some(ErrorInfo { code: %s, http_status: %d, sender_fault: %s })" % (
                rs_str(code),
                status,
                "true" if sender else "false",
            )
        f = ["name: " + rs_str(n), "kind: " + kind]
        if members:
            f.append("members: &[" + ", ".join(members) + "]")
        if member:
            f.append("member: Some(%d)" % idx[member["shape"]])
        if value:
            f.append("value: Some(%d)" % idx[value["shape"]])
        for key, field in (("member", "member_location_name"), ("key", "key_location_name"), ("value", "value_location_name")):
            ln = (s.get(key) or {}).get("locationName") if s["type"] in ("list", "map") else None
            if ln is not None:
                f.append(field + ": " + opt_str(ln))
        if s.get("flattened"):
            f.append("flattened: true")
        if s.get("min") is not None:
            f.append("min: " + opt_num(s["min"]))
        if s.get("max") is not None:
            f.append("max: " + opt_num(s["max"]))
        if pid != "None":
            f.append("pattern: " + pid)
        if enum:
            f.append("enum_values: &[" + ", ".join(rs_str(v) for v in enum) + "]")
        if s.get("sensitive"):
            f.append("sensitive: true")
        if s.get("union"):
            f.append("union: true")
        if err != "None":
            f.append("error: " + err)
        shape_lines.append("    Shape { " + ", ".join(f) + ", ..S },")
    w("/// Every pattern of the model: the Java text AWS prints, and its Rust `regex` translation")
    w("/// (None when it cannot be translated, e.g. look-ahead).")
    w("pub const PATTERN_COUNT: usize = %d;" % len(patterns))
    w("pub static PATTERNS: &[Pattern] = &[")
    for p in patterns:
        w("    Pattern { java: %s, rust: %s }," % (rs_str(p), opt_str(java_to_rust_regex(p))))
    w("];")
    w("")
    w("/// Shapes sorted by name; a `ShapeId` is an index into this table.")
    w("pub static SHAPES: &[Shape] = &[")
    lines.extend(shape_lines)
    w("];")
    w("")
    w("/// Operations sorted by name (binary search).")
    w("pub static OPERATIONS: &[Operation] = &[")
    for on in sorted(model["operations"]):
        o = model["operations"][on]
        inp = o.get("input", {}).get("shape")
        out = o.get("output", {}).get("shape")
        wrap = o.get("output", {}).get("resultWrapper")
        errs = [idx[e["shape"]] for e in o.get("errors", [])]
        w(
            "    Operation { service: Service::%s, name: %s, input: %s, output: %s, result_wrapper: %s, errors: &[%s] },"
            % (
                enum_name,
                rs_str(on),
                "Some(%d)" % idx[inp] if inp else "None",
                "Some(%d)" % idx[out] if out else "None",
                opt_str(wrap),
                ", ".join(str(e) for e in errs),
            )
        )
    w("];")
    w("")
    errs = []
    for n in names:
        s = shapes[n]
        if s.get("exception"):
            errs.append(((s.get("error") or {}).get("code", n), idx[n]))
    errs.sort()
    w("/// (error code, shape id) sorted by code (binary search).")
    w("pub static ERRORS_BY_CODE: &[(&str, u16)] = &[")
    for code, i in errs:
        w("    (%s, %d)," % (rs_str(code), i))
    w("];")
    return "\n".join(lines) + "\n"


def outputs(data_dir: str, botocore_version: str):
    """(relative path, text) of every generated file."""
    import gen_types

    for name, version, enum_name in SERVICES:
        model = load(data_dir, name, version)
        yield os.path.join("generated", name + ".rs"), gen(model, name, version, enum_name, botocore_version)
        yield os.path.join("shapes", name + ".rs"), gen_types.generate(model, name, enum_name)


def main():
    args = [a for a in sys.argv[1:] if a != "--check"]
    check = "--check" in sys.argv[1:]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    data_dir, botocore_version = args
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    src = os.path.join(root, "crates", "iamd-api", "src")
    stale = []
    for rel, text in outputs(data_dir, botocore_version):
        path = os.path.join(src, rel)
        if check:
            try:
                with open(path, encoding="utf-8") as f:
                    current = f.read()
            except OSError:
                current = None
            if current != text:
                stale.append(rel)
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {rel} ({len(text.splitlines())} lines)")
    if check:
        if stale:
            print("generated code differs from the generator's output: " + ", ".join(stale), file=sys.stderr)
            print("regenerate with tools/codegen/gen_models.py (see its docstring)", file=sys.stderr)
            sys.exit(1)
        print("generated code is up to date")


if __name__ == "__main__":
    main()
