//! IAM's virtual MFA operations: CreateVirtualMFADevice, EnableMFADevice, ResyncMFADevice,
//! DeactivateMFADevice, DeleteVirtualMFADevice, ListMFADevices, ListVirtualMFADevices. Registered at the end of `ops::iam::OPS`.

use super::Ctx;
use super::iam::user_or_caller;
use crate::error::Error;
use crate::iam::Tag;
use iamd_api::Value;
use time::OffsetDateTime;

fn s<'a>(input: &'a Value, name: &str) -> &'a str {
    input.str(name).unwrap_or_default()
}

fn ts(t: i64) -> Value {
    Value::Timestamp(OffsetDateTime::from_unix_timestamp(t).unwrap_or(OffsetDateTime::UNIX_EPOCH))
}

/// The user an MFA operation acts on; the root has no IAM user record to attach devices to.
fn user<'a>(ctx: &'a Ctx<'_>, input: &'a Value) -> Result<&'a str, Error> {
    user_or_caller(ctx, input)?.ok_or_else(|| {
        Error::aws(
            "ValidationError",
            "Must specify userName when calling with non-User credentials",
        )
    })
}

/// `iam:CreateVirtualMFADevice` acts on `arn:aws:iam::<acct>:mfa/<path><name>`.
pub fn res_new_mfa(ctx: &Ctx<'_>, input: &Value) -> Result<Option<String>, Error> {
    Ok(Some(format!(
        "arn:aws:iam::{}:mfa{}{}",
        ctx.caller.account,
        input.str("Path").unwrap_or("/"),
        s(input, "VirtualMFADeviceName")
    )))
}

/// `iam:DeleteVirtualMFADevice` acts on the device's serial number (its ARN).
pub fn res_mfa(_: &Ctx<'_>, input: &Value) -> Result<Option<String>, Error> {
    Ok(Some(s(input, "SerialNumber").to_owned()))
}

pub fn create_virtual_mfa_device(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let tags: Vec<Tag> = input
        .list("Tags")
        .unwrap_or_default()
        .iter()
        .map(|t| Tag {
            key: s(t, "Key").to_owned(),
            value: s(t, "Value").to_owned(),
        })
        .collect();
    let crate::iam::mfa::NewDevice {
        record: d,
        seed_b32: seed,
        qr_png: qr,
    } = ctx.core.iam.create_virtual_mfa_device(
        &ctx.core.mfa_seal,
        &ctx.caller.account,
        s(input, "VirtualMFADeviceName"),
        input.str("Path").unwrap_or("/"),
        &tags,
        ctx.core.now(),
    )?;
    Ok(Value::builder()
        .set(
            "VirtualMFADevice",
            Value::builder()
                .set("SerialNumber", d.serial.as_str())
                .set("Base32StringSeed", Value::Blob(seed.as_bytes().to_vec()))
                .set("QRCodePNG", Value::Blob(qr.to_vec()))
                .build(),
        )
        .build())
}

pub fn enable_mfa_device(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core.iam.enable_mfa_device(
        &ctx.core.mfa_seal,
        &ctx.caller.account,
        user(ctx, input)?,
        s(input, "SerialNumber"),
        s(input, "AuthenticationCode1"),
        s(input, "AuthenticationCode2"),
        ctx.core.now(),
    )?;
    Ok(Value::empty())
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ResyncMFADevice.html>: `UserName`
/// is required by the model, so it never defaults to the caller.
pub fn resync_mfa_device(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core.iam.resync_mfa_device(
        &ctx.core.mfa_seal,
        &ctx.caller.account,
        s(input, "UserName"),
        s(input, "SerialNumber"),
        s(input, "AuthenticationCode1"),
        s(input, "AuthenticationCode2"),
        ctx.core.now(),
    )?;
    Ok(Value::empty())
}

pub fn deactivate_mfa_device(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core.iam.deactivate_mfa_device(
        &ctx.caller.account,
        user(ctx, input)?,
        s(input, "SerialNumber"),
    )?;
    Ok(Value::empty())
}

pub fn delete_virtual_mfa_device(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core
        .iam
        .delete_virtual_mfa_device(&ctx.caller.account, s(input, "SerialNumber"))?;
    Ok(Value::empty())
}

pub fn list_mfa_devices(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let devices = match user_or_caller(ctx, input)? {
        Some(u) => ctx.core.iam.list_mfa_devices(&ctx.caller.account, u)?,
        None => Vec::new(),
    };
    Ok(Value::builder()
        .set(
            "MFADevices",
            devices
                .iter()
                .map(|d| {
                    Value::builder()
                        .set_opt("UserName", d.user.as_deref())
                        .set("SerialNumber", d.serial.as_str())
                        .set("EnableDate", ts(d.enabled_at.unwrap_or(d.created)))
                        .build()
                })
                .collect::<Value>(),
        )
        .set("IsTruncated", false)
        .build())
}

/// `AssignmentStatus`: `Assigned`, `Unassigned` or `Any` (the default).
pub fn list_virtual_mfa_devices(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let status = input.str("AssignmentStatus").unwrap_or("Any");
    let acct = &ctx.caller.account;
    let mut devices: Vec<_> = ctx
        .core
        .iam
        .list_virtual_mfa_devices(acct)?
        .into_iter()
        .filter(|(d, _)| match status {
            "Assigned" => d.user.is_some(),
            "Unassigned" => d.user.is_none(),
            _ => true,
        })
        .collect();
    devices.sort_by_key(|(d, _)| d.name.to_lowercase());
    let page = crate::iam::paginate(
        devices,
        |(d, _)| d.name.to_lowercase(),
        super::iam::page(input),
    )?;
    let truncated = page.is_truncated();
    Ok(Value::builder()
        .set(
            "VirtualMFADevices",
            page.items
                .iter()
                .map(|(d, u)| {
                    Value::builder()
                        .set("SerialNumber", d.serial.as_str())
                        .set_opt(
                            "User",
                            u.as_ref().map(|u| super::iam::user_out(acct, u, false)),
                        )
                        .set_opt("EnableDate", d.enabled_at.map(ts))
                        .build()
                })
                .collect::<Value>(),
        )
        .set("IsTruncated", truncated)
        .set_opt("Marker", page.marker)
        .build())
}
