//! STS: temporary credentials (AssumeRole, GetSessionToken, GetFederationToken) and who-am-I.

pub mod ops;
