"""Typed operation shapes for iamd-api, generated from botocore service models.

For every operation of a service: its input and output structures as Rust structs (required
members non-optional, enums as enums, sensitive members hidden from `Debug`), conversions from
and to the protocol-independent `Value` tree the decoders and encoders use, and a marker type per
operation (`ops::CreateUser`) naming its input and output. Handlers take and return these types;
a misspelt member no longer compiles.

Called by gen_models.py; standard library only.
"""

from __future__ import annotations

import keyword
import re

RUST_KEYWORDS = {
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe",
    "use", "where", "while", "abstract", "become", "box", "do", "final", "macro", "override",
    "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
}

# Members the model marks required in an output structure that AWS nevertheless omits in some
# answers; they are optional in the generated type. Each entry names its evidence.
OUTPUT_OPTIONAL = {
    # GetUser for the account root answers a `User` without `Path` or `UserName`
    # (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetUser.html, "If you do not
    # specify a user name, IAM determines the user name implicitly"; the root has none).
    ("iam", "User", "Path"),
    ("iam", "User", "UserName"),
    # CreateAccessKey by the account root for its own key answers an `AccessKey` without
    # `UserName`: the root is no IAM user (the AWS SDK for Ruby v1's AccessKey documentation: the
    # user "will be present unless this is a root key", aws/aws-sdk-ruby#677).
    ("iam", "AccessKey", "UserName"),
}


# Values AWS sends for an enum that its model does not list; each entry names its evidence.
ENUM_EXTRA = {
    # GetUser/GetRole answer `PermissionsBoundaryType: Policy` although the model's enum names
    # `PermissionsBoundaryPolicy`: the API reference says the type "can only have a value of
    # Policy", and the AWS CLI's own `get-user` example output shows "Policy".
    ("iam", "PermissionsBoundaryAttachmentType"): ["Policy"],
}


def snake(name: str) -> str:
    """`UserName` → `user_name`, `SAMLMetadataDocument` → `saml_metadata_document`."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = s.replace("-", "_").replace(".", "_").lower()
    if s in RUST_KEYWORDS or keyword.iskeyword(s):
        return "r#" + s
    return s


def bare(field: str) -> str:
    """A field name without its raw-identifier prefix."""
    return field[2:] if field.startswith("r#") else field


def camel(name: str) -> str:
    """A type name: `statusType` → `StatusType`, `SERVICE_LEVEL` → `ServiceLevel`."""
    parts = re.split(r"[^A-Za-z0-9]+", name)
    out = []
    for p in parts:
        if not p:
            continue
        if p.isupper() or p.islower():
            out.append(p[:1].upper() + p[1:].lower())
        else:
            out.append(p[:1].upper() + p[1:])
    s = "".join(out) or "Empty"
    if s[0].isdigit():
        s = "V" + s
    return s


class Gen:
    def __init__(self, model, service_key: str, enum_name: str):
        self.model = model
        self.shapes = model["shapes"]
        self.key = service_key
        self.enum_name = enum_name
        self.reach = self._reachable()
        self.recursive = self._recursive_edges()
        self.type_names = {}
        used = set()
        for n in sorted(self.reach):
            s = self.shapes[n]
            if s["type"] == "structure" or s.get("enum"):
                t = camel(n)
                if t in used:
                    raise SystemExit(f"type name collision: {t} ({n})")
                used.add(t)
                self.type_names[n] = t

    def _reachable(self):
        seen = set()

        def walk(n):
            if n in seen:
                return
            seen.add(n)
            s = self.shapes[n]
            for mm in s.get("members", {}).values():
                walk(mm["shape"])
            for k in ("member", "key", "value"):
                if k in s:
                    walk(s[k]["shape"])

        for o in self.model["operations"].values():
            for k in ("input", "output"):
                if k in o:
                    walk(o[k]["shape"])
        return {n for n in seen if not self.shapes[n].get("exception")}

    def _recursive_edges(self):
        """(struct, member) pairs whose member is a structure (directly, not through a list or
        map) from which the struct can be reached again: those members are boxed."""
        def reaches(start, goal):
            seen, stack = set(), [start]
            while stack:
                n = stack.pop()
                if n == goal:
                    return True
                if n in seen:
                    continue
                seen.add(n)
                s = self.shapes[n]
                stack.extend(mm["shape"] for mm in s.get("members", {}).values())
                stack.extend(s[k]["shape"] for k in ("member", "value") if k in s)
            return False

        edges = set()
        for n in self.reach:
            s = self.shapes[n]
            for mn, mm in s.get("members", {}).items():
                t = mm["shape"]
                if self.shapes[t]["type"] == "structure" and reaches(t, n):
                    edges.add((n, mn))
        return edges

    def rust_type(self, n: str) -> str:
        s = self.shapes[n]
        t = s["type"]
        if t == "string":
            return self.type_names[n] if s.get("enum") else "String"
        if t in ("integer", "long"):
            return "i64"
        if t == "boolean":
            return "bool"
        if t in ("double", "float"):
            return "f64"
        if t == "timestamp":
            return "Timestamp"
        if t == "blob":
            return "Blob"
        if t == "list":
            return "Vec<" + self.rust_type(s["member"]["shape"]) + ">"
        if t == "map":
            return "BTreeMap<String, " + self.rust_type(s["value"]["shape"]) + ">"
        if t == "structure":
            return self.type_names[n]
        raise SystemExit(f"unknown shape type {t} for {n}")

    def required(self, struct: str, member: str) -> bool:
        s = self.shapes[struct]
        if member not in s.get("required", []):
            return False
        return (self.key, struct, member) not in OUTPUT_OPTIONAL

    def is_sensitive(self, struct: str, member: str) -> bool:
        mm = self.shapes[struct]["members"][member]
        return bool(mm.get("sensitive")) or bool(self.shapes[mm["shape"]].get("sensitive"))

    def gen(self) -> str:
        L = []
        w = L.append
        ops = self.model["operations"]
        w("// @generated by tools/codegen/gen_models.py — do not edit by hand.")
        w(f"// Typed shapes of the {self.enum_name} operations (botocore service model).")
        body = []
        self._emit_body(body.append)
        text = "\n".join(body)
        used = [t for t in ("Blob", "Fields", "FromValue", "IntoValue", "ShapeError", "Timestamp") if re.search(r"\b" + t + r"\b", text)]
        w("use crate::typed::{" + ", ".join(used) + "};")
        w("use crate::Value;")
        if "BTreeMap" in text:
            w("use std::collections::BTreeMap;")
        L.extend(body)
        return "\n".join(L) + "\n"

    def _emit_body(self, w):
        ops = self.model["operations"]
        for n in sorted(self.reach, key=lambda x: self.type_names.get(x, x)):
            s = self.shapes[n]
            if s.get("enum"):
                self.gen_enum(w, n, s)
        for n in sorted(self.reach, key=lambda x: self.type_names.get(x, x)):
            s = self.shapes[n]
            if s["type"] == "structure":
                self.gen_struct(w, n, s)
        w("/// One marker type per operation: its name, input and output.")
        w("pub mod ops {")
        w("    use crate::typed::ApiOperation;")
        w("    use crate::Service;")
        for on in sorted(ops):
            o = ops[on]
            inp = o.get("input", {}).get("shape")
            out = o.get("output", {}).get("shape")
            it = "super::" + self.type_names[inp] if inp else "()"
            ot = "super::" + self.type_names[out] if out else "()"
            w(f"    /// `{on}`.")
            w("    #[derive(Debug, Clone, Copy)]")
            w(f"    pub struct {on};")
            w(f"    impl ApiOperation for {on} {{")
            w(f"        const SERVICE: Service = Service::{self.enum_name};")
            w(f'        const NAME: &\'static str = "{on}";')
            w(f"        type Input = {it};")
            w(f"        type Output = {ot};")
            w("    }")
        w("}")
        w("")
        w("/// The names of every operation of the service, sorted.")
        w("pub const OPERATION_NAMES: &[&str] = &[")
        for on in sorted(ops):
            w(f'    "{on}",')
        w("];")

    def gen_enum(self, w, n, s):
        t = self.type_names[n]
        variants = []
        used = set()
        for v in list(s["enum"]) + ENUM_EXTRA.get((self.key, n), []):
            vn = camel(v)
            while vn in used:
                vn += "_"
            used.add(vn)
            variants.append((vn, v))
        w(f"/// `{n}`: {', '.join('`' + v + '`' for _, v in variants)}.")
        w("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]")
        w(f"pub enum {t} {{")
        for vn, v in variants:
            w(f"    /// `{v}`")
            w(f"    {vn},")
        w("}")
        w(f"impl {t} {{")
        w("    /// Every value, in model order.")
        w(f"    pub const ALL: &'static [{t}] = &[" + ", ".join(f"{t}::{vn}" for vn, _ in variants) + "];")
        w("    /// The value on the wire.")
        w("    pub fn as_str(self) -> &'static str {")
        w("        match self {")
        for vn, v in variants:
            w(f'            {t}::{vn} => "{v}",')
        w("        }")
        w("    }")
        w("    /// From the value on the wire.")
        w("    pub fn from_wire(s: &str) -> Option<Self> {")
        w("        match s {")
        for vn, v in variants:
            w(f'            "{v}" => Some({t}::{vn}),')
        w("            _ => None,")
        w("        }")
        w("    }")
        w("}")
        w(f"impl std::fmt::Display for {t} {{")
        w("    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {")
        w("        f.write_str(self.as_str())")
        w("    }")
        w("}")
        w(f"impl FromValue for {t} {{")
        w("    fn from_value(v: Value) -> Result<Self, ShapeError> {")
        w("        match v {")
        w(f'            Value::String(s) => {t}::from_wire(&s).ok_or(ShapeError::new("{n}", "a value of the enum")),')
        w(f'            _ => Err(ShapeError::new("{n}", "a string")),')
        w("        }")
        w("    }")
        w("}")
        w(f"impl IntoValue for {t} {{")
        w("    fn into_value(self) -> Value {")
        w("        Value::String(self.as_str().to_owned())")
        w("    }")
        w("}")
        w("")

    def gen_struct(self, w, n, s):
        t = self.type_names[n]
        members = list(s.get("members", {}).items())
        fields = []
        for mn, mm in members:
            ty = self.rust_type(mm["shape"])
            if (n, mn) in self.recursive:
                ty = f"Box<{ty}>"
            req = self.required(n, mn)
            fty = ty if req else f"Option<{ty}>"
            fields.append((mn, snake(mn), ty, fty, req, self.is_sensitive(n, mn)))
        all_optional = all(not f[4] for f in fields)
        doc = f"/// `{n}`."
        w(doc)
        derives = ["Clone", "PartialEq"]
        if all_optional:
            derives.append("Default")
        w("#[derive(" + ", ".join(derives) + ")]")
        if not fields:
            w(f"pub struct {t} {{}}")
        else:
            w(f"pub struct {t} {{")
            for mn, fn, ty, fty, req, sens in fields:
                note = " Required." if req else ""
                if sens:
                    note += " Sensitive: hidden from `Debug`."
                w(f"    /// `{mn}`.{note}")
                w(f"    pub {fn}: {fty},")
            w("}")
        # Debug, hiding sensitive members.
        w(f"impl std::fmt::Debug for {t} {{")
        w("    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {")
        if not fields:
            w(f'        f.write_str("{t}")')
        else:
            w(f'        f.debug_struct("{t}")')
            for mn, fn, ty, fty, req, sens in fields:
                shown = bare(fn)
                if sens:
                    w(f'            .field("{shown}", &"*** Sensitive Data Redacted ***")')
                else:
                    w(f'            .field("{shown}", &self.{fn})')
            w("            .finish()")
        w("    }")
        w("}")
        # FromValue
        w(f"impl FromValue for {t} {{")
        if not fields:
            w("    fn from_value(v: Value) -> Result<Self, ShapeError> {")
            w(f'        Fields::of(v, "{n}")?;')
            w("        Ok(Self {})")
            w("    }")
        else:
            w("    fn from_value(v: Value) -> Result<Self, ShapeError> {")
            for mn, fn, ty, fty, req, sens in fields:
                w(f"        let mut m_{bare(fn)}: Option<{ty}> = None;")
            w(f'        for (member, value) in Fields::of(v, "{n}")? {{')
            w("            match member {")
            for mn, fn, ty, fty, req, sens in fields:
                if ty.startswith("Box<"):
                    w(f'                "{mn}" => m_{bare(fn)} = Some(Box::new(FromValue::from_value(value).map_err(|e| e.within("{mn}"))?)),')
                else:
                    w(f'                "{mn}" => m_{bare(fn)} = Some(FromValue::from_value(value).map_err(|e| e.within("{mn}"))?),')
            w("                _ => {}")
            w("            }")
            w("        }")
            w("        Ok(Self {")
            for mn, fn, ty, fty, req, sens in fields:
                if req:
                    w(f'            {fn}: m_{bare(fn)}.ok_or(ShapeError::missing("{n}", "{mn}"))?,')
                else:
                    w(f"            {fn}: m_{bare(fn)},")
            w("        })")
            w("    }")
        w("}")
        # IntoValue
        w(f"impl IntoValue for {t} {{")
        w("    fn into_value(self) -> Value {")
        if not fields:
            w("        Value::Structure(Vec::new())")
        else:
            w(f"        let mut out = Vec::with_capacity({len(fields)});")
            for mn, fn, ty, fty, req, sens in fields:
                conv = f"(*{{}}).into_value()" if ty.startswith("Box<") else "{}.into_value()"
                if req:
                    w(f'        out.push(("{mn}", {conv.format("self." + fn)}));')
                else:
                    w(f"        if let Some(v) = self.{fn} {{")
                    w(f'            out.push(("{mn}", {conv.format("v")}));')
                    w("        }")
            w("        Value::Structure(out)")
        w("    }")
        w("}")
        w("")


def generate(model, service_key: str, enum_name: str) -> str:
    return Gen(model, service_key, enum_name).gen()
