//! CloudTrail operations (awsJson1.1, `2013-11-01`), typed: resolve → plan → act.

use crate::CloudTrailDomain;
use iamd_api::cloudtrail::ops as o;
use iamd_core::error::Error;
use iamd_core::op::{Entry, Op, Operation, Plan, Request, Verdicts};

/// Every CloudTrail operation iamd serves.
pub static OPS: &[&dyn Operation<CloudTrailDomain>] =
    &[&Entry::<CloudTrailDomain, o::LookupEvents>::OP];

/// <https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html>.
/// The Service Authorization Reference lists no resource type for `cloudtrail:LookupEvents`
/// (resource `*`). A caller sees the events of its own account only.
impl Op<CloudTrailDomain> for o::LookupEvents {
    type Target = ();
    const WRITES: bool = false;

    fn resolve(_: &CloudTrailDomain, _: &Request<'_>, _: &Self::Input) -> Result<(), Error> {
        Ok(())
    }

    fn plan(_: &Request<'_>, _: &Self::Input, _: &()) -> Result<Plan, Error> {
        Ok(Plan::require("cloudtrail:LookupEvents", None))
    }

    fn act(
        d: &CloudTrailDomain,
        req: &Request<'_>,
        input: Self::Input,
        _: (),
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        crate::lookup::lookup_events(d.events.as_ref(), req.account(), req.now, input)
    }
}
