//! Tags: TagResource, UntagResource.

use super::{Keys, Named, tags_in};
use crate::domains::SecretsDomain;
use crate::error::Error;
use crate::op::{Entry, Op, Operation, Plan, Request, Verdicts};
use crate::secrets::write::merge_tags;
use iamd_api::secretsmanager::ops as o;

pub(super) static OPS: &[&dyn Operation<SecretsDomain>] = &[
    &Entry::<SecretsDomain, o::TagResource>::OP,
    &Entry::<SecretsDomain, o::UntagResource>::OP,
];

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_TagResource.html>: the
/// tags set are `aws:RequestTag/*` and `aws:TagKeys`; a key already there gets the new value.
impl Op<SecretsDomain> for o::TagResource {
    type Target = Named;
    const WRITES: bool = true;

    fn resolve(d: &SecretsDomain, req: &Request<'_>, input: &Self::Input) -> Result<Named, Error> {
        Ok(Named::find(d, req, &input.secret_id))
    }

    fn plan(_: &Request<'_>, input: &Self::Input, named: &Named) -> Result<Plan, Error> {
        Ok(Plan::require_with(
            "secretsmanager:TagResource",
            Some(named.resource()),
            Keys::new().tags(Some(&input.tags)).done(),
        ))
    }

    fn act(
        d: &SecretsDomain,
        req: &Request<'_>,
        input: Self::Input,
        named: Named,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let tags = tags_in(input.tags);
        let secret = named.found()?;
        secret.live_primary()?;
        d.secrets.modify(&secret, req.now, |m| {
            merge_tags(&mut m.tags, tags);
            Ok(())
        })?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UntagResource.html>: the
/// keys removed are `aws:TagKeys`; a key the secret does not have is ignored.
impl Op<SecretsDomain> for o::UntagResource {
    type Target = Named;
    const WRITES: bool = true;

    fn resolve(d: &SecretsDomain, req: &Request<'_>, input: &Self::Input) -> Result<Named, Error> {
        Ok(Named::find(d, req, &input.secret_id))
    }

    fn plan(_: &Request<'_>, input: &Self::Input, named: &Named) -> Result<Plan, Error> {
        Ok(Plan::require_with(
            "secretsmanager:UntagResource",
            Some(named.resource()),
            Keys::new().removed_tags(&input.tag_keys).done(),
        ))
    }

    fn act(
        d: &SecretsDomain,
        req: &Request<'_>,
        input: Self::Input,
        named: Named,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let secret = named.found()?;
        secret.live_primary()?;
        d.secrets.modify(&secret, req.now, |m| {
            m.tags.retain(|t| !input.tag_keys.contains(&t.key));
            Ok(())
        })?;
        Ok(())
    }
}
