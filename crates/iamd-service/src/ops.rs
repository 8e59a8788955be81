//! The operations iamd implements. Every entry declares how it is authorized: the field is not
//! optional, so an operation cannot be added without saying what it needs.

use crate::accounts::Caller;
use crate::core::Iamd;
use crate::error::Error;
use iamd_api::{Service, Value};

/// Computes the resource ARN a request acts on (`None`: the action has no resource type, e.g.
/// `secretsmanager:ListSecrets`, and AccessDenied messages omit `on resource:`). May consult state:
/// a secret named by name resolves to its ARN; when it does not exist, AWS prints the id as given.
pub type ResourceFn = fn(&Ctx<'_>, &Value) -> Result<Option<String>, Error>;

/// How an operation is authorized. Every operation must declare one (the field has no default).
#[derive(Clone, Copy)]
pub enum Authz {
    /// No permission is required and explicit denies do not apply (sts:GetCallerIdentity).
    NoPermissionNeeded,
    /// The operation authorizes `action` itself, because the decision needs facts only it
    /// gathers (sts:AssumeRole: the role's trust policy, looked up in the role's account, and
    /// the request's `sts:*` context keys). Its handler must call
    /// [`crate::core::Iamd::authorize_request`] before acting.
    InOperation { action: &'static str },
    /// The IAM action the request needs, per the Service Authorization Reference, and the
    /// resource it acts on.
    Action {
        action: &'static str,
        resource: ResourceFn,
    },
}

impl std::fmt::Debug for Authz {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Authz::NoPermissionNeeded => f.write_str("NoPermissionNeeded"),
            Authz::Action { action, .. } => write!(f, "Action({action})"),
            Authz::InOperation { action } => write!(f, "InOperation({action})"),
        }
    }
}

/// For actions whose resource is `*` (no resource type in the Service Authorization Reference).
pub fn no_resource(_: &Ctx<'_>, _: &Value) -> Result<Option<String>, Error> {
    Ok(None)
}

pub struct Ctx<'a> {
    pub core: &'a Iamd,
    pub caller: &'a Caller,
    pub region: &'a str,
}

pub type Handler = fn(&Ctx<'_>, &Value) -> Result<Value, Error>;

pub struct OpSpec {
    pub service: Service,
    pub name: &'static str,
    pub authz: Authz,
    pub mutates: bool,
    pub run: Handler,
}

impl std::fmt::Debug for OpSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpSpec")
            .field("service", &self.service)
            .field("name", &self.name)
            .field("authz", &self.authz)
            .finish_non_exhaustive()
    }
}

/// Every operation table; each service module owns its own.
const TABLES: &[&[OpSpec]] = &[];

pub fn find(service: Service, name: &str) -> Option<&'static OpSpec> {
    TABLES
        .iter()
        .flat_map(|t| t.iter())
        .find(|o| o.service == service && o.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_op_exists_in_the_model_once() {
        let all: Vec<&OpSpec> = TABLES.iter().flat_map(|t| t.iter()).collect();
        for (i, op) in all.iter().enumerate() {
            assert!(
                op.service.operation(op.name).is_some(),
                "{} is not an operation of {:?}",
                op.name,
                op.service
            );
            assert!(
                all[..i]
                    .iter()
                    .all(|o| !(o.service == op.service && o.name == op.name)),
                "{} registered twice",
                op.name
            );
        }
    }
}

#[cfg(test)]
mod sts_tests;
