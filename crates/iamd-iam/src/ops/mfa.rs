//! Virtual MFA devices: CreateVirtualMFADevice, EnableMFADevice, ResyncMFADevice,
//! DeactivateMFADevice, DeleteVirtualMFADevice, ListMFADevices, ListVirtualMFADevices.
//!
//! Per the Service Authorization Reference, Create/DeleteVirtualMFADevice act on the device
//! (`mfa`, with its tags as `aws:ResourceTag/*`), the others on the user; ListVirtualMFADevices
//! has no resource type. The device's own operations (seeds, codes) are the domain's
//! (`crate::iam::mfa`).

use super::{Named, UserOrRoot, at, page, request_tag_keys, resource_tags, tags_in, user_out};
use super::{truncation, user_resource};
use crate::arn::Arn;
use crate::domains::IamDomain;
use crate::error::Error;
use crate::iam::UserRecord;
use crate::op::{Entry, Op, Operation, Plan, Request, Resource, Verdicts};
use iamd_api::iam::{self as api, ops as o};

pub(super) static OPS: &[&dyn Operation<IamDomain>] = &[
    &Entry::<IamDomain, o::CreateVirtualMFADevice>::OP,
    &Entry::<IamDomain, o::EnableMFADevice>::OP,
    &Entry::<IamDomain, o::ResyncMFADevice>::OP,
    &Entry::<IamDomain, o::DeactivateMFADevice>::OP,
    &Entry::<IamDomain, o::DeleteVirtualMFADevice>::OP,
    &Entry::<IamDomain, o::ListMFADevices>::OP,
    &Entry::<IamDomain, o::ListVirtualMFADevices>::OP,
];

const DEFAULT_PATH: &str = "/";

/// A virtual MFA device a request names by serial number (its ARN). Device names are unique per
/// account case-insensitively, so a serial equal to a device's own but for case names it (as
/// policy ARNs do, see [`super::NamedPolicy`]); the request is authorized on, and acts with,
/// the device's own serial.
#[derive(Debug)]
pub enum NamedDevice {
    /// The device's own serial number, and its tags.
    Found {
        serial: Arn,
        tags: Vec<crate::iam::Tag>,
    },
    /// No device has this serial: authorized on the text as sent; the domain answers
    /// `NoSuchEntity: MFA Device with serial number <serial> does not exist.`
    Missing(String),
}

impl NamedDevice {
    fn find(d: &IamDomain, req: &Request<'_>, serial: &str) -> Result<NamedDevice, Error> {
        let found = d
            .iam
            .find_mfa_device_ignoring_case(req.account(), serial)?
            .and_then(|dev| Some((Arn::parse(&dev.serial).ok()?, dev.tags)));
        Ok(match found {
            Some((serial, tags)) => NamedDevice::Found { serial, tags },
            None => NamedDevice::Missing(serial.to_owned()),
        })
    }

    /// The serial the domain is called with: the device's own, or the text as sent.
    fn serial(&self) -> &str {
        match self {
            NamedDevice::Found { serial, .. } => serial.as_str(),
            NamedDevice::Missing(text) => text,
        }
    }

    fn resource(&self) -> Resource {
        match self {
            NamedDevice::Found { serial, tags } => resource_tags(Resource::arn(serial), tags),
            NamedDevice::Missing(text) => Resource::as_named(text),
        }
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateVirtualMFADevice.html>:
/// authorized on the device's ARN-to-be, `arn:aws:iam::<account>:mfa<path><name>`, with the tags
/// the request sets. The seed and its QR code are shown this once.
impl Op<IamDomain> for o::CreateVirtualMFADevice {
    type Target = Arn;
    const WRITES: bool = true;

    fn resolve(_: &IamDomain, req: &Request<'_>, input: &Self::Input) -> Result<Arn, Error> {
        let path = input.path.as_deref().unwrap_or(DEFAULT_PATH);
        Ok(Arn::iam(
            req.account(),
            "mfa",
            path,
            &input.virtual_mfa_device_name,
        ))
    }

    fn plan(_: &Request<'_>, input: &Self::Input, arn: &Arn) -> Result<Plan, Error> {
        Ok(Plan::require_with(
            "iam:CreateVirtualMFADevice",
            Some(Resource::arn(arn)),
            request_tag_keys(&input.tags),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        _: Arn,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let crate::iam::mfa::NewDevice {
            record,
            seed_b32,
            qr_png,
        } = d.iam.create_virtual_mfa_device(
            d.iam.mfa_seal(),
            req.account(),
            &input.virtual_mfa_device_name,
            input.path.as_deref().unwrap_or(DEFAULT_PATH),
            &tags_in(&input.tags),
            req.now,
        )?;
        Ok(api::CreateVirtualMFADeviceResponse {
            virtual_mfa_device: api::VirtualMFADevice {
                serial_number: record.serial,
                base32_string_seed: Some(iamd_api::Blob(seed_b32.as_bytes().to_vec())),
                qr_code_png: Some(iamd_api::Blob(qr_png.to_vec())),
                user: None,
                enable_date: None,
                tags: None,
            },
        })
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_EnableMFADevice.html>: on the user
/// (`UserName` is required), with two consecutive codes.
impl Op<IamDomain> for o::EnableMFADevice {
    type Target = (Named<UserRecord>, NamedDevice);
    const WRITES: bool = true;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<Self::Target, Error> {
        Ok((
            Named::find(d, req, &input.user_name)?,
            NamedDevice::find(d, req, &input.serial_number)?,
        ))
    }

    fn plan(req: &Request<'_>, _: &Self::Input, (user, _): &Self::Target) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:EnableMFADevice",
            Some(user_resource(req, user)),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        (user, device): Self::Target,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        d.iam.enable_mfa_device(
            d.iam.mfa_seal(),
            req.account(),
            &user.found()?.name,
            device.serial(),
            &input.authentication_code1,
            &input.authentication_code2,
            req.now,
        )?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ResyncMFADevice.html>: on the user
/// (`UserName` is required by the model, so it never defaults to the caller).
impl Op<IamDomain> for o::ResyncMFADevice {
    type Target = (Named<UserRecord>, NamedDevice);
    const WRITES: bool = true;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<Self::Target, Error> {
        Ok((
            Named::find(d, req, &input.user_name)?,
            NamedDevice::find(d, req, &input.serial_number)?,
        ))
    }

    fn plan(req: &Request<'_>, _: &Self::Input, (user, _): &Self::Target) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:ResyncMFADevice",
            Some(user_resource(req, user)),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        (user, device): Self::Target,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        d.iam.resync_mfa_device(
            d.iam.mfa_seal(),
            req.account(),
            &user.found()?.name,
            device.serial(),
            &input.authentication_code1,
            &input.authentication_code2,
            req.now,
        )?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeactivateMFADevice.html>: on the
/// user named, or the caller; the root has no IAM user to deactivate a device of.
impl Op<IamDomain> for o::DeactivateMFADevice {
    type Target = (UserOrRoot, NamedDevice);
    const WRITES: bool = true;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<Self::Target, Error> {
        Ok((
            UserOrRoot::resolve(d, req, input.user_name.as_deref())?,
            NamedDevice::find(d, req, &input.serial_number)?,
        ))
    }

    fn plan(req: &Request<'_>, _: &Self::Input, (user, _): &Self::Target) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:DeactivateMFADevice",
            Some(user.resource(req)),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        _: Self::Input,
        (user, device): Self::Target,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        d.iam
            .deactivate_mfa_device(req.account(), &user.user()?.name, device.serial())?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteVirtualMFADevice.html>: on the
/// device, with its tags.
impl Op<IamDomain> for o::DeleteVirtualMFADevice {
    type Target = NamedDevice;
    const WRITES: bool = true;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<NamedDevice, Error> {
        NamedDevice::find(d, req, &input.serial_number)
    }

    fn plan(_: &Request<'_>, _: &Self::Input, device: &NamedDevice) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:DeleteVirtualMFADevice",
            Some(device.resource()),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        _: Self::Input,
        device: NamedDevice,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        d.iam
            .delete_virtual_mfa_device(req.account(), device.serial())?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListMFADevices.html>: the devices
/// enabled for the user named, or the caller; the root lists none here.
impl Op<IamDomain> for o::ListMFADevices {
    type Target = UserOrRoot;
    const WRITES: bool = false;

    fn resolve(d: &IamDomain, req: &Request<'_>, input: &Self::Input) -> Result<UserOrRoot, Error> {
        UserOrRoot::resolve(d, req, input.user_name.as_deref())
    }

    fn plan(req: &Request<'_>, _: &Self::Input, target: &UserOrRoot) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:ListMFADevices",
            Some(target.resource(req)),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        _: Self::Input,
        target: UserOrRoot,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let devices = match target {
            UserOrRoot::User(named) => {
                let u = named.found()?;
                d.iam
                    .list_mfa_devices(req.account(), &u.name)?
                    .into_iter()
                    .map(|dev| api::MFADevice {
                        user_name: dev.user.unwrap_or_else(|| u.name.clone()),
                        serial_number: dev.serial,
                        enable_date: at(dev.enabled_at.unwrap_or(dev.created)),
                    })
                    .collect()
            }
            UserOrRoot::Root => Vec::new(),
        };
        Ok(api::ListMFADevicesResponse {
            mfa_devices: devices,
            is_truncated: Some(false),
            marker: None,
        })
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListVirtualMFADevices.html>: no
/// resource type. `AssignmentStatus`: `Assigned`, `Unassigned` or `Any` (the default).
impl Op<IamDomain> for o::ListVirtualMFADevices {
    type Target = ();
    const WRITES: bool = false;

    fn resolve(_: &IamDomain, _: &Request<'_>, _: &Self::Input) -> Result<(), Error> {
        Ok(())
    }

    fn plan(_: &Request<'_>, _: &Self::Input, _: &()) -> Result<Plan, Error> {
        Ok(Plan::require("iam:ListVirtualMFADevices", None))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        _: (),
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let a = req.account();
        let status = input
            .assignment_status
            .unwrap_or(api::AssignmentStatusType::Any);
        let mut devices: Vec<_> = d
            .iam
            .list_virtual_mfa_devices(a)?
            .into_iter()
            .filter(|(dev, _)| match status {
                api::AssignmentStatusType::Assigned => dev.user.is_some(),
                api::AssignmentStatusType::Unassigned => dev.user.is_none(),
                api::AssignmentStatusType::Any => true,
            })
            .collect();
        devices.sort_by_key(|(dev, _)| dev.name.to_lowercase());
        let p = crate::iam::paginate(
            devices,
            |(dev, _)| dev.name.to_lowercase(),
            page(&input.marker, input.max_items),
        )?;
        let (is_truncated, marker) = truncation(&p);
        Ok(api::ListVirtualMFADevicesResponse {
            virtual_mfa_devices: p
                .items
                .into_iter()
                .map(|(dev, u)| api::VirtualMFADevice {
                    serial_number: dev.serial,
                    base32_string_seed: None,
                    qr_code_png: None,
                    user: u.as_ref().map(|u| user_out(a, u, false)),
                    enable_date: dev.enabled_at.map(at),
                    tags: None,
                })
                .collect(),
            is_truncated: Some(is_truncated),
            marker,
        })
    }
}
