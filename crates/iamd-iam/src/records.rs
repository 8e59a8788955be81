//! What IAM keeps in the store: one JSON record per entity, keyed by the lower-cased name so the
//! database enforces AWS's case-insensitive uniqueness.

use crate::error::{EntityKind, Error, IamError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const KIND_USER: &str = "iam-user";
pub const KIND_GROUP: &str = "iam-group";
pub const KIND_ROLE: &str = "iam-role";
pub const KIND_POLICY: &str = "iam-policy";
pub const KIND_INSTANCE_PROFILE: &str = "iam-instance-profile";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// A stored IAM entity.
pub trait Entity: Serialize + DeserializeOwned + Clone {
    const KIND: &'static str;
    fn name(&self) -> &str;
    fn path(&self) -> &str;
    fn not_found(name: &str) -> Error;
    fn already_exists(name: &str) -> Error;
    /// The store key: the lower-cased name.
    fn key(&self) -> String {
        self.name().to_lowercase()
    }
}

/// An entity that carries tags (users, roles, policies, instance profiles).
pub trait Tagged: Entity {
    /// The quota name in `Cannot exceed quota for TagsPer<X>: 50`.
    const TAG_QUOTA: &'static str;
    /// Whether tag keys differing only in case are different keys. IAM is "sadly very
    /// inconsistent" here: managed policies keep `a` and `A` apart (create, tag and untag), users
    /// and roles do not (LocalStack's AWS-recorded snapshot test_iam_policies
    /// `create-with-case-sensitive-tags`, `list-after-untag-lowercase`).
    const CASE_SENSITIVE_KEYS: bool = false;
    fn tags(&self) -> &[Tag];
    fn tags_mut(&mut self) -> &mut Vec<Tag>;
}

/// An identity that holds inline policies and attached managed policies.
pub trait PolicyHolder: Entity {
    /// `user`, `group`, `role`: used in messages.
    const LABEL: &'static str;
    /// The quota name for attached managed policies (`PoliciesPerUser`).
    const ATTACH_QUOTA: &'static str;
    /// Aggregate size of inline policies, non-whitespace characters (aws-semantics.md §2.7).
    const INLINE_LIMIT: usize;
    fn inline(&self) -> &BTreeMap<String, String>;
    fn inline_mut(&mut self) -> &mut BTreeMap<String, String>;
    fn attached(&self) -> &[String];
    fn attached_mut(&mut self) -> &mut Vec<String>;
    fn id(&self) -> &str;
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserRecord {
    pub name: String,
    pub path: String,
    pub id: String,
    pub created: i64,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub boundary: Option<String>,
    /// Inline policies: name → document as given.
    #[serde(default)]
    pub inline: BTreeMap<String, String>,
    /// Attached managed policies, by ARN.
    #[serde(default)]
    pub attached: Vec<String>,
    /// Group membership, by group unique id (stable across group renames).
    #[serde(default)]
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupRecord {
    pub name: String,
    pub path: String,
    pub id: String,
    pub created: i64,
    #[serde(default)]
    pub inline: BTreeMap<String, String>,
    #[serde(default)]
    pub attached: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoleRecord {
    pub name: String,
    pub path: String,
    pub id: String,
    pub created: i64,
    /// The trust policy as given.
    pub trust: String,
    #[serde(default)]
    pub description: Option<String>,
    pub max_session: i64,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub boundary: Option<String>,
    #[serde(default)]
    pub inline: BTreeMap<String, String>,
    #[serde(default)]
    pub attached: Vec<String>,
    /// The unique id of every user and role the trust policy names, as they were when the policy
    /// was saved: AWS stores trust principals by unique id, so a principal deleted and recreated
    /// under the same name is no longer trusted (and GetRole shows the stale id).
    #[serde(default)]
    pub trust_ids: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyVersionRecord {
    pub id: String,
    pub document: String,
    pub created: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyRecord {
    pub name: String,
    pub path: String,
    pub id: String,
    pub created: i64,
    pub updated: i64,
    #[serde(default)]
    pub description: Option<String>,
    pub default_version: String,
    /// The number the next version gets (`v<n>`); versions are never renumbered.
    pub next_version: u32,
    pub versions: Vec<PolicyVersionRecord>,
    /// Users, groups and roles the policy is attached to.
    #[serde(default)]
    pub attachment_count: i64,
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// An AWS managed policy (`arn:aws:iam::aws:policy/…`), built from iamd-policy's data and
    /// never stored.
    #[serde(default, skip_serializing)]
    pub aws_managed: bool,
}

impl PolicyRecord {
    /// The policy's ARN: AWS managed policies belong to the account `aws`.
    pub fn arn(&self, acct: &str) -> String {
        let owner = if self.aws_managed { "aws" } else { acct };
        format!("arn:aws:iam::{owner}:policy{}{}", self.path, self.name)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceProfileRecord {
    pub name: String,
    pub path: String,
    pub id: String,
    pub created: i64,
    /// Role keys (lower-cased names); at most one.
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

fn no_such(kind: EntityKind, name: &str) -> Error {
    IamError::NoSuchEntity {
        kind,
        name: name.to_owned(),
    }
    .into()
}
fn exists(kind: EntityKind, name: &str) -> Error {
    IamError::EntityAlreadyExists {
        kind,
        name: name.to_owned(),
    }
    .into()
}

impl Entity for UserRecord {
    const KIND: &'static str = KIND_USER;
    fn name(&self) -> &str {
        &self.name
    }
    fn path(&self) -> &str {
        &self.path
    }
    fn not_found(name: &str) -> Error {
        no_such(EntityKind::User, name)
    }
    fn already_exists(name: &str) -> Error {
        exists(EntityKind::User, name)
    }
}

impl Entity for GroupRecord {
    const KIND: &'static str = KIND_GROUP;
    fn name(&self) -> &str {
        &self.name
    }
    fn path(&self) -> &str {
        &self.path
    }
    fn not_found(name: &str) -> Error {
        no_such(EntityKind::Group, name)
    }
    fn already_exists(name: &str) -> Error {
        exists(EntityKind::Group, name)
    }
}

impl Entity for RoleRecord {
    const KIND: &'static str = KIND_ROLE;
    fn name(&self) -> &str {
        &self.name
    }
    fn path(&self) -> &str {
        &self.path
    }
    fn not_found(name: &str) -> Error {
        no_such(EntityKind::Role, name)
    }
    fn already_exists(name: &str) -> Error {
        exists(EntityKind::Role, name)
    }
}

impl Entity for PolicyRecord {
    const KIND: &'static str = KIND_POLICY;
    fn name(&self) -> &str {
        &self.name
    }
    fn path(&self) -> &str {
        &self.path
    }
    /// Policies are looked up by ARN; callers pass the ARN.
    fn not_found(arn: &str) -> Error {
        IamError::NoSuchPolicy {
            arn: arn.to_owned(),
        }
        .into()
    }
    fn already_exists(name: &str) -> Error {
        IamError::PolicyAlreadyExists {
            name: name.to_owned(),
        }
        .into()
    }
}

impl Entity for InstanceProfileRecord {
    const KIND: &'static str = KIND_INSTANCE_PROFILE;
    fn name(&self) -> &str {
        &self.name
    }
    fn path(&self) -> &str {
        &self.path
    }
    fn not_found(name: &str) -> Error {
        no_such(EntityKind::InstanceProfile, name)
    }
    fn already_exists(name: &str) -> Error {
        exists(EntityKind::InstanceProfile, name)
    }
}

macro_rules! tagged {
    ($t:ty, $quota:literal) => {
        tagged!($t, $quota, false);
    };
    ($t:ty, $quota:literal, $case_sensitive:expr) => {
        impl Tagged for $t {
            const TAG_QUOTA: &'static str = $quota;
            const CASE_SENSITIVE_KEYS: bool = $case_sensitive;
            fn tags(&self) -> &[Tag] {
                &self.tags
            }
            fn tags_mut(&mut self) -> &mut Vec<Tag> {
                &mut self.tags
            }
        }
    };
}
tagged!(UserRecord, "TagsPerUser");
tagged!(RoleRecord, "TagsPerRole");
tagged!(PolicyRecord, "TagsPerPolicy", true);
tagged!(InstanceProfileRecord, "TagsPerInstanceProfile");

macro_rules! holder {
    ($t:ty, $label:literal, $quota:literal, $limit:expr) => {
        impl PolicyHolder for $t {
            const LABEL: &'static str = $label;
            const ATTACH_QUOTA: &'static str = $quota;
            const INLINE_LIMIT: usize = $limit;
            fn inline(&self) -> &BTreeMap<String, String> {
                &self.inline
            }
            fn inline_mut(&mut self) -> &mut BTreeMap<String, String> {
                &mut self.inline
            }
            fn attached(&self) -> &[String] {
                &self.attached
            }
            fn attached_mut(&mut self) -> &mut Vec<String> {
                &mut self.attached
            }
            fn id(&self) -> &str {
                &self.id
            }
        }
    };
}
holder!(UserRecord, "user", "PoliciesPerUser", 2048);
holder!(GroupRecord, "group", "PoliciesPerGroup", 5120);
holder!(RoleRecord, "role", "PoliciesPerRole", 10240);
