//! STS: temporary credentials (AssumeRole, GetSessionToken, GetFederationToken) and who-am-I.

mod assume;
mod common;
pub mod ops;
mod tokens;

#[cfg(test)]
mod tests;
