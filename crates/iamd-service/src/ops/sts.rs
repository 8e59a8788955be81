//! STS operations.

use super::Ctx;
use crate::error::Error;
use iamd_api::Value;

/// <https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html>
pub fn get_caller_identity(ctx: &Ctx<'_>, _input: &Value) -> Result<Value, Error> {
    Ok(Value::builder()
        .set("UserId", ctx.caller.user_id())
        .set("Account", ctx.caller.account.as_str())
        .set("Arn", ctx.caller.arn())
        .build())
}

/// <https://docs.aws.amazon.com/STS/latest/APIReference/API_GetAccessKeyInfo.html>: the account
/// that owns an access key id. Keys iamd knows answer from the store; any other AWS-format key id
/// answers from the account encoded in it, as AWS does for key ids it did not issue.
pub fn get_access_key_info(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let key_id = input.str("AccessKeyId").unwrap_or_default();
    let account = match ctx.core.accounts.lookup(key_id) {
        Some(c) if !c.implicit_dev_account || ctx.core.dev() => c.account.clone(),
        _ => match iamd_crypto::ids::account_from_access_key_id(key_id) {
            Some(n) => format!("{n:012}"),
            None => {
                return Err(Error::aws(
                    "InvalidParameterValue",
                    format!("The access key ID {key_id} is not in a valid format."),
                ));
            }
        },
    };
    Ok(Value::builder().set("Account", account).build())
}
