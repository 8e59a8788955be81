//! Typed input and output shapes of every operation, generated from botocore's service models by
//! `tools/codegen/gen_models.py` (see `gen_types.py`). Regenerate; never edit by hand.
#[rustfmt::skip]
#[allow(clippy::all, reason = "generated code: written for regularity, not for the lints")]
pub mod cloudtrail;
#[rustfmt::skip]
#[allow(clippy::all, reason = "generated code: written for regularity, not for the lints")]
pub mod iam;
#[rustfmt::skip]
#[allow(clippy::all, reason = "generated code: written for regularity, not for the lints")]
pub mod secretsmanager;
#[rustfmt::skip]
#[allow(clippy::all, reason = "generated code: written for regularity, not for the lints")]
pub mod sts;
