//! The service core: one value the server holds, dispatching authenticated requests to
//! operations.

use crate::accounts::{Accounts, Caller};
use crate::clock::Clock;
use crate::error::Error;
use crate::ops::{self, Authz, OpSpec};
use iamd_api::{Operation, Service, Value};
use iamd_crypto::MasterKey;
use iamd_store::Store;
use std::sync::Arc;

/// Options the binary passes in.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--dev`: `test`/`test` and 12-digit key ids authenticate as account roots.
    pub dev: bool,
}

pub struct Iamd {
    pub accounts: Accounts,
    pub clock: Arc<dyn Clock>,
    store: Arc<dyn Store>,
    options: Options,
}

/// What the server needs to know about an operation before running it.
#[derive(Debug, Clone, Copy)]
pub struct Dispatch {
    pub spec: &'static OpSpec,
}

impl Dispatch {
    /// Whether the operation writes to the store (the server runs those on a blocking thread).
    pub fn mutates(&self) -> bool {
        self.spec.mutates
    }
}

impl Iamd {
    pub fn open(
        store: Arc<dyn Store>,
        master: &MasterKey,
        clock: Arc<dyn Clock>,
        options: Options,
    ) -> Result<Self, Error> {
        Ok(Self {
            accounts: Accounts::open(store.clone(), master, options.dev)?,
            clock,
            store,
            options,
        })
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn dev(&self) -> bool {
        self.options.dev
    }

    pub fn now(&self) -> i64 {
        self.clock.now_unix()
    }

    /// Finds how iamd serves `op`; `Err(NotImplemented)` for operations AWS has and iamd lacks.
    pub fn dispatch(&self, op: &'static Operation) -> Result<Dispatch, Error> {
        ops::find(op.service, op.name)
            .map(|spec| Dispatch { spec })
            .ok_or(Error::NotImplemented(op.name))
    }

    /// Authorizes and runs one operation for an authenticated caller.
    pub fn handle(
        &self,
        dispatch: Dispatch,
        caller: &Caller,
        region: &str,
        input: &Value,
    ) -> Result<Value, Error> {
        let spec = dispatch.spec;
        self.authorize(spec, caller)?;
        (spec.run)(
            &ops::Ctx {
                core: self,
                caller,
                region,
            },
            input,
        )
    }

    fn authorize(&self, spec: &OpSpec, caller: &Caller) -> Result<(), Error> {
        match spec.authz {
            // Documented as needing no permission, and an explicit deny does not stop it:
            // https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
            Authz::NoPermissionNeeded => Ok(()),
            // Only account roots authenticate so far, and a root may do anything in its own
            // account. The policy engine takes over here with the IAM issue.
            Authz::Action(_) => match caller.principal {
                crate::accounts::Principal::Root => Ok(()),
            },
        }
    }
}

/// Dispatches by service and name; used by tests to run an operation without the wire.
pub fn spec_for(service: Service, name: &str) -> Option<&'static OpSpec> {
    ops::find(service, name)
}
