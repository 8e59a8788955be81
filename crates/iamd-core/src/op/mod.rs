//! The operation framework: every operation **resolves** what it acts on, derives its
//! authorization **plan** from what it resolved, and only then **acts** — on that same target.
//!
//! ```text
//!   Value (decoded, validated)          typed Input (generated, crate iamd-api)
//!        │ FromValue                         │
//!        ▼                                   ▼
//!   Op::resolve(domain, request, &input) ─► Target     the existing entity with its canonical
//!        │                                             ARN, tags, boundary and resource policy,
//!        │                                             or the ARN it will create
//!   Op::plan(request, &input, &target)   ─► Plan       actions × resources × condition keys
//!        │
//!   Authorize::enforce(plan)             ─► Verdicts   fails closed; denial text from the engine
//!        │
//!   Op::act(domain, request, input, target, verdicts) ─► typed Output ─► Value (IntoValue)
//! ```
//!
//! A handler never sees the authorizer (its `Domain` holds the state it acts on, not the
//! policy caches), an operation cannot be registered without `resolve` and `plan` (trait
//! methods without defaults), and the resource a plan names comes from the resolved target, so
//! `alice` and `Alice` are authorized as the one user they both name.

pub mod plan;

pub use plan::{Check, OnDeny, Plan, Resource, Verdicts};

use crate::accounts::Caller;
use crate::error::Error;
use iamd_api::{ApiOperation, FromValue, IntoValue, Service, Value};
use std::marker::PhantomData;

/// What an operation knows of its request besides the input: who asks, in which region, when.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub caller: &'a Caller,
    /// The region of the request's credential scope (validated by the server).
    pub region: &'a str,
    /// Unix seconds, from the server's clock.
    pub now: i64,
}

impl<'a> Request<'a> {
    /// The caller's account: where IAM entities named by name live.
    pub fn account(&self) -> &'a str {
        &self.caller.account
    }
}

/// Decides a plan: implemented by the authorizer, which owns the policy caches. Operations never
/// call it; the framework does, between `plan` and `act`.
pub trait Authorize: Sync {
    /// Evaluates every check of `plan` for `req`'s caller. A check with [`OnDeny::Fail`] that is
    /// not allowed fails the request with AWS's AccessDenied; [`OnDeny::Report`] checks are
    /// returned, in order, for the operation to report per item.
    fn enforce(&self, service: Service, req: &Request<'_>, plan: Plan) -> Result<Verdicts, Error>;
}

/// One AWS operation as iamd serves it. `Self` is the generated marker type of the operation
/// (`iamd_api::iam::ops::CreateUser`), which fixes its name and its typed input and output; `D`
/// is the domain services the operation acts through (IAM, secrets, sessions…). The domain is
/// a parameter, not an associated type, so that each service's crate may implement `Op` for
/// the generated marker types (`impl Op<IamDomain> for o::CreateUser`: the domain is local).
pub trait Op<D: ?Sized + Sync>: ApiOperation {
    /// What the request acts on, as resolved before authorization.
    type Target: Send;
    /// Whether the operation writes to the store.
    const WRITES: bool;
    /// Whether it may run on an async worker: only operations that touch no store and do
    /// bounded in-memory work (the hot paths). Everything else runs on the blocking pool.
    const INLINE: bool = false;

    /// Whether this request writes (an STS request carrying an MFA code spends it).
    fn writes(input: &Self::Input) -> bool {
        let _ = input;
        Self::WRITES
    }

    /// Finds the entity the request names — its canonical ARN, tags, boundary and resource
    /// policy — or the ARN it will create. A name that matches nothing is not an error here:
    /// authorization comes first, and the error for a missing entity after it (as AWS answers).
    fn resolve(domain: &D, req: &Request<'_>, input: &Self::Input) -> Result<Self::Target, Error>;

    /// What must be allowed, derived from the resolved target.
    fn plan(req: &Request<'_>, input: &Self::Input, target: &Self::Target) -> Result<Plan, Error>;

    /// Acts on the resolved target.
    fn act(
        domain: &D,
        req: &Request<'_>,
        input: Self::Input,
        target: Self::Target,
        verdicts: Verdicts,
    ) -> Result<Self::Output, Error>;
}

/// An operation of a table, with its types erased.
pub trait Operation<D: ?Sized>: Sync {
    fn service(&self) -> Service;
    fn name(&self) -> &'static str;
    /// Whether the operation writes, for any input.
    fn writes_ever(&self) -> bool;
    /// Moves the decoded input into the operation's typed input.
    fn prepare(&self, input: Value) -> Result<Box<dyn Prepared<D>>, Error>;
    /// Resolves and plans only, without authorizing or acting: what the request would be
    /// authorized on (the property tests check it against the entity the request names).
    fn plan_only(&self, domain: &D, req: &Request<'_>, input: Value) -> Result<Plan, Error>;
}

/// A request ready to run: its typed input, and where it may run.
pub trait Prepared<D: ?Sized>: Send {
    /// Whether it must run where blocking is allowed (it reads or writes the store, or can be
    /// CPU-heavy); `false` only for in-memory hot paths.
    fn blocking(&self) -> bool;
    /// Whether this request writes.
    fn writes(&self) -> bool;
    /// Resolve, plan, authorize, act.
    fn run(
        self: Box<Self>,
        domain: &D,
        authorizer: &dyn Authorize,
        req: &Request<'_>,
    ) -> Result<Value, Error>;
}

/// The table entry of an operation `O` of domain `D`:
/// `&Entry::<IamDomain, iam::ops::CreateUser>::OP`.
pub struct Entry<D: ?Sized, O>(PhantomData<fn(&D) -> O>);

impl<D: ?Sized + Sync, O: Op<D>> Entry<D, O> {
    pub const OP: Entry<D, O> = Entry(PhantomData);
}

impl<D: ?Sized + Sync + 'static, O: Op<D>> Operation<D> for Entry<D, O> {
    fn service(&self) -> Service {
        O::SERVICE
    }
    fn name(&self) -> &'static str {
        O::NAME
    }
    fn writes_ever(&self) -> bool {
        O::WRITES
    }
    fn prepare(&self, input: Value) -> Result<Box<dyn Prepared<D>>, Error> {
        let input = O::Input::from_value(input)
            .map_err(|e| Error::Internal(format!("{}: decoded input: {e}", O::NAME)))?;
        Ok(Box::new(Ready::<D, O> {
            input,
            domain: PhantomData,
        }))
    }
    fn plan_only(&self, domain: &D, req: &Request<'_>, input: Value) -> Result<Plan, Error> {
        let input = O::Input::from_value(input)
            .map_err(|e| Error::Internal(format!("{}: decoded input: {e}", O::NAME)))?;
        let target = O::resolve(domain, req, &input)?;
        O::plan(req, &input, &target)
    }
}

struct Ready<D: ?Sized + Sync, O: Op<D>> {
    input: O::Input,
    domain: PhantomData<fn(&D)>,
}

impl<D: ?Sized + Sync, O: Op<D>> Prepared<D> for Ready<D, O> {
    fn blocking(&self) -> bool {
        !O::INLINE || O::writes(&self.input)
    }
    fn writes(&self) -> bool {
        O::writes(&self.input)
    }
    fn run(
        self: Box<Self>,
        domain: &D,
        authorizer: &dyn Authorize,
        req: &Request<'_>,
    ) -> Result<Value, Error> {
        crate::sessions::limits(O::SERVICE, O::NAME, req.caller)?;
        let target = O::resolve(domain, req, &self.input)?;
        let plan = O::plan(req, &self.input, &target)?;
        let verdicts = authorizer.enforce(O::SERVICE, req, plan)?;
        Ok(O::act(domain, req, self.input, target, verdicts)?.into_value())
    }
}
