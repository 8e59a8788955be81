//! The AWS managed key `aws/secretsmanager`, which every secret is on until KMS lands, and who
//! may use it. Its key policy (fixed by AWS, aws-semantics-2.md §5.9) allows `kms:Decrypt` and
//! `kms:GenerateDataKey*` only with `kms:ViaService = secretsmanager.<region>.amazonaws.com` and
//! `kms:CallerAccount = <the key's account>`: no other account can use it, whatever the secret's
//! resource policy says ("you can't use the AWS managed key (aws/secretsmanager) for
//! cross-account access", Secrets Manager User Guide, auth-and-access_examples_cross). So a
//! caller of another account may describe a secret its resource policy shares, but neither read
//! nor write its value.

use super::Secret;
use crate::error::SecretsError;

/// Refuses the value of `secret` to a caller of another account. The text is the one AWS's
/// knowledge center ("secrets-manager-cross-account-key") quotes for this case; the code is
/// Secrets Manager's for every KMS refusal (`AccessDeniedException`, "Access to KMS is not
/// allowed" for customer keys: aws-semantics-2.md §6).
pub fn may_use_secret_key(caller_account: &str, secret: &Secret) -> Result<(), SecretsError> {
    if caller_account == secret.account {
        return Ok(());
    }
    Err(SecretsError::DefaultKeyCrossAccount)
}

/// `KmsKeyId` (CreateSecret, UpdateSecret, a replica region's): only the AWS managed key
/// `aws/secretsmanager` (by alias, or absent) until KMS exists; any other key is refused, never
/// ignored, since the caller would otherwise get a secret on a key it did not ask for.
pub fn check_key_id(key_id: Option<&str>) -> Result<(), SecretsError> {
    match key_id {
        None | Some("") | Some("aws/secretsmanager") | Some("alias/aws/secretsmanager") => Ok(()),
        Some(_) => Err(SecretsError::UnsupportedKmsKey),
    }
}
