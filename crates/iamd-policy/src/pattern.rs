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

    /// Whether `s` matches with ASCII case ignored (the pattern must be lowercase): the
    /// reference the action probes are tested against.
    #[cfg(test)]
    pub(crate) fn matches_ignore_ascii_case(&self, s: &str) -> bool {
        match self {
            Glob::All => true,
            Glob::Exact(e) => e.eq_ignore_ascii_case(s),
            Glob::Prefix(p) => {
                s.len() >= p.len()
                    && s.is_char_boundary(p.len())
                    && s[..p.len()].eq_ignore_ascii_case(p)
            }
            Glob::Tokens(t) => match_tokens(t, &s.to_ascii_lowercase()),
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

    /// Whether an action matches, ASCII case ignored, given `action_lower`, the action
    /// ASCII-lowercased (the pattern is lowercase, so this is a case-sensitive match).
    pub(crate) fn matches_lower(&self, action_lower: &[u8]) -> bool {
        self.probe.passes_lower(action_lower)
            && match &self.glob {
                Glob::All => true,
                Glob::Exact(e) => e.as_bytes() == action_lower,
                Glob::Prefix(p) => action_lower.starts_with(p.as_bytes()),
                // the pattern is lowercase: matching the lowercased action is matching with
                // ASCII case ignored (ASCII lowercasing keeps the text valid UTF-8)
                Glob::Tokens(t) => {
                    std::str::from_utf8(action_lower).is_ok_and(|lower| match_tokens(t, lower))
                }
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

/// Whether `s` matches `t` (literals, `*`, `?`), in time linear in `s` for patterns without
/// `?` and `O(|s| · ⌈k/64⌉)` for patterns with `?` (`k`: characters of the pattern), never by
/// backtracking: a policy author cannot make one match cost more than that.
fn match_tokens(t: &[Tok], s: &str) -> bool {
    if !t.iter().any(|t| matches!(t, Tok::One)) {
        return match_segments(t, s);
    }
    // the usual short pattern with a `?` is decided by backtracking within a few steps per
    // character; only a pattern that would need more goes to the automaton
    let budget = 4 * (t.len() + s.len()) + 64;
    match_backtracking(t, s, budget).unwrap_or_else(|| match_bits(t, s))
}

/// Wildcard matching with single-star backtracking, giving up (`None`) after about `budget`
/// steps: quick for ordinary patterns, quadratic for some (`*???…b`), hence the budget.
fn match_backtracking(t: &[Tok], s: &str, mut budget: usize) -> Option<bool> {
    let next_char_len = |at: usize| {
        s.get(at..)
            .and_then(|r| r.chars().next())
            .map_or(1, char::len_utf8)
    };
    let (mut ti, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    loop {
        budget = budget.checked_sub(1)?;
        match t.get(ti) {
            Some(Tok::Star) => {
                star = Some((ti + 1, si));
                ti += 1;
                continue;
            }
            Some(Tok::One) if si < s.len() => {
                si += next_char_len(si);
                ti += 1;
                continue;
            }
            Some(Tok::Lit(l)) => {
                budget = budget.checked_sub(l.len() / 16)?;
                if s.get(si..).is_some_and(|r| r.starts_with(l.as_str())) {
                    si += l.len();
                    ti += 1;
                    continue;
                }
            }
            Some(Tok::One) => {}
            None if si == s.len() => return Some(true),
            None => {}
        }
        match star {
            Some((sti, ssi)) if ssi < s.len() => {
                let n = ssi + next_char_len(ssi);
                star = Some((sti, n));
                ti = sti;
                si = n;
            }
            _ => return Some(false),
        }
    }
}

/// A pattern of literals and `*` only: the literals before the first star must start `s`, the
/// ones after the last star must end it, and the ones between are found left to right, each at
/// its leftmost place after the previous one (a linear-time substring search). Taking the
/// leftmost place is always right: it leaves the most text for the rest of the pattern, and a
/// star absorbs whatever lies between.
fn match_segments(t: &[Tok], s: &str) -> bool {
    let (mut lo, mut hi) = (0usize, s.len());
    let (mut a, mut b) = (0usize, t.len());
    // the anchored head
    while let Some(Tok::Lit(l)) = t.get(a).filter(|_| a < b) {
        match s.get(lo..hi) {
            Some(rest) if rest.starts_with(l.as_str()) => lo += l.len(),
            _ => return false,
        }
        a += 1;
    }
    if a == b {
        return lo == hi;
    }
    // the anchored tail (a star lies between head and tail, so they may not overlap)
    while let Some(Tok::Lit(l)) = b.checked_sub(1).filter(|i| *i > a).and_then(|i| t.get(i)) {
        match s.get(lo..hi) {
            Some(rest) if rest.ends_with(l.as_str()) => hi -= l.len(),
            _ => return false,
        }
        b -= 1;
    }
    // the middle: `* lit * lit … *`; adjacent literals (never produced by `from_tokens`, but
    // `Glob::Tokens` may be built by hand) are searched as one
    let mut i = a;
    while i < b {
        let Some(Tok::Lit(first)) = t.get(i) else {
            i += 1;
            continue;
        };
        let mut needle = Cow::Borrowed(first.as_str());
        i += 1;
        while let Some(Tok::Lit(more)) = t.get(i).filter(|_| i < b) {
            needle.to_mut().push_str(more);
            i += 1;
        }
        let Some(rest) = s.get(lo..hi) else {
            return false;
        };
        match memchr::memmem::find(rest.as_bytes(), needle.as_bytes()) {
            Some(at) => lo += at + needle.len(),
            None => return false,
        }
    }
    true
}

/// A pattern with `?`: the pattern as a nondeterministic automaton whose states are bits
/// (state `j`: the first `j` characters of the pattern's literals and `?` matched; a `*`
/// before unit `j` lets state `j` stay on any character), run over `s` one character at a
/// time with all states at once (shift-and). Each character costs one pass over
/// `⌈(k+1)/64⌉` words, whatever the pattern's shape.
fn match_bits(t: &[Tok], s: &str) -> bool {
    let units: usize = t
        .iter()
        .map(|t| match t {
            Tok::Lit(l) => l.chars().count(),
            Tok::One => 1,
            Tok::Star => 0,
        })
        .sum();
    // every unit takes at least one byte
    if s.len() < units {
        return false;
    }
    let words = (units + 1).div_ceil(64);
    let classes = CharClasses::of(t);
    // `stay`: states with a self-loop; `masks[c]`: the states a character of class `c` may
    // enter (class 0, characters not in the pattern, enters only through `?`)
    let mut stay = vec![0u64; words];
    let mut masks = vec![0u64; classes.count * words];
    let mut unit = 0usize;
    for tok in t {
        match tok {
            Tok::Star => set_bit(&mut stay, unit),
            Tok::One => {
                for m in masks.chunks_mut(words) {
                    set_bit(m, unit + 1);
                }
                unit += 1;
            }
            Tok::Lit(l) => {
                for c in l.chars() {
                    let at = classes.of_char(c) * words;
                    if let Some(m) = masks.get_mut(at..at + words) {
                        set_bit(m, unit + 1);
                    }
                    unit += 1;
                }
            }
        }
    }
    let mut state = vec![0u64; words];
    set_bit(&mut state, 0);
    for c in s.chars() {
        let at = classes.of_char(c) * words;
        let m = masks.get(at..at + words).unwrap_or_default();
        let mut carry = 0u64;
        let mut alive = 0u64;
        for ((d, &mw), &sw) in state.iter_mut().zip(m).zip(&stay) {
            let cur = *d;
            *d = (((cur << 1) | carry) & mw) | (cur & sw);
            carry = cur >> 63;
            alive |= *d;
        }
        if alive == 0 {
            return false;
        }
    }
    state
        .get(units / 64)
        .is_some_and(|w| w & (1u64 << (units % 64)) != 0)
}

fn set_bit(words: &mut [u64], bit: usize) {
    if let Some(w) = words.get_mut(bit / 64) {
        *w |= 1u64 << (bit % 64);
    }
}

/// The distinct characters of a pattern's literals, numbered from 1 (0: any other character).
struct CharClasses {
    ascii: [u16; 128],
    /// Non-ASCII characters, sorted; class `ascii_count + index`.
    other: Vec<char>,
    ascii_count: usize,
    count: usize,
}

impl CharClasses {
    fn of(t: &[Tok]) -> CharClasses {
        let mut ascii = [0u16; 128];
        let mut next = 1u16;
        let mut other = Vec::new();
        for tok in t {
            let Tok::Lit(l) = tok else { continue };
            for c in l.chars() {
                match ascii.get_mut(c as usize).filter(|_| c.is_ascii()) {
                    Some(e) => {
                        if *e == 0 {
                            *e = next;
                            next += 1;
                        }
                    }
                    None => other.push(c),
                }
            }
        }
        other.sort_unstable();
        other.dedup();
        let ascii_count = usize::from(next);
        CharClasses {
            ascii,
            count: ascii_count + other.len(),
            other,
            ascii_count,
        }
    }

    fn of_char(&self, c: char) -> usize {
        if c.is_ascii() {
            self.ascii.get(c as usize).map_or(0, |i| usize::from(*i))
        } else {
            self.other
                .binary_search(&c)
                .map_or(0, |i| self.ascii_count + i)
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

    /// The definition, as a table over (pattern prefix, text prefix): slow and obviously
    /// right. `*` any run of characters, `?` one character, anything else itself.
    fn reference(pattern: &str, text: &str) -> bool {
        let p: Vec<char> = pattern.chars().collect();
        let s: Vec<char> = text.chars().collect();
        // m[j]: the pattern's first i characters match the text's first j
        let mut m = vec![false; s.len() + 1];
        m[0] = true;
        for pc in &p {
            let mut next = vec![false; s.len() + 1];
            for j in 0..=s.len() {
                next[j] = match pc {
                    '*' => m[j] || (j > 0 && next[j - 1]),
                    '?' => j > 0 && m[j - 1],
                    c => j > 0 && m[j - 1] && s[j - 1] == *c,
                };
            }
            m = next;
        }
        m[s.len()]
    }

    /// Patterns of the shapes that defeat a backtracking matcher, at the sizes a policy and an
    /// ARN allow, answered as the definition answers (on smaller copies, where the reference
    /// is quick).
    #[test]
    fn adversarial_shapes_match_as_defined() {
        let a = |n: usize| "a".repeat(n);
        let cases: Vec<(String, String)> = vec![
            (format!("{}b", "*a".repeat(40)), a(100)),
            (format!("{}b", "*a".repeat(40)), format!("{}b", a(100))),
            (format!("*{}b", "?".repeat(40)), a(100)),
            (format!("*{}b", "?".repeat(40)), format!("{}b", a(100))),
            (
                format!("*{}b", "?".repeat(40)),
                format!("{}b{}", a(100), a(39)),
            ),
            (format!("*{}b", "a?".repeat(20)), a(100)),
            (format!("*{}b", "a?".repeat(20)), format!("{}b", a(100))),
            (format!("{}b", "*?a".repeat(30)), format!("{}b", a(100))),
            (format!("{}*", "?".repeat(100)), a(100)),
            (format!("{}*", "?".repeat(101)), a(100)),
            ("?*?".to_owned(), "é".to_owned()),
            ("?*?".to_owned(), "éé".to_owned()),
            ("a*é?".to_owned(), "aéé".to_owned()),
            ("*é*é".to_owned(), "xéyé".to_owned()),
            ("ab*b".to_owned(), "ab".to_owned()),
            ("ab*b".to_owned(), "abb".to_owned()),
            ("a*a".to_owned(), "a".to_owned()),
            ("*aa*aa*".to_owned(), "aaa".to_owned()),
            ("*aa*aa*".to_owned(), "aaaa".to_owned()),
        ];
        for (p, s) in &cases {
            assert_eq!(Glob::new(p).matches(s), reference(p, s), "{p} vs {s}");
        }
        // at full size (2 KiB pattern, 2 KiB text): the answers the shapes must give
        let big = a(2048);
        assert!(!Glob::new(&format!("{}b", "*a".repeat(1000))).matches(&big));
        assert!(Glob::new(&format!("{}a", "*a".repeat(1000))).matches(&big));
        assert!(!Glob::new(&format!("*{}b", "?".repeat(1000))).matches(&big));
        assert!(Glob::new(&format!("*{}a", "?".repeat(1000))).matches(&big));
        assert!(!Glob::new(&format!("*{}b", "a?".repeat(500))).matches(&big));
        assert!(Glob::new(&"*?a".repeat(680)).matches(&big));
        assert!(!Glob::new(&format!("{}b", "*?a".repeat(680))).matches(&big));
        assert!(!Glob::new(&format!("*{}", "?".repeat(2049))).matches(&big));
        assert!(Glob::new(&format!("*{}", "?".repeat(2048))).matches(&big));
        // hand-built token lists with adjacent literals mean their concatenation
        let hand = Glob::Tokens(vec![
            Tok::Star,
            Tok::Lit("a".into()),
            Tok::Lit("b".into()),
            Tok::Star,
        ]);
        assert!(hand.matches("xxabyy"));
        assert!(!hand.matches("xxa-byy"));
        let hand = Glob::Tokens(vec![Tok::Lit("a".into()), Tok::Lit("b".into()), Tok::Star]);
        assert!(hand.matches("abc") && !hand.matches("ac"));
    }

    /// Each of the three algorithms alone (the matcher picks one by the pattern's shape and a
    /// step budget, so random small inputs would mostly exercise one of them), on the raw and
    /// the merged token lists.
    fn check_each_algorithm(p: &str, s: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        let want = reference(p, s);
        let mut raw = Vec::new();
        push_wild(&mut raw, p);
        let merged = match Glob::from_tokens(raw.clone()) {
            Glob::Tokens(t) => t,
            _ => raw.clone(),
        };
        for t in [&raw, &merged] {
            proptest::prop_assert_eq!(match_bits(t, s), want, "bits: {} vs {}", p, s);
            proptest::prop_assert_eq!(match_backtracking(t, s, usize::MAX), Some(want));
            if !t.iter().any(|t| matches!(t, Tok::One)) {
                proptest::prop_assert_eq!(match_segments(t, s), want, "segments: {} vs {}", p, s);
            }
        }
        Ok(())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1500))]

        /// The matcher agrees with the definition on random patterns and texts over a small
        /// alphabet (so that matches are frequent), with a multibyte character and both
        /// cases in it.
        #[test]
        fn glob_agrees_with_the_definition(
            p in "[ab*?éA]{0,12}",
            s in "[abéA]{0,16}",
        ) {
            proptest::prop_assert_eq!(Glob::new(&p).matches(&s), reference(&p, &s), "{} vs {}", p, s);
            proptest::prop_assert_eq!(
                Glob::from_string(p.clone()).matches(&s),
                reference(&p, &s)
            );
            // actions: the lowercase pattern against the text, ASCII case ignored
            let lower = p.to_ascii_lowercase();
            let want = reference(&lower, &s.to_ascii_lowercase());
            proptest::prop_assert_eq!(Glob::new(&lower).matches_ignore_ascii_case(&s), want);
            let g = ActionGlob::new(lower.clone());
            proptest::prop_assert_eq!(g.matches_lower(LowerBytes::new(&s).as_bytes()), want);
            check_each_algorithm(&p, &s)?;
        }

        /// Longer texts with runs, where greedy choices could go wrong.
        #[test]
        fn glob_agrees_on_runs(
            p in "(a|b|\\*|\\?|aa|\\*a|a\\?){0,10}",
            s in "(a|b|aaaa|ab){0,12}",
        ) {
            proptest::prop_assert_eq!(Glob::new(&p).matches(&s), reference(&p, &s), "{} vs {}", p, s);
            check_each_algorithm(&p, &s)?;
        }

        /// Patterns of more than 64 units (several words of state), on texts that get that far.
        #[test]
        fn glob_agrees_beyond_one_word(
            head in "[a?]{60,70}",
            tail in "[ab*?]{0,8}",
            s in "a{55,90}[ab]{0,4}",
        ) {
            let p = format!("{head}{tail}");
            proptest::prop_assert_eq!(Glob::new(&p).matches(&s), reference(&p, &s), "{} vs {}", p, s);
            check_each_algorithm(&p, &s)?;
        }
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
                    assert_eq!(g.matches_lower(lower.as_bytes()), full, "{p} vs {x}");
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
