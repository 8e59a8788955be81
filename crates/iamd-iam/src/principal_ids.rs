//! Policies that name IAM users and roles as principals hold them by unique id, as AWS does:
//! when a policy is saved, every user and role its `Principal` / `NotPrincipal` names is resolved
//! to the unique id it has then (and a name that resolves to nothing is refused); when the policy
//! is evaluated or shown, a principal whose entity has since been deleted — or deleted and
//! recreated, with a new id — appears as the old id, which matches nobody. Role trust policies
//! (`RoleRecord::trust_ids`) and secrets' resource policies (`SecretMeta::policy_ids`) both keep
//! their ids here.

use super::{Iam, RoleRecord, UserRecord, load};
use crate::error::Error;
use iamd_store::Tx;
use std::collections::BTreeMap;

/// Principal ARN as written in the policy → the unique id its entity had when the policy was
/// saved.
pub type PrincipalIds = BTreeMap<String, String>;

/// The `AWS` principals a policy names (`Principal` and `NotPrincipal` of every statement).
fn aws_principals(doc: &str) -> Vec<String> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(doc) else {
        return Vec::new();
    };
    let statements = match v.get("Statement") {
        Some(serde_json::Value::Array(a)) => a.clone(),
        Some(other) => vec![other.clone()],
        None => Vec::new(),
    };
    let mut out = Vec::new();
    for st in statements {
        for element in ["Principal", "NotPrincipal"] {
            match st.get(element).and_then(|p| p.get("AWS")) {
                Some(serde_json::Value::String(s)) => out.push(s.clone()),
                Some(serde_json::Value::Array(a)) => {
                    out.extend(a.iter().filter_map(|x| x.as_str().map(str::to_owned)))
                }
                _ => {}
            }
        }
    }
    out
}

/// The IAM user or role an ARN names: `(account, "user" | "role", path, name)`. Accounts,
/// account roots, sessions and `*` name no entity.
pub fn entity_of_arn(arn: &str) -> Option<(&str, &'static str, String, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let (kind, full) = match resource.split_once('/')? {
        ("user", full) => ("user", full),
        ("role", full) => ("role", full),
        _ => return None,
    };
    let cut = full.rfind('/').map_or(0, |i| i + 1);
    Some((account, kind, format!("/{}", &full[..cut]), &full[cut..]))
}

/// Resolves every user and role `doc` names to its unique id, in the transaction `tx`. `Ok(Err(arn))`:
/// the first principal that names no existing entity (the caller refuses the policy with its
/// service's text).
pub fn resolve(tx: &mut dyn Tx, doc: &str) -> Result<Result<PrincipalIds, String>, Error> {
    let mut ids = PrincipalIds::new();
    for arn in aws_principals(doc) {
        let Some((account, kind, path, name)) = entity_of_arn(&arn) else {
            continue;
        };
        let id = match kind {
            "user" => load::<UserRecord>(tx, account, name)?
                .filter(|(u, _)| u.path == path && u.name == name)
                .map(|(u, _)| u.id),
            _ => load::<RoleRecord>(tx, account, name)?
                .filter(|(r, _)| r.path == path && r.name == name)
                .map(|(r, _)| r.id),
        };
        match id {
            Some(id) => {
                ids.insert(arn, id);
            }
            None => return Ok(Err(arn)),
        }
    }
    Ok(Ok(ids))
}

impl Iam {
    /// [`resolve`] in a read transaction of its own (a policy stored outside IAM: a secret's).
    pub fn resolve_principals(&self, doc: &str) -> Result<Result<PrincipalIds, String>, Error> {
        self.read(|tx| resolve(tx, doc))
    }
}

/// The policy as AWS holds it now: every principal of `ids` whose entity no longer has the id it
/// had when the policy was saved (`current` answers the id an ARN's entity has now, `None` when
/// it does not exist) is replaced by that old id, which matches nobody.
pub fn effective_policy(
    text: &str,
    ids: &PrincipalIds,
    current: impl Fn(&str) -> Option<String>,
) -> String {
    let mut text = text.to_owned();
    for (arn, id) in ids {
        if current(arn).as_deref() != Some(id.as_str()) {
            text = text.replace(&format!("\"{arn}\""), &format!("\"{id}\""));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_of_both_elements_and_entity_arns() {
        let doc = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/a/b/alice","123456789012"]},"Action":"*","Resource":"*"},
            {"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:role/R"},"Action":"*","Resource":"*"},
            {"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;
        assert_eq!(
            aws_principals(doc),
            [
                "arn:aws:iam::111122223333:user/a/b/alice",
                "123456789012",
                "arn:aws:iam::111122223333:role/R"
            ]
        );
        assert_eq!(
            entity_of_arn("arn:aws:iam::111122223333:user/a/b/alice"),
            Some(("111122223333", "user", "/a/b/".to_owned(), "alice"))
        );
        assert_eq!(
            entity_of_arn("arn:aws:iam::111122223333:role/R"),
            Some(("111122223333", "role", "/".to_owned(), "R"))
        );
        for none in [
            "arn:aws:iam::111122223333:root",
            "123456789012",
            "*",
            "arn:aws:sts::111122223333:assumed-role/R/s",
            "arn:aws:iam::111122223333:group/G",
        ] {
            assert_eq!(entity_of_arn(none), None, "{none}");
        }
    }

    #[test]
    fn stale_principals_show_their_old_id() {
        let arn = "arn:aws:iam::111122223333:user/alice";
        let text = format!(r#"{{"Statement":[{{"Principal":{{"AWS":"{arn}"}}}}]}}"#);
        let ids = PrincipalIds::from([(arn.to_owned(), "AIDAOLD".to_owned())]);
        assert_eq!(
            effective_policy(&text, &ids, |_| Some("AIDAOLD".into())),
            text
        );
        let stale = text.replace(arn, "AIDAOLD");
        assert_eq!(effective_policy(&text, &ids, |_| None), stale);
        assert_eq!(
            effective_policy(&text, &ids, |_| Some("AIDANEW".into())),
            stale
        );
    }
}
