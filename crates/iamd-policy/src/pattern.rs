//! Wildcard patterns (`*` any run of characters, `?` exactly one character) and policy-variable
//! templates (`${aws:username}`, `${aws:PrincipalTag/team, 'default'}`, `${*}`, `${?}`, `${$}`).
//!
//! Patterns are compiled once when a policy is parsed; matching never allocates unless the
//! pattern contains a policy variable that must be substituted from the request context.

use crate::work;
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
///
/// Each match is charged to the work meter ([`crate::work`]); once a simulation's budget is
/// exhausted, matches answer `false` at once.
fn match_tokens(t: &[Tok], s: &str) -> bool {
    if !t.iter().any(|t| matches!(t, Tok::One)) {
        // a linear substring search, about 16 bytes per unit
        return work::charge(1 + t.len() + s.len() / 16) && match_segments(t, s);
    }
    // the usual short pattern with a `?` is decided by backtracking within a few steps per
    // character; only a pattern that would need more goes to the automaton
    let budget = 4 * (t.len() + s.len()) + 64;
    work::charge(budget) && match_backtracking(t, s, budget).unwrap_or_else(|| match_bits(t, s))
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
    // the tables (64 units a word: memory is charged as well as time) and one pass over the
    // words per character
    let tables = classes.count.saturating_add(2).saturating_mul(words);
    let steps = s.len().saturating_mul(words);
    if !work::charge(tables.saturating_mul(64).saturating_add(steps)) {
        return false;
    }
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
            let before = out.len();
            match p {
                Part::Text(t) | Part::Literal(t) => out.push_str(t),
                Part::Var { key, default } => match src.var(key) {
                    Some(v) => out.push_str(&v),
                    None => out.push_str(default.as_deref()?),
                },
            }
            // a variable repeated many times with a long value: bytes produced are charged
            // (4 units a byte), and an exhausted budget stops the expansion
            if !work::charge(4 * (out.len() - before)) {
                return None;
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
            let produced = match p {
                Part::Text(t) => {
                    push_wild(&mut toks, t);
                    t.len()
                }
                Part::Literal(l) => {
                    toks.push(Tok::Lit(l.clone()));
                    l.len()
                }
                Part::Var { key, default } => {
                    let v = match src.var(key) {
                        Some(v) => v.into_owned(),
                        None => default.clone()?,
                    };
                    let n = v.len();
                    toks.push(Tok::Lit(v));
                    n
                }
            };
            // as in `resolve`: what a variable expands to is charged, 4 units a byte
            if !work::charge(4 * produced) {
                return None;
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
#[expect(clippy::indexing_slicing, reason = "tests index known fixtures")]
mod tests;
