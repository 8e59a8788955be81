//! Policy documents: parsing, validation per policy kind (reference §2.1–2.4, §2.7–2.8) and
//! the compiled form that evaluation uses.

use crate::condition::{CondError, Condition, arn_colons, split_arn};
use crate::context::{Context, PrincipalFacts};
use crate::error::{PolicyError, PolicyErrorKind};
use crate::json::Json;
use crate::pattern::{ActionGlob, ActionProbe, Glob, Template, has_var, has_wild, tail8};
use crate::principal::{PrincipalMatch, PrincipalSet};

/// Which kind of policy a document is; each kind has its own validation rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// Identity-based policy (managed or inline, user/group/role). No principal; Resource
    /// required; Version must be 2012-10-17.
    Identity,
    /// A permissions boundary (same rules as identity policies).
    PermissionsBoundary,
    /// A session policy passed to AssumeRole*/GetFederationToken (identity rules, but the
    /// 2008-10-17 version is tolerated).
    Session,
    /// A resource-based policy (e.g. a Secrets Manager secret policy, a KMS key policy):
    /// Principal required, Resource optional.
    Resource,
    /// A role trust policy: Principal required, Resource forbidden.
    RoleTrust,
    /// An Organizations service control policy: no principal.
    ServiceControl,
    /// An Organizations resource control policy: Principal required.
    ResourceControl,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Grants.
    Allow,
    /// Denies (always wins).
    Deny,
}

impl Effect {
    /// `"Allow"` / `"Deny"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

mod size;
use size::count_bytes;
pub use size::{limits, policy_size};

/// The requested resource, split into ARN segments once per request.
pub(crate) struct Target<'r> {
    pub(crate) full: &'r str,
    pub(crate) split: Option<[&'r str; 6]>,
}

impl<'r> Target<'r> {
    pub(crate) fn new(full: &'r str) -> Target<'r> {
        Target {
            full,
            split: split_arn(full),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ResourcePattern {
    All,
    Arn {
        /// The text before the resource part; literal segments are ranges of it (one
        /// allocation instead of one per segment).
        head_text: String,
        head: [HeadSeg; 5],
        tail: Template,
    },
    Whole(Template),
}

/// One of the first five ARN segments of a resource pattern.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum HeadSeg {
    /// Literal text: `head_text[start..end]`, compared ASCII-case-insensitively.
    Lit(usize, usize),
    /// `*`
    Any,
    /// A segment with other wildcards.
    Pat(Box<Glob>),
}

impl ResourcePattern {
    fn compile(text: &str, vars: bool) -> ResourcePattern {
        if text == "*" {
            return ResourcePattern::All;
        }
        let Some(cuts) = arn_colons(text) else {
            return ResourcePattern::Whole(Template::for_glob(text, vars));
        };
        let [c0, c1, c2, c3, c4] = cuts;
        let (head_str, tail) = (
            text.get(..c4).unwrap_or_default(),
            text.get(c4 + 1..).unwrap_or_default(),
        );
        // a variable outside the resource part (`arn:aws:s3:::${aws:PrincipalAccount}-x` is
        // fine, `arn:aws:iam::${aws:PrincipalAccount}:…` is not) is substituted over the
        // whole string instead of per segment
        if vars && has_var(head_str) {
            return ResourcePattern::Whole(Template::for_glob(text, vars));
        }
        let seg = |start: usize, end: usize| {
            let s = head_str.get(start..end).unwrap_or_default();
            if s == "*" {
                HeadSeg::Any
            } else if has_wild(s) {
                HeadSeg::Pat(Box::new(Glob::new(s)))
            } else {
                HeadSeg::Lit(start, end)
            }
        };
        ResourcePattern::Arn {
            head_text: head_str.to_owned(),
            head: [
                seg(0, c0),
                seg(c0 + 1, c1),
                seg(c1 + 1, c2),
                seg(c2 + 1, c3),
                seg(c3 + 1, c4),
            ],
            tail: Template::for_glob(tail, vars),
        }
    }

    fn matches(&self, target: &Target<'_>, ctx: &Context) -> bool {
        let resource = target.full;
        match self {
            ResourcePattern::All => true,
            ResourcePattern::Arn {
                head_text,
                head,
                tail,
            } => {
                let Some(r) = &target.split else {
                    return false;
                };
                head.iter().zip(r.iter()).all(|(g, s)| match g {
                    HeadSeg::Lit(a, b) => head_text
                        .get(*a..*b)
                        .is_some_and(|e| e.eq_ignore_ascii_case(s)),
                    HeadSeg::Any => true,
                    HeadSeg::Pat(g) => g.matches(s),
                }) && tail.glob(ctx).is_some_and(|g| g.matches(r[5]))
            }
            ResourcePattern::Whole(t) => t.glob(ctx).is_some_and(|g| g.matches(resource)),
        }
    }
}

/// A one-bit Bloom filter of an action's service prefix: `1 << (fnv(service) % 64)`,
/// ASCII-case-insensitive, computed without allocating.
pub(crate) fn service_bit(action: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in action.bytes().take_while(|b| *b != b':') {
        h ^= u64::from(b.to_ascii_lowercase());
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    1u64 << (h % 64)
}

fn service_bits<'p>(patterns: impl Iterator<Item = &'p str>, negated: bool) -> u64 {
    if negated {
        return u64::MAX;
    }
    let mut bits = 0u64;
    for p in patterns {
        // one pass: hash the service prefix as service_bit does, give up on a wildcard in it
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut colon = false;
        for b in p.bytes() {
            match b {
                b':' => {
                    colon = true;
                    break;
                }
                b'*' | b'?' => return u64::MAX,
                _ => {
                    h ^= u64::from(b.to_ascii_lowercase());
                    h = h.wrapping_mul(0x0100_0000_01b3);
                }
            }
        }
        if !colon {
            return u64::MAX;
        }
        bits |= 1u64 << (h % 64);
    }
    bits
}

/// One compiled statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Prefilter: bits of the services its Action can match (all bits for wildcards and
    /// NotAction).
    service_bits: u64,
    sid: Option<String>,
    index: usize,
    effect: Effect,
    principal: Option<(bool, PrincipalSet)>,
    actions: (bool, Vec<ActionGlob>),
    resources: Option<(bool, Vec<ResourcePattern>)>,
    conditions: Vec<Condition>,
}

impl Statement {
    /// The `Sid`, if any.
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }
    /// Zero-based position in the policy.
    pub fn index(&self) -> usize {
        self.index
    }
    /// `Allow` or `Deny`.
    pub fn effect(&self) -> Effect {
        self.effect
    }
    /// The compiled conditions (all must hold).
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// Cheap prefilter: false when the statement cannot match an action whose
    /// [`service_bit`] is `bit`.
    pub(crate) fn may_match_service(&self, bit: u64) -> bool {
        self.service_bits & bit != 0
    }

    /// Probes of its action patterns (one that always passes for NotAction).
    fn probes(&self) -> impl Iterator<Item = ActionProbe> + '_ {
        let (negated, pats) = &self.actions;
        let always = negated.then_some(ActionProbe::ALWAYS);
        always
            .into_iter()
            .chain(pats.iter().filter(|_| !*negated).map(ActionGlob::probe))
    }

    /// Whether the statement's Action/NotAction covers an action (case-insensitively), given
    /// `action_lower`, its ASCII-lowercased bytes.
    pub(crate) fn action_matches_lower(&self, action_lower: &[u8]) -> bool {
        let (negated, pats) = &self.actions;
        let hit = pats.iter().any(|g| g.matches_lower(action_lower));
        hit != *negated
    }

    pub(crate) fn resource_matches(&self, target: &Target<'_>, ctx: &Context) -> bool {
        match &self.resources {
            None => true,
            Some((negated, pats)) => {
                let hit = pats.iter().any(|p| p.matches(target, ctx));
                hit != *negated
            }
        }
    }

    /// How the statement applies to the caller: `None` if its Principal/NotPrincipal excludes
    /// the caller; `Some(Direct)` when the statement has no principal element.
    pub(crate) fn principal_applies(
        &self,
        p: &PrincipalFacts,
        has_boundary: bool,
    ) -> Option<PrincipalMatch> {
        match &self.principal {
            None => Some(PrincipalMatch::Direct),
            Some((false, set)) => set.best_match(p),
            Some((true, set)) => {
                // A Deny with NotPrincipal always applies to principals that have a permissions
                // boundary (access_policies_boundaries, reference §1.4).
                if self.effect == Effect::Deny && has_boundary {
                    return Some(PrincipalMatch::Wildcard);
                }
                if set.excludes(p) {
                    None
                } else {
                    Some(PrincipalMatch::Account)
                }
            }
        }
    }

    /// The first condition that does not hold, if any.
    pub(crate) fn failing_condition(&self, ctx: &Context) -> Option<&Condition> {
        self.conditions.iter().find(|c| !c.holds(ctx))
    }
}

/// A parsed, validated and compiled policy document. The original text is kept verbatim.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    text: String,
    kind: PolicyKind,
    version: Option<String>,
    id: Option<String>,
    statements: Vec<Statement>,
    size: usize,
    has_deny: bool,
    /// Every statement's action probes, flattened in statement order with the statement's
    /// index: evaluation scans this small array and looks at a statement only when one of
    /// its probes passes.
    probes: Vec<(ActionProbe, usize)>,
    /// A policy-level summary of the probes, checked first: the distinct literal-prefix
    /// lengths (ascending) and a 256-bit Bloom filter of (length, tail) pairs; `probe_any`
    /// when some probe passes every action (NotAction, a leading wildcard).
    probe_lens: Vec<usize>,
    probe_bloom: [u64; 4],
    probe_any: bool,
}

/// Word and bit of a (literal-prefix length, tail) pair in a policy's probe Bloom filter.
#[inline]
fn bloom_bit(len: usize, tail: u64) -> (usize, u64) {
    let h = (tail ^ (len as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
        .wrapping_mul(0xff51_afd7_ed55_8ccd);
    ((h >> 62) as usize, 1u64 << ((h >> 56) & 63))
}

/// A position in a policy document (1-based line and column), as IAM reports in
/// `MatchedStatements` (`StartPosition` / `EndPosition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
}

impl Policy {
    /// Parses and validates `text` as a policy of `kind`, returning IAM's
    /// `MalformedPolicyDocument` message on failure. Size limits are not checked here (they
    /// depend on where the policy is stored and give `LimitExceeded`); see [`Policy::size`].
    pub fn parse(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        parse(text, kind)
    }

    /// The document exactly as submitted.
    pub fn text(&self) -> &str {
        &self.text
    }
    /// The kind it was validated as.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }
    /// The `Version` element, if present.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }
    /// The `Id` element, if present.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
    /// The compiled statements in document order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }
    /// Size in characters, whitespace not counted.
    pub fn size(&self) -> usize {
        self.size
    }
    /// Whether any statement denies.
    pub fn has_deny(&self) -> bool {
        self.has_deny
    }

    /// False when no statement of the policy can match the action whose ASCII-lowercased
    /// bytes are `action_lower` (then no probe passes either).
    pub(crate) fn may_match_action(&self, action_lower: &[u8]) -> bool {
        if self.probe_any {
            return true;
        }
        for &len in &self.probe_lens {
            if action_lower.len() < len {
                break;
            }
            let (w, bit) = bloom_bit(len, tail8(action_lower, len));
            if self.probe_bloom.get(w).is_some_and(|b| b & bit != 0) {
                return true;
            }
        }
        false
    }

    /// Every statement's action probes with the statement's index, in statement order: a
    /// statement can match an action only if one of its probes passes.
    pub(crate) fn probes(&self) -> &[(ActionProbe, usize)] {
        &self.probes
    }

    /// Where statement `index` starts and ends (the position of its closing brace) in
    /// [`Policy::text`].
    pub fn statement_position(&self, index: usize) -> Option<(Position, Position)> {
        // found on demand: only explanations and simulations ask
        let (s, e) = *crate::json::statement_spans(&self.text).get(index)?;
        let (l1, c1) = crate::json::line_col(&self.text, s);
        let (l2, c2) = crate::json::line_col(&self.text, e.saturating_sub(1));
        Some((
            Position {
                line: l1,
                column: c1,
            },
            Position {
                line: l2,
                column: c2,
            },
        ))
    }

    /// [`Policy::statement_position`] of every statement, in one pass over the text.
    pub fn statement_positions(&self) -> Vec<(Position, Position)> {
        let spans = crate::json::statement_spans(&self.text);
        let offsets: Vec<usize> = spans
            .iter()
            .flat_map(|(s, e)| [*s, e.saturating_sub(1)])
            .collect();
        let at = |(line, column)| Position { line, column };
        let lc = crate::json::line_cols(&self.text, &offsets);
        lc.chunks_exact(2)
            .filter_map(|p| Some((at(*p.first()?), at(*p.get(1)?))))
            .collect()
    }

    /// The document as a JSON value (for re-serialisation).
    pub fn to_json(&self) -> serde_json::Value {
        // the text was parsed and validated (no duplicate members) when the policy was built
        serde_json::from_str(&self.text).unwrap_or(serde_json::Value::Null)
    }
}

fn err(kind: PolicyErrorKind, msg: impl Into<String>) -> PolicyError {
    PolicyError::new(kind, msg)
}

fn is_iam(kind: PolicyKind) -> bool {
    matches!(
        kind,
        PolicyKind::Identity
            | PolicyKind::PermissionsBoundary
            | PolicyKind::Session
            | PolicyKind::RoleTrust
    )
}

fn no_principal(kind: PolicyKind) -> bool {
    matches!(
        kind,
        PolicyKind::Identity
            | PolicyKind::PermissionsBoundary
            | PolicyKind::Session
            | PolicyKind::ServiceControl
    )
}

fn allowed_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FF}')
}

/// Validation stages in the order IAM reports them (moto's reverse-engineered ordering,
/// reference §2.8): the first failing stage across all statements wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Syntax,
    Legacy,
    Sid,
    ActionsPresent,
    ResourceFormat,
    ActionFormat,
    Presence,
}

type StageResult<T> = Result<T, (Stage, PolicyError)>;

fn parse(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
    let chars_ok = if text.is_ascii() {
        count_bytes(text.as_bytes(), |b| {
            !matches!(b, b'\t' | b'\n' | b'\r' | 0x20..=0x7f)
        }) == 0
    } else {
        text.chars().all(allowed_char)
    };
    if is_iam(kind) && (text.is_empty() || !chars_ok) {
        return Err(err(
            PolicyErrorKind::InvalidCharacters,
            "The policy document contains characters outside TAB, LF, CR and U+0020-U+00FF.",
        ));
    }
    let doc = Json::parse(text).map_err(|_| {
        err(
            PolicyErrorKind::InvalidJson,
            "This policy contains invalid Json",
        )
    })?;
    let top = doc.as_object().ok_or_else(PolicyError::syntax)?;
    let mut version = None;
    let mut id = None;
    let mut statement = None;
    for (k, v) in top {
        match (k.as_ref(), v) {
            ("Version", Json::String(s)) => version = Some(s.to_string()),
            ("Id", Json::String(s)) => id = Some(s.to_string()),
            ("Statement", v) => statement = Some(v),
            _ => return Err(PolicyError::syntax()),
        }
    }
    let version_msg = "Policy document must be version 2012-10-17 or greater.";
    match (kind, version.as_deref()) {
        (PolicyKind::Identity | PolicyKind::PermissionsBoundary, Some("2012-10-17")) => {}
        (PolicyKind::Identity | PolicyKind::PermissionsBoundary, _) => {
            return Err(err(PolicyErrorKind::Version, version_msg));
        }
        (_, None | Some("2012-10-17") | Some("2008-10-17")) => {}
        (_, Some(_)) => return Err(err(PolicyErrorKind::Version, version_msg)),
    }
    let vars = version.as_deref() == Some("2012-10-17");
    let stmts = match statement {
        Some(Json::Array(a)) if !a.is_empty() => a.as_slice(),
        Some(o @ Json::Object(_)) => std::slice::from_ref(o),
        _ => return Err(PolicyError::syntax()),
    };
    let mut compiled = Vec::with_capacity(stmts.len());
    let mut worst: Option<(Stage, PolicyError)> = None;
    for (i, s) in stmts.iter().enumerate() {
        match compile_statement(s, i, kind, vars) {
            Ok(st) => compiled.push(st),
            Err((stage, e)) => {
                if worst.as_ref().is_none_or(|(w, _)| stage < *w) {
                    worst = Some((stage, e));
                }
            }
        }
    }
    // Sid uniqueness is checked at the Sid stage, across statements.
    if is_iam(kind)
        || matches!(
            kind,
            PolicyKind::ServiceControl | PolicyKind::ResourceControl
        )
    {
        let mut seen: Vec<&str> = Vec::new();
        for st in &compiled {
            if let Some(sid) = st.sid.as_deref().filter(|s| !s.is_empty()) {
                if seen.contains(&sid) {
                    let e = err(
                        PolicyErrorKind::Sid,
                        "Statement IDs (SID) in a single policy must be unique.",
                    );
                    if worst.as_ref().is_none_or(|(w, _)| Stage::Sid < *w) {
                        worst = Some((Stage::Sid, e));
                    }
                    break;
                }
                seen.push(sid);
            }
        }
    }
    if let Some((_, e)) = worst {
        return Err(e);
    }
    let has_deny = compiled.iter().any(|s| s.effect == Effect::Deny);
    let probes: Vec<(ActionProbe, usize)> = compiled
        .iter()
        .enumerate()
        .flat_map(|(i, st)| st.probes().map(move |p| (p, i)))
        .collect();
    let mut probe_lens = Vec::new();
    let mut probe_bloom = [0u64; 4];
    let mut probe_any = false;
    for (p, _) in &probes {
        match p.key() {
            None => probe_any = true,
            Some((len, tail)) => {
                if !probe_lens.contains(&len) {
                    probe_lens.push(len);
                }
                let (w, bit) = bloom_bit(len, tail);
                if let Some(b) = probe_bloom.get_mut(w) {
                    *b |= bit;
                }
            }
        }
    }
    probe_lens.sort_unstable();
    Ok(Policy {
        text: text.to_owned(),
        kind,
        version,
        id,
        size: policy_size(text),
        statements: compiled,
        has_deny,
        probes,
        probe_lens,
        probe_bloom,
        probe_any,
    })
}

/// A string or an array of strings from the document, borrowed (no list is built).
#[derive(Clone, Copy)]
struct StrList<'j, 't>(&'j [Json<'t>]);

impl<'j, 't> StrList<'j, 't> {
    fn is_empty(self) -> bool {
        self.0.is_empty()
    }

    fn iter(self) -> impl ExactSizeIterator<Item = &'j str> + use<'j, 't> {
        // string_list checked that every item is a string; exact size so that collecting
        // allocates just enough
        self.0.iter().map(|x| match x {
            Json::String(s) => s.as_ref(),
            _ => "",
        })
    }
}

fn string_list<'j, 't>(v: &'j Json<'t>) -> StageResult<StrList<'j, 't>> {
    match v {
        Json::String(_) => Ok(StrList(std::slice::from_ref(v))),
        Json::Array(a) if a.iter().all(|x| matches!(x, Json::String(_))) => Ok(StrList(a)),
        _ => Err((Stage::Syntax, PolicyError::syntax())),
    }
}

const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

const IAM_RESOURCE_PREFIXES: &[&str] = &[
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
];

fn check_resource(r: &str) -> Result<(), PolicyError> {
    let fmt = || {
        err(
            PolicyErrorKind::Resource,
            format!("Resource {r} must be in ARN format or \"*\"."),
        )
    };
    if r == "*" {
        return Ok(());
    }
    if !r.starts_with("arn:") {
        return Err(fmt());
    }
    let (parts, n) = split6(r);
    let partition = parts[1];
    if !PARTITIONS.contains(&partition) && !has_wild(partition) {
        return Err(err(
            PolicyErrorKind::Resource,
            format!("Partition \"{partition}\" is not valid for resource \"{r}\"."),
        ));
    }
    let vendor = parts[2];
    if n < 6 {
        // a trailing wildcard may stand for the remaining segments
        if r.ends_with('*') && !vendor.is_empty() {
            return Ok(());
        }
        if vendor.is_empty() || has_wild(vendor) {
            return Err(err(
                PolicyErrorKind::Resource,
                "Resource vendor must be fully qualified and cannot contain regexes.",
            ));
        }
        return Err(fmt());
    }
    if vendor.is_empty() || has_wild(vendor) {
        return Err(err(
            PolicyErrorKind::Resource,
            "Resource vendor must be fully qualified and cannot contain regexes.",
        ));
    }
    // a policy variable before the resource part contains colons of its own, so the segments
    // above are not the ARN's; skip the IAM-specific shape checks then
    if vendor == "iam" && !parts[..5].iter().any(|p| has_var(p)) {
        if !parts[3].is_empty() {
            return Err(err(
                PolicyErrorKind::Resource,
                format!("IAM resource {r} cannot contain region information."),
            ));
        }
        let path = parts[5];
        if !path.starts_with('*')
            && path != "root"
            && !IAM_RESOURCE_PREFIXES.iter().any(|p| path.starts_with(p))
        {
            return Err(err(
                PolicyErrorKind::Resource,
                "IAM resource path must either be \"*\" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.",
            ));
        }
    }
    Ok(())
}

/// `s.splitn(6, ':')` into an array: the segments (unused ones empty) and how many there are.
fn split6(s: &str) -> ([&str; 6], usize) {
    let mut out = [""; 6];
    let mut n = 0;
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        if b == b':'
            && let Some(slot) = out.get_mut(n).filter(|_| n < 5)
        {
            *slot = s.get(start..i).unwrap_or_default();
            n += 1;
            start = i + 1;
        }
    }
    if let Some(slot) = out.get_mut(n) {
        *slot = s.get(start..).unwrap_or_default();
    }
    (out, n + 1)
}

fn check_action(a: &str) -> Result<(), PolicyError> {
    if a == "*" {
        return Ok(());
    }
    let colons = a.bytes().filter(|b| *b == b':').count();
    if colons == 0 {
        return Err(err(
            PolicyErrorKind::Action,
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ));
    }
    if colons > 1 {
        return Err(err(
            PolicyErrorKind::Action,
            "Actions/Condition can contain only one colon.",
        ));
    }
    let vendor = a
        .bytes()
        .position(|b| b == b':')
        .and_then(|i| a.get(..i))
        .unwrap_or(a);
    if vendor.is_empty()
        || !vendor
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'*' || b == b'?')
    {
        return Err(err(
            PolicyErrorKind::Action,
            format!("Vendor {vendor} is not valid"),
        ));
    }
    Ok(())
}

fn compile_statement(
    s: &Json<'_>,
    index: usize,
    kind: PolicyKind,
    vars: bool,
) -> StageResult<Statement> {
    let syn = || (Stage::Syntax, PolicyError::syntax());
    let m = s.as_object().ok_or_else(syn)?;
    let mut sid = None;
    let mut effect = None;
    let mut principal = None;
    let mut action = None;
    let mut resource = None;
    let mut condition = None;
    for (k, v) in m {
        match k.as_ref() {
            "Sid" => match v {
                Json::String(x) => sid = Some(x.to_string()),
                _ => return Err(syn()),
            },
            "Effect" => match v {
                Json::String(x) => effect = Some(x.as_ref()),
                _ => return Err(syn()),
            },
            "Principal" | "NotPrincipal" => {
                if principal.is_some() {
                    return Err(syn());
                }
                principal = Some((k == "NotPrincipal", v));
            }
            "Action" | "NotAction" => {
                if action.is_some() {
                    return Err(syn());
                }
                action = Some((k == "NotAction", string_list(v)?));
            }
            "Resource" | "NotResource" => {
                if resource.is_some() {
                    return Err(syn());
                }
                resource = Some((k == "NotResource", string_list(v)?, k.as_ref()));
            }
            "Condition" => condition = Some(v),
            _ => return Err(syn()),
        }
    }
    let effect = match effect {
        None => return Err(syn()),
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        Some(_) => {
            return Err((
                Stage::Legacy,
                err(
                    PolicyErrorKind::LegacyParse,
                    "The policy failed legacy parsing",
                ),
            ));
        }
    };
    let conditions = match condition {
        None => Vec::new(),
        Some(c) => Condition::compile_block(c, vars).map_err(|e| match e {
            CondError::Syntax => syn(),
            CondError::LegacyParse => (
                Stage::Legacy,
                err(
                    PolicyErrorKind::LegacyParse,
                    "The policy failed legacy parsing",
                ),
            ),
            CondError::KeyWithoutVendor => (
                Stage::ActionFormat,
                err(
                    PolicyErrorKind::Condition,
                    "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
                ),
            ),
        })?,
    };
    if let Some(sid) = &sid
        && (is_iam(kind)
            || matches!(
                kind,
                PolicyKind::ServiceControl | PolicyKind::ResourceControl
            ))
        && !sid.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err((
            Stage::Sid,
            err(
                PolicyErrorKind::Sid,
                "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
            ),
        ));
    }
    let Some((not_action, actions)) = action else {
        return Err((
            Stage::ActionsPresent,
            err(
                PolicyErrorKind::Action,
                "Policy statement must contain actions.",
            ),
        ));
    };
    if actions.is_empty() {
        return Err((
            Stage::ActionsPresent,
            err(
                PolicyErrorKind::Action,
                "Policy statement must contain actions.",
            ),
        ));
    }
    if let Some((_, rs, name)) = &resource {
        if kind == PolicyKind::RoleTrust {
            return Err((
                Stage::Presence,
                err(
                    PolicyErrorKind::Resource,
                    format!("Has prohibited field {name}"),
                ),
            ));
        }
        for r in rs.iter() {
            check_resource(r).map_err(|e| (Stage::ResourceFormat, e))?;
        }
    }
    for a in actions.iter() {
        check_action(a).map_err(|e| (Stage::ActionFormat, e))?;
    }
    let resources = match resource {
        Some((neg, rs, _)) => {
            if rs.is_empty() {
                return Err((
                    Stage::Presence,
                    err(
                        PolicyErrorKind::Resource,
                        "Policy statement must contain resources.",
                    ),
                ));
            }
            Some((
                neg,
                rs.iter()
                    .map(|r| ResourcePattern::compile(r, vars))
                    .collect(),
            ))
        }
        None if matches!(kind, PolicyKind::Resource | PolicyKind::RoleTrust) => None,
        None => {
            return Err((
                Stage::Presence,
                err(
                    PolicyErrorKind::Resource,
                    "Policy statement must contain resources.",
                ),
            ));
        }
    };
    let principal = match (principal, no_principal(kind)) {
        (Some(_), true) => {
            return Err((
                Stage::Presence,
                err(
                    PolicyErrorKind::Principal,
                    "Policy document should not specify a principal.",
                ),
            ));
        }
        (None, true) => None,
        (None, false) => {
            return Err((
                Stage::Presence,
                err(
                    PolicyErrorKind::Principal,
                    "Missing required field Principal",
                ),
            ));
        }
        (Some((true, _)), false) if kind == PolicyKind::RoleTrust => {
            return Err((
                Stage::Presence,
                err(
                    PolicyErrorKind::Principal,
                    "Has prohibited field NotPrincipal",
                ),
            ));
        }
        (Some((neg, v)), false) => Some((
            neg,
            PrincipalSet::parse(v).map_err(|e| (Stage::Presence, e))?,
        )),
    };
    Ok(Statement {
        service_bits: service_bits(actions.iter(), not_action),
        sid,
        index,
        effect,
        principal,
        actions: (
            not_action,
            actions
                .iter()
                .map(|a| ActionGlob::new(a.to_ascii_lowercase()))
                .collect(),
        ),
        resources,
        conditions,
    })
}

#[cfg(test)]
#[expect(clippy::indexing_slicing, reason = "tests index known fixtures")]
mod split_tests;
