//! Secrets Manager operations (awsJson1.1, `secretsmanager.<Op>`).

use super::OpSpec;

pub const OPS: &[OpSpec] = &[];
