//! Secrets Manager operations (awsJson1.1), typed: resolve the secret, authorize on its ARN with
//! its resource policy and tags, then act.

use crate::domains::SecretsDomain;
use crate::op::Operation;

/// Every Secrets Manager operation iamd serves in typed form.
pub static OPS: &[&dyn Operation<SecretsDomain>] = &[];
