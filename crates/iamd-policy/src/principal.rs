//! `Principal` / `NotPrincipal` (reference §2.2) and how a request principal matches them.

use crate::context::{PrincipalFacts, PrincipalType};
use crate::error::{PolicyError, PolicyErrorKind};
use crate::json::Json;

/// How a principal element named the caller. The §1.4 table decides what each grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrincipalMatch {
    /// The caller's account (`"123456789012"` or `arn:aws:iam::123456789012:root`): delegates
    /// to the account, so the identity side must allow too.
    Account,
    /// The role of a role session (`arn:aws:iam::A:role/R`, or the role's unique id), or the
    /// IAM user behind a federated-user session: no identity policy needed, but the
    /// boundary and session policies still limit.
    Role,
    /// `*` (everyone, including anonymous callers).
    Wildcard,
    /// The caller itself: IAM user ARN or id, role-session ARN, federated-user ARN, the service
    /// principal, or the identity provider.
    Direct,
}

/// One entry under `"AWS"`.
#[derive(Debug, Clone, PartialEq)]
enum AwsEntry {
    Any,
    Account(String),
    User(String),
    Role(String),
    Session(String),
    FederatedUser(String),
    UniqueId(String),
}

/// A compiled `Principal` or `NotPrincipal` value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PrincipalSet {
    any: bool,
    aws: Vec<AwsEntry>,
    service: Vec<String>,
    federated: Vec<String>,
    canonical: Vec<String>,
}

fn invalid(key: &str, value: &str) -> PolicyError {
    PolicyError::new(
        PolicyErrorKind::Principal,
        format!("Invalid principal in policy: \"{key}\":\"{value}\""),
    )
}

fn strings<'j>(v: &'j Json<'_>) -> Result<Vec<&'j str>, PolicyError> {
    match v {
        Json::String(s) => Ok(vec![s.as_ref()]),
        Json::Array(a) if !a.is_empty() => a
            .iter()
            .map(|x| match x {
                Json::String(s) => Ok(s.as_ref()),
                _ => Err(PolicyError::syntax()),
            })
            .collect(),
        _ => Err(PolicyError::syntax()),
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_unique_id(s: &str) -> bool {
    s.len() >= 16
        && s.starts_with('A')
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn parse_aws(v: &str) -> Option<AwsEntry> {
    if v == "*" {
        return Some(AwsEntry::Any);
    }
    if is_account_id(v) {
        return Some(AwsEntry::Account(v.to_owned()));
    }
    if is_unique_id(v) {
        return Some(AwsEntry::UniqueId(v.to_owned()));
    }
    if v.contains('*') || v.contains('?') {
        return None;
    }
    let mut it = v.splitn(6, ':');
    let (arn, _part, svc, region, acct, res) = (
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
    );
    if arn != "arn" || !region.is_empty() || !is_account_id(acct) {
        return None;
    }
    match svc {
        "iam" if res == "root" => Some(AwsEntry::Account(acct.to_owned())),
        "iam" if res.starts_with("user/") && res.len() > 5 => Some(AwsEntry::User(v.to_owned())),
        "iam" if res.starts_with("role/") && res.len() > 5 => Some(AwsEntry::Role(v.to_owned())),
        "sts" if res.starts_with("assumed-role/") && res[13..].contains('/') => {
            Some(AwsEntry::Session(v.to_owned()))
        }
        "sts" if res.starts_with("federated-user/") && res.len() > 15 => {
            Some(AwsEntry::FederatedUser(v.to_owned()))
        }
        _ => None,
    }
}

impl PrincipalSet {
    pub(crate) fn parse(v: &Json<'_>) -> Result<PrincipalSet, PolicyError> {
        let mut set = PrincipalSet {
            any: false,
            aws: Vec::new(),
            service: Vec::new(),
            federated: Vec::new(),
            canonical: Vec::new(),
        };
        match v {
            Json::String(s) if s == "*" => {
                set.any = true;
                return Ok(set);
            }
            Json::String(s) => return Err(invalid("AWS", s)),
            Json::Object(m) if !m.is_empty() => {
                for (k, val) in m {
                    let items = strings(val)?;
                    match k.as_ref() {
                        "AWS" => {
                            for i in items {
                                match parse_aws(i) {
                                    Some(AwsEntry::Any) => set.any = true,
                                    Some(e) => set.aws.push(e),
                                    None => return Err(invalid("AWS", i)),
                                }
                            }
                        }
                        "Service" => {
                            for i in items {
                                if i.is_empty() || i.contains('*') {
                                    return Err(invalid("Service", i));
                                }
                                set.service.push(i.to_ascii_lowercase());
                            }
                        }
                        "Federated" => {
                            for i in items {
                                if i.is_empty() || i.contains('*') {
                                    return Err(invalid("Federated", i));
                                }
                                set.federated.push(i.to_owned());
                            }
                        }
                        "CanonicalUser" => {
                            set.canonical.extend(items.iter().map(|s| s.to_string()))
                        }
                        other => {
                            return Err(invalid(other, items.first().copied().unwrap_or("")));
                        }
                    }
                }
            }
            _ => return Err(PolicyError::syntax()),
        }
        Ok(set)
    }

    /// The strongest way this set names the caller, if it does.
    pub(crate) fn best_match(&self, p: &PrincipalFacts) -> Option<PrincipalMatch> {
        if self.any {
            return Some(PrincipalMatch::Wildcard);
        }
        let mut best: Option<PrincipalMatch> = None;
        let mut bump = |m: PrincipalMatch| {
            if best.is_none_or(|b| m > b) {
                best = Some(m);
            }
        };
        match p.kind {
            PrincipalType::Service => {
                if self.service.iter().any(|s| s.eq_ignore_ascii_case(&p.arn)) {
                    bump(PrincipalMatch::Direct);
                }
            }
            PrincipalType::IdentityProvider => {
                if self.federated.contains(&p.arn) {
                    bump(PrincipalMatch::Direct);
                }
            }
            PrincipalType::Anonymous => {}
            _ => {
                for e in &self.aws {
                    match e {
                        AwsEntry::Account(a) if *a == p.account => bump(PrincipalMatch::Account),
                        AwsEntry::User(arn) if p.kind == PrincipalType::User && *arn == p.arn => {
                            bump(PrincipalMatch::Direct)
                        }
                        AwsEntry::User(arn)
                            if p.kind == PrincipalType::FederatedUser
                                && p.role_arn.as_deref() == Some(arn.as_str()) =>
                        {
                            bump(PrincipalMatch::Role)
                        }
                        AwsEntry::Role(arn)
                            if p.kind == PrincipalType::AssumedRole
                                && p.role_arn.as_deref() == Some(arn.as_str()) =>
                        {
                            bump(PrincipalMatch::Role)
                        }
                        AwsEntry::Session(arn) | AwsEntry::FederatedUser(arn) if *arn == p.arn => {
                            bump(PrincipalMatch::Direct)
                        }
                        AwsEntry::UniqueId(id) if *id == p.unique_id() => match p.kind {
                            PrincipalType::AssumedRole => bump(PrincipalMatch::Role),
                            PrincipalType::User => bump(PrincipalMatch::Direct),
                            _ => {}
                        },
                        _ => {}
                    }
                }
            }
        }
        best
    }

    /// `NotPrincipal` exclusion: the caller is excluded only when its account is listed and,
    /// for anything but the root user, the caller itself (or its role) is listed too — AWS
    /// evaluates the account, role and session in turn (NotPrincipal documentation).
    pub(crate) fn excludes(&self, p: &PrincipalFacts) -> bool {
        if self.any {
            return true;
        }
        match p.kind {
            PrincipalType::Service | PrincipalType::IdentityProvider => {
                self.best_match(p).is_some()
            }
            PrincipalType::Anonymous => false,
            PrincipalType::Root => self.best_match(p).is_some(),
            _ => {
                let account = self
                    .aws
                    .iter()
                    .any(|e| matches!(e, AwsEntry::Account(a) if *a == p.account));
                let direct = self.aws.iter().any(|e| match e {
                    AwsEntry::Account(_) | AwsEntry::Any => false,
                    _ => {
                        let one = PrincipalSet {
                            any: false,
                            aws: vec![e.clone()],
                            service: Vec::new(),
                            federated: Vec::new(),
                            canonical: Vec::new(),
                        };
                        one.best_match(p).is_some()
                    }
                });
                account && direct
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{SessionFacts, SessionKind};
    use time::OffsetDateTime;

    fn set(j: &str) -> PrincipalSet {
        PrincipalSet::parse(&Json::parse(j).unwrap()).unwrap()
    }
    fn session() -> PrincipalFacts {
        PrincipalFacts::role_session(
            "111122223333",
            "/p/",
            "R",
            "AROAEXAMPLEEXAMPLE01",
            "s",
            SessionFacts {
                kind: SessionKind::AssumeRole,
                issued_at: OffsetDateTime::UNIX_EPOCH,
                mfa_authenticated: false,
                mfa_authenticated_at: None,
                source_identity: None,
                federated_provider: None,
            },
        )
    }

    #[test]
    fn match_kinds() {
        let s = session();
        assert_eq!(
            set(r#"{"AWS":"111122223333"}"#).best_match(&s),
            Some(PrincipalMatch::Account)
        );
        assert_eq!(
            set(
                r#"{"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:role/p/R"]}"#
            )
            .best_match(&s),
            Some(PrincipalMatch::Role)
        );
        assert_eq!(
            set(r#"{"AWS":"arn:aws:sts::111122223333:assumed-role/R/s"}"#).best_match(&s),
            Some(PrincipalMatch::Direct)
        );
        assert_eq!(
            set(r#"{"AWS":"arn:aws:iam::111122223333:role/R"}"#).best_match(&s),
            None
        );
        assert_eq!(set(r#""*""#).best_match(&s), Some(PrincipalMatch::Wildcard));
        assert_eq!(set(r#"{"AWS":"222222222222"}"#).best_match(&s), None);
    }

    #[test]
    fn invalid_principals() {
        for j in [
            r#"{"AWS":"arn:aws:iam::111122223333:user/*"}"#,
            r#"{"AWS":"bob"}"#,
            r#"{"Foo":"x"}"#,
        ] {
            let e = PrincipalSet::parse(&Json::parse(j).unwrap()).unwrap_err();
            assert!(
                e.message().starts_with("Invalid principal in policy: "),
                "{j}"
            );
        }
    }
}
