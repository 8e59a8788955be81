//! Tables generated from botocore's service models by `tools/codegen/gen_models.py`
//! (botocore 1.44.5, Apache-2.0). Regenerate; never edit by hand.
#[rustfmt::skip]
pub mod cloudtrail;
#[rustfmt::skip]
pub mod iam;
#[rustfmt::skip]
pub mod secretsmanager;
#[rustfmt::skip]
pub mod sts;
