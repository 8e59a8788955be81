//! Versions and staging labels (aws-semantics.md §6.3, §6.4): the value a write carries, the
//! ClientRequestToken that names its version, the version a read selects, how
//! UpdateSecretVersionStage moves a label, and idempotent retries.

use super::{AWSCURRENT, AWSPREVIOUS, Plain, Secret, SecretMeta, Secrets, VersionMeta};
use crate::error::{Error, SecretsError};
use zeroize::Zeroizing;

/// The value a write carries: `SecretString` or `SecretBinary`, never both.
pub fn value_of(
    string: Option<String>,
    binary: Option<Vec<u8>>,
) -> Result<Option<Plain>, SecretsError> {
    match (string, binary) {
        (Some(_), Some(_)) => Err(SecretsError::BothValues),
        (Some(s), None) => Ok(Some(Plain::String(Zeroizing::new(s)))),
        (None, Some(b)) => Ok(Some(Plain::Binary(Zeroizing::new(b)))),
        (None, None) => Ok(None),
    }
}

/// The version id of a write that carries a value: its ClientRequestToken, which is required
/// then (SDKs always send one; a raw request may not). A write without a value makes no version.
pub fn version_token(
    value: &Option<Plain>,
    token: Option<String>,
) -> Result<Option<String>, SecretsError> {
    match value {
        Some(_) => token
            .map(Some)
            .ok_or(SecretsError::ClientRequestTokenRequired),
        None => Ok(None),
    }
}

impl SecretMeta {
    /// The version a read selects: `version_id` (which must then carry `stage`, when given),
    /// else the version carrying `stage`, AWSCURRENT by default.
    pub fn select_version(
        &self,
        version_id: Option<&str>,
        stage: Option<&str>,
    ) -> Result<&VersionMeta, SecretsError> {
        match (version_id, stage) {
            (Some(id), stage) => {
                let v = self
                    .version(id)
                    .ok_or_else(|| SecretsError::NoValueForVersion {
                        version_id: id.to_owned(),
                    })?;
                if let Some(st) = stage
                    && !v.stages.iter().any(|s| s == st)
                {
                    return Err(SecretsError::StageNotOnVersion);
                }
                Ok(v)
            }
            (None, stage) => {
                let st = stage.unwrap_or(AWSCURRENT);
                self.version_with_stage(st)
                    .ok_or_else(|| SecretsError::NoValueForStage {
                        stage: st.to_owned(),
                    })
            }
        }
    }

    /// Adds version `id` carrying `stages` (each taken off the version that held it; see
    /// [`SecretMeta::attach_stages`]), drops unlabeled versions beyond the limit, and marks the
    /// secret changed.
    pub fn add_version(&mut self, id: &str, stages: &[String], now: i64) {
        self.versions.push(VersionMeta {
            id: id.to_owned(),
            stages: Vec::new(),
            created: now,
            empty: false,
        });
        self.attach_stages(id, stages);
        self.collect_garbage();
        self.last_changed = now;
    }

    /// UpdateSecretVersionStage: moves `stage` to `move_to` (taking it off `remove_from`, which
    /// must hold it; a label held elsewhere must name its holder in `remove_from`), or only
    /// removes it from `remove_from`. Moving AWSCURRENT leaves AWSPREVIOUS on the version that
    /// held it. [open] The texts for unknown versions and a label not on `remove_from` are
    /// moto's; the RemoveFromVersionId-can't-be-empty text is moto's copy of AWS's.
    pub fn move_stage(
        &mut self,
        stage: &str,
        remove_from: Option<&str>,
        move_to: Option<&str>,
    ) -> Result<(), SecretsError> {
        for id in [remove_from, move_to].into_iter().flatten() {
            if self.version(id).is_none() {
                return Err(SecretsError::NotAValidVersion {
                    version_id: id.to_owned(),
                });
            }
        }
        let holder = self.version_with_stage(stage).map(|v| v.id.clone());
        if let Some(from) = remove_from {
            if holder.as_deref() != Some(from) {
                return Err(SecretsError::StageNotInVersion {
                    stage: stage.to_owned(),
                    version_id: from.to_owned(),
                });
            }
        } else if let Some(h) = holder
            && Some(h.as_str()) != move_to
        {
            return Err(SecretsError::RemoveFromVersionIdRequired {
                stage: stage.to_owned(),
                holder: h,
            });
        }
        match move_to {
            Some(to) => {
                self.attach_stages(to, &[stage.to_owned()]);
                if stage == AWSCURRENT {
                    self.remove_stage(to, AWSPREVIOUS);
                }
            }
            None => {
                if let Some(from) = remove_from {
                    self.remove_stage(from, stage);
                }
            }
        }
        self.collect_garbage();
        Ok(())
    }
}

impl Secrets {
    /// Idempotency (aws-semantics.md §6.4): a token already used on `secret` names that version
    /// again when the value is the same (the write is a no-op), and is refused when it differs
    /// (moto's text; AWS's is not recorded anywhere found [open]).
    pub fn existing_version(
        &self,
        secret: &Secret,
        token: &str,
        value: &Plain,
    ) -> Result<Option<VersionMeta>, Error> {
        let Some(v) = secret.meta.version(token) else {
            return Ok(None);
        };
        if v.empty {
            // A rotation's pending version, not filled in: only PutSecretValue fills it.
            return Err(SecretsError::ClientRequestTokenInUse {
                token: token.to_owned(),
                arn: secret.meta.arn.clone(),
            }
            .into());
        }
        let old = self.open_value(secret, token)?;
        if old.same_as(value) {
            return Ok(Some(v.clone()));
        }
        Err(SecretsError::ClientRequestTokenInUse {
            token: token.to_owned(),
            arn: secret.meta.arn.clone(),
        }
        .into())
    }
}
