//! The operations iamd implements. Every entry declares how it is authorized: the field is not
//! optional, so an operation cannot be added without saying what it needs.

use crate::accounts::Caller;
use crate::core::Iamd;
use crate::error::Error;
use iamd_api::{Service, Value};

mod sts;

/// How an operation is authorized.
#[derive(Debug, Clone, Copy)]
pub enum Authz {
    /// No permission is required and explicit denies do not apply (sts:GetCallerIdentity).
    NoPermissionNeeded,
    /// The IAM action the request needs (`sts:GetAccessKeyInfo`), per the Service Authorization
    /// Reference.
    Action(&'static str),
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

const OPS: &[OpSpec] = &[
    OpSpec {
        service: Service::Sts,
        name: "GetCallerIdentity",
        authz: Authz::NoPermissionNeeded,
        mutates: false,
        run: sts::get_caller_identity,
    },
    OpSpec {
        service: Service::Sts,
        name: "GetAccessKeyInfo",
        authz: Authz::Action("sts:GetAccessKeyInfo"),
        mutates: false,
        run: sts::get_access_key_info,
    },
];

pub fn find(service: Service, name: &str) -> Option<&'static OpSpec> {
    OPS.iter().find(|o| o.service == service && o.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_op_exists_in_the_model_once() {
        for (i, op) in OPS.iter().enumerate() {
            assert!(
                op.service.operation(op.name).is_some(),
                "{} is not an operation of {:?}",
                op.name,
                op.service
            );
            assert!(
                OPS[..i]
                    .iter()
                    .all(|o| !(o.service == op.service && o.name == op.name)),
                "{} registered twice",
                op.name
            );
        }
    }
}
