//! Credential reports (GenerateCredentialReport, GetCredentialReport): no resource type, per the
//! Service Authorization Reference.

use crate::domains::IamDomain;
use crate::error::Error;
use crate::iam::credential_report::Generated;
use crate::op::{Entry, Op, Operation, Plan, Request, Verdicts};
use iamd_api::iam::{self as api, ops as o};

pub(super) static OPS: &[&dyn Operation<IamDomain>] = &[
    &Entry::<IamDomain, o::GenerateCredentialReport>::OP,
    &Entry::<IamDomain, o::GetCredentialReport>::OP,
];

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GenerateCredentialReport.html>:
/// `STARTED` with AWS's "No report exists. Starting a new report generation task" when a new
/// report is made (iamd makes it before answering), `COMPLETE` while the last one is younger
/// than four hours (the documented regeneration rule).
impl Op<IamDomain> for o::GenerateCredentialReport {
    type Target = ();
    const WRITES: bool = true;

    fn resolve(_: &IamDomain, _: &Request<'_>, _: &Self::Input) -> Result<(), Error> {
        Ok(())
    }

    fn plan(_: &Request<'_>, _: &Self::Input, _: &()) -> Result<Plan, Error> {
        Ok(Plan::require("iam:GenerateCredentialReport", None))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        _: Self::Input,
        _: (),
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let root_created = d.accounts.created_at(req.account())?.unwrap_or(req.now);
        Ok(
            match d
                .iam
                .generate_credential_report(req.account(), root_created, req.now)?
            {
                Generated::Started => api::GenerateCredentialReportResponse {
                    state: Some(api::ReportStateType::Started),
                    description: Some(
                        "No report exists. Starting a new report generation task".to_owned(),
                    ),
                },
                Generated::Complete => api::GenerateCredentialReportResponse {
                    state: Some(api::ReportStateType::Complete),
                    description: None,
                },
            },
        )
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetCredentialReport.html>: the CSV
/// (base64 on the wire, as every blob of the query protocol), `text/csv`, `GeneratedTime`;
/// `ReportNotPresent` (410) before any report, `ReportExpired` (410) after four hours.
impl Op<IamDomain> for o::GetCredentialReport {
    type Target = ();
    const WRITES: bool = false;

    fn resolve(_: &IamDomain, _: &Request<'_>, _: &Self::Input) -> Result<(), Error> {
        Ok(())
    }

    fn plan(_: &Request<'_>, _: &Self::Input, _: &()) -> Result<Plan, Error> {
        Ok(Plan::require("iam:GetCredentialReport", None))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        _: Self::Input,
        _: (),
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let r = d.iam.get_credential_report(req.account(), req.now)?;
        Ok(api::GetCredentialReportResponse {
            content: Some(iamd_api::Blob(r.content.into_bytes())),
            report_format: Some(api::ReportFormatType::TextCsv),
            generated_time: Some(super::at(r.generated_at)),
        })
    }
}
