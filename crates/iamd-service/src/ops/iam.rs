//! IAM operations (awsQuery, `2010-05-08`).

use super::OpSpec;

pub const OPS: &[OpSpec] = &[];
