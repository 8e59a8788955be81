//! Service last accessed ("access advisor", aws-semantics-2.md §4.4):
//! GenerateServiceLastAccessedDetails makes a job for a user, role, group or managed policy;
//! GetServiceLastAccessedDetails(/WithEntities) read it.
//!
//! The services listed are those the entity's identity policies allow (an `Allow` statement's
//! `Action` matching the namespace; `NotAction` and `*` allow every service), among the
//! namespaces of [`SERVICES`]; each carries the last use the tracker recorded (`last_used`) by
//! the principals concerned: the user or role itself, a group's members, the users, roles and
//! group members a policy is attached to. iamd computes the job before answering, so it is
//! `COMPLETED` at once. Only the principal that generated a job may read it (AWS's rule).

use super::*;
use crate::iam::records::KIND_USER;
use serde::{Deserialize, Serialize};

/// Store kind of access-advisor jobs, key = job id.
pub const KIND_SLA_JOB: &str = "iam-sla-job";

/// Service namespaces access advisor reports on, with their names as IAM prints them.
pub const SERVICES: &[(&str, &str)] = &[
    ("cloudtrail", "AWS CloudTrail"),
    ("iam", "AWS Identity and Access Management"),
    ("kms", "AWS Key Management Service"),
    ("secretsmanager", "AWS Secrets Manager"),
    ("sts", "AWS Security Token Service"),
];

/// A user or role (or group) a job names.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct EntityRef {
    /// `USER`, `ROLE`, `GROUP`.
    pub kind: String,
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
}

/// One service of a job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceRow {
    pub namespace: String,
    pub name: String,
    /// The latest use: when, by which entity (ARN), in which Region.
    pub last: Option<(i64, String, String)>,
    /// How many of the job's principals used it.
    pub total: i64,
    /// Each principal and its last use of the service.
    pub entities: Vec<(EntityRef, Option<i64>)>,
}

/// A job as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    /// The ARN of the principal that generated it (the only one that may read it).
    pub creator: String,
    pub action_level: bool,
    pub created: i64,
    pub completed: i64,
    pub services: Vec<ServiceRow>,
}

/// Whether an action pattern of a policy (`secretsmanager:Get*`, `*`, `sts:*`) names an
/// action of `namespace`.
fn pattern_covers(pattern: &str, namespace: &str) -> bool {
    let service = pattern.split(':').next().unwrap_or(pattern);
    pattern == "*" || glob(&service.to_ascii_lowercase(), namespace)
}

/// `*` and `?` wildcards, as IAM matches action names.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0usize, 0usize, None::<usize>, 0usize);
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some(pi);
                mark = ti;
                pi += 1;
            }
            Some(c) if *c == '?' || Some(c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some(s) => {
                    pi = s + 1;
                    mark += 1;
                    ti = mark;
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

/// The namespaces of [`SERVICES`] the documents allow.
pub fn allowed_namespaces(docs: &[String]) -> Vec<&'static str> {
    let mut patterns: Vec<String> = Vec::new();
    for doc in docs {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(doc) else {
            continue;
        };
        let statements = match v.get("Statement") {
            Some(serde_json::Value::Array(a)) => a.clone(),
            Some(s) => vec![s.clone()],
            None => Vec::new(),
        };
        for st in statements {
            if st.get("Effect").and_then(|e| e.as_str()) != Some("Allow") {
                continue;
            }
            if st.get("NotAction").is_some() {
                patterns.push("*".to_owned());
            }
            match st.get("Action") {
                Some(serde_json::Value::String(s)) => patterns.push(s.clone()),
                Some(serde_json::Value::Array(a)) => {
                    patterns.extend(a.iter().filter_map(|x| x.as_str()).map(str::to_owned))
                }
                _ => {}
            }
        }
    }
    SERVICES
        .iter()
        .map(|(ns, _)| *ns)
        .filter(|ns| patterns.iter().any(|p| pattern_covers(p, ns)))
        .collect()
}

/// What a job is about: its principals (users and roles whose uses count) and the identity
/// policy documents that say which services are listed.
struct Scope {
    principals: Vec<EntityRef>,
    docs: Vec<String>,
}

fn entity_ref(acct: &str, kind: &str, lower: &str, name: &str, path: &str, id: &str) -> EntityRef {
    EntityRef {
        kind: kind.to_owned(),
        name: name.to_owned(),
        path: path.to_owned(),
        id: id.to_owned(),
        arn: entity_arn(acct, lower, path, name),
    }
}

fn user_ref(acct: &str, u: &UserRecord) -> EntityRef {
    entity_ref(acct, "USER", "user", &u.name, &u.path, &u.id)
}

fn role_ref(acct: &str, r: &RoleRecord) -> EntityRef {
    entity_ref(acct, "ROLE", "role", &r.name, &r.path, &r.id)
}

fn no_such(arn: &str) -> Error {
    IamError::NoSuchEntityArn {
        arn: arn.to_owned(),
    }
    .into()
}

impl Iam {
    fn docs_of(
        &self,
        tx: &mut dyn Tx,
        acct: &str,
        inline: &std::collections::BTreeMap<String, String>,
        attached: &[String],
    ) -> Result<Vec<String>, Error> {
        let mut docs: Vec<String> = inline.values().cloned().collect();
        for arn in attached {
            if let Some(d) = principals::policy_document(tx, acct, arn)? {
                docs.push(d);
            }
        }
        Ok(docs)
    }

    fn job_scope(&self, acct: &str, arn: &str) -> Result<Scope, Error> {
        let parsed = crate::arn::Arn::parse(arn).map_err(|_| IamError::InvalidArn {
            arn: arn.to_owned(),
        })?;
        if parsed.account() != acct || parsed.service() != "iam" {
            return Err(no_such(arn));
        }
        let resource = parsed.resource();
        let (kind, rest) = resource.split_once('/').ok_or_else(|| no_such(arn))?;
        let name = rest.rsplit('/').next().unwrap_or(rest);
        let same = |canonical: &str| canonical.eq_ignore_ascii_case(arn);
        match kind {
            "user" => {
                let u: UserRecord = self.get(acct, name).map_err(|_| no_such(arn))?;
                if !same(&entity_arn(acct, "user", &u.path, &u.name)) {
                    return Err(no_such(arn));
                }
                let docs = self
                    .user_policies(acct, &u.name)?
                    .identity
                    .into_iter()
                    .map(|d| d.text)
                    .collect();
                Ok(Scope {
                    principals: vec![user_ref(acct, &u)],
                    docs,
                })
            }
            "role" => {
                let r: RoleRecord = self.get(acct, name).map_err(|_| no_such(arn))?;
                if !same(&entity_arn(acct, "role", &r.path, &r.name)) {
                    return Err(no_such(arn));
                }
                let docs = self
                    .role_policies(acct, &r.name)?
                    .identity
                    .into_iter()
                    .map(|d| d.text)
                    .collect();
                Ok(Scope {
                    principals: vec![role_ref(acct, &r)],
                    docs,
                })
            }
            "group" => self.read(|tx| {
                let Some((g, _)) = load::<GroupRecord>(tx, acct, name)? else {
                    return Err(no_such(arn));
                };
                if !same(&entity_arn(acct, "group", &g.path, &g.name)) {
                    return Err(no_such(arn));
                }
                let docs = self.docs_of(tx, acct, &g.inline, &g.attached)?;
                let principals = all::<UserRecord>(tx, acct)?
                    .iter()
                    .filter(|u| u.groups.contains(&g.id))
                    .map(|u| user_ref(acct, u))
                    .collect();
                Ok(Scope { principals, docs })
            }),
            "policy" => self.read(|tx| {
                let Some(doc) = principals::policy_document(tx, acct, arn)? else {
                    return Err(no_such(arn));
                };
                let has = |attached: &[String]| attached.iter().any(|a| a == arn);
                let groups: Vec<String> = all::<GroupRecord>(tx, acct)?
                    .into_iter()
                    .filter(|g| has(&g.attached))
                    .map(|g| g.id)
                    .collect();
                let mut principals: Vec<EntityRef> = tx
                    .list(KIND_USER, acct)?
                    .iter()
                    .map(|r| from_json::<UserRecord>(&r.data))
                    .collect::<Result<Vec<_>, Error>>()?
                    .iter()
                    .filter(|u| has(&u.attached) || u.groups.iter().any(|g| groups.contains(g)))
                    .map(|u| user_ref(acct, u))
                    .collect();
                principals.extend(
                    all::<RoleRecord>(tx, acct)?
                        .iter()
                        .filter(|r| has(&r.attached))
                        .map(|r| role_ref(acct, r)),
                );
                Ok(Scope {
                    principals,
                    docs: vec![doc],
                })
            }),
            _ => Err(no_such(arn)),
        }
    }

    /// The canonical ARN of the user, role, group or managed policy `arn` names in `acct`
    /// (IAM names are unique case-insensitively), or `None` when it names none.
    pub fn canonical_entity_arn(&self, acct: &str, arn: &str) -> Result<Option<String>, Error> {
        let Ok(parsed) = crate::arn::Arn::parse(arn) else {
            return Ok(None);
        };
        if parsed.account() != acct || parsed.service() != "iam" {
            return Ok(None);
        }
        let Some((kind, rest)) = parsed.resource().split_once('/') else {
            return Ok(None);
        };
        let name = rest.rsplit('/').next().unwrap_or(rest);
        let found = self.read(|tx| {
            Ok(match kind {
                "user" => load::<UserRecord>(tx, acct, name)?
                    .map(|(u, _)| entity_arn(acct, "user", &u.path, &u.name)),
                "role" => load::<RoleRecord>(tx, acct, name)?
                    .map(|(r, _)| entity_arn(acct, "role", &r.path, &r.name)),
                "group" => load::<GroupRecord>(tx, acct, name)?
                    .map(|(g, _)| entity_arn(acct, "group", &g.path, &g.name)),
                _ => None,
            })
        })?;
        Ok(found.filter(|c| c.eq_ignore_ascii_case(arn)))
    }

    /// GenerateServiceLastAccessedDetails: computes the job and stores it; returns its id.
    pub fn generate_service_last_accessed(
        &self,
        acct: &str,
        arn: &str,
        creator: &str,
        action_level: bool,
        now: i64,
    ) -> Result<String, Error> {
        let scope = self.job_scope(acct, arn)?;
        let mut services = Vec::new();
        for ns in allowed_namespaces(&scope.docs) {
            let name = SERVICES
                .iter()
                .find(|(n, _)| *n == ns)
                .map_or(ns, |(_, name)| *name);
            let mut row = ServiceRow {
                namespace: ns.to_owned(),
                name: name.to_owned(),
                last: None,
                total: 0,
                entities: Vec::new(),
            };
            for p in &scope.principals {
                let used = self.last_use(
                    acct,
                    &last_used::Subject::Service {
                        entity: p.id.clone(),
                        namespace: ns.to_owned(),
                    },
                )?;
                if let Some(u) = &used {
                    row.total += 1;
                    if row.last.as_ref().is_none_or(|(at, _, _)| u.at > *at) {
                        row.last = Some((u.at, p.arn.clone(), u.region.clone()));
                    }
                }
                row.entities.push((p.clone(), used.map(|u| u.at)));
            }
            services.push(row);
        }
        let job = Job {
            id: uuid::Uuid::new_v4().to_string(),
            creator: creator.to_owned(),
            action_level,
            created: now,
            completed: now,
            services,
        };
        let data = to_json(&job)?;
        self.store.write(|tx| {
            tx.put(KIND_SLA_JOB, acct, &job.id, &data, Expect::Absent)?;
            Ok::<_, Error>(())
        })?;
        Ok(job.id)
    }

    /// A job, for the principal that generated it; any other caller finds none.
    pub fn service_last_accessed_job(
        &self,
        acct: &str,
        job_id: &str,
        caller: &str,
    ) -> Result<Job, Error> {
        let job: Option<Job> = self.read(|tx| {
            tx.get(KIND_SLA_JOB, acct, job_id)?
                .map(|r| from_json(&r.data))
                .transpose()
        })?;
        match job {
            Some(j) if j.creator == caller => Ok(j),
            _ => Err(IamError::NoSuchJob {
                id: job_id.to_owned(),
            }
            .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_services_listed_are_those_the_policies_allow() {
        let doc = |s: &str| s.to_owned();
        assert_eq!(
            allowed_namespaces(&[doc(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["secretsmanager:Get*","STS:GetCallerIdentity"],"Resource":"*"}}"#
            )]),
            vec!["secretsmanager", "sts"]
        );
        assert_eq!(
            allowed_namespaces(&[doc(
                r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
            )])
            .len(),
            SERVICES.len()
        );
        assert_eq!(
            allowed_namespaces(&[doc(
                r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"},{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#
            )]),
            Vec::<&str>::new()
        );
        assert_eq!(
            allowed_namespaces(&[doc(
                r#"{"Statement":[{"Effect":"Allow","Action":"secrets?anager:*","Resource":"*"},{"Effect":"Allow","Action":"i*:List*","Resource":"*"}]}"#
            )]),
            vec!["iam", "secretsmanager"]
        );
        assert!(glob("a*b*c", "axxbyyc") && !glob("a*b", "ac") && glob("*", ""));
    }
}
