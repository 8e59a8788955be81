//! Stateless STS sessions (design §5): a session token is a sealed blob carrying every claim of
//! the session — who it is, its temporary access key id and secret, when it was issued and
//! expires, MFA facts, source identity, session tags and session policies. Issuing one writes
//! nothing (a request with an MFA code spends the code on the device record); any iamd process holding the same master key validates it with one AES-256-GCM open.
//!
//! Wire form: base64 (standard alphabet) of `[key id byte] ‖ sealed(claims as JSON)`, sealed with
//! the master key's `session-token v<id>` key and associated data `iamd session token` ‖ key id.
//! The key id byte lets the sealing key rotate: new tokens use [`CURRENT_KEY_ID`], older ids keep
//! opening until they are removed from [`SessionKeys`].

use crate::accounts::Caller;
use crate::error::Error;
use base64::Engine;
use iamd_api::Service;
use iamd_crypto::{MasterKey, SealingKey};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

/// The key id new tokens are sealed with.
pub const CURRENT_KEY_ID: u8 = 1;
/// Key ids that still open (rotation keeps the previous one for the longest session lifetime).
/// How many key ids before the current one are still accepted after a rotation: the previous
/// one, so sessions issued just before a rotation live out their lifetime (at most 36 hours);
/// rotating twice retires the oldest.
const ACCEPTED_PREVIOUS: u8 = 1;

const AAD_PREFIX: &[u8] = b"iamd session token";

/// Whose session this is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t")]
pub enum SessionPrincipal {
    /// `AssumeRole`: the role (name, path, unique id) and the session name.
    AssumedRole {
        role_name: String,
        role_path: String,
        role_id: String,
        session_name: String,
    },
    /// `GetSessionToken` of an IAM user: the session acts as the user.
    User {
        name: String,
        path: String,
        id: String,
    },
    /// `GetSessionToken` of the account root.
    Root,
    /// `GetFederationToken`: the federated user's name and the ARN of the IAM user that made it
    /// (`None` for the root), with that user's unique id, so that a user deleted and recreated
    /// under the same name does not bring the session back. Tokens sealed before the id was
    /// recorded carry none and are refused (sessions last 36 hours at most).
    FederatedUser {
        name: String,
        user: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_id: Option<String>,
    },
}

/// A session's secret access key: zeroized on drop, never printed, and not comparable with `==`
/// (a secret is only ever compared in constant time, by the SigV4 verifier through its signing
/// key). Serialized as the plain string, inside the sealed token only.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionSecret(String);

impl SessionSecret {
    /// The secret's text: for the SigV4 signing key and the `Credentials` answer only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for SessionSecret {
    fn from(s: String) -> Self {
        SessionSecret(s)
    }
}

impl From<&str> for SessionSecret {
    fn from(s: &str) -> Self {
        SessionSecret(s.to_owned())
    }
}

impl Drop for SessionSecret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for SessionSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionSecret(<redacted>)")
    }
}

/// Every claim of one session. The secret access key is zeroized on drop and never printed.
#[derive(Clone, Serialize, Deserialize)]
pub struct SessionClaims {
    pub account: String,
    pub principal: SessionPrincipal,
    pub access_key_id: String,
    pub secret_access_key: SessionSecret,
    /// Unix seconds.
    pub issued_at: i64,
    pub expires_at: i64,
    /// When MFA was verified for this session (`aws:MultiFactorAuthPresent` = true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
    /// Session tags (they override the role's tags, case-insensitively).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(String, String)>,
    /// Keys of `tags` that pass on to chained sessions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transitive_tag_keys: Vec<String>,
    /// The inline session policy (`Policy`), as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Managed session policies (`PolicyArns`), resolved on each request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy_arns: Vec<String>,
    /// Whether the session came from role chaining (a role session assuming a role).
    #[serde(default)]
    pub chained: bool,
}

impl std::fmt::Debug for SessionClaims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionClaims")
            .field("account", &self.account)
            .field("principal", &self.principal)
            .field("access_key_id", &self.access_key_id)
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl SessionClaims {
    /// Whether session policies were passed (then they limit every request of the session).
    pub fn has_session_policies(&self) -> bool {
        self.policy.is_some() || !self.policy_arns.is_empty()
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Not a token iamd sealed (altered, foreign, unknown key id, or not base64).
    Invalid,
}

/// The sealing keys of session tokens, by key id.
pub struct SessionKeys {
    keys: Vec<(u8, SealingKey)>,
    current: u8,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKeys(<redacted>)")
    }
}

fn aad(key_id: u8) -> Vec<u8> {
    let mut a = AAD_PREFIX.to_vec();
    a.push(key_id);
    a
}

impl SessionKeys {
    pub fn new(master: &MasterKey) -> Self {
        Self::with_current(master, CURRENT_KEY_ID)
    }

    /// Keys for sealing with key id `current` (1–255; 0 is treated as 1) and opening tokens of
    /// `current` and the id before it. Rotating = every node moves to the next id (`iamd serve
    /// --session-key-id`); each id's key is derived from the master key, so nothing is stored.
    pub fn with_current(master: &MasterKey, current: u8) -> Self {
        let current = current.max(1);
        let oldest = current.saturating_sub(ACCEPTED_PREVIOUS).max(1);
        let keys = (oldest..=current)
            .map(|id| {
                let purpose = format!("session-token v{id}");
                (id, master.sealing_key(purpose.as_bytes()))
            })
            .collect();
        Self { keys, current }
    }

    fn key(&self, id: u8) -> Option<&SealingKey> {
        self.keys.iter().find(|(k, _)| *k == id).map(|(_, k)| k)
    }

    /// Seals claims into a session token.
    pub fn seal(&self, claims: &SessionClaims) -> Result<String, crate::error::Error> {
        let key = self
            .key(self.current)
            .ok_or_else(|| crate::error::Error::Internal("no current session-token key".into()))?;
        let mut json = serde_json::to_vec(claims)
            .map_err(|e| crate::error::Error::Internal(format!("encoding claims: {e}")))?;
        let sealed = key.seal(&aad(self.current), &json);
        json.zeroize();
        let sealed = sealed?;
        let mut blob = Vec::with_capacity(1 + sealed.len());
        blob.push(self.current);
        blob.extend_from_slice(&sealed);
        iamd_metrics::GLOBAL.session_issued(match claims.principal {
            SessionPrincipal::AssumedRole { .. } => iamd_metrics::SessionKind::AssumedRole,
            SessionPrincipal::User { .. } => iamd_metrics::SessionKind::User,
            SessionPrincipal::Root => iamd_metrics::SessionKind::Root,
            SessionPrincipal::FederatedUser { .. } => iamd_metrics::SessionKind::FederatedUser,
        });
        Ok(base64::engine::general_purpose::STANDARD.encode(blob))
    }

    /// Opens a session token. Expiry is the caller's to check (it has the clock).
    pub fn open(&self, token: &str) -> Result<SessionClaims, TokenError> {
        let blob = base64::engine::general_purpose::STANDARD
            .decode(token.trim())
            .map_err(|_| TokenError::Invalid)?;
        let (&id, sealed) = blob.split_first().ok_or(TokenError::Invalid)?;
        let key = self.key(id).ok_or(TokenError::Invalid)?;
        let mut json = key
            .open(&aad(id), sealed)
            .map_err(|_| TokenError::Invalid)?;
        let claims = serde_json::from_slice(&json).map_err(|_| TokenError::Invalid);
        json.zeroize();
        claims
    }
}

/// What temporary credentials may not do, whatever their policies say
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_request.html>, the
/// comparison of STS operations): `GetSessionToken` credentials call IAM only with MFA and STS
/// only for AssumeRole and GetCallerIdentity; `GetFederationToken` credentials call neither IAM
/// nor STS except GetCallerIdentity; no session calls GetSessionToken or GetFederationToken.
/// IAM answers such calls `InvalidClientTokenId` (observed: aws-sdk-js#460, cloudyr/aws.iam#15);
/// STS answers `AccessDenied: Cannot call <Op> with session credentials` (observed:
/// aws-sdk-net#1704, granted#151).
pub fn limits(service: Service, name: &str, caller: &Caller) -> Result<(), Error> {
    let Some(s) = &caller.session else {
        return Ok(());
    };
    let invalid = || Error::from(crate::error::StsError::SessionNotValidForIam);
    let cannot = || {
        Error::from(crate::error::StsError::SessionCredentialsNotAllowed {
            operation: name.to_owned(),
        })
    };
    if service == Service::Sts && matches!(name, "GetSessionToken" | "GetFederationToken") {
        return Err(cannot());
    }
    match &s.principal {
        SessionPrincipal::User { .. } | SessionPrincipal::Root => {
            if service == Service::Iam && s.mfa_at.is_none() {
                return Err(invalid());
            }
            if service == Service::Sts && !matches!(name, "AssumeRole" | "GetCallerIdentity") {
                return Err(cannot());
            }
        }
        SessionPrincipal::FederatedUser { .. } => {
            if service == Service::Iam {
                return Err(invalid());
            }
            if service == Service::Sts && name != "GetCallerIdentity" {
                return Err(cannot());
            }
        }
        SessionPrincipal::AssumedRole { .. } => {}
    }
    Ok(())
}

#[cfg(test)]
#[expect(
    clippy::indexing_slicing,
    reason = "test code: the indices are those of values the tests build"
)]
mod tests {
    use super::*;

    #[test]
    fn rotation_accepts_the_previous_key_id_only() {
        let mk = MasterKey::generate().unwrap();
        let v1 = SessionKeys::with_current(&mk, 1).seal(&claims()).unwrap();
        let v2_keys = SessionKeys::with_current(&mk, 2);
        let v2 = v2_keys.seal(&claims()).unwrap();
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(&v2)
                .unwrap()[0],
            2
        );
        // After one rotation, tokens of both ids open; after two, the oldest is retired.
        assert!(v2_keys.open(&v1).is_ok());
        assert!(v2_keys.open(&v2).is_ok());
        let v3_keys = SessionKeys::with_current(&mk, 3);
        assert!(v3_keys.open(&v1).is_err());
        assert!(v3_keys.open(&v2).is_ok());
        // A node that has not rotated yet does not accept the newer id.
        assert!(SessionKeys::with_current(&mk, 1).open(&v2).is_err());
    }

    fn claims() -> SessionClaims {
        SessionClaims {
            account: "111122223333".into(),
            principal: SessionPrincipal::AssumedRole {
                role_name: "Reader".into(),
                role_path: "/team/".into(),
                role_id: "AROAEXAMPLEEXAMPLE01".into(),
                session_name: "s1".into(),
            },
            access_key_id: "ASIAEXAMPLEEXAMPLE01".into(),
            secret_access_key: "very-secret-value-0123456789".into(),
            issued_at: 1000,
            expires_at: 4600,
            mfa_at: None,
            source_identity: Some("alice".into()),
            tags: vec![("team".into(), "blue".into())],
            transitive_tag_keys: vec![],
            policy: None,
            policy_arns: vec![],
            chained: false,
        }
    }

    #[test]
    fn round_trip_and_secret_is_not_visible() {
        let keys = SessionKeys::new(&MasterKey::generate().unwrap());
        let c = claims();
        let token = keys.seal(&c).unwrap();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&token)
            .unwrap();
        assert_eq!(raw[0], CURRENT_KEY_ID);
        for needle in [&b"very-secret"[..], b"Reader", b"ASIAEXAMPLE"] {
            assert!(!raw.windows(needle.len()).any(|w| w == needle));
        }
        let opened = keys.open(&token).unwrap();
        assert_eq!(
            opened.secret_access_key.expose(),
            c.secret_access_key.expose()
        );
        assert_eq!(format!("{opened:?}"), format!("{c:?}"));
        assert_eq!(
            (opened.source_identity.as_deref(), &opened.tags[..]),
            (Some("alice"), &[("team".to_owned(), "blue".to_owned())][..])
        );
        assert!(!format!("{c:?}").contains("very-secret"));
    }

    #[test]
    fn altered_foreign_and_garbage_tokens_fail() {
        let mk = MasterKey::generate().unwrap();
        let keys = SessionKeys::new(&mk);
        let token = keys.seal(&claims()).unwrap();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&token)
            .unwrap();
        for i in [0, 1, 20, raw.len() - 1] {
            let mut bad = raw.clone();
            bad[i] ^= 1;
            let t = base64::engine::general_purpose::STANDARD.encode(bad);
            assert_eq!(keys.open(&t).err(), Some(TokenError::Invalid), "byte {i}");
        }
        let other = SessionKeys::new(&MasterKey::generate().unwrap());
        assert_eq!(other.open(&token).err(), Some(TokenError::Invalid));
        assert_eq!(keys.open("not base64!").err(), Some(TokenError::Invalid));
        assert_eq!(keys.open("").err(), Some(TokenError::Invalid));
        // Another process with the same master key opens it.
        let same = SessionKeys::new(&MasterKey::from_bytes(mk.as_bytes()).unwrap());
        assert!(same.open(&token).is_ok());
        // A token sealed under another purpose's key with the same layout does not open.
        let foreign = mk.sealing_key(b"access-key-secret v1");
        let mut blob = vec![CURRENT_KEY_ID];
        blob.extend(foreign.seal(&aad(1), b"{}").unwrap());
        let t = base64::engine::general_purpose::STANDARD.encode(blob);
        assert_eq!(keys.open(&t).err(), Some(TokenError::Invalid));
    }
}
