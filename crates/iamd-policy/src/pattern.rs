//! Wildcard patterns (`*` any run of characters, `?` exactly one character) and policy-variable
//! templates (`${aws:username}`, `${aws:PrincipalTag/team, 'default'}`, `${*}`, `${?}`, `${$}`).
//!
//! Patterns are compiled once when a policy is parsed; matching never allocates unless the
//! pattern contains a policy variable that must be substituted from the request context.

use std::borrow::Cow;

/// One compiled token of a wildcard pattern.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// Literal text (never interpreted as wildcards).
    Lit(String),
    /// `*`
    Star,
    /// `?`
    One,
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Glob {
    /// `*` alone: matches everything.
    All,
    /// No wildcard at all.
    Exact(String),
    /// `prefix*`
    Prefix(String),
    /// Anything else.
    Tokens(Vec<Tok>),
}

impl Glob {
    /// Compiles `text`, treating `*` and `?` as wildcards.
    pub(crate) fn new(text: &str) -> Glob {
        // the common shapes without building tokens: no wildcard, or one trailing `*`
        match text.bytes().position(|b| b == b'*' || b == b'?') {
            None => return Glob::Exact(text.to_owned()),
            Some(0) if text == "*" => return Glob::All,
            Some(i) if i + 1 == text.len() && text.ends_with('*') => {
                return Glob::Prefix(text.get(..i).unwrap_or_default().to_owned());
            }
            Some(_) => {}
        }
        let mut toks = Vec::new();
        push_wild(&mut toks, text);
        Glob::from_tokens(toks)
    }

    /// [`Glob::new`] reusing `text`'s allocation for the common shapes.
    pub(crate) fn from_string(mut text: String) -> Glob {
        match text.bytes().position(|b| b == b'*' || b == b'?') {
            None => Glob::Exact(text),
            Some(0) if text == "*" => Glob::All,
            Some(i) if i + 1 == text.len() && text.ends_with('*') => {
                text.truncate(i);
                Glob::Prefix(text)
            }
            Some(_) => Glob::new(&text),
        }
    }

    pub(crate) fn from_tokens(toks: Vec<Tok>) -> Glob {
        // merge adjacent literals and collapse runs of stars
        let mut merged: Vec<Tok> = Vec::with_capacity(toks.len());
        for t in toks {
            match (merged.last_mut(), t) {
                (Some(Tok::Lit(a)), Tok::Lit(b)) => a.push_str(&b),
                (Some(Tok::Star), Tok::Star) => {}
                (_, t) => merged.push(t),
            }
        }
        match merged.as_mut_slice() {
            [] => Glob::Exact(String::new()),
            [Tok::Star] => Glob::All,
            [Tok::Lit(l)] => Glob::Exact(std::mem::take(l)),
            [Tok::Lit(l), Tok::Star] => Glob::Prefix(std::mem::take(l)),
            _ => Glob::Tokens(merged),
        }
    }

    /// The pattern written out (`*` and `?` for the wildcards).
    fn to_text(&self) -> String {
        match self {
            Glob::All => "*".to_owned(),
            Glob::Exact(e) => e.clone(),
            Glob::Prefix(p) => format!("{p}*"),
            Glob::Tokens(t) => t
                .iter()
                .map(|t| match t {
                    Tok::Lit(l) => l.as_str(),
                    Tok::Star => "*",
                    Tok::One => "?",
                })
                .collect(),
        }
    }

    /// Whether `s` matches, case-sensitively.
    pub(crate) fn matches(&self, s: &str) -> bool {
        match self {
            Glob::All => true,
            Glob::Exact(e) => e == s,
            Glob::Prefix(p) => s.starts_with(p.as_str()),
            Glob::Tokens(t) => match_tokens(t, s),
        }
    }

    /// Whether `s` matches with ASCII case ignored (the pattern must be lowercase); used for
    /// actions, which match case-insensitively, without lowercasing the request.
    pub(crate) fn matches_ignore_ascii_case(&self, s: &str) -> bool {
        match self {
            Glob::All => true,
            Glob::Exact(e) => e.eq_ignore_ascii_case(s),
            Glob::Prefix(p) => {
                s.len() >= p.len()
                    && s.is_char_boundary(p.len())
                    && s[..p.len()].eq_ignore_ascii_case(p)
            }
            Glob::Tokens(t) => match_tokens_ci(t, s, true),
        }
    }
}

/// An action pattern (already lowercase) with a cheap probe in front of the full match (see
/// [`ActionProbe`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ActionGlob {
    probe: ActionProbe,
    glob: Glob,
}

impl ActionGlob {
    /// Compiles a lowercase action pattern.
    pub(crate) fn new(lower: String) -> ActionGlob {
        let lit_len = lower
            .bytes()
            .position(|b| b == b'*' || b == b'?')
            .unwrap_or(lower.len());
        ActionGlob {
            probe: ActionProbe {
                lit_len,
                tail: tail8(lower.as_bytes(), lit_len),
                exact: lit_len == lower.len(),
            },
            glob: Glob::from_string(lower),
        }
    }

    /// The pattern's probe.
    pub(crate) fn probe(&self) -> ActionProbe {
        self.probe
    }

    /// Whether `action` matches, ASCII case ignored, given also `action_lower`, the action
    /// ASCII-lowercased (plain byte comparisons for patterns without inner wildcards).
    pub(crate) fn matches_lower(&self, action: &str, action_lower: &[u8]) -> bool {
        self.probe.passes_lower(action_lower)
            && match &self.glob {
                Glob::All => true,
                Glob::Exact(e) => e.as_bytes() == action_lower,
                Glob::Prefix(p) => action_lower.starts_with(p.as_bytes()),
                g @ Glob::Tokens(_) => g.matches_ignore_ascii_case(action),
            }
    }
}

/// A necessary condition for an action pattern to match, checked without touching the
/// pattern's text: the request is long enough (exactly as long for a pattern without
/// wildcard) and, ASCII case ignored, ends its first `lit_len` bytes with the same (up to)
/// eight bytes as the pattern's literal prefix. Action patterns of a policy mostly share the
/// service prefix with the request, so the bytes just before the first wildcard are the ones
/// that differ. A probe that always passes stands for NotAction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ActionProbe {
    /// Bytes before the first wildcard.
    lit_len: usize,
    /// The (up to) eight bytes before `lit_len`, lowercase, as a little-endian word.
    tail: u64,
    /// No wildcard at all.
    exact: bool,
}

impl ActionProbe {
    /// Passes for every action.
    pub(crate) const ALWAYS: ActionProbe = ActionProbe {
        lit_len: 0,
        tail: 0,
        exact: false,
    };

    /// False only when the pattern cannot match the action whose ASCII-lowercased bytes are
    /// `action_lower`.
    #[inline]
    pub(crate) fn passes_lower(self, action_lower: &[u8]) -> bool {
        self.len_ok(action_lower) && tail8(action_lower, self.lit_len) == self.tail
    }

    /// `(lit_len, tail)`, or `None` for a probe that passes every action (`lit_len` 0).
    pub(crate) fn key(self) -> Option<(usize, u64)> {
        (self.lit_len > 0).then_some((self.lit_len, self.tail))
    }

    #[inline]
    fn len_ok(self, action: &[u8]) -> bool {
        if self.exact {
            action.len() == self.lit_len
        } else {
            action.len() >= self.lit_len
        }
    }
}

/// An ASCII-lowercased copy of a short string, on the stack when it fits (actions are rarely
/// longer than 64 bytes).
pub(crate) struct LowerBytes {
    buf: [u8; 64],
    len: usize,
    heap: Option<Vec<u8>>,
}

impl LowerBytes {
    pub(crate) fn new(s: &str) -> LowerBytes {
        let b = s.as_bytes();
        let mut buf = [0u8; 64];
        match buf.get_mut(..b.len()) {
            Some(dst) => {
                dst.copy_from_slice(b);
                dst.make_ascii_lowercase();
                LowerBytes {
                    buf,
                    len: b.len(),
                    heap: None,
                }
            }
            None => LowerBytes {
                buf,
                len: 0,
                heap: Some(b.to_ascii_lowercase()),
            },
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        match &self.heap {
            Some(v) => v,
            None => self.buf.get(..self.len).unwrap_or_default(),
        }
    }
}

/// The (up to) eight bytes of `b` that end at `end` (`end <= b.len()`), as a little-endian
/// word; fewer than eight bytes are zero-padded.
#[inline]
pub(crate) fn tail8(b: &[u8], end: usize) -> u64 {
    if let Some(w) = end
        .checked_sub(8)
        .and_then(|start| b.get(start..end))
        .and_then(|s| <[u8; 8]>::try_from(s).ok())
    {
        return u64::from_le_bytes(w);
    }
    let mut buf = [0u8; 8];
    for (d, s) in buf.iter_mut().zip(b.iter().take(end)) {
        *d = *s;
    }
    u64::from_le_bytes(buf)
}

pub(crate) fn push_wild(toks: &mut Vec<Tok>, text: &str) {
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        let tok = match b {
            b'*' => Tok::Star,
            b'?' => Tok::One,
            _ => continue,
        };
        if let Some(lit) = text.get(start..i).filter(|l| !l.is_empty()) {
            toks.push(Tok::Lit(lit.to_owned()));
        }
        toks.push(tok);
        start = i + 1;
    }
    if let Some(lit) = text.get(start..).filter(|l| !l.is_empty()) {
        toks.push(Tok::Lit(lit.to_owned()));
    }
}

fn next_char_len(s: &str, at: usize) -> usize {
    s[at..].chars().next().map_or(1, char::len_utf8)
}

/// Iterative wildcard matching with single-star backtracking (linear in practice, never
/// exponential).
fn match_tokens(t: &[Tok], s: &str) -> bool {
    match_tokens_ci(t, s, false)
}

fn lit_at(s: &str, at: usize, lit: &str, ci: bool) -> bool {
    if !ci {
        return s[at..].starts_with(lit);
    }
    let end = at + lit.len();
    end <= s.len() && s.is_char_boundary(end) && s[at..end].eq_ignore_ascii_case(lit)
}

fn match_tokens_ci(t: &[Tok], s: &str, ci: bool) -> bool {
    let (mut ti, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if ti < t.len() {
            match &t[ti] {
                Tok::Star => {
                    star = Some((ti + 1, si));
                    ti += 1;
                    continue;
                }
                Tok::One => {
                    if si < s.len() {
                        si += next_char_len(s, si);
                        ti += 1;
                        continue;
                    }
                }
                Tok::Lit(l) => {
                    if lit_at(s, si, l, ci) {
                        si += l.len();
                        ti += 1;
                        continue;
                    }
                }
            }
        } else if si == s.len() {
            return true;
        }
        match star {
            Some((sti, ssi)) if ssi < s.len() => {
                let n = ssi + next_char_len(s, ssi);
                star = Some((sti, n));
                ti = sti;
                si = n;
            }
            _ => return false,
        }
    }
}

/// Whether `s` contains `${` (the start of a policy variable).
pub(crate) fn has_var(s: &str) -> bool {
    // `<[u8]>::contains` is a memchr: most strings have no `$` at all
    s.as_bytes().contains(&b'$') && s.as_bytes().windows(2).any(|w| w == b"${")
}

/// Whether `s` contains a wildcard (`*` or `?`).
pub(crate) fn has_wild(s: &str) -> bool {
    s.bytes().any(|b| b == b'*' || b == b'?')
}

/// Compares two strings case-insensitively (Unicode simple lowercase) without allocating.
pub(crate) fn eq_ignore_case(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

/// One part of a template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Part {
    /// Policy text; `*`/`?` in it are wildcards for Like-style matching.
    Text(String),
    /// Text that is always literal (`${*}`, `${?}`, `${$}`).
    Literal(String),
    /// A policy variable.
    Var {
        /// Lowercased context key name.
        key: String,
        /// `${key, 'default'}`
        default: Option<String>,
    },
}

/// A string from a policy that may contain policy variables.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Template {
    parts: Vec<Part>,
    /// Precompiled glob when there is no variable.
    glob: Option<Glob>,
    /// Literal text when there is no variable (escapes resolved), unless `glob` is
    /// `Glob::Exact`, whose text it would repeat.
    plain: Option<String>,
}

/// Looks up a single-valued context key (lowercased name) as text.
pub(crate) trait VarSource {
    fn var(&self, key_lower: &str) -> Option<Cow<'_, str>>;
}

impl Template {
    /// Parses `text`; variables are recognised only when `vars` is true (Version 2012-10-17).
    pub(crate) fn new(text: &str, vars: bool) -> Template {
        if !vars || !has_var(text) {
            // no variable: only the glob and the plain text are ever used
            let glob = Glob::new(text);
            let plain = (!matches!(glob, Glob::Exact(_))).then(|| text.to_owned());
            return Template {
                parts: Vec::new(),
                glob: Some(glob),
                plain,
            };
        }
        let parts = if vars {
            parse_parts(text)
        } else {
            vec![Part::Text(text.to_owned())]
        };
        let has_var = parts.iter().any(|p| matches!(p, Part::Var { .. }));
        let (glob, plain) = if has_var {
            (None, None)
        } else {
            let mut toks = Vec::new();
            let mut plain = String::new();
            for p in &parts {
                match p {
                    Part::Text(t) => {
                        push_wild(&mut toks, t);
                        plain.push_str(t);
                    }
                    Part::Literal(l) => {
                        toks.push(Tok::Lit(l.clone()));
                        plain.push_str(l);
                    }
                    Part::Var { .. } => {}
                }
            }
            let glob = Glob::from_tokens(toks);
            let plain = (!matches!(glob, Glob::Exact(_))).then_some(plain);
            (Some(glob), plain)
        };
        Template { parts, glob, plain }
    }

    /// [`Template::new`] for a template only ever matched as a glob (resource patterns): the
    /// plain text is not kept beside a wildcard glob ([`Template::resolve`] rebuilds it).
    pub(crate) fn for_glob(text: &str, vars: bool) -> Template {
        if !vars || !has_var(text) {
            return Template {
                parts: Vec::new(),
                glob: Some(Glob::new(text)),
                plain: None,
            };
        }
        let mut t = Template::new(text, vars);
        if t.glob.is_some() {
            t.plain = None;
        }
        t
    }

    pub(crate) fn has_vars(&self) -> bool {
        self.glob.is_none()
    }

    /// The value with variables substituted (wildcards not interpreted). `None` when a
    /// variable cannot be resolved and has no default.
    pub(crate) fn resolve<'a>(&'a self, src: &dyn VarSource) -> Option<Cow<'a, str>> {
        match (&self.plain, &self.glob) {
            (Some(p), _) | (None, Some(Glob::Exact(p))) => return Some(Cow::Borrowed(p)),
            // a glob-only template: the text is the glob's tokens written out
            (None, Some(g)) => return Some(Cow::Owned(g.to_text())),
            (None, None) => {}
        }
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) | Part::Literal(t) => out.push_str(t),
                Part::Var { key, default } => match src.var(key) {
                    Some(v) => out.push_str(&v),
                    None => out.push_str(default.as_deref()?),
                },
            }
        }
        Some(Cow::Owned(out))
    }

    /// The wildcard pattern with variables substituted (substituted values are literal).
    pub(crate) fn glob<'a>(&'a self, src: &dyn VarSource) -> Option<Cow<'a, Glob>> {
        if let Some(g) = &self.glob {
            return Some(Cow::Borrowed(g));
        }
        let mut toks = Vec::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => push_wild(&mut toks, t),
                Part::Literal(l) => toks.push(Tok::Lit(l.clone())),
                Part::Var { key, default } => match src.var(key) {
                    Some(v) => toks.push(Tok::Lit(v.into_owned())),
                    None => toks.push(Tok::Lit(default.clone()?)),
                },
            }
        }
        Some(Cow::Owned(Glob::from_tokens(toks)))
    }
}

/// Splits policy text into parts. An unterminated `${` is kept as text.
fn parse_parts(text: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut rest = text;
    let mut buf = String::new();
    while let Some(start) = rest.as_bytes().windows(2).position(|w| w == b"${") {
        let after = &rest[start + 2..];
        let Some(end) = after.bytes().position(|b| b == b'}') else {
            break;
        };
        buf.push_str(&rest[..start]);
        let inner = after[..end].trim();
        let part = match inner {
            "*" => Part::Literal("*".into()),
            "?" => Part::Literal("?".into()),
            "$" => Part::Literal("$".into()),
            _ => parse_var(inner),
        };
        if !buf.is_empty() {
            parts.push(Part::Text(std::mem::take(&mut buf)));
        }
        parts.push(part);
        rest = &after[end + 1..];
    }
    buf.push_str(rest);
    if !buf.is_empty() {
        parts.push(Part::Text(buf));
    }
    parts
}

fn parse_var(inner: &str) -> Part {
    if let Some((key, def)) = inner
        .bytes()
        .position(|b| b == b',')
        .and_then(|i| Some((inner.get(..i)?, inner.get(i + 1..)?)))
    {
        let def = def.trim();
        let default = def
            .strip_prefix('\'')
            .and_then(|d| d.strip_suffix('\''))
            .map(str::to_owned);
        if default.is_some() {
            return Part::Var {
                key: key.trim().to_ascii_lowercase(),
                default,
            };
        }
    }
    Part::Var {
        key: inner.to_ascii_lowercase(),
        default: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Src;
    impl VarSource for Src {
        fn var(&self, key: &str) -> Option<Cow<'_, str>> {
            match key {
                "aws:username" => Some(Cow::Borrowed("alice")),
                "aws:principaltag/team" => Some(Cow::Borrowed("a*b")),
                _ => None,
            }
        }
    }

    #[test]
    fn glob_basics() {
        assert!(Glob::new("*").matches(""));
        assert!(Glob::new("a*").matches("abc"));
        assert!(Glob::new("a?c").matches("abc"));
        assert!(!Glob::new("a?c").matches("ac"));
        assert!(Glob::new("bucket/*/test/*").matches("bucket/1/2/test/3/x"));
        assert!(!Glob::new("bucket/*/test/*").matches("bucket/1/2/tes/3"));
        assert!(Glob::new("*a*a*a*b").matches("aaaaaaaaaaaaaaaaab"));
        assert!(!Glob::new("*a*a*a*b").matches("aaaaaaaaaaaaaaaaaa"));
        assert!(Glob::new("?é*").matches("xé"));
        assert!(!Glob::new("abc").matches("ABC"));
    }

    #[test]
    fn action_probes_never_reject_a_match() {
        let actions = [
            "s3:GetObject",
            "S3:GETOBJECT",
            "secretsmanager:GetSecretValue",
            "iam:x",
            "",
            "a",
            "ÉÀ:getÀ",
        ];
        let patterns = [
            "s3:getobject",
            "s3:get*",
            "s3:g?t*",
            "*",
            "s3:*object",
            "secretsmanager:getsecret*",
            "secretsmanager:describe*",
            "iam:x",
            "iam:?",
            "a",
            "ÉÀ:get*",
        ];
        for a in actions {
            let long = a.repeat(20);
            for x in [a, long.as_str()] {
                let lower = LowerBytes::new(x);
                assert_eq!(lower.as_bytes(), x.to_ascii_lowercase().as_bytes());
                for p in patterns {
                    let p = p.to_ascii_lowercase();
                    let g = ActionGlob::new(p.clone());
                    let full = Glob::new(&p).matches_ignore_ascii_case(x);
                    assert_eq!(g.matches_lower(x, lower.as_bytes()), full, "{p} vs {x}");
                    if full {
                        assert!(g.probe().passes_lower(lower.as_bytes()), "{p} vs {x}");
                    }
                }
            }
        }
        let probe = |p: &str, a: &str| {
            ActionGlob::new(p.to_owned())
                .probe()
                .passes_lower(LowerBytes::new(a).as_bytes())
        };
        assert!(!probe(
            "secretsmanager:describe*",
            "secretsmanager:GetSecretValue"
        ));
        assert!(!probe("s3:put1object", "s3:PutXObject"));
        assert!(probe("s3:put1object", "S3:PUT1OBJECT"));
        assert!(ActionProbe::ALWAYS.passes_lower(b""));
    }

    #[test]
    fn glob_shapes() {
        let via_tokens = |t: &str| {
            let mut toks = Vec::new();
            push_wild(&mut toks, t);
            Glob::from_tokens(toks)
        };
        for t in [
            "",
            "*",
            "**",
            "a",
            "a*",
            "a**",
            "*a",
            "a?",
            "?",
            "a*b",
            "é*",
            "a*?",
            "arn:aws:s3:::b/*",
        ] {
            assert_eq!(Glob::new(t), via_tokens(t), "{t}");
            assert_eq!(Glob::from_string(t.to_owned()), via_tokens(t), "{t}");
        }
        assert_eq!(Glob::new("ab*"), Glob::Prefix("ab".into()));
        assert_eq!(Glob::new("ab"), Glob::Exact("ab".into()));
        assert_eq!(Glob::new("*"), Glob::All);
        assert_eq!(
            via_tokens("a?b*"),
            Glob::Tokens(vec![
                Tok::Lit("a".into()),
                Tok::One,
                Tok::Lit("b".into()),
                Tok::Star
            ])
        );
        let t = Template::new("a*${$}", true);
        assert_eq!(t.resolve(&Src).unwrap(), "a*$");
        for (text, want) in [
            ("ab", "ab"),
            ("a*", "a*"),
            ("a?b", "a?b"),
            ("a${$}b", "a$b"),
            ("*", "*"),
        ] {
            let t = Template::new(text, true);
            assert!(!t.has_vars());
            assert_eq!(t.resolve(&Src).unwrap(), want, "{text}");
        }
        assert_eq!(
            Template::new("${aws:username, 'x,y'}", true)
                .resolve(&Src)
                .unwrap(),
            "alice"
        );
        assert_eq!(
            Template::new("${aws:nobody, 'x,y'}", true)
                .resolve(&Src)
                .unwrap(),
            "x,y"
        );
        for text in ["ab", "a*", "a?b*c", "a${*}b", "*", "", "x${?}"] {
            let full = Template::new(text, true);
            let glob_only = Template::for_glob(text, true);
            assert_eq!(glob_only.resolve(&Src), full.resolve(&Src), "{text}");
            assert_eq!(glob_only.glob(&Src), full.glob(&Src), "{text}");
        }
        let t = Template::new("a*b", true);
        assert!(!t.has_vars());
        assert!(t.glob(&Src).unwrap().matches("axxb"));
    }

    #[test]
    fn templates() {
        let t = Template::new("home/${aws:username}/*", true);
        assert!(t.glob(&Src).unwrap().matches("home/alice/x"));
        assert!(!t.glob(&Src).unwrap().matches("home/bob/x"));
        let t = Template::new("${AWS:PrincipalTag/team}", true);
        // substituted values are literal, not wildcards
        assert!(t.glob(&Src).unwrap().matches("a*b"));
        assert!(!t.glob(&Src).unwrap().matches("axxb"));
        let t = Template::new("${aws:missing}", true);
        assert!(t.resolve(&Src).is_none());
        let t = Template::new("${aws:missing, 'dflt'}", true);
        assert_eq!(t.resolve(&Src).unwrap(), "dflt");
        let t = Template::new("a${*}b${?}${$}", true);
        assert_eq!(t.resolve(&Src).unwrap(), "a*b?$");
        assert!(t.glob(&Src).unwrap().matches("a*b?$"));
        assert!(!t.glob(&Src).unwrap().matches("axb?$"));
        // 2008-10-17: variables are literal text
        let t = Template::new("${aws:username}", false);
        assert_eq!(t.resolve(&Src).unwrap(), "${aws:username}");
        let t = Template::new("${ aws:username }", true);
        assert_eq!(t.resolve(&Src).unwrap(), "alice");
    }
}
