//! The request context: typed, case-insensitively named context keys, the facts about the
//! calling principal, and [`principal_context`] which derives the principal keys from the facts.

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;

use time::OffsetDateTime;

use crate::pattern::VarSource;

/// A value of a context key.
#[derive(Debug, Clone, PartialEq)]
pub enum ContextValue {
    /// Text (also used for ARNs).
    String(String),
    /// `true`/`false`.
    Bool(bool),
    /// A number (integers and decimals).
    Number(f64),
    /// An instant.
    Date(OffsetDateTime),
    /// An IP address (`aws:SourceIp`).
    Ip(IpAddr),
    /// Raw bytes (`BinaryEquals`).
    Binary(Vec<u8>),
}

impl ContextValue {
    /// The textual form used by string operators and policy variables.
    pub fn as_text(&self) -> Cow<'_, str> {
        match self {
            ContextValue::String(s) => Cow::Borrowed(s),
            ContextValue::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            ContextValue::Number(n) => Cow::Owned(format_number(*n)),
            ContextValue::Date(d) => Cow::Owned(
                d.format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
            ),
            ContextValue::Ip(ip) => Cow::Owned(ip.to_string()),
            ContextValue::Binary(b) => {
                use base64::Engine as _;
                Cow::Owned(base64::engine::general_purpose::STANDARD.encode(b))
            }
        }
    }
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

impl From<&str> for ContextValue {
    fn from(s: &str) -> Self {
        ContextValue::String(s.to_owned())
    }
}
impl From<String> for ContextValue {
    fn from(s: String) -> Self {
        ContextValue::String(s)
    }
}
impl From<bool> for ContextValue {
    fn from(b: bool) -> Self {
        ContextValue::Bool(b)
    }
}
impl From<f64> for ContextValue {
    fn from(n: f64) -> Self {
        ContextValue::Number(n)
    }
}
impl From<i64> for ContextValue {
    fn from(n: i64) -> Self {
        ContextValue::Number(n as f64)
    }
}
impl From<OffsetDateTime> for ContextValue {
    fn from(d: OffsetDateTime) -> Self {
        ContextValue::Date(d)
    }
}
impl From<IpAddr> for ContextValue {
    fn from(ip: IpAddr) -> Self {
        ContextValue::Ip(ip)
    }
}

/// The values of one context key.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextEntry {
    /// The key name as first given (original case).
    pub name: Cow<'static, str>,
    /// The values (one for single-valued keys).
    pub values: Vec<ContextValue>,
    /// Whether the key is multivalued (SAR type `ArrayOf…`, e.g. `aws:TagKeys`).
    pub multi: bool,
}

/// Context keys of a request. Key names are case-insensitive (`aws:SourceIP` ≡ `AWS:SourceIp`).
///
/// A request carries a few dozen keys at most, so they are kept in a vector and found by a
/// case-insensitive scan (a length mismatch rejects most candidates at once): cheaper than
/// hashing a lower-cased copy of every key on every request.
///
/// A context may sit on a shared, immutable base ([`Context::with_base`]): the keys a caller
/// carries on every request (its principal keys) are built once and shared, and each request
/// adds only its own keys on top. Keys set on top hide the base's keys of the same name.
#[derive(Debug, Clone, Default)]
pub struct Context {
    own: Vec<ContextEntry>,
    base: Option<Arc<Context>>,
}

impl PartialEq for Context {
    fn eq(&self, other: &Context) -> bool {
        self.len() == other.len()
            && self.iter().all(|e| {
                other
                    .get(&e.name)
                    .is_some_and(|o| o.values == e.values && o.multi == e.multi)
            })
    }
}

fn position(entries: &[ContextEntry], key: &str) -> Option<usize> {
    entries
        .iter()
        .position(|e| e.name.len() == key.len() && e.name.eq_ignore_ascii_case(key))
}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// An empty context on top of `base`: lookups fall through to `base` for keys not set here.
    pub fn with_base(base: Arc<Context>) -> Context {
        // One level only, so iteration stays simple: a layered base is flattened first.
        let base = if base.base.is_some() {
            let mut flat = (*base).clone();
            flat.flatten();
            Arc::new(flat)
        } else {
            base
        };
        Context {
            own: Vec::new(),
            base: Some(base),
        }
    }

    /// Copies the base's keys (those not hidden) into this context and drops the base.
    fn flatten(&mut self) {
        if let Some(base) = self.base.take() {
            for e in &base.own {
                if position(&self.own, &e.name).is_none() {
                    self.own.push(e.clone());
                }
            }
        }
    }

    fn put(&mut self, entry: ContextEntry) {
        match position(&self.own, &entry.name).and_then(|i| self.own.get_mut(i)) {
            Some(e) => *e = entry,
            None => self.own.push(entry),
        }
    }

    /// Sets a single-valued key, replacing any previous value.
    pub fn set(&mut self, key: &str, value: impl Into<ContextValue>) -> &mut Self {
        self.put(ContextEntry {
            name: Cow::Owned(key.to_owned()),
            values: vec![value.into()],
            multi: false,
        });
        self
    }

    /// [`set`](Self::set) for a key name known at compile time (no copy of the name).
    pub fn set_static(&mut self, key: &'static str, value: impl Into<ContextValue>) -> &mut Self {
        self.put(ContextEntry {
            name: Cow::Borrowed(key),
            values: vec![value.into()],
            multi: false,
        });
        self
    }

    /// Sets a multivalued key (an empty list means "present but empty").
    pub fn set_multi<V: Into<ContextValue>>(
        &mut self,
        key: &str,
        values: impl IntoIterator<Item = V>,
    ) -> &mut Self {
        self.put(ContextEntry {
            name: Cow::Owned(key.to_owned()),
            values: values.into_iter().map(Into::into).collect(),
            multi: true,
        });
        self
    }

    /// Removes a key.
    pub fn remove(&mut self, key: &str) -> Option<ContextEntry> {
        if self
            .base
            .as_ref()
            .is_some_and(|b| position(&b.own, key).is_some())
        {
            self.flatten();
        }
        position(&self.own, key).map(|i| self.own.remove(i))
    }

    /// Looks a key up, case-insensitively.
    pub fn get(&self, key: &str) -> Option<&ContextEntry> {
        self.get_lower(key)
    }

    /// Looks a key up (any case; the name says what callers pass: an already-lowercased key).
    pub(crate) fn get_lower(&self, key: &str) -> Option<&ContextEntry> {
        match position(&self.own, key) {
            Some(i) => self.own.get(i),
            None => self.base.as_ref().and_then(|b| b.get_lower(key)),
        }
    }

    /// Adds every key of `other`, replacing keys present in both.
    pub fn extend(&mut self, mut other: Context) {
        other.flatten();
        if self.own.is_empty() {
            self.own = other.own;
            return;
        }
        for e in other.own {
            self.put(e);
        }
    }

    /// All entries (unordered).
    pub fn iter(&self) -> impl Iterator<Item = &ContextEntry> {
        self.own.iter().chain(
            self.base
                .iter()
                .flat_map(|b| b.own.iter())
                .filter(|e| position(&self.own, &e.name).is_none()),
        )
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there is no key.
    pub fn is_empty(&self) -> bool {
        self.own.is_empty() && self.base.as_ref().is_none_or(|b| b.is_empty())
    }
}

impl VarSource for Context {
    fn var(&self, key_lower: &str) -> Option<Cow<'_, str>> {
        let e = self.get_lower(key_lower)?;
        if e.multi || e.values.len() != 1 {
            return None;
        }
        e.values.first().map(ContextValue::as_text)
    }
}

/// The kind of principal making a request (`aws:PrincipalType` values, plus service principals).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalType {
    /// The account root user (`aws:PrincipalType` = `Account`).
    Root,
    /// An IAM user (also with `GetSessionToken` credentials).
    User,
    /// A role session (AssumeRole, AssumeRoleWithWebIdentity, AssumeRoleWithSAML).
    AssumedRole,
    /// A `GetFederationToken` session.
    FederatedUser,
    /// An AWS service principal (`ecs.amazonaws.com`).
    Service,
    /// An unauthenticated caller.
    Anonymous,
    /// A web-identity or SAML identity provider calling `AssumeRoleWithWebIdentity` /
    /// `AssumeRoleWithSAML` (matched by trust-policy `Federated` principals); its ARN field
    /// holds the provider (`accounts.google.com`, `arn:aws:iam::A:oidc-provider/host`).
    IdentityProvider,
}

impl PrincipalType {
    /// The `aws:PrincipalType` value, if the key is present for this type.
    pub fn context_value(self) -> Option<&'static str> {
        match self {
            PrincipalType::Root => Some("Account"),
            PrincipalType::User => Some("User"),
            PrincipalType::AssumedRole => Some("AssumedRole"),
            PrincipalType::FederatedUser => Some("FederatedUser"),
            PrincipalType::Anonymous => Some("Anonymous"),
            PrincipalType::Service | PrincipalType::IdentityProvider => None,
        }
    }
}

/// How a session's temporary credentials were obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionKind {
    /// `sts:AssumeRole`
    AssumeRole,
    /// `sts:AssumeRoleWithWebIdentity`
    WebIdentity,
    /// `sts:AssumeRoleWithSAML`
    Saml,
    /// `sts:GetFederationToken` (no session policy ⇒ no permissions)
    FederationToken,
    /// `sts:GetSessionToken` (the session acts as the IAM user or root)
    SessionToken,
}

/// Facts about temporary credentials.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionFacts {
    /// How the session was obtained.
    pub kind: SessionKind,
    /// When the token was issued (`aws:TokenIssueTime`).
    pub issued_at: OffsetDateTime,
    /// Whether MFA was used when obtaining the session.
    pub mfa_authenticated: bool,
    /// When MFA authentication happened (for `aws:MultiFactorAuthAge`).
    pub mfa_authenticated_at: Option<OffsetDateTime>,
    /// `aws:SourceIdentity`, persisted across role chaining.
    pub source_identity: Option<String>,
    /// `aws:FederatedProvider` for web-identity / SAML sessions.
    pub federated_provider: Option<String>,
}

/// Everything the engine needs to know about the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct PrincipalFacts {
    /// The kind of principal.
    pub kind: PrincipalType,
    /// The caller's ARN as `GetCallerIdentity` reports it: user ARN, root ARN, the session ARN
    /// `arn:aws:sts::A:assumed-role/Role/Session`, `arn:aws:sts::A:federated-user/Name`; the
    /// service name for services; `anonymous` for anonymous callers.
    pub arn: String,
    /// The caller's account id (empty for services and anonymous callers).
    pub account: String,
    /// `aws:userid`: `AIDA…` (user), `AROA…:session` (role session), `A:Name` (federated user),
    /// the account id (root), `anonymous`.
    pub user_id: String,
    /// The IAM user name (users only; also `GetSessionToken` sessions of users).
    pub username: Option<String>,
    /// For role sessions, the role ARN including its path. For `GetFederationToken`
    /// sessions, the ARN of the IAM user that created the session (a resource policy naming
    /// that user grants like a role grant: boundary and session policy still limit it).
    pub role_arn: Option<String>,
    /// Effective principal tags (for role sessions: role tags overridden by session tags).
    pub tags: Vec<(String, String)>,
    /// Present for temporary credentials.
    pub session: Option<SessionFacts>,
    /// `aws:PrincipalOrgID` when the account is in an organization.
    pub org_id: Option<String>,
    /// `aws:PrincipalOrgPaths`.
    pub org_paths: Vec<String>,
}

impl PrincipalFacts {
    /// The account root user.
    pub fn root(account: &str) -> PrincipalFacts {
        PrincipalFacts {
            kind: PrincipalType::Root,
            arn: format!("arn:aws:iam::{account}:root"),
            account: account.to_owned(),
            user_id: account.to_owned(),
            username: None,
            role_arn: None,
            tags: Vec::new(),
            session: None,
            org_id: None,
            org_paths: Vec::new(),
        }
    }

    /// An IAM user with long-term credentials. `path` is `/` or `/a/b/`.
    pub fn user(account: &str, path: &str, name: &str, unique_id: &str) -> PrincipalFacts {
        PrincipalFacts {
            kind: PrincipalType::User,
            arn: format!("arn:aws:iam::{account}:user{path}{name}"),
            account: account.to_owned(),
            user_id: unique_id.to_owned(),
            username: Some(name.to_owned()),
            ..PrincipalFacts::root(account)
        }
    }

    /// A role session. `role_path` is `/` or `/a/b/`.
    pub fn role_session(
        account: &str,
        role_path: &str,
        role_name: &str,
        role_id: &str,
        session_name: &str,
        session: SessionFacts,
    ) -> PrincipalFacts {
        PrincipalFacts {
            kind: PrincipalType::AssumedRole,
            arn: format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}"),
            account: account.to_owned(),
            user_id: format!("{role_id}:{session_name}"),
            username: None,
            role_arn: Some(format!("arn:aws:iam::{account}:role{role_path}{role_name}")),
            session: Some(session),
            ..PrincipalFacts::root(account)
        }
    }

    /// A `GetFederationToken` session (set `role_arn` to the creating IAM user's ARN if known).
    pub fn federated_user(account: &str, name: &str, session: SessionFacts) -> PrincipalFacts {
        PrincipalFacts {
            kind: PrincipalType::FederatedUser,
            arn: format!("arn:aws:sts::{account}:federated-user/{name}"),
            account: account.to_owned(),
            user_id: format!("{account}:{name}"),
            username: None,
            session: Some(session),
            ..PrincipalFacts::root(account)
        }
    }

    /// An AWS service principal such as `ecs.amazonaws.com`.
    pub fn service(name: &str) -> PrincipalFacts {
        PrincipalFacts {
            kind: PrincipalType::Service,
            arn: name.to_owned(),
            account: String::new(),
            user_id: String::new(),
            ..PrincipalFacts::root("")
        }
    }

    /// A web-identity or SAML provider (for trust-policy evaluation of federated assume-role).
    pub fn identity_provider(provider: &str) -> PrincipalFacts {
        PrincipalFacts {
            kind: PrincipalType::IdentityProvider,
            arn: provider.to_owned(),
            account: String::new(),
            user_id: String::new(),
            ..PrincipalFacts::root("")
        }
    }

    /// An unauthenticated caller.
    pub fn anonymous() -> PrincipalFacts {
        PrincipalFacts {
            kind: PrincipalType::Anonymous,
            arn: "anonymous".to_owned(),
            account: String::new(),
            user_id: "anonymous".to_owned(),
            ..PrincipalFacts::root("")
        }
    }

    /// The ARN that `aws:PrincipalArn` carries: the role ARN for role sessions, else the
    /// caller ARN; none for services and anonymous callers.
    pub fn principal_arn(&self) -> Option<&str> {
        match self.kind {
            PrincipalType::AssumedRole => self.role_arn.as_deref().or(Some(self.arn.as_str())),
            PrincipalType::Service | PrincipalType::Anonymous | PrincipalType::IdentityProvider => {
                None
            }
            _ => Some(&self.arn),
        }
    }

    /// The role name of a role session (from the session ARN).
    pub fn role_name(&self) -> Option<&str> {
        if self.kind != PrincipalType::AssumedRole {
            return None;
        }
        let rest = self.arn.split_once(":assumed-role/")?.1;
        Some(rest.split_once('/').map_or(rest, |(r, _)| r))
    }

    /// The unique id of the user or role (the part of `aws:userid` before `:`).
    pub(crate) fn unique_id(&self) -> &str {
        self.user_id
            .split_once(':')
            .map_or(self.user_id.as_str(), |(a, _)| a)
    }
}

/// Derives the principal context keys of AWS's request context (reference §3.1–3.2):
/// `aws:PrincipalArn`, `aws:userid`, `aws:username`, `aws:PrincipalType`,
/// `aws:PrincipalAccount`, `aws:PrincipalIsAWSService`, `aws:PrincipalServiceName`,
/// `aws:PrincipalTag/*`, `aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`,
/// `aws:MultiFactorAuthPresent`, `aws:MultiFactorAuthAge`, `aws:TokenIssueTime`,
/// `aws:SourceIdentity`, `aws:FederatedProvider`. `now` is the request time (for the MFA age);
/// the engine has no clock of its own.
///
/// Request-specific keys are the caller's to add: `aws:SourceIp`, `aws:CurrentTime`,
/// `aws:EpochTime`, `aws:SecureTransport`, `aws:RequestedRegion`, `aws:ResourceTag/*`,
/// `aws:RequestTag/*`, `aws:TagKeys`, `sts:ExternalId`, … An `AssumeRole` call made with
/// `SerialNumber`/`TokenCode` also carries `aws:MultiFactorAuthPresent = true` (and an age of
/// 0) even from long-term keys — the server sets those after verifying the code.
pub fn principal_context(p: &PrincipalFacts, now: OffsetDateTime) -> Context {
    let mut c = Context::new();
    if p.kind == PrincipalType::IdentityProvider {
        return c;
    }
    if p.kind == PrincipalType::Service {
        c.set("aws:PrincipalServiceName", p.arn.as_str());
        c.set("aws:PrincipalIsAWSService", true);
        return c;
    }
    if let Some(arn) = p.principal_arn() {
        c.set("aws:PrincipalArn", arn);
    }
    c.set("aws:userid", p.user_id.as_str());
    if p.kind == PrincipalType::User
        && let Some(u) = &p.username
    {
        c.set("aws:username", u.as_str());
    }
    if let Some(t) = p.kind.context_value() {
        c.set("aws:PrincipalType", t);
    }
    if p.kind == PrincipalType::Anonymous {
        c.set("aws:PrincipalAccount", "anonymous");
        return c;
    }
    c.set("aws:PrincipalAccount", p.account.as_str());
    c.set("aws:PrincipalIsAWSService", false);
    for (k, v) in &p.tags {
        c.set(&format!("aws:PrincipalTag/{k}"), v.as_str());
    }
    if let Some(o) = &p.org_id {
        c.set("aws:PrincipalOrgID", o.as_str());
    }
    if !p.org_paths.is_empty() {
        c.set_multi(
            "aws:PrincipalOrgPaths",
            p.org_paths.iter().map(String::as_str),
        );
    }
    if let Some(s) = &p.session {
        c.set("aws:MultiFactorAuthPresent", s.mfa_authenticated);
        if s.mfa_authenticated
            && let Some(at) = s.mfa_authenticated_at
        {
            let age = (now - at).whole_seconds().max(0);
            c.set("aws:MultiFactorAuthAge", age);
        }
        c.set("aws:TokenIssueTime", s.issued_at);
        if let Some(si) = &s.source_identity {
            c.set("aws:SourceIdentity", si.as_str());
        }
        if let Some(fp) = &s.federated_provider {
            c.set("aws:FederatedProvider", fp.as_str());
        }
    }
    c
}

#[cfg(test)]
#[expect(clippy::indexing_slicing, reason = "tests index known fixtures")]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn sess() -> SessionFacts {
        SessionFacts {
            kind: SessionKind::AssumeRole,
            issued_at: datetime!(2026-01-01 00:00 UTC),
            mfa_authenticated: true,
            mfa_authenticated_at: Some(datetime!(2026-01-01 00:00 UTC)),
            source_identity: Some("alice".into()),
            federated_provider: None,
        }
    }

    fn text(c: &Context, k: &str) -> Option<String> {
        c.get(k).map(|e| e.values[0].as_text().into_owned())
    }

    #[test]
    fn role_session_keys() {
        let mut p =
            PrincipalFacts::role_session("111122223333", "/ops/", "Reader", "AROAX", "s1", sess());
        p.tags = vec![("Team".into(), "blue".into())];
        let c = principal_context(&p, datetime!(2026-01-01 00:10 UTC));
        assert_eq!(
            text(&c, "aws:PrincipalArn").as_deref(),
            Some("arn:aws:iam::111122223333:role/ops/Reader")
        );
        assert_eq!(text(&c, "AWS:USERID").as_deref(), Some("AROAX:s1"));
        assert!(c.get("aws:username").is_none());
        assert_eq!(
            text(&c, "aws:PrincipalType").as_deref(),
            Some("AssumedRole")
        );
        assert_eq!(text(&c, "aws:principaltag/team").as_deref(), Some("blue"));
        assert_eq!(text(&c, "aws:MultiFactorAuthAge").as_deref(), Some("600"));
        assert_eq!(
            text(&c, "aws:MultiFactorAuthPresent").as_deref(),
            Some("true")
        );
        assert_eq!(text(&c, "aws:SourceIdentity").as_deref(), Some("alice"));
        assert_eq!(p.role_name(), Some("Reader"));
    }

    #[test]
    fn layered_context_reads_through_and_hides_the_base() {
        let mut base = Context::new();
        base.set("aws:username", "bob")
            .set("aws:PrincipalAccount", "1");
        let base = Arc::new(base);
        let mut c = Context::with_base(base.clone());
        assert_eq!(text(&c, "AWS:Username").as_deref(), Some("bob"));
        c.set("aws:principalaccount", "2")
            .set("aws:CurrentTime", "x");
        assert_eq!(text(&c, "aws:PrincipalAccount").as_deref(), Some("2"));
        assert_eq!(c.len(), 3);
        assert_eq!(c.iter().count(), 3);
        // The shared base is never changed by the layer on top.
        assert_eq!(text(&base, "aws:PrincipalAccount").as_deref(), Some("1"));
        // Removing a base key hides it in this context only.
        assert!(c.remove("aws:username").is_some());
        assert!(c.get("aws:username").is_none());
        assert_eq!(text(&base, "aws:username").as_deref(), Some("bob"));
        let mut flat = Context::new();
        flat.set("aws:PrincipalAccount", "2")
            .set("aws:CurrentTime", "x");
        assert_eq!(c, flat);
        // A layered context used as a base is flattened, with its own keys winning.
        let mut top = Context::with_base(base.clone());
        top.set("aws:username", "carol");
        let mut c2 = Context::with_base(Arc::new(top));
        c2.set("k", "v");
        assert_eq!(text(&c2, "aws:username").as_deref(), Some("carol"));
        assert_eq!(c2.len(), 3);
        let mut other = Context::with_base(base);
        other.set("aws:PrincipalAccount", "3");
        let mut c3 = Context::new();
        c3.extend(other);
        assert_eq!(text(&c3, "aws:username").as_deref(), Some("bob"));
        assert_eq!(text(&c3, "aws:PrincipalAccount").as_deref(), Some("3"));
    }

    #[test]
    fn user_root_anonymous_service_keys() {
        let u = PrincipalFacts::user("111122223333", "/", "bob", "AIDAB");
        let c = principal_context(&u, OffsetDateTime::UNIX_EPOCH);
        assert_eq!(text(&c, "aws:username").as_deref(), Some("bob"));
        assert!(c.get("aws:MultiFactorAuthPresent").is_none());
        assert!(c.get("aws:TokenIssueTime").is_none());
        let r = principal_context(
            &PrincipalFacts::root("111122223333"),
            OffsetDateTime::UNIX_EPOCH,
        );
        assert_eq!(text(&r, "aws:PrincipalType").as_deref(), Some("Account"));
        assert_eq!(text(&r, "aws:userid").as_deref(), Some("111122223333"));
        let a = principal_context(&PrincipalFacts::anonymous(), OffsetDateTime::UNIX_EPOCH);
        assert!(a.get("aws:PrincipalArn").is_none());
        assert_eq!(
            text(&a, "aws:PrincipalAccount").as_deref(),
            Some("anonymous")
        );
        let s = principal_context(
            &PrincipalFacts::service("ecs.amazonaws.com"),
            OffsetDateTime::UNIX_EPOCH,
        );
        assert!(s.get("aws:PrincipalArn").is_none());
        assert_eq!(
            text(&s, "aws:PrincipalIsAWSService").as_deref(),
            Some("true")
        );
    }
}
